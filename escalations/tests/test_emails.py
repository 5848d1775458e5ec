"""Ticket e-mails: what is queued, in which language, and that user content cannot break out of it."""

from __future__ import annotations

import itertools
import logging
import re
import uuid
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.test import override_settings

from assistant.models import ChatSession
from core.text.phrases import phrase
from escalations.checks import check_email_settings
from escalations.emails import header_safe, status_email_queue, ticket_emails_queue
from escalations.models import (
    DeliveryStatus,
    EmailDelivery,
    ExpertContact,
    Priority,
    Reason,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "el", "ar", "es", "tr", "nb")
_numbers = itertools.count(1)

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(document.cookie)>'


def make_ticket(
    *,
    language: str = "en",
    email: str = "operator@example.com",
    first_name: str = "Nikos",
    last_name: str = "Papadakis",
    expert: ExpertContact | None = None,
    **fields,
) -> Ticket:
    """A ticket as the escalation service leaves it (created directly: services.py is not needed)."""
    user = get_user_model().objects.create_user(
        username=f"operator-{uuid.uuid4().hex[:8]}", email=email, first_name=first_name, last_name=last_name
    )
    session = ChatSession.objects.create(user=user, machine_id="m-7", machine_model="V4.0", language=language)
    values = {
        "number": f"AB-{uuid.uuid4().int % 10**8:08d}-{next(_numbers):04d}",
        "session": session,
        "user": user,
        "language": language,
        "reason": Reason.STEPS_EXCEEDED,
        "priority": Priority.HIGH,
        "machine_id": "m-7",
        "machine_model": "V4.0",
        "machine_snapshot": {
            "name": "Net cleaner 7",
            "model_type": "V4.0",
            "serial_number": "AB-V4-000731",
            "status": "active",
            "hours": 1250.0,
        },
        "transcript": [
            {"role": "user", "content": "The pump stops after five minutes.", "created_at": "2026-10-02T08:00:00Z"},
            {"role": "assistant", "content": "Check the inlet filter.", "created_at": "2026-10-02T08:00:05Z"},
        ],
        "attempted_steps": [
            {
                "number": 1,
                "instruction": "Clean the inlet filter.",
                "outcome": "didnt_work",
                "note": "",
                "page": 12,
                "document": "V4.0 manual",
            },
            {
                "number": 2,
                "instruction": "Check the oil level.",
                "outcome": "worked",
                "note": "Was low",
                "page": 14,
                "document": "V4.0 manual",
            },
        ],
        "assessment": "Probably a blocked suction line.",
        "contact_preference": "Phone after 16:00",
        "operator_notes": "The machine is on the boat Vega.",
        "expert": expert,
    }
    values.update(fields)
    return Ticket.objects.create(**values)


def html_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag of a document with its attributes, as a browser's tokenizer sees them."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def make_expert(**fields) -> ExpertContact:
    values = {"name": "Maria Expert", "email": "maria@example.com", "phone": "+30 210 000 0000", "hours": "Mon–Fri"}
    return ExpertContact.objects.create(**(values | fields))


@pytest.fixture
def inbox(settings):
    settings.ESCALATION_SUPPORT_INBOX = ["support@example.com", "service@example.com"]
    settings.ESCALATION_SUPPORT_LANGUAGE = "en"
    settings.ESCALATION_ADMIN_BASE_URL = "https://abparts.example.com/ai"
    settings.EMAIL_MESSAGE_ID_DOMAIN = "mail.example.com"
    return settings.ESCALATION_SUPPORT_INBOX


def queued(ticket: Ticket) -> dict[str, EmailDelivery]:
    return {d.kind: d for d in EmailDelivery.objects.filter(ticket=ticket)}


# --- the operator's e-mails in six languages ---------------------------------------------------

