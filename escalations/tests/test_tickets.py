"""The ticket services: escalating (snapshot, priority, expert), the workflow, assignment and notes."""

from __future__ import annotations

import datetime
import itertools
import threading

import pytest
from django.db import connection
from prometheus_client import REGISTRY

from assistant.models import ChatSession, Message
from core.text.phrases import phrase
from escalations import services
from escalations.models import (
    TRANSITIONS,
    DeliveryStatus,
    EmailDelivery,
    ExpertContact,
    Priority,
    Reason,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketNote,
    TicketStatus,
)
from escalations.selectors import expert_contacts_for
from troubleshooting.models import RunStatus, TroubleshootingRun
from troubleshooting.tests.fixtures import PUMP_STEPS

from .helpers import answer, conversation, say

pytestmark = pytest.mark.usefixtures("escalation_settings")


def escalate(session, user, **kwargs):
    kwargs.setdefault("reason", Reason.USER_REQUEST)
    return services.ticket_escalate(session=session, user=user, **kwargs)


def escalations_counted(**labels) -> float:
    return REGISTRY.get_sample_value("autoboss_escalations_total", labels) or 0.0


# --- escalating ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_escalating_twice_returns_the_same_ticket(operator, django_capture_on_commit_callbacks):
    session = conversation(operator, ("user", "The pump makes a noise"), ("assistant", "Check the belt."))
    before = escalations_counted(reason="user_request", priority="medium", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        first, created = escalate(session, operator)
    again, created_again = escalate(session, operator, reason=Reason.SAFETY_CONCERN, priority="urgent")

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.number == first.number
    assert again.reason == Reason.USER_REQUEST and again.priority == Priority.MEDIUM  # the second call changed nothing
    assert Ticket.objects.count() == 1
    assert list(TicketEvent.objects.values_list("kind", "to_value")) == [("created", "open")]
    assert ChatSession.objects.get(pk=session.pk).status == "escalated"
    assert (first.user, first.status, first.language) == (operator, TicketStatus.OPEN, "en")
    assert escalations_counted(reason="user_request", priority="medium", language="en") == before + 1


@pytest.mark.django_db
def test_ticket_transcript_and_notes_carry_no_personal_data(operator):
    from escalations.emails.rendering import render_support

    # A message stored before redaction existed, an expert-facing note and the e-mail built from them.
    session = conversation(
        operator,
        ("user", "Pump stops at 180 bar with P-227 on AB40-2023-0117, call me +30 691 234 5678"),
        ("assistant", "Call Oraseas support on +30 210 123 4567."),
    )
    ticket, _ = escalate(
        session,
        operator,
        operator_notes="IBAN GR16 0110 1250 0000 0001 2300 695 for the refund",
        contact_preference="mornings, +30 691 234 5678",
    )
    assert ticket.transcript[0]["content"] == "Pump stops at 180 bar with P-227 on AB40-2023-0117, call me [phone]"
    assert ticket.transcript[1]["content"] == "Call Oraseas support on +30 210 123 4567."  # a reply quotes the manual
    assert ticket.operator_notes == "IBAN [iban] for the refund"
    assert ticket.contact_preference == "mornings, +30 691 234 5678"  # how the operator asks to be called back
    email = render_support(ticket, "en")  # the support inbox's e-mail is built from the snapshot
    assert "P-227" in email.text and "[phone]" in email.text and "[iban]" in email.text
    assert "GR16" not in email.text and email.text.count("691 234 5678") == 1  # only the contact preference


@pytest.mark.django_db
def test_a_resolved_conversation_can_still_be_escalated(api, session_id, operator):
    first = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    answer(api, session_id, first["id"], "worked")
    session = ChatSession.objects.get(pk=session_id)
    assert session.status == "resolved"

    ticket, created = escalate(session, operator, operator_notes="It came back after an hour")
    assert created and ticket.operator_notes == "It came back after an hour"
    assert ChatSession.objects.get(pk=session_id).status == "escalated"
    assert ticket.run == TroubleshootingRun.objects.get(session_id=session_id)


@pytest.mark.django_db
def test_only_the_operator_of_a_conversation_can_escalate_it(operator, django_user_model):
    other = django_user_model.objects.create_user("someone-else")
    session = conversation(operator, ("user", "help"))
    with pytest.raises(services.InvalidInput):
        escalate(session, other)
    with pytest.raises(services.InvalidInput):
        escalate(session, operator, reason="bored")
    with pytest.raises(services.InvalidInput):
        escalate(session, operator, priority="whenever")
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_ticket_snapshots_transcript_steps_and_assessment_of_a_real_run(api, session_id, operator):
    opening = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")
    step = opening["step"]
    for note in ["filter was clean", ""]:
        step = answer(api, session_id, step["id"], "didnt_work", note=note)["step"]
    say(api, session_id, "What is the operating pressure?", language="en")  # a question mid-run
    session = ChatSession.objects.get(pk=session_id)

    ticket, _ = escalate(session, operator, reason=Reason.STEPS_EXCEEDED, contact_preference="phone after 14:00")

    messages = list(Message.objects.filter(session=session).order_by("seq"))
    assert [(m["role"], m["content"]) for m in ticket.transcript] == [(m.role, m.content) for m in messages]
    assert ticket.transcript[0]["content"] == "The pump loses pressure while cleaning the net"
    for entry, message in zip(ticket.transcript, messages, strict=True):
        assert datetime.datetime.fromisoformat(entry["created_at"]) == message.created_at

    steps = ticket.attempted_steps
    assert [s["instruction"] for s in steps] == PUMP_STEPS
    assert [s["number"] for s in steps] == [1, 2, 3]
    assert [s["outcome"] for s in steps] == ["didnt_work", "didnt_work", ""]  # the third waits for an answer
    assert steps[0]["note"] == "filter was clean"
    assert {s["procedure_title"] for s in steps} == {"Pump loses pressure"}
    assert {s["page"] for s in steps} == {2}
    assert all(s["document_title"] and s["document"] == s["document_title"] for s in steps)

    # The assessment is the reply that opened the run: likely causes, the warning, the confidence.
    assert ticket.assessment == opening["content"]
    assert phrase("likely_causes", "en") in ticket.assessment
    assert ticket.run == TroubleshootingRun.objects.get(session_id=session_id)
    assert (ticket.reason, ticket.contact_preference, ticket.machine_model) == (
        "steps_exceeded",
        "phone after 14:00",
        "V4.0",
    )
    assert ticket.machine_snapshot == {}  # no ABParts machine chosen


@pytest.mark.django_db
def test_steps_of_every_run_are_kept_and_the_latest_run_is_linked(api, session_id, operator):
    pump = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    answer(api, session_id, pump["id"], "didnt_work")
    rotor = say(api, session_id, "The rotor does not turn although the pump runs", language="en")["step"]
    answer(api, session_id, rotor["id"], "didnt_work")
    session = ChatSession.objects.get(pk=session_id)

    ticket, _ = escalate(session, operator)

    runs = list(TroubleshootingRun.objects.filter(session_id=session.pk).order_by("started_at"))
    assert [r.status for r in runs] == [RunStatus.ABANDONED, RunStatus.ACTIVE]
    titles = [(s["procedure_title"], s["number"], s["outcome"]) for s in ticket.attempted_steps]
    assert titles[:2] == [("Pump loses pressure", 1, "didnt_work"), ("Pump loses pressure", 2, "")]
    assert titles[2:] == [("Rotor does not turn", 1, "didnt_work"), ("Rotor does not turn", 2, "")]
    assert ticket.run == runs[1]
    assert "Rotor" in ticket.assessment or "rotor" in ticket.assessment


@pytest.mark.django_db
def test_assessment_falls_back_to_procedure_and_confidence(api, session_id, operator):
    say(api, session_id, "The pump loses pressure while cleaning the net", language="en")
    Message.objects.filter(session_id=session_id).update(run_step=None)  # the opening reply lost its step
    run = TroubleshootingRun.objects.get(session_id=session_id)

    ticket, _ = escalate(ChatSession.objects.get(pk=session_id), operator)

    confidence = phrase("diagnosis_confidence", "en", percent=round(run.confidence * 100))
    assert ticket.assessment == f"Pump loses pressure\n{confidence}"


@pytest.mark.django_db
def test_language_follows_the_conversation(operator):
    greek = conversation(operator, ("user", "Η αντλία χάνει πίεση"), ("assistant", "Ελέγξτε το φίλτρο."), language="")
    Message.objects.filter(session=greek).update(language="el")
    assert escalate(greek, operator)[0].language == "el"
    norwegian = conversation(operator, ("user", "hjelp"), language="nb")
    assert escalate(norwegian, operator)[0].language == "nb"
    explicit = conversation(operator, ("user", "help"), language="en")
    assert escalate(explicit, operator, language="no")[0].language == "nb"  # ABParts' code for Bokmål


# --- priority -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("requested", "reason", "expected"),
    [
        (None, "user_request", "medium"),
        ("low", "user_request", "low"),
        ("high", "complex_issue", "high"),
        (None, "safety_concern", "urgent"),
        ("low", "safety_concern", "urgent"),
    ],
)
def test_priority_defaults_to_medium_and_safety_makes_it_urgent(operator, requested, reason, expected):
    session = conversation(operator, ("user", "The nozzles are worn"))
    ticket, _ = escalate(session, operator, reason=reason, priority=requested)
    assert ticket.priority == expected


