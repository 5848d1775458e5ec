"""Troubleshooting on a machine known to ABParts: its hours, overdue services and history in the reply."""

from __future__ import annotations

import pytest

from assistant.engine.machine import forget_machine_contexts
from core.text.phrases import phrase

pytestmark = pytest.mark.django_db(databases=["default", "abparts"])


@pytest.fixture(autouse=True)
def fresh_machine_cache():
    forget_machine_contexts()
    yield
    forget_machine_contexts()


def open_session(client, operator, **body):
    return client.post("/api/v1/sessions/", body, content_type="application/json", **operator.auth)


def test_a_fault_on_a_known_machine_uses_its_hours_services_and_history(
    client, abparts_demo, abparts_operator, service_manual, troubleshooting_manual
):
    response = open_session(client, abparts_operator, machine_id=str(abparts_demo.machine_id))
    assert response.status_code == 201, response.content
    session = response.json()
    assert session["machine_model"] == "V4.0"  # from ABParts, not from the client

    reply = client.post(
        f"/api/v1/sessions/{session['id']}/messages/",
        {"content": "The pump loses pressure while cleaning the net"},
        content_type="application/json",
        **abparts_operator.auth,
    ).json()
    # Kari's ABParts profile says Norwegian (`no`): the reply follows it.
    assert reply["language"] == "nb"
    assert reply["step"]["procedure_title"] == "Pump loses pressure"
    text = reply["content"]
    assert phrase("machine_hours", "nb", hours=1180) in text
    assert phrase("service_overdue", "nb", interval=1000) in text
    # The machine's own history where it concerns this fault (the hose coupling repair, the 500 h service).
    assert "Umbilical hose coupling leaking at the rig end" in text
    assert ".." not in text  # the history note's own full stop is not doubled


def test_another_organizations_machine_is_refused(client, abparts_demo, abparts_operator):
    response = open_session(client, abparts_operator, machine_id=str(abparts_demo.other_machine_id))
    assert response.status_code == 400
    assert "machine_id" in response.json()["error"]["details"]


def test_a_previous_fix_on_the_same_machine_is_mentioned(
    client, abparts_demo, abparts_operator, troubleshooting_manual
):
    def run(text):
        session = open_session(client, abparts_operator, machine_id=str(abparts_demo.machine_id), language="en").json()
        url = f"/api/v1/sessions/{session['id']}/messages/"
        reply = client.post(url, {"content": text}, content_type="application/json", **abparts_operator.auth).json()
        return session["id"], reply

    session_id, first = run("The pump loses pressure while cleaning the net")
    assert "same problem on this machine" not in first["content"]
    feedback = f"/api/v1/sessions/{session_id}/steps/{first['step']['id']}/feedback/"
    client.post(feedback, {"outcome": "worked"}, content_type="application/json", **abparts_operator.auth)

    _, again = run("Pressure drop again on the pump, the gauge is low")
    assert again["step"]["procedure_title"] == "Pump loses pressure"
    assert first["step"]["instruction"] in again["content"].split(phrase("step_header", "en", number=1, total=6))[0]
    assert "the same problem on this machine was fixed by this step" in again["content"]


def test_service_task_text_drops_the_interval_cell():
    from assistant.engine.machine import _task_text

    assert _task_text("Every 1 000 operating hours | High-pressure pump service") == "High-pressure pump service"
    assert _task_text("Change the pump oil every 500 h.") == "Change the pump oil every 500 h."


# --- a machine that was not verified (ABParts down when the conversation opened) -------------------
@pytest.fixture
def abparts_down():
    """While inside, the `abparts` alias points at a closed port (ABParts' database unreachable)."""
    from contextlib import contextmanager

    from django.db import connections

    from conftest import free_port

    @contextmanager
    def down():
        connection = connections["abparts"]
        original = (connection.settings_dict["HOST"], connection.settings_dict["PORT"])
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
        connection.close()
        try:
            yield
        finally:
            connection.settings_dict.update(HOST=original[0], PORT=original[1])
            connection.close()

    return down


def _foreign_machine_session(client, abparts_demo, abparts_operator, abparts_down) -> str:
    # ABParts cannot be read when the conversation opens: the id is kept unchecked (the chat works).
    with abparts_down():
        response = open_session(client, abparts_operator, machine_id=str(abparts_demo.other_machine_id), language="en")
    assert response.status_code == 201, response.content
    return response.json()["id"]


# What ABParts knows of the other organization's machine (abparts.demo: Poros Unit A, 462 h).
FOREIGN_MACHINE = ("Poros Unit A", "AB40-2024-0301", "Saronic", "Warranty inspection")


@pytest.mark.django_db(databases=["default", "abparts"], transaction=True)
def test_another_organizations_machine_kept_while_abparts_was_down_never_reaches_a_reply_or_ticket(
    client, abparts_demo, abparts_operator, troubleshooting_manual, abparts_down
):
    from escalations.models import Ticket

    session_id = _foreign_machine_session(client, abparts_demo, abparts_operator, abparts_down)
    # ABParts is back: the machine now reads fine, but it is not the caller's organization's.
    reply = client.post(
        f"/api/v1/sessions/{session_id}/messages/",
        {"content": "The pump loses pressure while cleaning the net"},
        content_type="application/json",
        **abparts_operator.auth,
    ).json()
    assert reply["step"]["procedure_title"] == "Pump loses pressure"
    assert phrase("machine_hours", "en", hours=462) not in reply["content"]
    assert not any(fact in reply["content"] for fact in FOREIGN_MACHINE)

    escalated = client.post(
        f"/api/v1/sessions/{session_id}/escalate/", {"reason": "user_request"}, content_type="application/json",
        **abparts_operator.auth,
    )  # fmt: skip
    assert escalated.status_code in (200, 201), escalated.content
    ticket = Ticket.objects.get(session_id=session_id)
    assert ticket.machine_snapshot == {}
    # The run does not carry the unverified machine either (its history would mix with the owner's).
    from troubleshooting.models import TroubleshootingRun

    assert TroubleshootingRun.objects.get(session_id=session_id).machine_id == ""


@pytest.mark.django_db(databases=["default", "abparts"], transaction=True)
def test_another_organizations_machine_kept_while_abparts_was_down_never_reaches_the_llm_prompt(
    client, abparts_demo, abparts_operator, troubleshooting_manual, abparts_down, llm_stub
):
    session_id = _foreign_machine_session(client, abparts_demo, abparts_operator, abparts_down)
    response = client.post(
        f"/api/v1/sessions/{session_id}/messages/",
        {"content": "How do I check the pump pressure?"},
        content_type="application/json",
        **abparts_operator.auth,
    )
    assert response.status_code in (200, 201), response.content
    assert llm_stub.requests, "the LLM was asked"
    prompts = str(llm_stub.requests)
    assert not any(fact in prompts for fact in FOREIGN_MACHINE)


@pytest.mark.django_db(databases=["default", "abparts"], transaction=True)
def test_the_own_machine_kept_while_abparts_was_down_is_used_once_abparts_is_back(
    client, abparts_demo, abparts_operator, troubleshooting_manual, service_manual, abparts_down
):
    with abparts_down():
        response = open_session(client, abparts_operator, machine_id=str(abparts_demo.machine_id), language="en")
    session_id = response.json()["id"]
    reply = client.post(
        f"/api/v1/sessions/{session_id}/messages/",
        {"content": "The pump loses pressure while cleaning the net"},
        content_type="application/json",
        **abparts_operator.auth,
    ).json()
    assert phrase("machine_hours", "en", hours=1180) in reply["content"]