CONFIRMATION_WORDS = {
    "en": ("We have received your request", "What happens next"),
    "el": ("Λάβαμε το αίτημά σας", "Τι ακολουθεί"),
    "ar": ("لقد استلمنا طلبك", "ما الذي سيحدث بعد ذلك"),
    "es": ("Hemos recibido su solicitud", "Qué ocurre ahora"),
    "tr": ("numaralı talebinizi aldık", "Bundan sonra ne olacak"),
    "nb": ("Vi har mottatt forespørselen din", "Hva skjer nå"),
}
IN_PROGRESS = {"en": "In progress", "el": "Σε εξέλιξη", "ar": "قيد المعالجة", "es": "En curso", "tr": "İşlemde",
               "nb": "Under arbeid"}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_confirmation_is_written_in_the_operators_language(inbox, language, django_capture_on_commit_callbacks):
    ticket = make_ticket(language=language, expert=make_expert())
    with django_capture_on_commit_callbacks() as callbacks:
        deliveries = ticket_emails_queue(ticket=ticket)

    assert [d.kind for d in deliveries] == ["support", "confirmation"]
    assert len(callbacks) == 2  # one send task per e-mail, enqueued on commit
    confirmation = queued(ticket)["confirmation"]
    subject_words, next_words = CONFIRMATION_WORDS[language]
    assert confirmation.language == language
    assert confirmation.recipients == ["operator@example.com"]
    assert subject_words in confirmation.subject and ticket.number in confirmation.subject
    assert confirmation.status == DeliveryStatus.QUEUED and confirmation.attempts == 0
    for body in (confirmation.text_body, confirmation.html_body):
        assert next_words in body
        assert ticket.number in body
        assert phrase("email_greeting", language, name="Nikos Papadakis") in body
        assert "Maria Expert" in body and "maria@example.com" in body and "+30 210 000 0000" in body
        assert phrase("email_label_phone", language) in body
        assert phrase("email_footer", language) in body
    assert "Phone after 16:00" in confirmation.text_body
    assert "<html" not in confirmation.text_body and confirmation.html_body.lstrip().startswith("<!DOCTYPE html>")
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in confirmation.html_body
    # The support e-mail stays in the support language whatever the operator speaks.
    support = queued(ticket)["support"]
    assert support.language == "en" and "Priority" in support.text_body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_status_change_is_announced_in_the_operators_language(inbox, language):
    ticket = make_ticket(language=language)
    event = TicketEvent.objects.create(ticket=ticket, kind="status", from_value="open", to_value="in_progress")

    (delivery,) = status_email_queue(ticket=ticket, event=event)

    assert delivery.kind == "status" and delivery.dedupe_key == f"ticket-{ticket.id}-status-{event.id}"
    assert IN_PROGRESS[language] in delivery.subject and ticket.number in delivery.subject
    note = phrase("email_status_note_in_progress", language)
    assert note != phrase("email_status_note_in_progress", "en") or language == "en"
    for body in (delivery.text_body, delivery.html_body):
        assert phrase("email_status_changed", language, ticket=ticket.number, status=IN_PROGRESS[language]) in body
        assert note in body
        assert phrase("email_expert_pending", language) in body  # no expert assigned yet
    assert ('dir="rtl"' in delivery.html_body) == (language == "ar")


@pytest.mark.parametrize(
    ("status", "words"), [("resolved", "Resolved"), ("closed", "Closed"), ("open", "Open")]
)  # fmt: skip
def test_every_status_has_its_own_name_and_note(inbox, status, words):
    ticket = make_ticket(language="el")
    event = TicketEvent.objects.create(ticket=ticket, kind="status", from_value="in_progress", to_value=status)

    (delivery,) = status_email_queue(ticket=ticket, event=event)

    greek_name = phrase(f"ticket_status_{status}", "el")
    assert greek_name != words and greek_name in delivery.subject
    assert phrase(f"email_status_note_{status}", "el") in delivery.text_body


