"""Celery tasks of the privacy app (named explicitly, take ids, call one service)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(bind=True, name="privacy.erase_user_data", acks_late=True, ignore_result=True, max_retries=5)
def erase_user_data(self, request_id: str) -> str:
    """Carry out one erasure request; a failure puts it back in the queue and retries with backoff."""
    try:
        return services.erasure_run(request_id=request_id).status
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            raise  # stays "failed": docs/operations.md, "An erasure request"
        services.erasure_retry(request_id=request_id)
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(name="privacy.purge_expired", acks_late=True, ignore_result=True)
def purge_expired() -> dict[str, int]:
    """The nightly retention purge (CELERY_BEAT_SCHEDULE); what it deleted, per kind."""
    return dict(services.retention_purge().counts)
