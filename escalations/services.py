"""Write operations of the escalations app (CONVENTIONS: services own transactions and side effects).

One write path per change: the API, the legacy widget endpoint and the admin all open, move, assign
and annotate tickets through these functions, so every change records a TicketEvent and queues the
operator's e-mail the same way.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from abparts.models import ABPartsAccount
from assistant.engine.machine import session_machine_context
from assistant.models import ChatSession, Message, MessageRole, SessionStatus
from assistant.services import operator_text_redact, session_status_set
from core.errors import InvalidInput
from core.text.languages import language_or_fallback
from core.text.lexicon import fold
from core.text.phrases import phrase
from troubleshooting.models import EndReason, RunStep, TroubleshootingRun
from troubleshooting.selectors import run_latest

from . import emails, metrics
from .models import (
    PRIORITY_RANK,
    TRANSITIONS,
    EmailDelivery,
    Priority,
    Reason,
    Ticket,
    TicketEvent,
    TicketNote,
    TicketStatus,
)
from .numbering import ticket_number_next
from .selectors import expert_contacts_for

logger = logging.getLogger(__name__)

__all__ = [
    "InvalidInput",
    "InvalidTransition",
    "expert_contacts_for",
    "ticket_assign",
    "ticket_escalate",
    "ticket_note_add",
    "ticket_status_change",
]


class InvalidTransition(ValueError):
    """A status change the workflow (models.TRANSITIONS) does not allow."""


# What an operator writes when the machine does not run at all, in the six languages; matched on
# folded text (lower case, no accents), so "Εκτός λειτουργίας" and "PARADA" count too. Deliberately
# narrow: "the pressure is low" is a fault, not a machine that is down.
MACHINE_DOWN_CUES = (
    # en
    "machine down", "machine is down", "rig is down", "stopped completely", "completely stopped",
    "not running at all", "does not run at all", "doesn't run at all", "won't start", "will not start",
    "out of order", "out of service", "broken down",
    # el
    "εκτός λειτουργίας", "σταμάτησε τελείως", "σταμάτησε εντελώς", "δεν λειτουργεί καθόλου", "δεν ξεκινά",
    "δεν παίρνει μπρος",
    # es
    "parada", "parado", "no funciona nada", "no funciona en absoluto", "no arranca", "fuera de servicio",
    # tr
    "durdu", "tamamen durdu", "hiç çalışmıyor", "çalışmıyor hiç", "çalışmaz durumda", "servis dışı",
    # nb
    "står stille", "stoppet helt", "stoppet opp", "virker ikke i det hele tatt", "starter ikke", "ute av drift",
    # ar
    "متوقفة", "متوقف", "توقفت تماما", "توقفت تمامًا", "لا تعمل إطلاقا", "لا تعمل نهائيا", "معطلة تماما",
)  # fmt: skip
_DOWN_PATTERN = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(fold(cue)) for cue in MACHINE_DOWN_CUES) + r")(?!\w)", re.UNICODE
)


def machine_reported_down(text: str) -> bool:
    """Does the operator say the machine is down (does not run at all), in any product language?"""
    return bool(text) and _DOWN_PATTERN.search(fold(text.replace("\u2019", "'"))) is not None


def _raise(priority: str, floor: str) -> str:
    """The higher of two priorities: the automatic rules raise, never lower."""
    return floor if PRIORITY_RANK[Priority(floor)] > PRIORITY_RANK[Priority(priority)] else priority


def ticket_priority(
    *,
    requested: str | None,
    reason: str,
    latest_run: TroubleshootingRun | None,
    machine_status: str | None,
    texts: list[str],
) -> str:
    """The ticket's priority: what was asked for (default medium), raised to urgent for a safety
    concern (the reason, or a run the operator stopped as unsafe) and to at least high when the
    machine is down (ABParts status other than active, or the operator says so in `texts`)."""
    priority = requested or Priority.MEDIUM
    if reason == Reason.SAFETY_CONCERN or (latest_run is not None and latest_run.end_reason == EndReason.UNSAFE):
        priority = _raise(priority, Priority.URGENT)
    if (machine_status and machine_status != "active") or any(machine_reported_down(t) for t in texts):
        priority = _raise(priority, Priority.HIGH)
    return str(priority)


@transaction.atomic
def ticket_escalate(
    *,
    session: ChatSession,
    user,
    reason: str,
    priority: str | None = None,
    operator_notes: str = "",
    contact_preference: str = "",
    language: str | None = None,
) -> tuple[Ticket, bool]:
    """Hand a conversation to a human expert: open its ticket, or return the one it already has.

    Returns (ticket, created). The session row is locked first, so two simultaneous requests for
    the same conversation (a double tap, the widget retrying) open one ticket; the one-to-one
    constraint backs that up. A resolved conversation can still be escalated (the fix did not hold).
    The ticket snapshots the transcript, every step tried in every run, the assessment and the
    machine as ABParts shows it now. Priority: see `ticket_priority`. The support inbox and the
    operator's confirmation e-mails are queued in this transaction (sent after commit).
    """
    if reason not in Reason.values:
        raise InvalidInput(f"Unknown escalation reason {reason!r}.")
    if priority is not None and priority not in Priority.values:
        raise InvalidInput(f"Unknown priority {priority!r}.")
    if user is not None and session.user_id != user.pk:
        raise InvalidInput("Only the operator of a conversation can escalate it.")

    locked = ChatSession.objects.select_for_update().get(pk=session.pk)
    existing = Ticket.objects.filter(session=locked).select_related("expert").first()
    if existing is not None:
        return existing, False

    messages = list(Message.objects.filter(session=locked).order_by("seq"))
    code = _ticket_language(locked, messages, language)
    run = run_latest(session_id=locked.pk)
    context = session_machine_context(locked, code)
    machine_snapshot = _json_safe(dataclasses.asdict(context)) if context is not None else {}
    last_operator_message = next((m.content for m in reversed(messages) if m.role == MessageRole.USER), "")
    final_priority = ticket_priority(
        requested=priority,
        reason=reason,
        latest_run=run,
        machine_status=context.machine.status if context is not None else None,
        texts=[operator_notes, last_operator_message],
    )
    machine_model = locked.machine_model or (context.machine.model_type if context is not None else "")
    contacts = expert_contacts_for(reason=reason, language=code, machine_model=machine_model)
    expert = contacts[0] if contacts[0].pk is not None else None

    values: dict[str, Any] = {
        "session": locked,
        "user": user,
        "run": run,
        "language": code,
        "reason": reason,
        "priority": final_priority,
        "machine_id": locked.machine_id,
        "machine_model": machine_model,
        "machine_snapshot": machine_snapshot,
        "transcript": [
            {
                "role": m.role,
                "content": _transcript_text(m, user_id=locked.user_id),
                "created_at": m.created_at.isoformat(),
            }
            for m in messages
        ],
        "attempted_steps": _attempted_steps(locked),
        "assessment": _assessment(locked, run, code),
        "contact_preference": contact_preference.strip()[:200],
        # Contact preference stays as typed: it is how the operator asks the expert to call back.
        "operator_notes": operator_text_redact(
            user_id=locked.user_id, text=operator_notes.strip(), language=code, source="ticket"
        )
        if operator_notes.strip()
        else "",
        "expert": expert,
    }
    try:
        # The number is taken last and inside the savepoint: the counter row stays locked for as
        # short a time as possible, and a failed insert gives the number back.
        with transaction.atomic():
            ticket = Ticket.objects.create(number=ticket_number_next(day=timezone.localdate()), **values)
    except IntegrityError:
        # Only reachable when something wrote a ticket for this session without the row lock.
        existing = Ticket.objects.filter(session=locked).select_related("expert").first()
        if existing is None:
            raise
        return existing, False

    now = timezone.now()
    session_status_set(session_id=locked.pk, status=SessionStatus.ESCALATED, now=now)
    session.refresh_from_db(fields=["status", "ended_at", "updated_at"])
    TicketEvent.objects.create(ticket=ticket, actor=user, kind="created", to_value=ticket.status)
    emails.ticket_emails_queue(ticket=ticket)
    labels = {"reason": ticket.reason, "priority": ticket.priority, "language": ticket.language}
    transaction.on_commit(lambda: metrics.ESCALATIONS.labels(**labels).inc())
    logger.info(
        "ticket opened",
        extra={"event": "ticket_created", "ticket": ticket.number, **labels},
    )
    return ticket, True


def _transcript_text(message: Message, *, user_id: int) -> str:
    # Operator messages are redacted when stored; this catches those stored before redaction existed
    # (redacting twice changes nothing). Replies quote manuals and stay as they are.
    if message.role != MessageRole.USER:
        return message.content
    return operator_text_redact(user_id=user_id, text=message.content, language=message.language, source="ticket")


def _ticket_language(session: ChatSession, messages: list[Message], explicit: str | None) -> str:
    """The operator's language: asked for > the conversation's > what the assistant last replied in >
    what the operator last wrote in > their ABParts profile's > English."""
    if explicit:
        return language_or_fallback(explicit)
    if session.language:
        return language_or_fallback(session.language)
    for role in (MessageRole.ASSISTANT, MessageRole.USER):
        spoken = next((m.language for m in reversed(messages) if m.role == role and m.language), "")
        if spoken:
            return language_or_fallback(spoken)
    account = ABPartsAccount.objects.filter(user_id=session.user_id).values_list("preferred_language", flat=True)
    return language_or_fallback(account.first() or "en")


