"""Publishing a resolved ticket to the knowledge base as a "resolved case" (SPEC §3.6, §3.8).

The case is rendered as Markdown from the ticket's snapshot (transcript, steps tried, assessment,
agents' notes), with personal data removed by `core.redaction`, and uploaded like any
other document, so it is chunked, embedded and searchable like a manual page — across languages,
filtered by machine model. Unpublishing is deleting the document in the knowledge admin; the
ticket's `published_document` then becomes NULL and the ticket can be published again.

Steps are rendered as bullets, never as a numbered list: ingestion turns a numbered list under a
fault heading into a troubleshooting procedure, and the steps that did *not* work must not become
one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from core.redaction import redact_text
from core.text.languages import normalize_language
from knowledge.models import Document, DocumentType
from knowledge.services import UploadRejected, document_upload
from knowledge.validation import MachineModelsError, clean_machine_models
from troubleshooting.models import Outcome

from .models import Ticket, TicketEvent, TicketNote, TicketStatus

logger = logging.getLogger(__name__)

PUBLISHABLE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})

# The agents' conclusion is in their latest notes; older ones are mostly "called back, waiting".
RESOLUTION_NOTES = 3
# The excerpt keeps the start of the conversation (the problem as told) and its end (what settled it).
EXCERPT_HEAD = 4
EXCERPT_TAIL = 10
OPERATOR_MESSAGE_CHARS = 800
ASSISTANT_MESSAGE_CHARS = 400
TITLE_SUMMARY_CHARS = 80
_OPERATOR_ROLES = frozenset({"user", "operator"})
# Keys of a machine snapshot (ABParts details) that identify the machine, its site or its owner.
_MACHINE_KEYS = frozenset(
    {"name", "machine_name", "serial_number", "serial", "location", "organization_name", "organization", "customer"}
)
_MACHINE_RECORDS = frozenset({"machine", "details", "organization", "customer_organization", "customer"})


class PublishRefused(ValueError):
    """The ticket cannot be published (not resolved/closed, or the knowledge base refused the case)."""


@dataclass(frozen=True)
class ResolvedCase:
    title: str
    markdown: str
    file_name: str


@transaction.atomic
def ticket_publish(*, ticket: Ticket, actor, resolution: str = "") -> Document:
    """Publish a resolved (or closed) ticket to the knowledge base without the operator's personal data.

    Returns the knowledge Document (queued for ingestion; searchable once ingested). Idempotent:
    while the published document exists, publishing again returns it. `resolution` is an optional
    summary typed by the agent; otherwise the latest internal notes (or the step that worked) are
    the resolution. Raises PublishRefused.
    """
    # The row lock serialises two agents pressing "publish" at once: the second waits, then sees
    # the first one's document.
    locked = (
        Ticket.objects.select_for_update(of=("self",)).select_related("user", "assignee", "expert").get(pk=ticket.pk)
    )
    if locked.status not in PUBLISHABLE_STATUSES:
        raise PublishRefused(
            f"Ticket {locked.number} is {locked.get_status_display().lower()}: only resolved or closed tickets "
            "can be published."
        )
    existing = (
        Document.objects.filter(pk=locked.published_document_id).first() if locked.published_document_id else None
    )
    if existing is not None:
        ticket.published_document = existing
        return existing

    case = resolved_case_render(ticket=locked, resolution=resolution)
    try:
        outcome = document_upload(
            uploaded_file=ContentFile(case.markdown.encode("utf-8"), name=case.file_name),
            title=case.title,
            doc_type=DocumentType.RESOLVED_CASE,
            machine_models=_machine_models(locked),
            language=normalize_language(locked.language),
            uploaded_by=actor,
            enqueue=True,
        )
    except UploadRejected as exc:
        raise PublishRefused(f"The knowledge base refused the case of ticket {locked.number}: {exc.reason}") from exc
    document = outcome.document
    locked.published_document = document
    locked.save(update_fields=["published_document", "updated_at"])
    TicketEvent.objects.create(ticket=locked, actor=actor, kind="published", to_value=str(document.id))
    ticket.published_document = document
    logger.info("ticket %s published as document %s", locked.number, document.id)
    return document


def resolved_case_render(*, ticket: Ticket, resolution: str = "") -> ResolvedCase:
    """The Markdown of a ticket's resolved case, personal data removed (also usable as a preview)."""
    notes = list(TicketNote.objects.filter(ticket=ticket).select_related("author").order_by("created_at"))
    people = _known_names(ticket, notes)
    machine = _machine_identifiers(ticket)
    language = normalize_language(ticket.language)

    def clean(text: object, limit: int | None = None) -> str:
        flat = " ".join(str(text or "").split())
        redacted = redact_text(flat, language=language, known_names=people, machine_identifiers=machine)
        return _shorten(redacted, limit) if limit else redacted

    operator_messages = [m for m in _messages(ticket) if m["role"] in _OPERATOR_ROLES]
    steps = [s for s in ticket.attempted_steps or [] if isinstance(s, dict)]
    worked = [s for s in steps if s.get("outcome") in (Outcome.WORKED, Outcome.PARTIALLY_WORKED)]
    procedure_title = next((clean(s.get("procedure_title")) for s in steps if s.get("procedure_title")), "")
    if not procedure_title and ticket.run_id and ticket.run is not None:
        procedure_title = clean(ticket.run.procedure_title)
    problem = clean(operator_messages[0]["content"]) if operator_messages else ""
    subject = procedure_title or _shorten(problem, TITLE_SUMMARY_CHARS) or ticket.get_reason_display()
    title = f"Resolved case {ticket.number}: {subject}"
    model = f"AutoBoss {ticket.machine_model}" if ticket.machine_model else "not recorded (applies to all models)"

    resolution_lines = [clean(resolution)] if resolution.strip() else []
    resolution_lines += [clean(note.text) for note in notes[-RESOLUTION_NOTES:] if note.text.strip()]
    resolution_lines = [line for line in resolution_lines if line]
    fix = "; ".join(clean(s.get("instruction")) for s in worked if s.get("instruction"))

    # One heading for the whole case: a chunk never spans two sections, and a case cut into five
    # sections became five small chunks that all matched the same questions (a search returned
    # four of its five results from one case) and a hit on "Problem" came without the fix.
    # Labelled paragraphs keep the sections readable; chunking splits only a long case.
    lines = [f"# {title}", ""]
    lines += [_sentence(f"Problem: {problem}") if problem else "Problem: the operator's description was not recorded."]
    if ticket.operator_notes.strip():
        lines += ["", _sentence(f"Operator's notes: {clean(ticket.operator_notes)}")]
    if ticket.assessment.strip():
        lines += ["", _sentence(f"Assistant's assessment: {clean(ticket.assessment)}")]
    if ticket.reason:
        lines += ["", _sentence(f"Escalated because: {ticket.get_reason_display().lower()}")]
    lines += ["", _sentence(f"Machine model: {model}"), ""]

    lines += ["What was tried:"]
    lines += [_step_line(step, clean) for step in steps] or ["- No troubleshooting steps were recorded."]
    lines += [""]

    lines += ["Resolution:"]
    lines += [f"- {_sentence(line)}" for line in resolution_lines]
    if fix:
        lines += [_sentence(f"- The step that worked: {fix}")]
    if not resolution_lines and not fix:
        lines += ["- The support team resolved the case; no written resolution was recorded."]
    lines += [""]

    # The first operator message is the Problem above; the excerpt shows how the conversation went on.
    later = _messages(ticket)
    if operator_messages:
        later.remove(operator_messages[0])
    excerpt = list(_excerpt(later, clean))
    if excerpt:
        lines += ["Conversation excerpt:", *excerpt, ""]

    markdown = "\n".join(_neutralise(line) for line in lines).strip() + "\n"
    return ResolvedCase(title=title[:300], markdown=markdown, file_name=f"resolved-case-{ticket.number}.md")


