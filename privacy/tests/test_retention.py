"""Retention (issue 13 item 6): purge_expired deletes conversations past their status's retention,
never one whose ticket is still open, reports per kind, and runs nightly from beat."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from analytics.models import MessageFeedback
from assistant.models import ChatSession, Message
from escalations.models import Ticket, TicketStatus
from privacy import tasks

pytestmark = pytest.mark.django_db


def _conversation(user, status: str, days_ago: int, *, ticket: str | None = None) -> ChatSession:
    session = ChatSession.objects.create(user=user, language="en", status=status)
    question = Message.objects.create(session=session, seq=1, role="user", content="Pump noise", language="en")
    answer = Message.objects.create(
        session=session, seq=2, role="assistant", content="Check the belt", language="en", reply_to=question
    )
    MessageFeedback.objects.create(message=answer, user=user, rating="up")
    if ticket:
        Ticket.objects.create(
            number=f"AB-T-{session.pk.hex[:8]}", session=session, user=user, language="en", reason="user_request",
            status=ticket,
        )  # fmt: skip
    # updated_at is auto_now: set the last activity with an update, as time passing would.
    ChatSession.objects.filter(pk=session.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))
    return session


@pytest.fixture
def conversations(ingrid, settings):
    settings.PRIVACY_RETENTION_DAYS = {"active": 90, "resolved": 365, "escalated": 365, "abandoned": 30}
    return {
        "abandoned_old": _conversation(ingrid, "abandoned", 31),
        "abandoned_new": _conversation(ingrid, "abandoned", 29),
        "active_old": _conversation(ingrid, "active", 91),
        "resolved_mid": _conversation(ingrid, "resolved", 200),
        "escalated_closed": _conversation(ingrid, "escalated", 400, ticket=TicketStatus.CLOSED),
        "escalated_open": _conversation(ingrid, "escalated", 400, ticket=TicketStatus.IN_PROGRESS),
    }


def test_dry_run_reports_and_deletes_nothing(conversations):
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert "would delete feedback 3, messages 6, sessions 3" in out.getvalue()
    assert "kept for open tickets: 1 conversation(s)" in out.getvalue()
    assert ChatSession.objects.count() == 6


def test_the_purge_deletes_what_expired_and_keeps_what_an_open_ticket_needs(conversations, caplog):
    out = StringIO()
    with caplog.at_level("INFO", logger="privacy.services"):
        call_command("purge_expired", stdout=out)
    assert "deleted feedback 3, messages 6, sessions 3" in out.getvalue()
    assert "retention purge: {" in caplog.text and "'sessions': 3" in caplog.text
    kept = set(ChatSession.objects.values_list("pk", flat=True))
    assert kept == {conversations[k].pk for k in ("abandoned_new", "resolved_mid", "escalated_open")}
    # The closed ticket outlives its conversation; the open one keeps it.
    closed = Ticket.objects.get(status=TicketStatus.CLOSED)
    assert closed.session is None and closed.number
    assert Ticket.objects.get(status=TicketStatus.IN_PROGRESS).session_id == conversations["escalated_open"].pk

    call_command("purge_expired", stdout=(out := StringIO()))  # nothing left: a clear answer
    assert "deleted nothing" in out.getvalue()


def test_the_nightly_task_runs_the_purge(conversations):
    assert settings.CELERY_BEAT_SCHEDULE["privacy-purge-expired"]["task"] == "privacy.purge_expired"
    assert tasks.purge_expired.apply().get() == {"sessions": 3, "messages": 6, "feedback": 3}
    assert ChatSession.objects.count() == 3