@pytest.mark.django_db
def test_a_run_stopped_as_unsafe_makes_the_ticket_urgent(api, session_id, operator):
    step = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    answer(api, session_id, step["id"], "unsafe")
    assert TroubleshootingRun.objects.get(session_id=session_id).end_reason == "unsafe"

    ticket, _ = escalate(ChatSession.objects.get(pk=session_id), operator, priority="low")
    assert ticket.priority == Priority.URGENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "words",
    [
        "The machine is down since this morning",
        "Stopped completely in the middle of the net",
        "Η μηχανή είναι εκτός λειτουργίας",
        "La máquina está parada",
        "Makine durdu, hiç çalışmıyor",
        "Maskinen står stille",
        "الآلة متوقفة منذ الصباح",
    ],
)
def test_operator_saying_the_machine_is_down_raises_to_high(operator, words):
    in_notes = conversation(operator, ("user", "Something is wrong"))
    assert escalate(in_notes, operator, operator_notes=words)[0].priority == Priority.HIGH
    in_last_message = conversation(
        operator, ("user", "Pressure is low"), ("assistant", "Check the filter."), ("user", words)
    )
    assert escalate(in_last_message, operator)[0].priority == Priority.HIGH


@pytest.mark.django_db
def test_machine_down_never_lowers_and_ordinary_faults_do_not_raise(operator):
    urgent = conversation(operator, ("user", "The machine is down"))
    assert escalate(urgent, operator, priority="urgent")[0].priority == Priority.URGENT
    earlier_only = conversation(operator, ("user", "machine down"), ("assistant", "..."), ("user", "now it runs"))
    assert escalate(earlier_only, operator)[0].priority == Priority.MEDIUM  # only the last message counts
    fault = conversation(operator, ("user", "The pump loses pressure"))
    assert escalate(fault, operator, operator_notes="pressure drops to 120 bar")[0].priority == Priority.MEDIUM


