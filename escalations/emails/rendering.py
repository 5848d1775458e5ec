"""Rendering ticket e-mails: subject, plain text and HTML, in the recipient's language.

Operators' e-mails take every sentence from core/text/phrases.py; the support e-mail's labels are
template strings translated into ESCALATION_SUPPORT_LANGUAGE (locale/). Values from users and from
ABParts reach the HTML only through Django's autoescaping (nothing is marked safe), and subjects are
reduced to one line of printable text (header_safe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import pgettext_lazy

from core.text.phrases import PHRASES, phrase

from ..models import Priority, Reason, Ticket

# The support e-mail quotes the end of the conversation; the admin has all of it.
TRANSCRIPT_MESSAGES = 12
TRANSCRIPT_MESSAGE_CHARS = 1500
FIELD_CHARS = 500
SUBJECT_CHARS = 200
STEPS_SHOWN = 30

# Staff-facing names, in the support language (the model's choice labels are not translated).
REASON_NAMES = {
    Reason.USER_REQUEST: pgettext_lazy("escalation reason", "Operator asked for an expert"),
    Reason.LOW_CONFIDENCE: pgettext_lazy("escalation reason", "The manuals do not cover it"),
    Reason.STEPS_EXCEEDED: pgettext_lazy("escalation reason", "Troubleshooting steps did not help"),
    Reason.SAFETY_CONCERN: pgettext_lazy("escalation reason", "Safety concern"),
    Reason.COMPLEX_ISSUE: pgettext_lazy("escalation reason", "Complex issue"),
    Reason.EXPERT_REQUIRED: pgettext_lazy("escalation reason", "Expert required"),
}
PRIORITY_NAMES = {
    Priority.LOW: pgettext_lazy("ticket priority", "Low"),
    Priority.MEDIUM: pgettext_lazy("ticket priority", "Medium"),
    Priority.HIGH: pgettext_lazy("ticket priority", "High"),
    Priority.URGENT: pgettext_lazy("ticket priority", "Urgent"),
}

# C0/C1 control characters; with every kind of line break they are what header injection needs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def operator_address(ticket: Ticket) -> str:
    """The operator's e-mail address, "" when unknown (ABParts users may have none)."""
    user = ticket.user
    return (user.email or "").strip() if user is not None else ""


