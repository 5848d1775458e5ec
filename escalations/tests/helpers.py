"""Small builders for the escalations tests (real rows, real services)."""

from __future__ import annotations

from assistant.models import ChatSession, Message


def conversation(user, *turns: tuple[str, str], language: str = "en", **session_fields) -> ChatSession:
    """A conversation with the given (role, content) messages, written as the chat engine stores them."""
    session = ChatSession.objects.create(user=user, language=language, **session_fields)
    for seq, (role, content) in enumerate(turns, start=1):
        Message.objects.create(session=session, seq=seq, role=role, content=content, language=language or "en")
    return session


def say(api, session_id, content, **extra) -> dict:
    response = api.post(
        f"/api/v1/sessions/{session_id}/messages/", {"content": content, **extra}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def answer(api, session_id, step_id, outcome, **extra) -> dict:
    response = api.post(
        f"/api/v1/sessions/{session_id}/steps/{step_id}/feedback/",
        {"outcome": outcome, **extra},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()