def test_norwegian_no_and_unknown_languages_are_normalised(inbox):
    norwegian = make_ticket(language="no")
    unknown = make_ticket(language="xx")
    ticket_emails_queue(ticket=norwegian)
    ticket_emails_queue(ticket=unknown)
    assert queued(norwegian)["confirmation"].language == "nb"
    assert "Vi har mottatt" in queued(norwegian)["confirmation"].subject
    assert queued(unknown)["confirmation"].language == "en"


# --- the support e-mail -------------------------------------------------------------------------


def test_the_support_email_tells_the_expert_the_whole_story(inbox):
    transcript = [
        {"role": "user" if n % 2 else "assistant", "content": f"message number {n:02d}", "created_at": f"t{n}"}
        for n in range(1, 21)
    ]
    ticket = make_ticket(transcript=transcript, priority=Priority.URGENT, reason=Reason.SAFETY_CONCERN)
    ticket_emails_queue(ticket=ticket)
    support = queued(ticket)["support"]

    assert support.recipients == inbox
    assert support.subject == f"[Urgent] {ticket.number}: Safety concern – Net cleaner 7"
    admin_link = f"https://abparts.example.com/ai/admin/escalations/ticket/{ticket.id}/change/"
    for body in (support.text_body, support.html_body):
        assert ticket.number in body and admin_link in body
        for fact in ("Urgent", "Safety concern", "English (en)", ticket.user.username, "Nikos Papadakis",
                     "operator@example.com", "Net cleaner 7", "V4.0", "AB-V4-000731", "active", "1250",
                     "Probably a blocked suction line.", "Clean the inlet filter.", "Check the oil level.",
                     "Was low", "V4.0 manual, p. 12", "The machine is on the boat Vega.",
                     "Phone after 16:00"):  # fmt: skip
            assert fact in body, fact
        # Outcomes in words, not codes; the transcript bounded to its last 12 messages.
        assert "It didn't work" in body.replace("&#x27;", "'") and "It worked" in body
        assert "message number 20" in body and "message number 09" in body
        assert "message number 08" not in body and "message number 01" not in body
        assert "Showing the last 12 of 20 messages" in body
    assert f'href="{admin_link}"' in support.html_body
    assert "1250.0" not in support.text_body


def test_the_support_email_uses_the_support_language_and_copes_with_missing_facts(inbox, settings):
    settings.ESCALATION_SUPPORT_LANGUAGE = "el"
    ticket = make_ticket(
        machine_snapshot={}, machine_model="", attempted_steps=[], transcript=[], assessment="", email=""
    )
    (support,) = ticket_emails_queue(ticket=ticket)

    assert support.kind == "support" and support.language == "el"
    assert support.subject == f"[Υψηλή] {ticket.number}: Τα βήματα αντιμετώπισης δεν βοήθησαν"
    for label in ("Προτεραιότητα", "Σειριακός αριθμός", "Δεν δοκιμάστηκαν βήματα.", "χωρίς διεύθυνση e-mail"):
        assert label in support.text_body and label in support.html_body
    assert "Priority" not in support.text_body
    assert "m-7" in support.text_body  # the machine id when ABParts gave no name


def test_the_support_email_reads_the_abparts_machine_context_snapshot(inbox):
    # The shape escalations.services stores: dataclasses.asdict(abparts.context.MachineContext).
    snapshot = {
        "machine": {"name": "Vega rig", "model_type": "V3.1B", "serial_number": "SN-31-0042", "status": "maintenance",
                    "location": "Hitra"},
        "hours": {"value": 1312.5, "recorded_date": "2026-09-30T00:00:00+00:00"},
        "maintenance": [],
        "recent_part_usage": [],
        "suggestions": [],
    }  # fmt: skip
    ticket = make_ticket(machine_snapshot=snapshot, machine_model="V3.1B")
    ticket_emails_queue(ticket=ticket)
    support = queued(ticket)["support"]
    for line in ("Machine: Vega rig", "Model: V3.1B", "Serial number: SN-31-0042", "Status: maintenance",
                 "Operating hours: 1312.5"):  # fmt: skip
        assert line in support.text_body, line
    assert support.subject.endswith(" – Vega rig")


