"""Write operations of the assistant app: the only writers of a conversation and its messages.

* `session_start` creates a conversation;
* `session_status_set` is the one function that changes `ChatSession.status` (chat turns,
  troubleshooting through assistant/receivers.py, escalation, the operator's "solved");
* `message_create` is the one place a `Message` row is written (the chat turn's operator message
  and reply): the operator's text is redacted here (core.redaction), before anything stores it,
  searches it, puts it in a prompt or a ticket; consent and encryption will sit here too.

`assistant/tests/test_writers.py` fails when another module writes these records. The chat turn
itself lives in assistant/engine/turn.py.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from abparts.db import ABPartsUnavailable
from abparts.selectors import machine_get_for_identity, operator_privacy_hints
from core.errors import InvalidInput
from core.redaction import phone_regions, redact_recorded
from core.text.languages import LANGUAGES, normalize_language
from knowledge.validation import clean_machine_models
from troubleshooting import services as runs

from .models import ChatSession, Message, MessageRole, SessionStatus

logger = logging.getLogger(__name__)

# Which status a conversation may move to from which. A finished conversation (resolved, abandoned)
# comes back to life when the operator writes again; an escalated one stays with the expert until
# the operator says it is solved.
TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.ACTIVE: frozenset({SessionStatus.RESOLVED, SessionStatus.ESCALATED, SessionStatus.ABANDONED}),
    SessionStatus.RESOLVED: frozenset({SessionStatus.ACTIVE, SessionStatus.ESCALATED}),
    SessionStatus.ABANDONED: frozenset({SessionStatus.ACTIVE, SessionStatus.RESOLVED, SessionStatus.ESCALATED}),
    SessionStatus.ESCALATED: frozenset({SessionStatus.RESOLVED}),
}


def session_start(
    *, user, machine_id: str = "", machine_model: str = "", language: str | None = None, identity=None
) -> ChatSession:
    """Open a conversation. `language` is an explicit choice ("no" accepted); empty = decide per message.

    `machine_id` is an ABParts machine the caller (`identity`) may see; its model comes from ABParts
    and wins over `machine_model`. When ABParts cannot be read the id is kept as given (the chat
    works without machine facts) rather than refusing the conversation: kept, not trusted. Every
    use checks it again for the operator's organization (assistant/engine/machine.py).
    """
    code = normalize_language(language) if language else ""
    if language and code not in LANGUAGES:
        raise InvalidInput(f"Unsupported language {language!r}.")
    models = clean_machine_models([machine_model]) if machine_model else []
    model = models[0] if models else ""
    machine_id = (machine_id or "").strip()[:64]
    if machine_id:
        model = _machine_model_for(identity=identity, machine_id=machine_id) or model
    return ChatSession.objects.create(user=user, machine_id=machine_id, machine_model=model, language=code or "")


def _machine_model_for(*, identity, machine_id: str) -> str:
    try:
        machine = machine_get_for_identity(identity=identity, machine_id=machine_id)
    except Http404 as exc:
        raise InvalidInput("Unknown machine, or not one of your organization's machines.") from exc
    except ABPartsUnavailable:
        logger.warning("ABParts unavailable: session opened for machine %s without its model", machine_id)
        return ""
    known = clean_machine_models([machine.model_type]) if machine.model_type else []
    return known[0] if known else ""


def session_status_set(
    *, session_id, status: str, only_from: frozenset[str] | None = None, now: datetime | None = None
) -> bool:
    """Move a conversation to `status` if TRANSITIONS allows it from its current status (and, with
    `only_from`, only from those). One UPDATE, safe under concurrency: the check is in its WHERE.
    Returns whether the status changed; setting the current status again is a no-op (False).
    """
    if status not in TRANSITIONS:
        raise InvalidInput(f"Unknown conversation status {status!r}.")
    sources = {source for source, targets in TRANSITIONS.items() if status in targets}
    if only_from is not None:
        sources &= set(only_from)
    now = now or timezone.now()
    ended_at = None if status == SessionStatus.ACTIVE else now
    changed = ChatSession.objects.filter(pk=session_id, status__in=sources).update(
        status=status, ended_at=ended_at, updated_at=now
    )
    return bool(changed)


def message_create(*, locked_session: ChatSession, role: str, content: str, language: str, **fields) -> Message:
    """Append a message to a conversation. The caller holds the session's row lock
    (`select_for_update`) in its transaction: the next `seq` is allocated under it, so two writers
    never take the same position."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("message_create needs the session row locked in a transaction")
    if role == MessageRole.USER:
        content = operator_text_redact(user_id=locked_session.user_id, text=content, language=language)
    next_seq = (Message.objects.filter(session=locked_session).aggregate(m=Max("seq"))["m"] or 0) + 1
    return Message.objects.create(
        session=locked_session, seq=next_seq, role=role, content=content, language=language, **fields
    )


def operator_text_redact(*, user_id: int, text: str, language: str, source: str = "message") -> str:
    """The operator's words without personal data, read with the operator's countries (ABParts) and
    language for phone numbers and their own full name. Assistant replies are not redacted: they
    quote the manuals, whose support phone numbers must stay."""
    hints = operator_privacy_hints(user_id=user_id)
    return redact_recorded(
        text,
        source=source,
        regions=phone_regions(language=language, countries=hints.countries),
        known_names=(hints.full_name,) if hints.full_name else (),
    )


def session_summary_save(*, locked_session: ChatSession) -> None:
    """Store the conversation summary assistant/engine/memory.py extended (session row locked)."""
    locked_session.updated_at = timezone.now()
    locked_session.save(update_fields=["summary", "summary_upto_seq", "updated_at"])


@transaction.atomic
def session_resolve(*, session: ChatSession, user, save_fix: bool = False, note: str = ""):
    """The operator marks the conversation solved; optionally saves the fix for expert review.

    Returns (session, fix card or None). Resolving twice is harmless; saving the fix twice keeps one card.
    """
    session_status_set(session_id=session.pk, status=SessionStatus.RESOLVED)
    run = runs.session_runs_resolve(session=session)
    card = None
    if save_fix:
        if run is None:
            raise InvalidInput("There is no troubleshooting run in this conversation to save a fix from.")
        note = operator_text_redact(user_id=user.pk, text=note, language=session.language, source="fix_note")
        card = runs.run_save_fix(run=run, user=user, note=note)
    session.refresh_from_db()
    return session, card


def sessions_delete(*, session_ids: list) -> dict[str, int]:
    """Delete conversations with their messages, the feedback on them, their runs, steps and fix cards
    (privacy: erasure and retention). A ticket keeps its own snapshot and loses only the link.

    Returns the number of rows deleted per model label (`assistant.Message`: 120, ...). Deleting an
    id that is already gone deletes nothing: callers may repeat it.
    """
    counts: dict[str, int] = {}
    with transaction.atomic():
        # Runs refer to their conversation by plain id (decision 0009): the pre_delete receiver in
        # assistant/receivers.py deletes them one conversation at a time; counting them here first
        # puts them in the report.
        counts.update(runs.sessions_runs_count(session_ids=session_ids))
        _, deleted = ChatSession.objects.filter(pk__in=session_ids).delete()
    for label, n in deleted.items():
        counts[label] = counts.get(label, 0) + n
    return {label: n for label, n in counts.items() if n}
