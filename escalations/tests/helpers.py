"""Small builders for the escalations tests (real rows, real services)."""

from __future__ import annotations

from assistant.models import ChatSession, Message

# The chat API helpers are shared with the troubleshooting tests.
from troubleshooting.tests.fixtures import answer, say  # noqa: F401


def conversation(user, *turns: tuple[str, str], language: str = "en", **session_fields) -> ChatSession:
    """A conversation with the given (role, content) messages, written as the chat engine stores them."""
    session = ChatSession.objects.create(user=user, language=language, **session_fields)
    for seq, (role, content) in enumerate(turns, start=1):
        Message.objects.create(session=session, seq=seq, role=role, content=content, language=language or "en")
    return session
