"""The operator's words are redacted on the one path that stores them (message_create), so the
stored message, the LLM prompt, step notes, feedback and tickets carry no personal data, while part
numbers, codes and readings still reach search and troubleshooting."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from abparts.selectors import operator_privacy_hints_forget
from abparts.tests.fixtures import abparts_demo, abparts_operator, abparts_writer  # noqa: F401
from assistant.models import Message, MessageRole
from core.text.phrases import phrase

pytestmark = pytest.mark.django_db

FAULT_WITH_PII = (
    "The pump pressure drops below 150 bar and the display shows code E-17. My name is Lars Berg, "
    "call me on +47 412 34 567 or mail lars.berg@nordfjordsalmon.no, filter AB-HF-2210 is new."
)


def _session(api, **payload) -> str:
    response = api.post("/api/v1/sessions/", payload, "application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _ask(api, session_id: str, content: str, **extra):
    return api.post(f"/api/v1/sessions/{session_id}/messages/", {"content": content, **extra}, "application/json")


def _redacted_count(kind: str, source: str) -> float:
    return REGISTRY.get_sample_value("autoboss_pii_redacted_total", {"kind": kind, "source": source}) or 0.0


def test_stored_message_is_redacted_and_the_fault_is_still_recognised(api, manual):
    phones_before = _redacted_count("phone", "message")
    session_id = _session(api, machine_model="V4.0", language="en")
    response = _ask(api, session_id, FAULT_WITH_PII)
    assert response.status_code == 201, response.content
    body = response.json()
    # The fault is recognised from the words, codes and readings that stayed.
    assert body["content"].startswith(phrase("likely_causes", "en"))
    assert body["step"]["instruction"] == "Check the inlet filter for blockage and clean it."

    stored = Message.objects.get(session_id=session_id, role=MessageRole.USER).content
    assert stored == (
        "The pump pressure drops below 150 bar and the display shows code E-17. My name is [name], "
        "call me on [phone] or mail [email], filter AB-HF-2210 is new."
    )
    assert _redacted_count("phone", "message") == phones_before + 1
    history = api.get(f"/api/v1/sessions/{session_id}/").json()
    assert "412 34 567" not in str(history) and "lars.berg" not in str(history)


def test_the_llm_prompt_gets_the_redacted_text(api, manual, llm_stub):
    llm_stub.reply = "Check the camera cable connector at the rig [1]."
    session_id = _session(api, machine_model="V4.0", language="en")
    body = _ask(
        api,
        session_id,
        "the camera shows no picture on V4.0 since 12.03.2025; card 4111 1111 1111 1111, password: Fj4!kq29",
    ).json()
    assert body["model_used"] == "stub-primary"
    sent = str(llm_stub.requests[-1]["json"]["messages"])
    assert "4111" not in sent and "Fj4!kq29" not in sent
    assert "[card]" in sent and "[secret]" in sent and "12.03.2025" in sent and "V4.0" in sent


def test_step_note_and_feedback_are_redacted(api, manual):
    session_id = _session(api, machine_model="V4.0", language="en")
    body = _ask(api, session_id, "The pump pressure drops below 150 bar, code E-17").json()
    step_id = body["step"]["id"]
    response = api.post(
        f"/api/v1/sessions/{session_id}/steps/{step_id}/feedback/",
        {"outcome": "didnt_work", "note": "still 140 bar, ring me on +47 412 34 567"},
        "application/json",
    )
    assert response.status_code in (200, 201), response.content
    from troubleshooting.models import RunStep

    assert RunStep.objects.get(pk=step_id).note == "still 140 bar, ring me on [phone]"

    from analytics.models import MessageFeedback

    reply_id = response.json()["id"]
    feedback = api.post(
        f"/api/v1/messages/{reply_id}/feedback/",
        {"rating": "down", "comment": "wrong, mail me at kari@example.no", "correction": "use AB-HF-2210"},
        "application/json",
    )
    assert feedback.status_code in (200, 201), feedback.content
    stored = MessageFeedback.objects.get(message_id=reply_id)
    assert (stored.comment, stored.correction) == ("wrong, mail me at [email]", "use AB-HF-2210")


@pytest.mark.django_db(databases=["default", "abparts"])
def test_the_operators_abparts_country_and_name_are_used(client, manual, abparts_demo, abparts_operator):  # noqa: F811
    # Kari (ABParts: Norway, "Kari Nordmann") writes in English: her Norwegian number without a
    # phone word is hers to protect; an operator without a country keeps the same digits.
    operator_privacy_hints_forget()
    text = "Kari Nordmann here, 41234567 is my number, pump at 140 bar with E-17"
    response = client.post(
        "/api/v1/sessions/", {"machine_model": "V4.0", "language": "en"}, "application/json", **abparts_operator.auth
    )
    session_id = response.json()["id"]
    reply = client.post(
        f"/api/v1/sessions/{session_id}/messages/", {"content": text}, "application/json", **abparts_operator.auth
    )
    assert reply.status_code == 201, reply.content
    stored = Message.objects.get(session_id=session_id, role=MessageRole.USER).content
    assert stored == "[name] here, [phone] is my number, pump at 140 bar with E-17"
    operator_privacy_hints_forget()


def test_without_a_country_a_foreign_national_number_needs_a_phone_word(api, manual):
    session_id = _session(api, machine_model="V4.0", language="en")
    _ask(api, session_id, "41234567 is my number, pump at 140 bar with E-17")
    stored = Message.objects.get(session_id=session_id, role=MessageRole.USER).content
    assert stored == "41234567 is my number, pump at 140 bar with E-17"
