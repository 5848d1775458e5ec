from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from .health import WORKER_HEARTBEAT_CACHE_KEY

logger = logging.getLogger(__name__)

PING_CACHE_PREFIX = "celery:ping:"


@shared_task(name="core.record_worker_heartbeat", ignore_result=True)
def record_worker_heartbeat(*, hostname: str) -> None:
    """Record that a worker consumed a task just now (read by the readiness check)."""
    cache.set(
        WORKER_HEARTBEAT_CACHE_KEY,
        {"at": timezone.now().timestamp(), "hostname": hostname},
        timeout=settings.CELERY_HEARTBEAT_MAX_AGE * 2,
    )


@shared_task(name="core.ping", ignore_result=True)
def ping(*, token: str) -> None:
    """Answer a ping: store which worker consumed `token` (manage.py healthcheck --ping-worker)."""
    from celery._state import get_current_task

    task = get_current_task()
    hostname = getattr(task.request, "hostname", None) if task else None
    logger.info("pong %s", token, extra={"event": "celery_ping"})
    cache.set(PING_CACHE_PREFIX + token, {"at": timezone.now().timestamp(), "hostname": hostname}, timeout=300)
