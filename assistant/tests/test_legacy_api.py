"""Contract of the legacy ABParts widget endpoints (SPEC §4.2): every field, its type, both URL prefixes."""

from __future__ import annotations

import json

import pytest

from assistant.auth.services import demo_token_issue
from assistant.models import ChatSession
from core.text.phrases import phrase
from troubleshooting.models import TroubleshootingRun

PREFIXES = ["/api/ai", "/ai/api/ai"]
CHAT_FIELDS = {
    "response": str,
    "session_id": str,
    "model_used": str,
    "tokens_used": int,
    "response_time": float,
    "success": bool,
    "error_message": type(None),
    "message_type": str,
    "step_data": (dict, type(None)),
}
STEP_FIELDS = {
    "step_id": str,
    "step_number": int,
    "estimated_duration": (int, type(None)),
    "confidence_score": float,
    "requires_feedback": bool,
    "safety_warnings": list,
    "expected_outcomes": list,
}
FEEDBACK_FIELDS = {
    "feedback_received": bool,
    "workflow_status": str,
    "next_step": (dict, type(None)),
    "completion_message": (str, type(None)),
}


@pytest.fixture
def bearer(operator):
    return {"HTTP_AUTHORIZATION": f"Bearer {demo_token_issue(username=operator.username)}"}


def post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def chat_body(message, session_id=None, language="en", machine_id=None):
    return {
        "message": message,
        "session_id": session_id,
        "user_id": "00000000-0000-0000-0000-000000000001",  # ignored
        "machine_id": machine_id,
        "language": language,
        "conversation_history": [{"role": "user", "content": "earlier", "timestamp": 1764000000}],
    }


def assert_shape(body: dict, fields: dict) -> None:
    assert set(body) == set(fields), body
    for name, kind in fields.items():
        assert isinstance(body[name], kind), (name, body[name])
        if kind is float:
            assert not isinstance(body[name], bool)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_chat_text_answer_has_every_field(client, bearer, troubleshooting_manual, prefix):
    response = post(client, f"{prefix}/chat", chat_body("What is the tank capacity?"), bearer)
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, CHAT_FIELDS)
    assert body["success"] is True and body["message_type"] == "text" and body["step_data"] is None
    assert "200 litres" in body["response"]
    assert body["model_used"] == "offline" and body["tokens_used"] == 0
    assert ChatSession.objects.get(pk=body["session_id"]).user.username == "operator"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_fault_gives_a_diagnostic_step_and_feedback_walks_the_run(client, bearer, troubleshooting_manual, prefix):
    body = post(client, f"{prefix}/chat", chat_body("The rotor does not turn although the pump runs"), bearer).json()
    assert_shape(body, CHAT_FIELDS)
    assert body["message_type"] == "diagnostic_step"
    step = body["step_data"]
    assert_shape(step, STEP_FIELDS)
    assert step["step_number"] == 1 and step["requires_feedback"] is True
    assert step["confidence_score"] == 0.0  # never tried on this model: the widget hides the rate

    feedback = {"session_id": body["session_id"], "step_id": step["step_id"], "feedback": "didnt_work",
                "language": "en", "user_id": "someone-else"}  # fmt: skip
    reply = post(client, f"{prefix}/chat/step-feedback", feedback, bearer)
    assert reply.status_code == 200
    reply = reply.json()
    assert_shape(reply, FEEDBACK_FIELDS)
    assert reply["workflow_status"] == "in_progress" and reply["completion_message"] is None
    assert_shape(reply["next_step"], CHAT_FIELDS)
    assert reply["next_step"]["message_type"] == "diagnostic_step"
    assert reply["next_step"]["step_data"]["step_number"] == 2

    feedback.update(step_id=reply["next_step"]["step_data"]["step_id"], feedback="worked")
    done = post(client, f"{prefix}/chat/step-feedback", feedback, bearer).json()
    assert_shape(done, FEEDBACK_FIELDS)
    assert done["workflow_status"] == "completed" and done["next_step"] is None
    assert done["completion_message"] == phrase("resolved", "en")