@pytest.mark.django_db(databases=["default", "abparts"])
@pytest.mark.parametrize(("status", "expected"), [("active", "medium"), ("maintenance", "high"), ("inactive", "high")])
def test_abparts_machine_status_and_snapshot(client, abparts_demo, abparts_operator, status, expected):
    abparts_demo.execute("UPDATE {s}.machines SET status = %s WHERE id = %s", [status, abparts_demo.machine_id])
    response = client.post(
        "/api/v1/sessions/",
        {"machine_id": str(abparts_demo.machine_id)},
        content_type="application/json",
        **abparts_operator.auth,
    )
    assert response.status_code == 201, response.content
    session = ChatSession.objects.get(pk=response.json()["id"])

    ticket, _ = escalate(session, abparts_operator.user)

    assert ticket.priority == expected
    snapshot = ticket.machine_snapshot
    assert snapshot["machine"]["id"] == str(abparts_demo.machine_id)
    assert snapshot["machine"]["status"] == status
    assert (snapshot["machine"]["name"], snapshot["machine"]["serial_number"]) == ("Kvitholmen Rig 1", "AB40-2023-0117")
    assert snapshot["hours"]["value"] == 1180
    datetime.datetime.fromisoformat(snapshot["hours"]["recorded_date"])  # dates are ISO strings
    assert snapshot["maintenance"] and isinstance(snapshot["maintenance"][0]["date"], str)
    assert (ticket.machine_id, ticket.machine_model, ticket.language) == (str(abparts_demo.machine_id), "V4.0", "nb")


# --- experts ------------------------------------------------------------------------------------


