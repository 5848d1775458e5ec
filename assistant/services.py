"""Write operations of the assistant app. The chat turn itself lives in assistant/engine/turn.py."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from analytics.models import MessageFeedback
from knowledge.validation import clean_machine_models

from .engine.language import SUPPORTED
from .models import ChatSession, Message, MessageRole, SessionStatus

logger = logging.getLogger(__name__)


class InvalidInput(ValueError):
    pass


def session_start(
    *, user, machine_id: str = "", machine_model: str = "", language: str | None = None, identity=None
) -> ChatSession:
    """Open a conversation. `language` is an explicit choice ("no" accepted); empty = decide per message.

    `machine_id` is an ABParts machine the caller (`identity`) may see; its model comes from ABParts
    and wins over `machine_model`. When ABParts cannot be read the id is kept as given (the chat
    works without machine facts) rather than refusing the conversation.
    """
    from knowledge.ingestion.language import normalize_language

    code = normalize_language(language) if language else ""
    if language and code not in SUPPORTED:
        raise InvalidInput(f"Unsupported language {language!r}.")
    models = clean_machine_models([machine_model]) if machine_model else []
    model = models[0] if models else ""
    machine_id = (machine_id or "").strip()[:64]
    if machine_id:
        model = _machine_model_for(identity=identity, machine_id=machine_id) or model
    return ChatSession.objects.create(user=user, machine_id=machine_id, machine_model=model, language=code or "")


def _machine_model_for(*, identity, machine_id: str) -> str:
    from django.http import Http404

    from abparts.db import ABPartsUnavailable
    from abparts.selectors import machine_get_for_identity

    try:
        machine = machine_get_for_identity(identity=identity, machine_id=machine_id)
    except Http404 as exc:
        raise InvalidInput("Unknown machine, or not one of your organization's machines.") from exc
    except ABPartsUnavailable:
        logger.warning("ABParts unavailable: session opened for machine %s without its model", machine_id)
        return ""
    known = clean_machine_models([machine.model_type]) if machine.model_type else []
    return known[0] if known else ""


@transaction.atomic
def message_feedback_record(
    *, user, message: Message, rating: str, comment: str = "", correction: str = ""
) -> MessageFeedback:
    """Thumbs up/down on an assistant message; giving feedback again replaces the earlier one."""
    if message.role != MessageRole.ASSISTANT:
        raise InvalidInput("Feedback is for the assistant's messages.")
    feedback, _ = MessageFeedback.objects.update_or_create(
        message=message,
        user=user,
        defaults={"rating": rating, "comment": comment.strip(), "correction": correction.strip(), "reviewed_at": None},
    )
    return feedback


@transaction.atomic
def session_resolve(*, session: ChatSession, user, save_fix: bool = False, note: str = ""):
    """The operator marks the conversation solved; optionally saves the fix for expert review.

    Returns (session, fix card or None). Resolving twice is harmless; saving the fix twice keeps one card.
    """
    from troubleshooting import services as runs

    now = timezone.now()
    if session.status != SessionStatus.RESOLVED:
        ChatSession.objects.filter(pk=session.pk).update(status=SessionStatus.RESOLVED, ended_at=now, updated_at=now)
    run = runs.session_runs_resolve(session=session)
    card = None
    if save_fix:
        if run is None:
            raise InvalidInput("There is no troubleshooting run in this conversation to save a fix from.")
        try:
            card = runs.run_save_fix(run=run, user=user, note=note)
        except runs.InvalidInput as exc:
            raise InvalidInput(str(exc)) from exc
    session.refresh_from_db()
    return session, card
