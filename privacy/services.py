"""Write operations of the privacy app: erasure of a user's data and the retention purge.

Neither writes another app's records itself: each kind of record is deleted or anonymised by its
own app's writer (CONVENTIONS "one writer per record"), this module decides what and in which order,
and keeps the ErasureRequest (the only record it owns) up to date.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from abparts.selectors import operator_privacy_hints
from analytics.models import MessageFeedback
from analytics.services import user_feedback_delete
from assistant.models import ChatSession, Message, SessionStatus
from assistant.services import sessions_delete
from core.enqueue import enqueue_or_leave
from escalations.models import TicketStatus
from escalations.services import user_tickets_anonymise
from troubleshooting.services import sessions_runs_count, user_fix_cards_delete

from .models import ErasureRequest, ErasureStatus

logger = logging.getLogger(__name__)

# Model labels as reported by the deletes → the names in reports, the API and the docs.
KINDS = {
    "assistant.ChatSession": "sessions",
    "assistant.Message": "messages",
    "analytics.MessageFeedback": "feedback",
    "troubleshooting.TroubleshootingRun": "troubleshooting_runs",
    "troubleshooting.RunStep": "run_steps",
    "troubleshooting.FixCard": "fix_cards",
}
UNFINISHED = (ErasureStatus.QUEUED, ErasureStatus.RUNNING)
# Tickets still being worked on need their conversation (SPEC §3.8).
OPEN_TICKET = Q(ticket__status__in=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS])


def _kinds(deleted: dict[str, int]) -> Counter:
    return Counter({KINDS.get(label, label): n for label, n in deleted.items()})


# --- erasure ---------------------------------------------------------------------------------------
def erasure_request_create(*, user, source: str, enqueue: bool = True) -> tuple[ErasureRequest, bool]:
    """Record a request to erase `user`'s data and queue the task that carries it out; (request, created).

    Asking again while a request is queued or running returns that one (a unique constraint, not a
    check, so two clicks at once cannot start two). `enqueue=False`: the caller runs `erasure_run`
    itself (the management command).
    """
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(user=user, source=source)
    except IntegrityError:
        return ErasureRequest.objects.get(user=user, status__in=UNFINISHED), False
    if enqueue:
        transaction.on_commit(partial(_enqueue_erasure, str(request.pk)))
    return request, True


def _enqueue_erasure(request_id: str) -> None:
    from .tasks import erase_user_data  # here, not at the top: privacy.tasks imports this module

    # Broker down: the request stays queued; `manage.py erase_user_data --request <id>` carries it
    # out (docs/operations.md).
    enqueue_or_leave(
        erase_user_data, request_id, what=f"erasure {request_id}", recovery="run manage.py erase_user_data --request"
    )


def _progress(request_id, *, step: str, progress: int, counts: Counter) -> None:
    ErasureRequest.objects.filter(pk=request_id).update(step=step, progress=progress, counts=dict(counts))


def erasure_run(*, request_id) -> ErasureRequest:
    """Carry out an erasure request: delete the user's conversations, messages, feedback, runs and fix
    cards, anonymise their tickets. Each step commits on its own and reports its progress.

    Idempotent: every step deletes what is still there, so a re-delivered task (acks_late after a
    killed worker) simply finishes the job; a finished request is returned unchanged.
    """
    claimed = ErasureRequest.objects.filter(pk=request_id, status__in=UNFINISHED).update(
        status=ErasureStatus.RUNNING, started_at=timezone.now()
    )
    request = ErasureRequest.objects.select_related("user").get(pk=request_id)
    if not claimed:
        return request
    user = request.user
    counts: Counter = Counter()
    try:
        _progress(request.pk, step="feedback", progress=5, counts=counts)
        counts["feedback"] += user_feedback_delete(user_id=user.pk)
        _progress(request.pk, step="tickets", progress=10, counts=counts)
        known = [user.get_username(), user.email, user.first_name, user.last_name, user.get_full_name()]
        known.append(operator_privacy_hints(user_id=user.pk).full_name)  # their name in ABParts
        counts["tickets_anonymised"] += user_tickets_anonymise(user_id=user.pk, known_strings=known)
        _progress(request.pk, step="fix_cards", progress=20, counts=counts)
        counts["fix_cards"] += user_fix_cards_delete(user_id=user.pk)

        session_ids = list(ChatSession.objects.filter(user=user).values_list("pk", flat=True))
        batch = settings.PRIVACY_DELETE_BATCH
        for start in range(0, len(session_ids), batch):
            _progress(request.pk, step="sessions", progress=25 + 70 * start // len(session_ids), counts=counts)
            counts.update(_kinds(sessions_delete(session_ids=session_ids[start : start + batch])))
    except Exception:
        # The error itself goes to the log, not to the operator; the task retries a failed request.
        logger.exception("erasure %s failed", request.pk)
        ErasureRequest.objects.filter(pk=request.pk).update(
            status=ErasureStatus.FAILED, counts=dict(counts), error="failed", finished_at=timezone.now()
        )
        raise
    ErasureRequest.objects.filter(pk=request.pk).update(
        status=ErasureStatus.DONE, step="", progress=100, counts=dict(counts), error="", finished_at=timezone.now()
    )
    logger.info("erasure %s done: %s", request.pk, dict(counts))
    request.refresh_from_db()
    return request


def erasure_retry(*, request_id) -> bool:
    """Put a failed request back in the queue (the task's retry); False when it is not failed."""
    return bool(
        ErasureRequest.objects.filter(pk=request_id, status=ErasureStatus.FAILED).update(status=ErasureStatus.QUEUED)
    )


# --- retention -------------------------------------------------------------------------------------
@dataclass
class PurgeReport:
    dry_run: bool
    # Per kind: sessions, messages, feedback, troubleshooting_runs, run_steps, fix_cards.
    counts: Counter = field(default_factory=Counter)
    # Conversations past their retention but kept because their ticket is still open.
    kept_for_open_tickets: int = 0


def _expired(now: datetime) -> Q:
    expired = Q(pk__in=[])
    for status in SessionStatus.values:
        days = settings.PRIVACY_RETENTION_DAYS.get(status)
        if days is not None:
            expired |= Q(status=status, updated_at__lt=now - timedelta(days=days))
    return expired


def retention_purge(*, dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Delete conversations (with their messages, feedback, runs, steps and fix cards) whose last
    activity is older than PRIVACY_RETENTION_DAYS for their status; never one whose ticket is open.

    `dry_run` counts what would go and deletes nothing. Batched: each batch is one transaction.
    """
    now = now or timezone.now()
    expired = ChatSession.objects.filter(_expired(now))
    report = PurgeReport(dry_run=dry_run, kept_for_open_tickets=expired.filter(OPEN_TICKET).count())
    session_ids = list(expired.exclude(OPEN_TICKET).order_by("updated_at").values_list("pk", flat=True))
    if dry_run:
        report.counts = _would_delete(session_ids)
    else:
        batch = settings.PRIVACY_DELETE_BATCH
        for start in range(0, len(session_ids), batch):
            report.counts.update(_kinds(sessions_delete(session_ids=session_ids[start : start + batch])))
    logger.info(
        "retention purge%s: %s; %d expired conversation(s) kept for open tickets",
        " (dry run)" if dry_run else "",
        dict(report.counts) or "nothing expired",
        report.kept_for_open_tickets,
    )
    return report


def _would_delete(session_ids: list) -> Counter:
    counts = Counter({"sessions": len(session_ids)})
    counts["messages"] = Message.objects.filter(session_id__in=session_ids).count()
    counts["feedback"] = MessageFeedback.objects.filter(message__session_id__in=session_ids).count()
    counts.update(_kinds(sessions_runs_count(session_ids=session_ids)))
    return +counts