def contact(name, *, rank=100, languages=(), reasons=(), models=(), active=True) -> ExpertContact:
    return ExpertContact.objects.create(
        name=name,
        email=f"{name.lower()}@autoboss.test",
        rank=rank,
        languages=list(languages),
        reasons=list(reasons),
        machine_models=list(models),
        is_active=active,
    )


@pytest.mark.django_db
def test_expert_choice_by_reason_language_model_and_rank():
    anna = contact("Anna", rank=10, languages=["en"])
    contact("Dimitris", rank=50, languages=["el"], reasons=["safety_concern"])
    contact("Eleni", rank=20, languages=["el", "en"], reasons=["user_request", "complex_issue"])
    contact("Nikos", rank=1, languages=["el"], active=False)
    contact("Petros", rank=5, languages=["el"], models=["V3.1B"])

    def names(**kwargs):
        return [c.name for c in expert_contacts_for(**kwargs)]

    assert names(reason="safety_concern", language="el", machine_model="V4.0") == ["Dimitris", "Anna"]
    assert names(reason="user_request", language="el", machine_model="V4.0") == ["Eleni", "Anna"]
    assert names(reason="user_request", language="es", machine_model="V4.0") == ["Anna", "Eleni"]
    assert names(reason="user_request", language="el", machine_model="V3.1B") == ["Petros", "Eleni", "Anna"]
    # A conversation without a known model: every model's experts qualify.
    assert names(reason="user_request", language="el", machine_model="") == ["Petros", "Eleni", "Anna"]
    assert expert_contacts_for(reason="low_confidence", language="en", machine_model="V4.0") == [anna]


@pytest.mark.django_db
def test_at_most_three_alternatives_and_same_rank_by_name():
    for name in ["Frida", "Bjørn", "Erik", "Carl", "Dag", "Anders"]:
        contact(name, rank=10)
    assert [c.name for c in expert_contacts_for(reason="user_request", language="en", machine_model="")] == [
        "Anders",
        "Bjørn",
        "Carl",
        "Dag",
    ]


@pytest.mark.django_db
def test_ticket_stores_the_primary_expert_or_falls_back_to_the_default_contact(operator, settings):
    fallback = expert_contacts_for(reason="user_request", language="el", machine_model="V4.0")
    assert len(fallback) == 1 and fallback[0].pk is None
    assert (fallback[0].name, fallback[0].email) == ("AutoBoss Support", "support@autoboss.test")
    ticket, _ = escalate(conversation(operator, ("user", "help"), language="el"), operator)
    assert ticket.expert is None

    contact("Anna", rank=10, languages=["en"])
    eleni = contact("Eleni", rank=20, languages=["el"])
    ticket, _ = escalate(conversation(operator, ("user", "βοήθεια"), language="el"), operator)
    assert ticket.expert == eleni


# --- workflow -----------------------------------------------------------------------------------

STATUSES = list(TicketStatus.values)
VALID = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
INVALID = [(a, b) for a, b in itertools.product(STATUSES, STATUSES) if (a, b) not in VALID]


@pytest.fixture
def ticket(operator):
    operator.email = "operator@autoboss.test"
    operator.save(update_fields=["email"])
    ticket, _ = escalate(conversation(operator, ("user", "help")), operator)
    return ticket


@pytest.fixture
def agent(django_user_model):
    return django_user_model.objects.create_user("agent", password="pw-agent-123", is_staff=True)


def test_the_workflow_has_the_expected_transitions():
    assert sorted(VALID) == sorted(
        [
            ("open", "in_progress"),
            ("open", "closed"),
            ("in_progress", "resolved"),
            ("in_progress", "open"),
            ("resolved", "closed"),
            ("resolved", "in_progress"),
        ]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), VALID)
