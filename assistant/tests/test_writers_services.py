"""The one writer of conversations: status transitions, message positions, runs deleted with their
conversation (they refer to it by id, decision 0009)."""

from __future__ import annotations

import pytest
from django.db import transaction

from assistant import services
from assistant.models import ChatSession, Message, MessageRole, SessionStatus
from troubleshooting.models import RunStep, TroubleshootingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(django_user_model):
    user = django_user_model.objects.create_user("writer-test", password="pw-writer-1")
    return services.session_start(user=user, machine_model="V5.0", language="en")


def _status(session) -> str:
    return ChatSession.objects.values_list("status", flat=True).get(pk=session.pk)


def test_status_follows_the_allowed_transitions(conversation):
    assert services.session_status_set(session_id=conversation.pk, status=SessionStatus.RESOLVED)
    assert _status(conversation) == SessionStatus.RESOLVED
    assert ChatSession.objects.get(pk=conversation.pk).ended_at is not None
    # Setting it again changes nothing; an escalated conversation is not reopened by a new message.
    assert not services.session_status_set(session_id=conversation.pk, status=SessionStatus.RESOLVED)
    assert services.session_status_set(session_id=conversation.pk, status=SessionStatus.ESCALATED)
    assert not services.session_status_set(session_id=conversation.pk, status=SessionStatus.ACTIVE)
    assert _status(conversation) == SessionStatus.ESCALATED
    assert services.session_status_set(session_id=conversation.pk, status=SessionStatus.RESOLVED)


def test_only_from_narrows_the_sources(conversation):
    services.session_status_set(session_id=conversation.pk, status=SessionStatus.ESCALATED)
    changed = services.session_status_set(
        session_id=conversation.pk, status=SessionStatus.RESOLVED, only_from=frozenset({SessionStatus.ACTIVE})
    )
    assert not changed and _status(conversation) == SessionStatus.ESCALATED


def test_reopening_clears_the_end(conversation):
    services.session_status_set(session_id=conversation.pk, status=SessionStatus.RESOLVED)
    assert services.session_status_set(session_id=conversation.pk, status=SessionStatus.ACTIVE)
    session = ChatSession.objects.get(pk=conversation.pk)
    assert session.status == SessionStatus.ACTIVE and session.ended_at is None


def test_an_unknown_status_is_refused(conversation):
    with pytest.raises(services.InvalidInput):
        services.session_status_set(session_id=conversation.pk, status="closed")


def test_messages_take_the_next_position_under_the_session_lock(conversation):
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=conversation.pk)
        first = services.message_create(locked_session=locked, role=MessageRole.USER, content="a", language="en")
        second = services.message_create(
            locked_session=locked, role=MessageRole.ASSISTANT, content="b", language="en", reply_to=first
        )
    assert (first.seq, second.seq) == (1, 2)
    assert list(Message.objects.filter(session=conversation).values_list("seq", flat=True)) == [1, 2]


def test_deleting_a_conversation_deletes_its_runs(conversation):
    other = services.session_start(user=conversation.user, machine_model="V5.0", language="en")
    run = TroubleshootingRun.objects.create(
        session_id=conversation.pk, procedure_title="Rotor does not turn", symptom="rotor stopped", language="en"
    )
    RunStep.objects.create(run=run, number=1, step_key="k", manual_order=1, instruction="Check the lock pin.")
    kept = TroubleshootingRun.objects.create(
        session_id=other.pk, procedure_title="Rotor does not turn", symptom="rotor stopped", language="en"
    )
    conversation.delete()
    assert not TroubleshootingRun.objects.filter(pk=run.pk).exists()
    assert not RunStep.objects.filter(run_id=run.pk).exists()
    assert TroubleshootingRun.objects.filter(pk=kept.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_message_is_not_written_without_the_session_lock(django_user_model):
    user = django_user_model.objects.create_user("writer-test-2", password="pw-writer-2")
    session = services.session_start(user=user, language="en")
    with pytest.raises(RuntimeError):
        services.message_create(locked_session=session, role=MessageRole.USER, content="a", language="en")
    assert not Message.objects.filter(session=session).exists()
