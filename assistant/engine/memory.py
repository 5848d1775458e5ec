"""Conversation memory: the most recent turns verbatim, older ones as a running summary.

The window is measured in approximate tokens (4 characters each), so a few long messages cannot
push the prompt past the model's context. The summary is extractive (the operator's questions and
the first sentence of each answer): deterministic, free, and it never invents anything.
"""

from __future__ import annotations

from django.conf import settings

from assistant.models import ChatSession, Message

CHARS_PER_TOKEN = 4


def recent_history(session: ChatSession, *, before_seq: int) -> list[tuple[str, str]]:
    """(role, content) of the latest messages before `before_seq` that fit the token budget."""
    budget = settings.CHAT_MEMORY_TOKENS * CHARS_PER_TOKEN
    picked: list[tuple[str, str]] = []
    used = 0
    rows = (
        Message.objects.filter(session=session, seq__lt=before_seq, seq__gt=session.summary_upto_seq)
        .order_by("-seq")
        .values_list("role", "content")[: settings.CHAT_MEMORY_MAX_MESSAGES]
    )
    for role, content in rows:
        if used + len(content) > budget and picked:
            break
        picked.append((role, content[:budget]))
        used += len(content)
    picked.reverse()
    return picked


def summary_extend(session: ChatSession, *, keep_last: int, last_seq: int) -> None:
    """Fold messages older than the last `keep_last` into `session.summary` (caller saves).

    `last_seq` is the newest message's seq, which the caller has just written: in the common case
    (nothing has left the window yet) this costs no query at all.
    """
    if last_seq - keep_last <= session.summary_upto_seq:
        return
    cutoff = (
        Message.objects.filter(session=session)
        .order_by("-seq")
        .values_list("seq", flat=True)[keep_last : keep_last + 1]
    )
    cutoff_seq = cutoff[0] if cutoff else 0
    if cutoff_seq <= session.summary_upto_seq:
        return
    lines = [session.summary] if session.summary else []
    for role, content in (
        Message.objects.filter(session=session, seq__gt=session.summary_upto_seq, seq__lte=cutoff_seq)
        .order_by("seq")
        .values_list("role", "content")
    ):
        first = content.strip().split("\n", 1)[0]
        lines.append(("Operator: " if role == "user" else "Assistant: ") + first[:200])
    limit = settings.CHAT_SUMMARY_CHARS
    text = "\n".join(lines)
    session.summary = text[-limit:]
    session.summary_upto_seq = cutoff_seq