# -- pieces of the document --------------------------------------------------------------------------


def _messages(ticket: Ticket) -> list[dict]:
    return [
        {"role": str(m.get("role", "")).lower(), "content": str(m.get("content") or "")}
        for m in ticket.transcript or []
        if isinstance(m, dict) and str(m.get("content") or "").strip()
    ]


def _step_line(step: dict, clean) -> str:
    number = step.get("number")
    label = f"Step {number}" if number else "Step"
    outcome = step.get("outcome") or ""
    outcome_label = Outcome(outcome).label.lower() if outcome in Outcome.values else (outcome or "no answer")
    text = f"- {label}: {clean(step.get('instruction')) or '(no instruction recorded)'} Outcome: {outcome_label}."
    if note := clean(step.get("note")):
        text += f' Operator\'s note: "{note}".'
    source = clean(step.get("document_title") or step.get("document") or "")
    if source:
        page = f", page {step['page']}" if step.get("page") else ""
        text += f" (Source: {source}{page}.)"
    return text


def _excerpt(messages: list[dict], clean) -> Iterator[str]:
    if len(messages) > EXCERPT_HEAD + EXCERPT_TAIL:
        shown = [*messages[:EXCERPT_HEAD], None, *messages[-EXCERPT_TAIL:]]
    else:
        shown = list(messages)
    for message in shown:
        if message is None:
            yield "- …"
            continue
        operator = message["role"] in _OPERATOR_ROLES
        limit = OPERATOR_MESSAGE_CHARS if operator else ASSISTANT_MESSAGE_CHARS
        yield f"- {'Operator' if operator else 'Assistant'}: {clean(message['content'], limit)}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?", "…", '"', ")", ";", ":")) else text + "."


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"