# --- escaping and header injection --------------------------------------------------------------


def test_user_content_is_escaped_in_html_and_kept_verbatim_in_text(inbox):
    expert = make_expert(name=f"Eve {HOSTILE_SCRIPT}", hours=HOSTILE_IMG)
    ticket = make_ticket(
        first_name=HOSTILE_SCRIPT,
        operator_notes=f"Look: {HOSTILE_SCRIPT} and {HOSTILE_IMG}",
        contact_preference=HOSTILE_IMG,
        assessment=HOSTILE_SCRIPT,
        transcript=[{"role": "user", "content": f"hi {HOSTILE_IMG}\n{HOSTILE_SCRIPT}"}],
        attempted_steps=[{"number": 1, "instruction": HOSTILE_SCRIPT, "outcome": HOSTILE_IMG, "note": HOSTILE_IMG}],
        machine_snapshot={"name": HOSTILE_IMG, "serial_number": HOSTILE_SCRIPT},
        expert=expert,
    )
    ticket_emails_queue(ticket=ticket)
    event = TicketEvent.objects.create(ticket=ticket, kind="status", from_value="open", to_value="in_progress")
    status_email_queue(ticket=ticket, event=event)

    deliveries = queued(ticket)
    assert set(deliveries) == {"support", "confirmation", "status"}
    for delivery in deliveries.values():
        html = delivery.html_body
        tags = html_tags(html)
        assert not {"script", "img"} & {tag for tag, _attrs in tags}, delivery.kind
        assert not [attrs for _tag, attrs in tags if any(name.startswith("on") for name, _value in attrs)]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&quot;&gt;&lt;img src=x onerror=alert(document.cookie)&gt;" in html
        # The plain-text part is not HTML: it shows what the operator typed, unchanged.
        assert HOSTILE_SCRIPT in delivery.text_body and "&lt;" not in delivery.text_body
    assert HOSTILE_IMG in deliveries["support"].text_body


def test_line_breaks_in_subject_material_cannot_inject_headers(inbox):
    ticket = make_ticket(machine_snapshot={"name": "Rig 7\r\nBcc: attacker@evil.example\n\nbody"})
    ticket_emails_queue(ticket=ticket)
    subject = queued(ticket)["support"].subject

    assert not re.search(r"[\r\n\x00-\x1f\x85\u2028\u2029]", subject)
    assert subject.endswith("Rig 7 Bcc: attacker@evil.example body")
    assert header_safe("a\u2028b\x85c\x0bd\x00e\tf") == "a b c d e f"
    assert header_safe("x" * 500) == "x" * 199 + "…"


# --- idempotency and missing addresses ---------------------------------------------------------


def test_queueing_twice_changes_nothing(inbox, django_capture_on_commit_callbacks):
    ticket = make_ticket()
    first = ticket_emails_queue(ticket=ticket)
    with django_capture_on_commit_callbacks() as callbacks:
        again = ticket_emails_queue(ticket=ticket)
    assert [d.id for d in again] == [d.id for d in first]
    assert callbacks == []  # nothing new to send
    assert EmailDelivery.objects.filter(ticket=ticket).count() == 2
    assert {d.dedupe_key for d in first} == {f"ticket-{ticket.id}-support", f"ticket-{ticket.id}-confirmation"}
    assert all(re.fullmatch(r"<[^<>@\s]+@mail\.example\.com>", d.message_id) for d in first)
    assert first[0].message_id != first[1].message_id

    event = TicketEvent.objects.create(ticket=ticket, kind="status", from_value="open", to_value="in_progress")
    later = TicketEvent.objects.create(ticket=ticket, kind="status", from_value="in_progress", to_value="resolved")
    assert status_email_queue(ticket=ticket, event=event)[0].id == status_email_queue(ticket=ticket, event=event)[0].id
    status_email_queue(ticket=ticket, event=later)
    assert EmailDelivery.objects.filter(ticket=ticket, kind="status").count() == 2