def test_valid_transitions_change_status_record_an_event_and_notify(ticket, agent, current, target):
    Ticket.objects.filter(pk=ticket.pk).update(status=current)
    ticket.refresh_from_db()

    event = services.ticket_status_change(ticket=ticket, status=target, actor=agent)

    ticket.refresh_from_db()
    assert ticket.status == target
    assert (event.kind, event.from_value, event.to_value, event.actor) == ("status", current, target, agent)
    assert (ticket.resolved_at is not None) == (target == TicketStatus.RESOLVED)
    status_mails = EmailDelivery.objects.filter(ticket=ticket, kind=EmailDelivery.Kind.STATUS)
    assert [(m.recipients, m.status) for m in status_mails] == [(["operator@autoboss.test"], DeliveryStatus.QUEUED)]


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), INVALID)
def test_invalid_transitions_raise_and_change_nothing(ticket, agent, current, target):
    Ticket.objects.filter(pk=ticket.pk).update(status=current)
    ticket.refresh_from_db()
    with pytest.raises(services.InvalidTransition) as raised:
        services.ticket_status_change(ticket=ticket, status=target, actor=agent)
    assert ticket.number in str(raised.value) and isinstance(raised.value, ValueError)
    assert Ticket.objects.get(pk=ticket.pk).status == current
    assert not TicketEvent.objects.filter(ticket=ticket, kind="status").exists()
    assert not EmailDelivery.objects.filter(ticket=ticket, kind=EmailDelivery.Kind.STATUS).exists()


@pytest.mark.django_db
def test_reopening_clears_resolved_at_and_closing_keeps_it(ticket, agent):
    for status in ["in_progress", "resolved", "in_progress"]:
        services.ticket_status_change(ticket=ticket, status=status, actor=agent)
    assert ticket.resolved_at is None
    services.ticket_status_change(ticket=ticket, status="resolved", actor=agent)
    resolved_at = ticket.resolved_at
    services.ticket_status_change(ticket=ticket, status="closed", actor=agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == ("closed", resolved_at)
    history = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "from_value", "to_value"))
    assert history == [
        ("created", "", "open"),
        ("status", "open", "in_progress"),
        ("status", "in_progress", "resolved"),
        ("status", "resolved", "in_progress"),
        ("status", "in_progress", "resolved"),
        ("status", "resolved", "closed"),
    ]
    with pytest.raises(services.InvalidTransition, match="Allowed next: none"):
        services.ticket_status_change(ticket=ticket, status="open", actor=agent)
    with pytest.raises(services.InvalidTransition, match="Unknown ticket status"):
        services.ticket_status_change(ticket=ticket, status="done", actor=agent)


@pytest.mark.django_db
def test_assign_to_staff_only_and_once(ticket, agent, operator):
    services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)  # again: nothing new
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent
    assigned = list(TicketEvent.objects.filter(ticket=ticket, kind="assigned").values_list("from_value", "to_value"))
    assert assigned == [("", "agent")]
    with pytest.raises(services.InvalidInput):
        services.ticket_assign(ticket=ticket, assignee=operator, actor=agent)
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


@pytest.mark.django_db
def test_notes_need_text(ticket, agent):
    note = services.ticket_note_add(ticket=ticket, author=agent, text="  Called the operator, valve ordered.  ")
    assert (note.text, note.author) == ("Called the operator, valve ordered.", agent)
    with pytest.raises(services.InvalidInput):
        services.ticket_note_add(ticket=ticket, author=agent, text="   ")
    assert TicketNote.objects.filter(ticket=ticket).count() == 1


@pytest.mark.django_db
def test_new_ticket_queues_the_operator_confirmation_and_the_support_mail(operator, settings):
    settings.ESCALATION_SUPPORT_INBOX = ["support@autoboss.test"]
    operator.email = "operator@autoboss.test"
    operator.save(update_fields=["email"])
    ticket, _ = escalate(conversation(operator, ("user", "help")), operator)
    kinds = dict(EmailDelivery.objects.filter(ticket=ticket).values_list("kind", "recipients"))
    assert kinds == {"support": ["support@autoboss.test"], "confirmation": ["operator@autoboss.test"]}


@pytest.mark.django_db(transaction=True)
def test_simultaneous_escalations_of_one_conversation_open_one_ticket(django_user_model):
    """A double tap and a widget retry at once: ten threads, own connections, one conversation."""
    operator = django_user_model.objects.create_user("operator", password="pw-operator-123")
    session = conversation(operator, ("user", "The machine is down"))
    barrier = threading.Barrier(10)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def escalate_once():
        try:
            barrier.wait(timeout=30)
            ticket, created = escalate(ChatSession.objects.get(pk=session.pk), operator)
            results.append((ticket.pk, created))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=escalate_once) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert len(results) == 10 and len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Ticket.objects.count() == 1 and TicketEvent.objects.filter(kind="created").count() == 1
    assert TicketCounter.objects.get().last == 1  # no number was taken and thrown away
