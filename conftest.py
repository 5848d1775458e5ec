"""Shared test fixtures: real services only (PostgreSQL+pgvector, Redis, Celery worker processes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parent


def service_unavailable(reason: str) -> None:
    """In CI a missing real service is a failure, never a silent skip (issue #2)."""
    if os.environ.get("CI"):
        pytest.fail(f"required service unavailable in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_unavailable("REDIS_URL is not set")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {url} is unreachable: {exc.__class__.__name__}")
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for(settings_dict: dict) -> str:
    """A DATABASE_URL for a child process that must use the same (test) database as we do."""
    host = settings_dict.get("HOST") or settings_dict.get("OPTIONS", {}).get("host", "")
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    name = settings_dict["NAME"]
    if host.startswith("/"):  # Unix socket directory (the embedded server)
        return f"postgres://{auth}/{name}?host={quote(host)}"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{name}"


@pytest.fixture
def test_database_url(transactional_db) -> str:
    from django.db import connection

    return database_url_for(connection.settings_dict)


def child_env(**overrides: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def embedded_product_env(*, var_dir: Path, port: int, **overrides: str | None) -> dict[str, str]:
    """The environment of a product started as `make run` starts it on a fresh machine: nothing
    configured (embedded database, filesystem broker, database cache), in its own VAR_DIR and port."""
    nothing_configured: dict[str, str | None] = dict.fromkeys((
        "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_BROKER_DIR", "CELERY_TASK_DEFAULT_QUEUE",
        "PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE",
    ))  # fmt: skip
    return child_env(VAR_DIR=str(var_dir), PORT=str(port), **nothing_configured, WEB_CONCURRENCY="2", **overrides)


@dataclass
class WorkerHandle:
    process: subprocess.Popen
    queue: str
    broker_url: str
    transport_options: dict
    log_path: Path

    def send(self, task, **kwargs) -> None:
        """Publish `task` to this worker's queue through its broker (not through our settings)."""
        from config.celery import app

        with app.connection_for_write(url=self.broker_url, transport_options=self.transport_options) as conn:
            task.apply_async(kwargs=kwargs, queue=self.queue, connection=conn)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def celery_worker(
    *,
    database_url: str,
    broker_url: str,
    broker_dir: Path | None,
    log_dir: Path,
    queue: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[WorkerHandle]:
    """Run a real `celery worker` process on its own queue until the block exits."""
    from config.settings.celery import filesystem_broker_options

    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    options = filesystem_broker_options(broker_dir) if broker_dir else {}
    env = child_env(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_DIR=str(broker_dir) if broker_dir else None,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CELERY_HEARTBEAT_INTERVAL="1",
        LOG_LEVEL="INFO",
        PROMETHEUS_MULTIPROC_DIR=None,
        **(extra_env or {}),
    )
    log_path = log_dir / f"{queue}-{uuid.uuid4().hex[:6]}.log"
    cmd = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--queues", queue,
        "--hostname", f"{queue}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    handle = WorkerHandle(process, queue, broker_url, options, log_path)
    try:
        yield handle
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(predicate, *, timeout: float, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def exact_vector_scan(db):
    """Vector searches of this test scan exactly instead of through the HNSW indexes.

    For tests that search vectors of the OpenAI stub (core/testing/openai_stub.py): those are sparse
    bag-of-words vectors, mostly orthogonal to each other, on which an approximate graph search over
    an index full of the dead entries earlier tests rolled back can come back empty or not,
    depending on when autovacuum last ran. Real embeddings do not look like that; these tests check
    the wiring, not the index. Local to the test's transaction, so nothing leaks.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('enable_indexscan', 'off', true)")


@pytest.fixture
def json_log_lines():
    """Route logging through the production JSON configuration into a buffer; call it for the lines."""
    import io
    import json
    import logging
    import logging.config

    from django.conf import settings

    from config.settings.logging import build_logging

    buffer = io.StringIO()
    config = build_logging("json", "INFO")
    config["handlers"]["stdout"]["stream"] = buffer
    config["handlers"]["stdout"].pop("class")
    config["handlers"]["stdout"]["()"] = lambda stream: logging.StreamHandler(stream)
    logging.config.dictConfig(config)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    finally:
        logging.config.dictConfig(settings.LOGGING)


@pytest.fixture(autouse=True)
def _on_commit_hooks_run(request) -> Iterator[None]:
    """Run the on-commit hooks of every test that runs inside pytest-django's transaction, as the
    commit of a real request would.

    Without this a test that creates work for a worker (a ticket's e-mail, a document's ingestion)
    never executes the hook that enqueues it, and a broken hook ships unnoticed (issue 11: every
    escalation answered 500 because the hook imported a module that does not exist). The hooks
    publish to the test settings' in-process broker (config/settings/test.py), never to a worker.
    Tests that look at the callbacks still use django_capture_on_commit_callbacks; whatever they
    leave is executed here when the test ends. Transactional tests commit for real and need nothing.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    if transactional or (marker is None and "db" not in request.fixturenames):
        yield
        return
    request.getfixturevalue("db")  # set up first, so the hooks run before its rollback
    with request.getfixturevalue("django_capture_on_commit_callbacks")(execute=True):
        yield
