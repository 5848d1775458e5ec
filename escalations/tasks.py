"""Celery tasks of the escalations app (named explicitly, take ids, call one service)."""

from __future__ import annotations

from celery import shared_task

from . import emails


@shared_task(
    bind=True,
    name="escalations.send_email",
    acks_late=True,
    ignore_result=True,
    max_retries=None,
    soft_time_limit=90,
    time_limit=120,
)
def send_email(self, delivery_id: int) -> str:
    """Send one ticket e-mail; a transient SMTP failure schedules the next attempt with backoff.

    The attempt count lives on the row (EmailDelivery.attempts), not in the task: the sweep and the
    admin's "retry now" start new tasks for the same row, and EMAIL_MAX_ATTEMPTS bounds them all.
    """
    result = emails.email_delivery_send(delivery_id=delivery_id)
    if result.outcome == "retry":
        raise self.retry(countdown=emails.retry_countdown(result.attempts))
    return result.outcome


@shared_task(name="escalations.sweep_emails", ignore_result=True)
def sweep_emails() -> int:
    return emails.email_deliveries_requeue_stuck()
