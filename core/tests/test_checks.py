from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest
from django.core import checks
from django.test import override_settings

from conftest import REPO, child_env, service_unavailable
from core.checks import check_provider_paths, check_secret_key


def _manage(*args: str, **env: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_env() -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in (REPO / "deploy" / "production.env.example").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def test_unknown_provider_path_is_core_e003(settings):
    settings.PROVIDER_SETTINGS = ["FAKE_PROVIDERS"]
    settings.FAKE_PROVIDERS = {"default": {"BACKEND": "assistant.providers.nope.Missing"}}
    errors = check_provider_paths()
    assert [e.id for e in errors] == ["core.E003"]
    assert "FAKE_PROVIDERS['default']" in errors[0].msg

    settings.FAKE_PROVIDERS = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert check_provider_paths() == []


def test_missing_secret_key_in_production_is_core_e002(settings):
    settings.ENVIRONMENT = "production"
    settings.DEBUG = False
    with override_settings(SECRET_KEY=""):
        assert [e.id for e in check_secret_key()] == ["core.E002"]
    settings.SECRET_KEY = "insecure-local-only-key-change-me-in-production-0123456789"
    assert [e.level for e in check_secret_key()] == [checks.ERROR]
    settings.SECRET_KEY = "k3J9-x" * 12
    assert check_secret_key() == []


def test_check_deploy_passes_with_the_example_production_environment():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        **{**_production_env(), "DJANGO_SETTINGS_MODULE": "config.settings.production"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_server_refuses_to_start_with_a_placeholder_secret_key():
    env = _production_env()
    env["SECRET_KEY"] = "change-me"
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=REPO,
        env=child_env(**{**env, "DJANGO_SETTINGS_MODULE": "config.settings.production"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "core.E002" in result.stderr


def test_database_without_pgvector_is_core_e001():
    # The machine's plain PostgreSQL (no pgvector) stands in for a misconfigured DATABASE_URL.
    url = "postgres://postgres@127.0.0.1:5432/postgres"
    try:
        psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
    except psycopg.OperationalError:
        service_unavailable("no plain PostgreSQL on 127.0.0.1:5432")
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone():
            pytest.skip("the PostgreSQL on 127.0.0.1:5432 has pgvector; cannot demonstrate E001 with it")
    result = _manage("check", "--database", "default", DATABASE_URL=url)
    assert result.returncode != 0
    assert "core.E001" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("version", "ids"),
    [((0, 8, 5), set()), ((0, 7, 4), {"core.W001"}), ((0, 4, 2), {"core.E007"})],
)
def test_the_vector_check_tells_which_pgvector_is_enough(monkeypatch, version, ids):
    # 0.5 brings HNSW; iterative index scans need 0.8, and search does without them below that.
    from core import pgvector
    from core.checks import check_vector_extension

    monkeypatch.setitem(pgvector._versions, "default", version)
    assert {message.id for message in check_vector_extension(databases=["default"])} == ids
