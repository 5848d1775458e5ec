"""Readiness checks shared by /health/ready and `manage.py healthcheck`.

Each check returns a CheckResult; none raises. Details are short, fixed phrases (the endpoint is
unauthenticated), while the underlying exception goes to the log with the request id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

logger = logging.getLogger(__name__)

WORKER_HEARTBEAT_CACHE_KEY = "celery:worker-heartbeat"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    ms: float
    detail: str = ""


def _timed(check: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except HealthCheckFailed as exc:
        ok, detail = False, str(exc)
    except Exception:  # a probe must report, not crash; the log keeps the cause
        logger.warning("health check %s failed", getattr(check, "__name__", check), exc_info=True)
        ok, detail = False, "error"
    return CheckResult(ok=ok, ms=round((time.perf_counter() - started) * 1000, 1), detail=detail)


class HealthCheckFailed(Exception):
    """A check failed for a known, safe-to-show reason."""


def _bounded_cursor():
    cursor = connection.cursor()
    cursor.execute("SET LOCAL statement_timeout = %s", [int(settings.HEALTH_CHECK_TIMEOUT * 1000)])
    return cursor


def check_database() -> str:
    try:
        with transaction.atomic(), _bounded_cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        raise HealthCheckFailed("unreachable") from exc
    return ""


def check_migrations() -> str:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise HealthCheckFailed(f"{len(plan)} migration(s) not applied")
    return ""


def check_vector_extension() -> str:
    with transaction.atomic(), _bounded_cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    if row is None:
        raise HealthCheckFailed("extension 'vector' not installed")
    return f"vector {row[0]}"


def check_cache() -> str:
    key = "health:probe"
    value = str(time.time())
    cache.set(key, value, timeout=30)
    read = cache.get(key)
    # The production cache fails open (core/cache.py): requests go on without Redis, readiness must not.
    if getattr(cache, "failing_open", False):
        raise HealthCheckFailed("unreachable (requests are served without it)")
    if read != value:
        raise HealthCheckFailed("read-back mismatch")
    return ""


def check_broker() -> str:
    # The project's Celery app (config/__init__.py loads it when Django starts), without importing
    # config from core.
    from celery import current_app as app

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        import os

        if not os.access(folder, os.W_OK):
            raise HealthCheckFailed("broker folder not writable")
        return "filesystem"
    try:
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_CHECK_TIMEOUT)
    except Exception as exc:  # kombu raises transport-specific errors
        raise HealthCheckFailed("unreachable") from exc
    return settings.CELERY_BROKER_URL.split(":", 1)[0]


def check_worker() -> str:
    beat = cache.get(WORKER_HEARTBEAT_CACHE_KEY)
    if not beat:
        raise HealthCheckFailed("no worker heartbeat yet")
    age = timezone.now().timestamp() - float(beat["at"])
    if age > settings.CELERY_HEARTBEAT_MAX_AGE:
        raise HealthCheckFailed(f"last worker heartbeat {int(age)}s ago")
    return f"{int(age)}s ago"


# Checks of higher layers (the LLM configuration lives in assistant): registered by their app's
# ready(), so core, the lowest layer, imports none of them (docs/architecture.md).
_registered: dict[str, Callable[[], str]] = {}


def register_readiness_check(name: str, check: Callable[[], str]) -> None:
    """Add `check` to /health/ready and `manage.py healthcheck` (idempotent: a name is kept once)."""
    _registered[name] = check


def readiness_checks() -> dict[str, Callable[[], str]]:
    checks: dict[str, Callable[[], str]] = {
        "database": check_database,
        "migrations": check_migrations,
        "pgvector": check_vector_extension,
        "cache": check_cache,
        "broker": check_broker,
    }
    if settings.HEALTH_REQUIRE_WORKER:
        checks["worker"] = check_worker
    checks.update(_registered)
    return checks


def run_readiness_checks(*, skip: frozenset[str] = frozenset()) -> tuple[bool, dict[str, dict]]:
    results: dict[str, CheckResult] = {}
    for name, check in readiness_checks().items():
        if name in skip:
            continue
        # Without a database nothing else that reads it can pass; say so instead of timing out 3x.
        if name in {"migrations", "pgvector"} and "database" in results and not results["database"].ok:
            results[name] = CheckResult(ok=False, ms=0.0, detail="database unreachable")
            continue
        results[name] = _timed(check)
    return all(r.ok for r in results.values()), {name: asdict(r) for name, r in results.items()}


def ping_worker(*, timeout: float) -> CheckResult:
    """Send core.ping through the broker and wait until a worker has answered (or time out)."""
    import uuid

    from .tasks import PING_CACHE_PREFIX, ping

    token = uuid.uuid4().hex
    started = time.perf_counter()
    try:
        ping.apply_async(kwargs={"token": token}, expires=timeout)
    except Exception:
        logger.warning("could not publish ping task", exc_info=True)
        return CheckResult(ok=False, ms=0.0, detail="broker unreachable")
    deadline = started + timeout
    while time.perf_counter() < deadline:
        answer = cache.get(PING_CACHE_PREFIX + token)
        if answer:
            ms = round((time.perf_counter() - started) * 1000, 1)
            return CheckResult(ok=True, ms=ms, detail=str(answer.get("hostname") or ""))
        time.sleep(0.2)
    return CheckResult(ok=False, ms=round(timeout * 1000, 1), detail=f"no answer within {timeout:g}s")