def test_exhausted_run_reports_escalated_with_a_translated_message(client, bearer, troubleshooting_manual):
    body = post(client, "/api/ai/chat", chat_body("El rotor no gira aunque la bomba funciona", language="es"), bearer)
    body = body.json()
    step_id = body["step_data"]["step_id"]
    for _ in range(3):
        reply = post(client, "/api/ai/chat/step-feedback",
                     {"session_id": body["session_id"], "step_id": step_id, "feedback": "didnt_work",
                      "language": "es", "user_id": 1}, bearer).json()  # fmt: skip
        if reply["next_step"]:
            step_id = reply["next_step"]["step_data"]["step_id"]
    assert reply["workflow_status"] == "escalated"
    assert reply["completion_message"] == "\n\n".join(
        [phrase("steps_exhausted", "es"), phrase("offer_escalation", "es")]
    )


def test_norwegian_code_no_is_bokmal(client, bearer, troubleshooting_manual):
    body = post(client, "/api/ai/chat", chat_body("Pumpen mister trykk", language="no"), bearer).json()
    assert body["message_type"] == "diagnostic_step"
    assert phrase("ask_outcome", "nb") in body["response"]


def test_body_user_id_and_someone_elses_session_are_not_trusted(
    client, bearer, troubleshooting_manual, django_user_model
):
    owner = django_user_model.objects.create_user("owner", password="pw-owner-123")
    theirs = ChatSession.objects.create(user=owner)
    body = post(client, "/api/ai/chat", chat_body("hello", session_id=str(theirs.id)), bearer).json()
    assert body["session_id"] != str(theirs.id)  # a new conversation of the caller, not theirs
    assert ChatSession.objects.get(pk=body["session_id"]).user.username == "operator"
    assert not theirs.messages.exists()


def test_a_session_continues_with_its_id(client, bearer, troubleshooting_manual):
    first = post(client, "/api/ai/chat", chat_body("The pump loses pressure"), bearer).json()
    second = post(client, "/api/ai/chat", chat_body("no, still low", session_id=first["session_id"]), bearer).json()
    assert second["session_id"] == first["session_id"]
    assert second["step_data"]["step_number"] == 2
    assert TroubleshootingRun.objects.filter(session_id=first["session_id"]).count() == 1


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("endpoint", ["chat", "chat/step-feedback"])
@pytest.mark.parametrize("header", [None, "Bearer not-a-real-token", "Basic dXNlcjpwdw=="])
def test_missing_or_invalid_token_is_a_401_json(client, prefix, endpoint, header, db):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = post(client, f"{prefix}/{endpoint}", chat_body("hello"), headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed"}


def test_engine_failure_is_success_false_with_a_translated_response(
    client, bearer, troubleshooting_manual, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("search is down")

    monkeypatch.setattr("assistant.engine.turn.retrieve", broken)
    response = post(client, "/api/ai/chat", chat_body("Τι χωρητικότητα έχει η δεξαμενή;", language="el"), bearer)
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, {**CHAT_FIELDS, "error_message": str})
    assert body["success"] is False
    assert body["response"] == body["error_message"] == phrase("error_generic", "el")
    assert "search is down" not in response.content.decode()


def test_llm_down_still_answers_from_the_manual(client, bearer, troubleshooting_manual, llm_stub):
    llm_stub.fail_next(500, times=20)
    body = post(client, "/api/ai/chat", chat_body("What is the tank capacity?"), bearer).json()
    assert body["success"] is True and body["model_used"] == "offline"
    assert "200 litres" in body["response"]


def test_malformed_body_is_a_400_json(client, bearer, db):
    response = client.post("/api/ai/chat", "{not json", content_type="application/json", **bearer)
    assert response.status_code == 400
    response = post(client, "/api/ai/chat", {"message": ["not", "text"]}, bearer)
    assert response.status_code == 400 and "message" in response.json()["error"]["details"]
    response = post(
        client, "/api/ai/chat/step-feedback", {"session_id": "x", "step_id": "1", "feedback": "meh"}, bearer
    )
    assert response.status_code == 400


def test_feedback_for_an_unknown_step_is_a_404(client, bearer, troubleshooting_manual):
    body = post(client, "/api/ai/chat", chat_body("The pump loses pressure"), bearer).json()
    for step_id in ["999999", "abc"]:
        feedback = {"session_id": body["session_id"], "step_id": step_id, "feedback": "worked"}
        response = post(client, "/api/ai/chat/step-feedback", feedback, bearer)
        assert response.status_code == 404


@pytest.mark.parametrize("url", ["/ai/api/ai/sessions/not-a-uuid/escalate", "/ai/api/ai/nothing-here", "/api/ai/x"])
def test_unknown_legacy_urls_are_json_404s(client, bearer, url):
    response = post(client, url, {}, bearer)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
