"""Write operations of the analytics app: the only writer of MessageFeedback."""

from __future__ import annotations

from django.db import transaction

from assistant.models import Message, MessageRole
from assistant.services import operator_text_redact
from core.errors import InvalidInput

from .models import MessageFeedback


@transaction.atomic
def message_feedback_record(
    *, user, message: Message, rating: str, comment: str = "", correction: str = ""
) -> MessageFeedback:
    """Thumbs up/down on an assistant message; giving feedback again replaces the earlier one."""
    if message.role != MessageRole.ASSISTANT:
        raise InvalidInput("Feedback is for the assistant's messages.")
    # Comments and corrections are read by staff and corrections may be embedded: no personal data.
    comment, correction = (
        operator_text_redact(user_id=user.pk, text=value.strip(), language=message.language, source="feedback")
        if value.strip()
        else ""
        for value in (comment, correction)
    )
    feedback, _ = MessageFeedback.objects.update_or_create(
        message=message,
        user=user,
        defaults={"rating": rating, "comment": comment.strip(), "correction": correction.strip(), "reviewed_at": None},
    )
    return feedback


def user_feedback_delete(*, user_id: int) -> int:
    """Delete every thumbs up/down, comment and correction an operator gave (erasure).

    Corrections are not embedded anywhere yet; when they are, their vectors go here too.
    """
    deleted, _ = MessageFeedback.objects.filter(user_id=user_id).delete()
    return deleted
