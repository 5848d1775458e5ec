from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from conftest import REPO, child_env, database_url_for
from core.health import WORKER_HEARTBEAT_CACHE_KEY


def _fresh_heartbeat(age_seconds: float = 0) -> None:
    cache.set(WORKER_HEARTBEAT_CACHE_KEY, {"at": timezone.now().timestamp() - age_seconds, "hostname": "t"}, 300)


def test_live_does_no_io(client):
    # No django_db mark: any database (or database-cache) access in the view raises here.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_ready_reports_every_check(client):
    _fresh_heartbeat()
    response = client.get("/health/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "pgvector", "cache", "broker", "worker", "llm"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["pgvector"]["detail"].startswith("vector ")


@pytest.mark.django_db
def test_ready_is_503_without_worker_heartbeat(client):
    cache.delete(WORKER_HEARTBEAT_CACHE_KEY)
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["worker"] == {
        "ok": False,
        "ms": body["checks"]["worker"]["ms"],
        "detail": "no worker heartbeat yet",
    }
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_ready_is_503_with_stale_heartbeat(client, settings):
    _fresh_heartbeat(age_seconds=settings.CELERY_HEARTBEAT_MAX_AGE + 30)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert "ago" in response.json()["checks"]["worker"]["detail"]


@pytest.mark.django_db
def test_ready_is_503_when_broker_unreachable(client):
    _fresh_heartbeat()
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0"):
        response = client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == {"ok": False, "ms": checks["broker"]["ms"], "detail": "unreachable"}
    assert checks["database"]["ok"] and checks["cache"]["ok"]


@pytest.mark.django_db
def test_ready_is_503_when_filesystem_broker_not_writable(client, tmp_path):
    _fresh_heartbeat()
    missing = tmp_path / "does-not-exist"
    with override_settings(
        CELERY_BROKER_URL="filesystem://", CELERY_BROKER_TRANSPORT_OPTIONS={"data_folder_in": str(missing)}
    ):
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["detail"] == "broker folder not writable"


def _healthcheck(*args: str, **env: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "healthcheck", *args],
        cwd=REPO,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_healthcheck_command_exit_codes(settings):
    from django.db import connection

    db_url = database_url_for(connection.settings_dict)
    _fresh_heartbeat()  # committed: the child process reads the same cache

    ready = _healthcheck("--json", DATABASE_URL=db_url)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert '"status": "ok"' in ready.stdout

    cache.delete(WORKER_HEARTBEAT_CACHE_KEY)
    no_worker = _healthcheck(DATABASE_URL=db_url)
    assert no_worker.returncode == 1
    assert "FAIL worker" in no_worker.stdout

    skipped = _healthcheck("--skip", "worker", DATABASE_URL=db_url)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr

    bad_broker = _healthcheck("--skip", "worker", DATABASE_URL=db_url, CELERY_BROKER_URL="redis://127.0.0.1:9/0")
    assert bad_broker.returncode == 1
    assert "FAIL broker" in bad_broker.stdout


def test_healthcheck_command_fails_when_database_unreachable(tmp_path):
    result = _healthcheck(
        "--skip", "worker", "--skip", "cache",
        DATABASE_URL=f"postgres://postgres@/nowhere?host={tmp_path}",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL database" in result.stdout
    assert "FAIL migrations" in result.stdout  # reported as unreachable, not as a crash


@pytest.mark.django_db
def test_ready_reports_llm_configuration_without_calling_it(client, settings):
    from assistant.providers import reset_llm_providers
    from core.testing.openai_stub import OpenAIStub

    _fresh_heartbeat()
    assert client.get("/health/ready").json()["checks"]["llm"]["detail"].startswith("offline responder")
    with OpenAIStub() as stub:
        settings.LLM_PROVIDERS = {
            "default": {"BACKEND": "assistant.providers.openai_chat.OpenAIChatProvider", "MODEL": "gpt-x",
                        "BASE_URL": stub.base_url},
        }  # fmt: skip
        reset_llm_providers()
        check = client.get("/health/ready").json()["checks"]["llm"]
        assert check["ok"] and "default (gpt-x)" in check["detail"]
        assert stub.requests == []  # no tokens spent
        settings.LLM_PROVIDERS = {"default": {"BACKEND": "nowhere.Missing", "MODEL": "m"}}
        reset_llm_providers()
        response = client.get("/health/ready")
        assert response.status_code == 503 and response.json()["checks"]["llm"]["ok"] is False
    reset_llm_providers()
