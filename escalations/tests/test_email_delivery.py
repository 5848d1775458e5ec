"""Sending ticket e-mails through a real SMTP server: states, retries, at-most-once, a real worker."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.mail import make_msgid
from django.db import connections
from django.utils import timezone
from prometheus_client import REGISTRY

from conftest import celery_worker, wait_for
from core.testing.smtp import SMTPStandIn
from escalations.emails import (
    email_deliveries_requeue_stuck,
    email_delivery_retry,
    email_delivery_send,
    retry_countdown,
    status_email_queue,
    ticket_emails_queue,
)
from escalations.models import DeliveryStatus, EmailDelivery, TicketEvent
from escalations.tasks import send_email
from escalations.tests.test_emails import make_ticket

pytestmark = pytest.mark.django_db

SUPPORT_INBOX = ["support@example.com", "service@example.com"]


@pytest.fixture
def smtp():
    with SMTPStandIn() as server:
        yield server


@pytest.fixture
def mail_settings(settings, smtp):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # pytest-django sets locmem
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "AutoBoss Assistant <assistant@example.com>"
    settings.EMAIL_MESSAGE_ID_DOMAIN = "example.com"
    settings.ESCALATION_SUPPORT_INBOX = SUPPORT_INBOX
    settings.EMAIL_MAX_ATTEMPTS = 4
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 60
    settings.EMAIL_RETRY_BACKOFF_MAX_SECONDS = 600
    settings.EMAIL_STUCK_AFTER_SECONDS = 600
    return settings


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def queue_ticket_emails(django_capture_on_commit_callbacks, **ticket_fields) -> dict[str, EmailDelivery]:
    """Queue a new ticket's e-mails without running their on-commit enqueue (tests send them)."""
    ticket = make_ticket(**ticket_fields)
    with django_capture_on_commit_callbacks(execute=False):
        deliveries = ticket_emails_queue(ticket=ticket)
    return {d.kind: d for d in deliveries}


def committed_delivery(*, email: str = "operator@example.com") -> EmailDelivery:
    """A queued confirmation made with the ORM, for tests on committed data (transaction=True).

    ticket_emails_queue would enqueue its task on commit, into this process's broker and queue,
    where no test worker listens; these tests hand the id to their worker themselves.
    """
    ticket = make_ticket(email=email)
    return EmailDelivery.objects.create(
        ticket=ticket,
        kind=EmailDelivery.Kind.CONFIRMATION,
        dedupe_key=f"ticket-{ticket.id}-confirmation",
        language="en",
        recipients=[email],
        subject=f"We have received your request {ticket.number}",
        text_body="Thank you.\n",
        html_body="<p>Thank you.</p>",
        message_id=make_msgid(domain="example.com"),
    )


def reload(delivery: EmailDelivery) -> EmailDelivery:
    delivery.refresh_from_db()
    return delivery


# --- a normal send ------------------------------------------------------------------------------


def test_queued_emails_are_sent_once_with_their_headers(mail_settings, smtp, django_capture_on_commit_callbacks):
    sent_before = metric("autoboss_email_deliveries_total", kind="support", outcome="sent")
    deliveries = queue_ticket_emails(django_capture_on_commit_callbacks, language="el")
    support, confirmation = deliveries["support"], deliveries["confirmation"]

    assert send_email.apply(args=(support.id,)).get() == "sent"
    assert send_email.apply(args=(confirmation.id,)).get() == "sent"

    received = {m["Message-ID"]: m for m in smtp.wait_for(2)}
    assert len(received) == 2
    for delivery in (support, confirmation):
        reload(delivery)
        assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1 and delivery.last_error == ""
        assert timezone.now() - delivery.sent_at < timedelta(seconds=30)
        message = received[delivery.message_id]
        assert message["Subject"] == delivery.subject
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["From"] == "AutoBoss Assistant <assistant@example.com>"
        assert message.mail_from == "assistant@example.com"
        assert message.text.strip() == delivery.text_body.strip()
        assert message.html.strip() == delivery.html_body.strip()
    support_message, confirmation_message = received[support.message_id], received[confirmation.message_id]
    assert sorted(support_message.rcpt_tos) == sorted(SUPPORT_INBOX)
    assert support_message["Reply-To"] == "operator@example.com"  # the expert answers the operator
    assert confirmation_message.rcpt_tos == ("operator@example.com",)
    assert confirmation_message["Reply-To"] is None
    assert "Λάβαμε το αίτημά σας" in confirmation_message["Subject"]
    assert metric("autoboss_email_deliveries_total", kind="support", outcome="sent") == sent_before + 1


