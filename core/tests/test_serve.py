"""The first README command, for real: `make run` in a fresh VAR_DIR, ready, stopped, restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from conftest import REPO, embedded_product_env, free_port, wait_for

pytestmark = pytest.mark.slow

VENV = Path(sys.executable).parent.parent


def _start(var_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = embedded_product_env(
        var_dir=var_dir, port=port, LOG_FORMAT="json", LOG_LEVEL="INFO", CELERY_HEARTBEAT_INTERVAL="2"
    )
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            ["make", "--no-print-directory", "run", f"VENV={VENV}"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # like a terminal: Ctrl-C goes to the whole group
        )


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def _leftovers(var_dir: Path) -> list[str]:
    """Live processes that belong to this instance (by command line or environment)."""
    mine = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE or proc.pid == os.getpid():
            continue
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            env_var_dir = proc.environ().get("VAR_DIR")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if str(var_dir) in cmdline or env_var_dir == str(var_dir):
            mine.append(f"{proc.pid}: {cmdline[:120]}")
    return mine


def _ctrl_c(process: subprocess.Popen) -> int:
    os.killpg(process.pid, signal.SIGINT)
    return process.wait(timeout=90)


def test_make_run_starts_everything_and_ctrl_c_stops_everything(tmp_path):
    var_dir = tmp_path / "var"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "run.log"

    first = _start(var_dir, port, log_path)
    try:
        wait_for(
            lambda: first.poll() is None and _get(base + "/health/ready")[0] == 200,
            timeout=240,
            interval=1,
            message=f"/health/ready = 200\n{log_path.read_text(errors='replace')[-4000:]}",
        )
        status, body = _get(base + "/health/ready")
        checks = json.loads(body)["checks"]
        assert checks["broker"]["detail"] == "filesystem" and checks["worker"]["ok"]
        assert (var_dir / "pgdata" / "PG_VERSION").exists()

        # Metrics aggregate every gunicorn worker and the Celery worker (multiprocess mode).
        status, metrics = _get(base + "/metrics")
        assert status == 200
        assert b'autoboss_celery_tasks_total{state="SUCCESS",task="core.record_worker_heartbeat"}' in metrics
        assert b"django_http_requests_total_by_method_total" in metrics

        # The admin login page renders with its static files served.
        assert _get(base + "/admin/login/")[0] == 200
        assert _get(base + "/static/admin/css/base.css")[0] == 200

        # JSON request lines with the documented fields.
        lines = [json.loads(line) for line in log_path.read_text(errors="replace").splitlines() if line.startswith("{")]
        ready_lines = [ln for ln in lines if ln.get("event") == "http_request" and ln.get("path") == "/health/ready"]
        assert ready_lines and {"request_id", "method", "status", "duration_ms", "time", "level"} <= set(
            ready_lines[-1]
        )

        # A second instance on the same VAR_DIR refuses to start and leaves the first one alone.
        second_log = tmp_path / "second.log"
        second = _start(var_dir, free_port(), second_log)
        assert second.wait(timeout=120) != 0
        assert "already running" in second_log.read_text(errors="replace")
        assert _get(base + "/health/ready")[0] == 200
    finally:
        if first.poll() is None:
            _ctrl_c(first)
    assert "Stopped." in log_path.read_text(errors="replace")
    wait_for(lambda: not _leftovers(var_dir), timeout=30, message=f"no leftover processes: {_leftovers(var_dir)}")

    # Running it again reuses the data (no migrations left to apply) and stops cleanly again.
    again = _start(var_dir, port, log_path)
    try:
        wait_for(lambda: again.poll() is None and _get(base + "/health/ready")[0] == 200, timeout=240, interval=1)
    finally:
        if again.poll() is None:
            _ctrl_c(again)
    assert "No migrations to apply." in log_path.read_text(errors="replace")
    wait_for(lambda: not _leftovers(var_dir), timeout=30, message=f"no leftover processes: {_leftovers(var_dir)}")
