"""Celery signal handlers: task metrics, logging, worker heartbeat and worker metrics endpoint."""

from __future__ import annotations

import logging
import os
import threading
import time

from celery import signals

from .metrics import CELERY_TASK_DURATION, CELERY_TASK_FAILURES, CELERY_TASK_RETRIES, CELERY_TASKS

logger = logging.getLogger(__name__)

_started: dict[str, float] = {}


@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    # Connecting to this signal stops Celery from replacing the handlers Django configured from
    # settings.LOGGING, so worker lines share the format (JSON in production) and the context.
    return None


@signals.task_prerun.connect
def _task_started(task_id=None, **kwargs) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    name = getattr(task, "name", "unknown")
    CELERY_TASKS.labels(task=name, state=state or "UNKNOWN").inc()
    started = _started.pop(task_id, None) if task_id else None
    if started is not None:
        CELERY_TASK_DURATION.labels(task=name).observe(time.monotonic() - started)


@signals.task_failure.connect
def _task_failed(sender=None, exception=None, **kwargs) -> None:
    CELERY_TASK_FAILURES.labels(task=getattr(sender, "name", "unknown"), exception=type(exception).__name__).inc()


@signals.task_retry.connect
def _task_retried(sender=None, **kwargs) -> None:
    CELERY_TASK_RETRIES.labels(task=getattr(sender, "name", "unknown")).inc()


@signals.worker_process_shutdown.connect
def _mark_process_dead(pid=None, **kwargs) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs) -> None:
    from django.conf import settings

    hostname = getattr(sender, "hostname", None) or "worker"
    _start_heartbeat_thread(sender.app, hostname, settings.CELERY_HEARTBEAT_INTERVAL)
    if settings.CELERY_METRICS_PORT:
        _start_metrics_server(settings.CELERY_METRICS_PORT)


def _start_heartbeat_thread(app, hostname: str, interval: int) -> None:
    """Publish a heartbeat task through the broker every `interval` seconds.

    Going through the broker (rather than writing a timestamp directly) proves the whole path a
    real task takes: publish -> broker -> a consuming worker -> database/cache.
    """

    def loop() -> None:
        while True:
            try:
                app.send_task(
                    "core.record_worker_heartbeat",
                    kwargs={"hostname": hostname},
                    expires=interval * 2,
                )
            except Exception:  # broker down: readiness will report it; keep trying
                logger.warning("could not publish worker heartbeat", exc_info=True)
            time.sleep(interval)

    threading.Thread(target=loop, name="worker-heartbeat", daemon=True).start()


def _start_metrics_server(port: int) -> None:
    from prometheus_client import CollectorRegistry, start_http_server

    registry = None
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=os.environ.get("CELERY_METRICS_ADDR", "0.0.0.0"), registry=registry)
    logger.info("worker metrics on port %s", port)