def header_safe(text: str, limit: int = SUBJECT_CHARS) -> str:
    """One line for a mail header: control characters and every line break become spaces."""
    line = " ".join(_CONTROL.sub(" ", str(text)).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def render_support(ticket: Ticket, language: str) -> RenderedEmail:
    with translation.override(language):
        machine = _machine_facts(ticket)
        priority = str(PRIORITY_NAMES.get(ticket.priority, ticket.priority))
        reason = str(REASON_NAMES.get(ticket.reason, ticket.reason))
        subject = f"[{priority}] {ticket.number}: {reason}"
        if machine["name"]:
            subject += f" – {machine['name']}"
        transcript = [m for m in ticket.transcript or [] if isinstance(m, dict)]
        shown = transcript[-TRANSCRIPT_MESSAGES:]
        user = ticket.user
        context = {
            "ticket": ticket,
            "priority": priority,
            "reason": reason,
            "ticket_language": f"{dict(settings.LANGUAGES).get(ticket.language, ticket.language)} ({ticket.language})",
            "operator": {
                "username": clip(user.username) if user else "",
                "name": clip(user.get_full_name()) if user else "",
                "email": clip(user.email) if user else "",
            },
            "machine": machine,
            "assessment": clip(ticket.assessment, 4000),
            "steps": [_step(s, language) for s in (ticket.attempted_steps or [])[:STEPS_SHOWN] if isinstance(s, dict)],
            "messages": [
                {
                    "role": "operator" if m.get("role") == "user" else "assistant",
                    "content": clip(m.get("content"), TRANSCRIPT_MESSAGE_CHARS),
                    "created_at": clip(m.get("created_at"), 40),
                }
                for m in shown
            ],
            "messages_shown": len(shown),
            "messages_total": len(transcript),
            "contact_preference": clip(ticket.contact_preference),
            "operator_notes": clip(ticket.operator_notes, 4000),
            "admin_url": f"{settings.ESCALATION_ADMIN_BASE_URL}/admin/escalations/ticket/{ticket.id}/change/",
            "expert": ticket.expert,
        }
        return _render("support", subject, language, context)


def render_operator(ticket: Ticket, language: str, template: str, status: str | None) -> RenderedEmail:
    user = ticket.user
    name = (user.get_full_name().strip() or user.username) if user else ""
    expert = ticket.expert
    context = {
        "greeting": phrase("email_greeting", language, name=clip(name, 100)),
        "request_number": phrase("email_request_number", language, ticket=ticket.number),
        "expert": expert,
        "expert_intro": phrase("email_expert_assigned", language, name=expert.name) if expert else "",
        "expert_pending": phrase("email_expert_pending", language),
        "labels": {
            "email": phrase("email_label_email", language),
            "phone": phrase("email_label_phone", language),
            "hours": phrase("email_label_hours", language),
        },
    }
    if template == "confirmation":
        subject = phrase("email_confirmation_subject", language, ticket=ticket.number)
        context |= {
            "intro": phrase("email_confirmation_intro", language, ticket=ticket.number),
            "next_steps": phrase("email_next_steps", language),
            "contact_preference": (
                phrase("email_contact_preference", language, preference=clip(ticket.contact_preference))
                if ticket.contact_preference.strip()
                else ""
            ),
        }
    else:
        status_key = f"ticket_status_{status}"
        status_name = phrase(status_key, language) if status_key in PHRASES else clip(status, 50)
        note_key = f"email_status_note_{status}"
        subject = phrase("email_status_subject", language, ticket=ticket.number, status=status_name)
        context |= {
            "changed": phrase("email_status_changed", language, ticket=ticket.number, status=status_name),
            "note": phrase(note_key, language) if note_key in PHRASES else "",
            "status": status,
        }
    with translation.override(language):
        return _render(template, subject, language, context)


def _render(template: str, subject: str, language: str, context: dict) -> RenderedEmail:
    subject = header_safe(subject)
    context = {
        **context,
        "subject": subject,
        "language": language,
        "direction": "rtl" if translation.get_language_info(language)["bidi"] else "ltr",
        "footer": phrase("email_footer", language),
    }
    text = render_to_string(f"escalations/email/{template}.txt", context)
    html = render_to_string(f"escalations/email/{template}.html", context)
    # Template tags leave blank lines behind; a plain-text e-mail reads better without runs of them.
    text = re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", text).strip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html)


def _machine_facts(ticket: Ticket) -> dict[str, str]:
    snapshot = ticket.machine_snapshot if isinstance(ticket.machine_snapshot, dict) else {}
    nested = snapshot.get("machine") if isinstance(snapshot.get("machine"), dict) else {}

    def pick(*keys: str) -> object:
        for source in (snapshot, nested):
            for key in keys:
                value = source.get(key)
                if value not in (None, "", {}, []):
                    return value
        return ""

    hours = pick("hours", "operating_hours", "current_hours")
    if isinstance(hours, dict):
        hours = hours.get("value", "")
    if isinstance(hours, float) and hours.is_integer():
        hours = int(hours)
    return {
        "name": clip(pick("name", "machine_name"), 200),
        "model": clip(pick("model", "model_type", "machine_model") or ticket.machine_model, 50),
        "serial": clip(pick("serial", "serial_number"), 100),
        "status": clip(pick("status"), 50),
        "hours": clip(hours, 30),
        "id": clip(ticket.machine_id, 64),
    }


def _step(step: dict, language: str) -> dict[str, str]:
    outcome = str(step.get("outcome") or "")
    key = f"outcome_{outcome}"
    page = step.get("page")
    document = clip(step.get("document"), 200)
    source = f"{document}, p. {page}" if document and page else document
    return {
        "number": clip(step.get("number"), 10),
        "instruction": clip(step.get("instruction")),
        "outcome": phrase(key, language) if key in PHRASES else clip(outcome, 50),
        "note": clip(step.get("note")),
        "source": source,
    }


def clip(value: object, limit: int = FIELD_CHARS) -> str:
    text = "" if value is None else str(value).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
