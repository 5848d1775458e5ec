"""E-mails about tickets (SPEC §3.6; docs/email.md).

Each e-mail is rendered once, when it is queued, into an EmailDelivery row (subject, text, HTML,
recipients, a fixed Message-ID); the escalations.send_email task sends that row, so a retry sends
exactly what was queued. Queueing runs inside the ticket's transaction and is idempotent through
`dedupe_key`; the send task is enqueued on commit, and the beat sweep re-enqueues what a lost
broker message left behind.

Sending holds the row's lock from the status check to the status update: a redelivered task, a
duplicate from the sweep or a second worker waits for the first and then sees `sent`, so an e-mail
is sent at most once (except when a worker dies between the SMTP reply and the commit; then the
same Message-ID lets the receiving side drop the copy).

Operators read their e-mails in their own language (core/text/phrases.py); the support inbox reads
its e-mail in ESCALATION_SUPPORT_LANGUAGE (template strings, locale/). Every value a user or ABParts
supplied is escaped by the templates' autoescaping; nothing is marked safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import make_msgid
from django.db import transaction
from django.utils import timezone

from core.enqueue import enqueue_or_leave
from core.text.languages import language_or_fallback

from ..models import DeliveryStatus, EmailDelivery, Ticket, TicketEvent
from .rendering import RenderedEmail, header_safe, operator_address, render_operator, render_support
from .sending import PermanentEmailError, SendResult, email_delivery_send, retry_countdown

__all__ = [
    "PermanentEmailError",
    "RenderedEmail",
    "SendResult",
    "email_deliveries_requeue_stuck",
    "email_delivery_retry",
    "email_delivery_send",
    "header_safe",
    "retry_countdown",
    "status_email_queue",
    "ticket_emails_queue",
]

logger = logging.getLogger("escalations.emails")

Kind = EmailDelivery.Kind

# Stuck-sweep: at most this many rows per run (the next run takes the rest).
SWEEP_BATCH = 500


def ticket_emails_queue(*, ticket: Ticket) -> list[EmailDelivery]:
    """Queue the support-inbox e-mail and the operator's confirmation for a new ticket (idempotent).

    Call inside the ticket's transaction; the send tasks are enqueued on commit. Returns the
    EmailDelivery rows (existing ones when already queued). Without ESCALATION_SUPPORT_INBOX there is
    no support e-mail, and an operator without an e-mail address (ABParts users may lack one) gets no
    confirmation; both are logged, neither is an error.
    """
    deliveries = []
    inbox = [address.strip() for address in settings.ESCALATION_SUPPORT_INBOX if address.strip()]
    if inbox:
        language = language_or_fallback(settings.ESCALATION_SUPPORT_LANGUAGE)
        deliveries.append(
            _delivery_queue(
                ticket=ticket,
                kind=Kind.SUPPORT,
                dedupe_key=f"ticket-{ticket.id}-support",
                recipients=inbox,
                language=language,
                render=partial(render_support, ticket, language),
            )
        )
    else:
        logger.warning("ESCALATION_SUPPORT_INBOX is empty: no support e-mail for ticket %s", ticket.number)
    address = operator_address(ticket)
    if address:
        language = language_or_fallback(ticket.language)
        deliveries.append(
            _delivery_queue(
                ticket=ticket,
                kind=Kind.CONFIRMATION,
                dedupe_key=f"ticket-{ticket.id}-confirmation",
                recipients=[address],
                language=language,
                render=partial(render_operator, ticket, language, "confirmation", None),
            )
        )
    else:
        logger.info("ticket %s: the operator has no e-mail address, no confirmation e-mail", ticket.number)
    return deliveries


def status_email_queue(*, ticket: Ticket, event: TicketEvent) -> list[EmailDelivery]:
    """Queue the operator's notification of a status change (`event`: the TicketEvent). Idempotent."""
    address = operator_address(ticket)
    if not address:
        logger.info("ticket %s: the operator has no e-mail address, no status e-mail", ticket.number)
        return []
    language = language_or_fallback(ticket.language)
    return [
        _delivery_queue(
            ticket=ticket,
            kind=Kind.STATUS,
            dedupe_key=f"ticket-{ticket.id}-status-{event.id}",
            recipients=[address],
            language=language,
            render=partial(render_operator, ticket, language, "status", event.to_value),
        )
    ]