def _attempted_steps(session: ChatSession) -> list[dict]:
    steps = (
        RunStep.objects.filter(run__session_id=session.pk).select_related("run").order_by("run__started_at", "number")
    )
    return [
        {
            "run_id": step.run_id,
            "procedure_title": step.run.procedure_title,
            "number": step.number,
            "instruction": step.instruction,
            "outcome": step.outcome,
            "note": step.note,
            "page": step.page,
            "document_title": step.document_title,
            # The same title under the key the e-mail templates read (escalations/emails.py::_step).
            "document": step.document_title,
        }
        for step in steps
    ]


def _assessment(session: ChatSession, run: TroubleshootingRun | None, language: str) -> str:
    """What the assistant said about the fault: the reply that opened the latest run (likely causes,
    warnings, confidence), or — when that message is gone — the procedure and its match confidence."""
    if run is None:
        return ""
    opening = (
        Message.objects.filter(session=session, role=MessageRole.ASSISTANT, run_step__run=run, run_step__number=1)
        .order_by("seq")
        .values_list("content", flat=True)
        .first()
    )
    if opening:
        return opening
    confidence = phrase("diagnosis_confidence", language, percent=round(run.confidence * 100))
    return f"{run.procedure_title}\n{confidence}"


def _json_safe(value: Any) -> Any:
    # Dates to ISO strings, UUIDs to strings, tuples to lists: what a JSONField stores and returns.
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@transaction.atomic
def ticket_status_change(*, ticket: Ticket, status: str, actor) -> TicketEvent:
    """Move a ticket along the workflow (models.TRANSITIONS) and queue the operator's notification.

    Raises InvalidTransition for a change the workflow does not allow (including to the same
    status). The row is locked, so two agents clicking at once cannot both move it from the same
    state. Resolving sets resolved_at; reopening a resolved ticket clears it.
    """
    if status not in TicketStatus.values:
        raise InvalidTransition(f"Unknown ticket status {status!r}.")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    current = locked.status
    if status not in TRANSITIONS[current]:
        allowed = ", ".join(TicketStatus(s).label.lower() for s in sorted(TRANSITIONS[current])) or "none (final)"
        raise InvalidTransition(
            f"Ticket {locked.number} is {TicketStatus(current).label.lower()}; it cannot become "
            f"{TicketStatus(status).label.lower()}. Allowed next: {allowed}."
        )
    locked.status = status
    if status == TicketStatus.RESOLVED:
        locked.resolved_at = timezone.now()
    elif status in (TicketStatus.IN_PROGRESS, TicketStatus.OPEN):
        locked.resolved_at = None
    locked.save(update_fields=["status", "resolved_at", "updated_at"])
    event = TicketEvent.objects.create(ticket=locked, actor=actor, kind="status", from_value=current, to_value=status)
    emails.status_email_queue(ticket=locked, event=event)
    ticket.status, ticket.resolved_at, ticket.updated_at = locked.status, locked.resolved_at, locked.updated_at
    logger.info(
        "ticket status changed",
        extra={"event": "ticket_status", "ticket": locked.number, "from": current, "to": status},
    )
    return event


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, actor) -> Ticket:
    """Give a ticket to a staff member (None = unassign). Assigning the current assignee again
    changes nothing and records nothing."""
    if assignee is not None and not (assignee.is_active and assignee.is_staff):
        raise InvalidInput("Tickets can only be assigned to active staff members.")
    locked = Ticket.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=ticket.pk)
    if locked.assignee_id == (assignee.pk if assignee is not None else None):
        return locked
    previous = locked.assignee
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    TicketEvent.objects.create(
        ticket=locked,
        actor=actor,
        kind="assigned",
        from_value=previous.get_username() if previous is not None else "",
        to_value=assignee.get_username() if assignee is not None else "",
    )
    ticket.assignee, ticket.updated_at = assignee, locked.updated_at
    return locked