def test_status_emails_thread_under_the_confirmation(mail_settings, smtp, django_capture_on_commit_callbacks):
    confirmation = queue_ticket_emails(django_capture_on_commit_callbacks)["confirmation"]
    event = TicketEvent.objects.create(ticket=confirmation.ticket, kind="status", to_value="resolved")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (status,) = status_email_queue(ticket=confirmation.ticket, event=event)
    assert len(callbacks) == 1

    assert email_delivery_send(delivery_id=status.id).outcome == "sent"

    (message,) = smtp.wait_for(1)
    assert message["Message-ID"] == status.message_id
    assert message["In-Reply-To"] == message["References"] == confirmation.message_id
    assert "Resolved" in message["Subject"]


def test_a_hostile_subject_cannot_add_headers_or_recipients(mail_settings, smtp, django_capture_on_commit_callbacks):
    hostile = "Rig\r\nBcc: attacker@evil.example\r\nX-Injected: yes"
    support = queue_ticket_emails(django_capture_on_commit_callbacks, machine_snapshot={"name": hostile})["support"]

    assert email_delivery_send(delivery_id=support.id).outcome == "sent"

    (message,) = smtp.wait_for(1)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "attacker@evil.example" not in message.rcpt_tos
    assert message["Subject"].endswith("Rig Bcc: attacker@evil.example X-Injected: yes")


# --- SMTP down, then up -------------------------------------------------------------------------


def test_while_smtp_is_down_emails_wait_and_after_it_is_back_each_is_sent_once(
    mail_settings, smtp, django_capture_on_commit_callbacks
):
    retries_before = metric("autoboss_email_deliveries_total", kind="confirmation", outcome="retry")
    deliveries = list(queue_ticket_emails(django_capture_on_commit_callbacks).values())
    smtp.stop()

    for attempt in (1, 2):
        for delivery in deliveries:
            result = email_delivery_send(delivery_id=delivery.id)
            assert (result.outcome, result.attempts) == ("retry", attempt)
            reload(delivery)
            assert delivery.status == DeliveryStatus.QUEUED and delivery.attempts == attempt
            assert delivery.last_error.startswith("ConnectionRefusedError")
            assert delivery.sent_at is None
    assert metric("autoboss_email_deliveries_total", kind="confirmation", outcome="retry") == retries_before + 2

    smtp.start()  # same port
    for delivery in deliveries:
        assert email_delivery_send(delivery_id=delivery.id).outcome == "sent"
        # A retry that was already scheduled arrives later: it finds the e-mail sent.
        assert email_delivery_send(delivery_id=delivery.id).outcome == "skipped"
    messages = smtp.wait_for(2)
    time.sleep(0.3)
    assert len(smtp.messages) == 2
    assert sorted(m["Message-ID"] for m in messages) == sorted(d.message_id for d in deliveries)
    for delivery in deliveries:
        reload(delivery)
        assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 3, "")