def email_delivery_retry(*, delivery: EmailDelivery) -> bool:
    """Send a failed (or still queued) e-mail again now, with a fresh set of attempts (admin action).

    Returns False for an e-mail that was already sent: it is never sent twice.
    """
    with transaction.atomic():
        reset = (
            EmailDelivery.objects.filter(id=delivery.id)
            .exclude(status=DeliveryStatus.SENT)
            .update(status=DeliveryStatus.QUEUED, attempts=0, updated_at=timezone.now())
        )
        if reset:
            transaction.on_commit(partial(_enqueue_send, delivery.id))
    delivery.refresh_from_db()
    return bool(reset)


def email_deliveries_requeue_stuck() -> int:
    """Enqueue again the queued e-mails whose task message was lost (beat: escalations.sweep_emails).

    A queued row untouched for EMAIL_STUCK_AFTER_SECONDS beyond the backoff its last attempt
    scheduled has no task waiting for it. Its `updated_at` is bumped with a compare-and-set, so two
    sweeps never enqueue it twice. Returns how many were enqueued.
    """
    now = timezone.now()
    grace = timedelta(seconds=settings.EMAIL_STUCK_AFTER_SECONDS)
    candidates = (
        EmailDelivery.objects.filter(status=DeliveryStatus.QUEUED, updated_at__lt=now - grace)
        .order_by("updated_at")
        .values_list("id", "attempts", "updated_at")[:SWEEP_BATCH]
    )
    requeued = 0
    for delivery_id, attempts, updated_at in candidates:
        # The retry countdown carries up to 20 % jitter.
        waiting = timedelta(seconds=retry_countdown(attempts, jitter=False) * 1.25) if attempts else timedelta()
        if updated_at > now - grace - waiting:
            continue
        with transaction.atomic():
            claimed = EmailDelivery.objects.filter(
                id=delivery_id, status=DeliveryStatus.QUEUED, updated_at=updated_at
            ).update(updated_at=now)
            if claimed:
                transaction.on_commit(partial(_enqueue_send, delivery_id))
                requeued += 1
    if requeued:
        logger.warning("re-enqueued %d queued e-mail(s) whose task was lost", requeued)
    return requeued


def _delivery_queue(
    *,
    ticket: Ticket,
    kind: str,
    dedupe_key: str,
    recipients: list[str],
    language: str,
    render: Callable[[], RenderedEmail],
) -> EmailDelivery:
    existing = EmailDelivery.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    rendered = render()
    # get_or_create inserts in a savepoint: a concurrent insert of the same key makes it return
    # that row instead of breaking the caller's transaction.
    delivery, created = EmailDelivery.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "ticket": ticket,
            "kind": kind,
            "language": language,
            "recipients": recipients,
            "subject": rendered.subject,
            "text_body": rendered.text,
            "html_body": rendered.html,
            "message_id": make_msgid(domain=settings.EMAIL_MESSAGE_ID_DOMAIN),
        },
    )
    if created:
        transaction.on_commit(partial(_enqueue_send, delivery.id))
    return delivery


def _enqueue_send(delivery_id: int) -> None:
    from ..tasks import send_email  # here, not at the top: escalations.tasks imports this module

    # Broker down (SPEC §7): the row stays queued; the beat sweep enqueues it once the broker is back.
    enqueue_or_leave(send_email, delivery_id, what=f"e-mail {delivery_id}", recovery="the sweep will enqueue it")