def test_an_operator_without_an_email_address_gets_no_email_and_it_is_logged(inbox, caplog):
    ticket = make_ticket(email="")
    with caplog.at_level(logging.INFO, logger="escalations.emails"):
        deliveries = ticket_emails_queue(ticket=ticket)
        event = TicketEvent.objects.create(ticket=ticket, kind="status", from_value="open", to_value="closed")
        assert status_email_queue(ticket=ticket, event=event) == []
    assert [d.kind for d in deliveries] == ["support"]
    assert f"ticket {ticket.number}: the operator has no e-mail address" in caplog.text
    # The support e-mail still goes out, without a Reply-To to use.
    assert "no e-mail address" in deliveries[0].text_body


def test_without_a_support_inbox_only_the_operator_is_written_to(settings, caplog):
    settings.ESCALATION_SUPPORT_INBOX = []
    ticket = make_ticket()
    with caplog.at_level(logging.WARNING, logger="escalations.emails"):
        deliveries = ticket_emails_queue(ticket=ticket)
    assert [d.kind for d in deliveries] == ["confirmation"]
    assert "ESCALATION_SUPPORT_INBOX is empty" in caplog.text


# --- configuration checks -----------------------------------------------------------------------


def _ids(messages: list[checks.CheckMessage]) -> list[str]:
    return sorted(m.id for m in messages)


def test_production_requires_an_smtp_host_and_a_support_inbox():
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    base = {"ENVIRONMENT": "production", "EMAIL_BACKEND": smtp, "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False}
    with override_settings(**base, EMAIL_HOST_CONFIGURED=False, ESCALATION_SUPPORT_INBOX=[]):
        assert _ids(check_email_settings()) == ["escalations.E001", "escalations.E002"]
    with override_settings(**base, EMAIL_HOST_CONFIGURED=True, ESCALATION_SUPPORT_INBOX=[" "]):
        assert _ids(check_email_settings()) == ["escalations.E002"]
    with override_settings(**base, EMAIL_HOST_CONFIGURED=True, ESCALATION_SUPPORT_INBOX=["support@example.com"]):
        assert check_email_settings() == []
    # Locally an unset host is fine (localhost:1025), and so is an empty inbox.
    with override_settings(
        **(base | {"ENVIRONMENT": "local"}), EMAIL_HOST_CONFIGURED=False, ESCALATION_SUPPORT_INBOX=[]
    ):
        assert check_email_settings() == []
    with override_settings(ENVIRONMENT="local", EMAIL_USE_TLS=True, EMAIL_USE_SSL=True):
        assert _ids(check_email_settings()) == ["escalations.E003"]


def test_email_settings_default_to_mailpit_until_an_smtp_host_is_configured(monkeypatch):
    import importlib

    import config.settings.email as email_settings

    for name in ("EMAIL_HOST", "EMAIL_PORT", "DEFAULT_FROM_EMAIL", "EMAIL_MESSAGE_ID_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    try:
        embedded = importlib.reload(email_settings)
        assert (embedded.EMAIL_HOST, embedded.EMAIL_PORT, embedded.EMAIL_HOST_CONFIGURED) == ("localhost", 1025, False)
        assert embedded.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
        assert embedded.EMAIL_MESSAGE_ID_DOMAIN == "localhost"

        monkeypatch.setenv("EMAIL_HOST", "smtp.example.com")
        monkeypatch.setenv("DEFAULT_FROM_EMAIL", "AutoBoss <assistant@corp.example>")
        configured = importlib.reload(email_settings)
        assert (configured.EMAIL_HOST, configured.EMAIL_PORT, configured.EMAIL_HOST_CONFIGURED) == (
            "smtp.example.com", 25, True
        )  # fmt: skip
        assert configured.EMAIL_MESSAGE_ID_DOMAIN == "corp.example"
    finally:
        monkeypatch.undo()
        importlib.reload(email_settings)
