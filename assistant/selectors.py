"""Read operations of the assistant app."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from .models import ChatSession, Message


def sessions_for_user(*, user) -> QuerySet[ChatSession]:
    return ChatSession.objects.filter(user=user).annotate(message_count=Count("messages")).order_by("-updated_at")


def session_get_for_user(*, user, session_id) -> ChatSession:
    """The operator's own session; 404 for anyone else's (without saying that it exists)."""
    return get_object_or_404(ChatSession.objects.filter(user=user), pk=session_id)


def session_messages(*, session: ChatSession) -> QuerySet[Message]:
    return Message.objects.filter(session=session).select_related("run_step__run").order_by("seq")


def message_get_for_user(*, user, message_id: int) -> Message:
    return get_object_or_404(Message.objects.select_related("session").filter(session__user=user), pk=message_id)
