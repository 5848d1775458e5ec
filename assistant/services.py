"""Write operations of the assistant app. The chat turn itself lives in assistant/engine/turn.py."""

from __future__ import annotations

from django.db import transaction

from analytics.models import MessageFeedback
from knowledge.validation import clean_machine_models

from .engine.language import SUPPORTED
from .models import ChatSession, Message, MessageRole


class InvalidInput(ValueError):
    pass


def session_start(*, user, machine_id: str = "", machine_model: str = "", language: str | None = None) -> ChatSession:
    """Open a conversation. `language` is an explicit choice ("no" accepted); empty = decide per message."""
    from knowledge.ingestion.language import normalize_language

    code = normalize_language(language) if language else ""
    if language and code not in SUPPORTED:
        raise InvalidInput(f"Unsupported language {language!r}.")
    models = clean_machine_models([machine_model]) if machine_model else []
    return ChatSession.objects.create(
        user=user, machine_id=(machine_id or "")[:64], machine_model=models[0] if models else "", language=code or ""
    )


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