# Free text must not become structure: a "#" line would be a heading, "1. ..." a procedure step.
_HEADING_START = re.compile(r"^#+\s*")
_NUMBERED_START = re.compile(r"^(\d{1,3})[.)]\s+")


def _neutralise(line: str) -> str:
    if line.startswith("# ") or not line:
        return line
    line = _HEADING_START.sub("", line)
    return _NUMBERED_START.sub(r"Step \1: ", line)


# -- what must be removed ------------------------------------------------------------------------------


def _known_names(ticket: Ticket, notes: list[TicketNote]) -> list[str]:
    """Names, usernames and e-mail addresses of the operator, the agents and the expert."""
    names: list[str] = []
    users = [ticket.user, ticket.assignee, *(note.author for note in notes)]
    for user in users:
        if user is None:
            continue
        full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
        names += [user.get_username(), user.first_name, user.last_name, full_name, user.email]
        # "nikos.papadopoulos@…", "kari.nordmann" (the ABParts username of a mirrored user): the
        # parts are the person's names.
        names += _name_parts(user.get_username(), user.first_name, user.email.split("@", 1)[0])
        names += _name_parts(full_name, split_spaces=True)
    if ticket.expert is not None:
        names += [ticket.expert.name, ticket.expert.email, ticket.expert.phone]
        names += _name_parts(ticket.expert.name, split_spaces=True)
    return [n for n in dict.fromkeys(n.strip() for n in names if n) if n]


def _name_parts(*values: str, split_spaces: bool = False) -> list[str]:
    separators = r"[\s._:@+\-]+" if split_spaces else r"[._:@+\-]+"
    parts = []
    for value in values:
        for part in re.split(separators, value or ""):
            if part.isalpha():
                parts.append(part)
    return parts


def _machine_identifiers(ticket: Ticket) -> list[str]:
    """The machine's id, serial number, name, site and owner, from the ticket's ABParts snapshot."""
    values = [ticket.machine_id, *_snapshot_values(ticket.machine_snapshot or {})]
    # "Kvitholmen site, Nordfjord": each part of a location names a place.
    values += [part for value in list(values) for part in value.split(",") if "," in value]
    return [v for v in dict.fromkeys(v.strip() for v in values if v) if v]


def _snapshot_values(snapshot: object, *, depth: int = 0) -> Iterable[str]:
    # Only the machine's own record and the records nested under "machine"/"details"/"organization":
    # a part used in a service also has a "name", and part names must stay in the text.
    if not isinstance(snapshot, dict) or depth > 2:
        return
    for key, value in snapshot.items():
        if key in _MACHINE_KEYS and isinstance(value, str):
            yield value
        elif key in _MACHINE_RECORDS and isinstance(value, dict):
            yield from _snapshot_values(value, depth=depth + 1)


def _machine_models(ticket: Ticket) -> list[str]:
    try:
        return clean_machine_models([ticket.machine_model] if ticket.machine_model else [])
    except MachineModelsError:
        # An unrecognised model name in the snapshot: the case is still worth finding, for all models.
        logger.warning("ticket %s has an unrecognised machine model; publishing for all models", ticket.number)
        return []