@transaction.atomic
def ticket_note_add(*, ticket: Ticket, author, text: str) -> TicketNote:
    """An internal note of a support agent (never shown to the operator)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("A note needs some text.")
    return TicketNote.objects.create(ticket=ticket, author=author, text=text)


ERASED_EMAIL_BODY = "(erased at the operator's request)"


def _scrub(text: str, known: list[str]) -> str:
    for value in known:
        text = re.sub(re.escape(value), "[erased]", text, flags=re.IGNORECASE)
    return text


@transaction.atomic
def user_tickets_anonymise(*, user_id: int, known_strings: list[str]) -> int:
    """Detach an operator from their tickets and drop what they said (erasure). Returns how many.

    Kept: the number, status, priority, reason, language, dates, machine id/model and snapshot (ABParts'
    machine facts), the steps tried (titles, instructions, outcomes): what support and the learning
    loop need. Dropped: the transcript, the operator's notes and contact preference, the step notes,
    the assistant's assessment (it can quote the operator), the e-mails to the operator and the bodies
    of the support e-mails (they carry the transcript). Agents' notes stay, with the operator's
    names and addresses (`known_strings`) replaced. Idempotent: an anonymised ticket has no user.
    """
    known = sorted({s.strip() for s in known_strings if len(s.strip()) >= 3}, key=len, reverse=True)
    tickets = list(Ticket.objects.select_for_update().filter(user_id=user_id))
    for ticket in tickets:
        ticket.user = None
        ticket.transcript = []
        ticket.operator_notes = ""
        ticket.contact_preference = ""
        ticket.assessment = ""
        ticket.attempted_steps = [{**step, "note": ""} for step in ticket.attempted_steps]
        ticket.save(
            update_fields=[
                "user", "transcript", "operator_notes", "contact_preference", "assessment", "attempted_steps",
                "updated_at",
            ]
        )  # fmt: skip
        for note in TicketNote.objects.filter(ticket=ticket):
            scrubbed = _scrub(note.text, known)
            if scrubbed != note.text:
                note.text = scrubbed
                note.save(update_fields=["text"])
        EmailDelivery.objects.filter(ticket=ticket).exclude(kind=EmailDelivery.Kind.SUPPORT).delete()
        EmailDelivery.objects.filter(ticket=ticket, kind=EmailDelivery.Kind.SUPPORT).update(
            text_body=ERASED_EMAIL_BODY, html_body=ERASED_EMAIL_BODY
        )
    # Events the operator caused (the escalation itself) keep what happened, not who.
    TicketEvent.objects.filter(actor_id=user_id).update(actor=None)
    return len(tickets)
