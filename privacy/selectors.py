"""Reads of the privacy app: everything stored about one user, as one JSON document, in pieces.

The export is a generator of JSON text: each list is read with a server-side cursor
(`iterator(chunk_size=...)`) and written item by item, so a user with tens of thousands of messages
costs a bounded amount of memory and a handful of queries, and the API streams it as it is built.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from abparts.models import ABPartsAccount
from analytics.models import MessageFeedback
from assistant.models import ChatSession, Message
from escalations.models import Ticket
from troubleshooting.models import FixCard, RunStep, TroubleshootingRun

from .models import ErasureRequest

EXPORT_FORMAT = "autoboss-user-export"
EXPORT_VERSION = 1
CHUNK = 500


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _list(items: Iterable[dict]) -> Iterator[str]:
    yield "["
    first = True
    for item in items:
        yield ("" if first else ",") + "\n  " + _dumps(item)
        first = False
    yield "]"


def _user(user) -> dict:
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


def _account(user) -> dict | None:
    account = ABPartsAccount.objects.filter(user=user).first()
    if account is None:
        return None
    return {
        "abparts_user_id": account.abparts_user_id,
        "organization_id": account.organization_id,
        "role": account.role,
        "preferred_language": account.preferred_language,
        "synced_at": account.synced_at,
    }


def _sessions(user) -> Iterator[dict]:
    fields = ["id", "machine_id", "machine_model", "language", "status", "summary", "created_at", "updated_at"]
    for session in (
        ChatSession.objects.filter(user=user)
        .order_by("created_at")
        .only(*fields, "ended_at")
        .iterator(chunk_size=CHUNK)
    ):
        yield {field: getattr(session, field) for field in [*fields, "ended_at"]}


def _messages(user) -> Iterator[dict]:
    fields = [
        "id", "session_id", "seq", "role", "content", "language", "client_message_id", "reply_to_id",
        "citations", "abstained", "offers_escalation", "run_step_id", "model_used", "created_at",
    ]  # fmt: skip
    rows = Message.objects.filter(session__user=user).order_by("session_id", "seq").only(*fields)
    for message in rows.iterator(chunk_size=CHUNK):
        yield {field: getattr(message, field) for field in fields}


def _runs(user) -> Iterator[dict]:
    sessions = ChatSession.objects.filter(user=user).values("pk")
    step_fields = [
        "number", "instruction", "safety_warning", "expected_outcome", "document_title", "page", "outcome",
        "note", "presented_at", "answered_at",
    ]  # fmt: skip
    runs = (
        TroubleshootingRun.objects.filter(session_id__in=sessions)
        .order_by("started_at")
        .prefetch_related(Prefetch("steps", queryset=RunStep.objects.order_by("number")))
    )
    for run in runs.iterator(chunk_size=CHUNK):
        steps = run.steps.all()
        yield {
            "id": run.pk,
            "session_id": run.session_id,
            "procedure_title": run.procedure_title,
            "symptom": run.symptom,
            "machine_id": run.machine_id,
            "machine_model": run.machine_model,
            "language": run.language,
            "status": run.status,
            "end_reason": run.end_reason,
            "confidence": run.confidence,
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "steps": [{field: getattr(step, field) for field in step_fields} for step in steps],
        }


def _fix_cards(user) -> Iterator[dict]:
    sessions = ChatSession.objects.filter(user=user).values("pk")
    cards = FixCard.objects.filter(Q(user=user) | Q(run__session_id__in=sessions)).order_by("created_at")
    fields = ["id", "run_id", "machine_model", "language", "title", "symptom", "fix", "note", "status", "created_at"]
    for card in cards.iterator(chunk_size=CHUNK):
        yield {field: getattr(card, field) for field in fields}


def _tickets(user) -> Iterator[dict]:
    fields = [
        "number", "session_id", "language", "reason", "priority", "status", "machine_id", "machine_model",
        "machine_snapshot", "transcript", "attempted_steps", "assessment", "contact_preference",
        "operator_notes", "created_at", "updated_at", "resolved_at",
    ]  # fmt: skip
    # Agents' internal notes are theirs, not the operator's: not exported (docs/privacy.md).
    for ticket in Ticket.objects.filter(user=user).order_by("created_at").iterator(chunk_size=CHUNK):
        yield {field: getattr(ticket, field) for field in fields}


def _feedback(user) -> Iterator[dict]:
    fields = ["id", "message_id", "rating", "comment", "correction", "created_at", "updated_at"]
    for feedback in MessageFeedback.objects.filter(user=user).order_by("created_at").iterator(chunk_size=CHUNK):
        yield {field: getattr(feedback, field) for field in fields}


def _erasures(user) -> Iterator[dict]:
    for request in ErasureRequest.objects.filter(user=user).order_by("requested_at"):
        yield {
            "id": request.pk,
            "status": request.status,
            "counts": request.counts,
            "requested_at": request.requested_at,
            "finished_at": request.finished_at,
        }


def user_export_json(*, user, now: datetime | None = None) -> Iterator[str]:
    """Everything stored about `user`, as pieces of one JSON document (join them, or stream them)."""
    yield "{\n"
    head = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "generated_at": now or timezone.now(),
        "user": _user(user),
        "abparts_account": _account(user),
        # Issue 13 item 4: there is no audit log yet; when it exists, its entries about the user go here.
        "audit_entries": None,
    }
    for key, value in head.items():
        yield f'"{key}": {_dumps(value)},\n'
    parts = [
        ("sessions", _sessions),
        ("messages", _messages),
        ("troubleshooting_runs", _runs),
        ("fix_cards", _fix_cards),
        ("tickets", _tickets),
        ("feedback", _feedback),
        ("erasure_requests", _erasures),
    ]
    for index, (key, items) in enumerate(parts):
        yield f'"{key}": '
        yield from _list(items(user))
        yield ",\n" if index < len(parts) - 1 else "\n"
    yield "}\n"


def erasure_request_get_for_user(*, user, request_id) -> ErasureRequest:
    """The user's own erasure request; 404 for anyone else's (without saying it exists)."""
    return get_object_or_404(ErasureRequest, pk=request_id, user=user)


def user_for_reference(ref: str):
    """The local user a privacy officer means: a username, or an ABParts user id (its mirror); None."""
    User = get_user_model()
    user = User.objects.filter(username=ref).first()
    abparts_user_id = _uuid(ref)
    if user is None and abparts_user_id is not None:
        account = ABPartsAccount.objects.select_related("user").filter(abparts_user_id=abparts_user_id).first()
        user = account.user if account is not None else None
    return user


def _uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None
