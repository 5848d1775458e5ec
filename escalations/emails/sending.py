"""Sending one queued ticket e-mail through Django's e-mail backend, at most once."""

from __future__ import annotations

import logging
import random
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ..email_metrics import EMAIL_DELIVERIES, EMAIL_DELIVERIES_FAILED
from ..models import DeliveryStatus, EmailDelivery
from .rendering import clip, header_safe, operator_address

logger = logging.getLogger("escalations.emails")

Kind = EmailDelivery.Kind


@dataclass(frozen=True)
class SendResult:
    # sent | retry | failed | skipped (already sent or failed) | missing
    outcome: str
    attempts: int = 0


class PermanentEmailError(Exception):
    """Sending can never succeed as queued (no valid recipient, message rejected for good)."""


def retry_countdown(attempts: int, *, jitter: bool = True) -> float:
    """Seconds before the attempt after `attempts` failed ones: exponential, capped, jittered."""
    base = settings.EMAIL_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    seconds = min(settings.EMAIL_RETRY_BACKOFF_MAX_SECONDS, base)
    return seconds * random.uniform(0.8, 1.2) if jitter else float(seconds)


def email_delivery_send(*, delivery_id: int) -> SendResult:
    """Send one queued e-mail at most once, recording the attempt (called by escalations.send_email).

    The row stays locked from the status check to the status update, across the SMTP conversation,
    so a second task for the same row waits and then finds it sent. Transient SMTP errors leave it
    queued with `attempts` and `last_error` (outcome "retry": the task schedules the next attempt);
    after EMAIL_MAX_ATTEMPTS, or at once for a permanent error, it becomes failed.
    """
    with transaction.atomic():
        delivery = (
            EmailDelivery.objects.select_for_update(nowait=False, of=("self",))
            .select_related("ticket__user")
            .filter(id=delivery_id)
            .first()
        )
        if delivery is None:
            return SendResult("missing")
        if delivery.status != DeliveryStatus.QUEUED:
            return SendResult("skipped", delivery.attempts)
        delivery.attempts += 1
        fields = ["attempts", "status", "last_error", "updated_at"]
        try:
            _smtp_send(delivery)
        except PermanentEmailError as exc:
            outcome, delivery.last_error = "failed", clip(exc, 300)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(sorted({str(code) for code, _text in exc.recipients.values()}))
            outcome, delivery.last_error = "failed", f"all recipients refused ({codes})"
        except smtplib.SMTPResponseException as exc:
            permanent = isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600
            outcome, delivery.last_error = "failed" if permanent else "retry", _describe(exc)
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, TLS...
            outcome, delivery.last_error = "retry", _describe(exc)
        else:
            outcome = "sent"
            delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, timezone.now(), ""
            fields.append("sent_at")
        if outcome == "retry" and delivery.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            outcome = "failed"
        if outcome == "failed":
            delivery.status = DeliveryStatus.FAILED
        delivery.save(update_fields=fields)
    EMAIL_DELIVERIES.labels(kind=delivery.kind, outcome=outcome).inc()
    if outcome == "failed":
        EMAIL_DELIVERIES_FAILED.labels(kind=delivery.kind).inc()
        logger.error(
            "e-mail %s (%s, ticket %s) failed after %d attempt(s): %s",
            delivery.id, delivery.kind, delivery.ticket.number, delivery.attempts, delivery.last_error,
        )  # fmt: skip
    elif outcome == "retry":
        logger.warning("e-mail %s attempt %d failed: %s", delivery.id, delivery.attempts, delivery.last_error)
    return SendResult(outcome, delivery.attempts)


def _smtp_send(delivery: EmailDelivery) -> None:
    recipients = [address for address in delivery.recipients if _is_valid_address(address)]
    if not recipients:
        raise PermanentEmailError("no valid recipient address")
    headers = {"Message-ID": delivery.message_id, "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
    reply_to = []
    if delivery.kind == Kind.SUPPORT:
        operator = operator_address(delivery.ticket)
        if operator and _is_valid_address(operator):
            reply_to = [operator]
    elif delivery.kind == Kind.STATUS:
        # Thread the operator's status e-mails under their confirmation.
        first = (
            EmailDelivery.objects.filter(ticket_id=delivery.ticket_id, kind=Kind.CONFIRMATION)
            .values_list("message_id", flat=True)
            .first()
        )
        if first:
            headers |= {"In-Reply-To": first, "References": first}
    connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
    message = EmailMultiAlternatives(
        subject=header_safe(delivery.subject, 300),
        body=delivery.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=reply_to,
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(delivery.html_body, "text/html")
    try:
        sent = message.send()
    except ValueError as exc:  # an address Django cannot encode
        raise PermanentEmailError(f"invalid address or header ({type(exc).__name__})") from exc
    if not sent:
        raise smtplib.SMTPException("the backend sent nothing")


def _is_valid_address(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _describe(exc: BaseException) -> str:
    """A short, credential-free description of an SMTP failure for `last_error`."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        first_line = text.strip().splitlines()[0] if text.strip() else ""
        return clip(f"{name}: {exc.smtp_code} {first_line}", 300)
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return clip(f"{name}: {detail}" if detail else name, 300)