def test_after_the_last_attempt_the_email_is_failed_kept_and_can_be_retried(
    mail_settings, smtp, django_capture_on_commit_callbacks
):
    failed_before = metric("autoboss_email_deliveries_failed_total", kind="confirmation")
    confirmation = queue_ticket_emails(django_capture_on_commit_callbacks)["confirmation"]
    smtp.stop()

    # An eager task runs its retries at once: the task's own retry loop ends at EMAIL_MAX_ATTEMPTS.
    assert send_email.apply(args=(confirmation.id,)).get() == "failed"

    reload(confirmation)
    assert (confirmation.status, confirmation.attempts) == (DeliveryStatus.FAILED, 4)
    assert confirmation.last_error.startswith("ConnectionRefusedError")
    assert metric("autoboss_email_deliveries_failed_total", kind="confirmation") == failed_before + 1

    smtp.start()
    # A failed e-mail is not picked up again by a stray task or the sweep...
    assert email_delivery_send(delivery_id=confirmation.id).outcome == "skipped"
    EmailDelivery.objects.filter(id=confirmation.id).update(updated_at=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert email_deliveries_requeue_stuck() == 0
    assert callbacks == [] and smtp.messages == []
    # ...only by staff ("retry now"), with a fresh set of attempts.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert email_delivery_retry(delivery=confirmation) is True
    assert len(callbacks) == 1
    assert (confirmation.status, confirmation.attempts) == (DeliveryStatus.QUEUED, 0)
    assert send_email.apply(args=(confirmation.id,)).get() == "sent"
    assert len(smtp.wait_for(1)) == 1
    # A sent e-mail is never sent again, not even on request.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert email_delivery_retry(delivery=confirmation) is False
    assert callbacks == [] and reload(confirmation).status == DeliveryStatus.SENT


def test_permanent_errors_fail_at_once_and_temporary_ones_retry(
    mail_settings, smtp, django_capture_on_commit_callbacks
):
    refused = queue_ticket_emails(django_capture_on_commit_callbacks, email="gone@example.com")["confirmation"]
    smtp.refuse_recipients.add("gone@example.com")
    assert email_delivery_send(delivery_id=refused.id).outcome == "failed"
    assert (reload(refused).status, refused.attempts) == (DeliveryStatus.FAILED, 1)
    assert refused.last_error == "all recipients refused (550)"
    assert "gone@example.com" not in refused.last_error

    invalid = queue_ticket_emails(django_capture_on_commit_callbacks, email="not-an-address")["confirmation"]
    assert email_delivery_send(delivery_id=invalid.id).outcome == "failed"
    assert reload(invalid).last_error == "no valid recipient address"

    rejected = queue_ticket_emails(django_capture_on_commit_callbacks)["confirmation"]
    smtp.reject_data_next("554 5.6.0 Message content rejected")
    assert email_delivery_send(delivery_id=rejected.id).outcome == "failed"
    assert reload(rejected).last_error == "SMTPDataError: 554 5.6.0 Message content rejected"

    later = queue_ticket_emails(django_capture_on_commit_callbacks)["confirmation"]
    smtp.reject_data_next("451 4.3.0 Try again later")
    assert email_delivery_send(delivery_id=later.id).outcome == "retry"
    assert (reload(later).status, later.last_error) == (
        DeliveryStatus.QUEUED,
        "SMTPDataError: 451 4.3.0 Try again later",
    )
    assert email_delivery_send(delivery_id=later.id).outcome == "sent"
    assert len(smtp.messages) == 1  # only the one that got through


def test_backoff_doubles_up_to_the_cap(mail_settings):
    assert [retry_countdown(n, jitter=False) for n in (1, 2, 3, 4, 5, 6)] == [60, 120, 240, 480, 600, 600]
    assert all(48 <= retry_countdown(1) <= 72 for _ in range(50))


# --- at most once -------------------------------------------------------------------------------


def test_a_redelivered_task_does_not_send_again(mail_settings, smtp, django_capture_on_commit_callbacks):
    confirmation = queue_ticket_emails(django_capture_on_commit_callbacks)["confirmation"]
    assert send_email.apply(args=(confirmation.id,)).get() == "sent"
    assert send_email.apply(args=(confirmation.id,)).get() == "skipped"
    smtp.wait_for(1)
    time.sleep(0.3)
    assert len(smtp.messages) == 1 and reload(confirmation).attempts == 1
    assert send_email.apply(args=(10**9,)).get() == "missing"


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_email_at_once_send_it_once(mail_settings, smtp):
    confirmation = committed_delivery()
    smtp.data_delay = 0.5  # a slow server: the second task arrives while the first is mid-conversation
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            outcomes.append(send_email.apply(args=(confirmation.id,)).get())
        finally:
            connections.close_all()  # each thread had its own database connection

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["sent", "skipped"]
    smtp.wait_for(1)
    time.sleep(0.6)
    assert len(smtp.messages) == 1
    assert reload(confirmation).attempts == 1


# --- the sweep ----------------------------------------------------------------------------------


def test_the_sweep_requeues_only_emails_whose_task_was_lost(mail_settings, django_capture_on_commit_callbacks):
    deliveries = list(queue_ticket_emails(django_capture_on_commit_callbacks).values())
    deliveries += list(queue_ticket_emails(django_capture_on_commit_callbacks).values())
    lost, fresh, backing_off, long_lost = deliveries
    now = timezone.now()

    def age(delivery: EmailDelivery, seconds: int, **fields) -> None:
        EmailDelivery.objects.filter(id=delivery.id).update(updated_at=now - timedelta(seconds=seconds), **fields)

    age(lost, 700)  # never attempted, untouched past EMAIL_STUCK_AFTER_SECONDS
    age(fresh, 100)
    age(backing_off, 800, attempts=3)  # its next attempt is due 240 s (+jitter) after the last one
    age(long_lost, 1000, attempts=3)
    for status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
        done = queue_ticket_emails(django_capture_on_commit_callbacks)["confirmation"]
        age(done, 10_000, status=status)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert email_deliveries_requeue_stuck() == 2
    assert len(callbacks) == 2
    assert reload(lost).updated_at > now - timedelta(seconds=5)
    assert reload(long_lost).updated_at > now - timedelta(seconds=5)
    assert reload(backing_off).updated_at < now - timedelta(seconds=700)
    # Claimed rows are fresh again: a second sweep right away enqueues nothing.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert email_deliveries_requeue_stuck() == 0
    assert callbacks == []


# --- a real worker ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_after_smtp_comes_back(test_database_url, redis_url, tmp_path, smtp):
    deliveries = [committed_delivery(), committed_delivery(email="second@example.com")]
    smtp.stop()
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        "EMAIL_MAX_ATTEMPTS": "30",
        "EMAIL_RETRY_BACKOFF_SECONDS": "1",
        "EMAIL_RETRY_BACKOFF_MAX_SECONDS": "2",
    }
    common = {"database_url": test_database_url, "broker_url": redis_url, "broker_dir": None, "log_dir": tmp_path}
    ids = [d.id for d in deliveries]
    with celery_worker(**common, extra_env=env) as worker:
        for delivery_id in ids:
            worker.send(send_email, delivery_id=delivery_id)
        wait_for(
            lambda: EmailDelivery.objects.filter(id__in=ids, status="queued", attempts__gte=2).count() == 2,
            timeout=60,
            message=f"two failed attempts each while SMTP is down\n{worker.log()}",
        )
        waiting = list(EmailDelivery.objects.filter(id__in=ids))
        assert all(d.last_error.startswith("ConnectionRefusedError") and d.sent_at is None for d in waiting)

        smtp.start()
        wait_for(
            lambda: EmailDelivery.objects.filter(id__in=ids, status="sent").count() == 2,
            timeout=60,
            message=f"both e-mails sent once SMTP is back\n{worker.log()}",
        )
        time.sleep(3)  # any duplicate task would have sent by now (backoff is at most 2 s)
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(d.message_id for d in deliveries)
    assert all(d.attempts >= 3 for d in EmailDelivery.objects.filter(id__in=ids))
