"""The hot path does each thing once (issue 12): validation, the step payload, fault recognition and
the query embedding, counted through the chat API."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.engine.turn import TurnInput, TurnRejected, run_turn
from assistant.models import ChatSession
from core.testing.openai_stub import OpenAIStub
from troubleshooting.tests.fixtures import TROUBLESHOOTING_PAGES, say

pytestmark = pytest.mark.django_db

FAULT = "The pump loses pressure while cleaning the net"


@pytest.fixture
def calls(monkeypatch):
    """Count calls of engine functions, by name, while still running them."""
    counts: Counter[str] = Counter()

    def spy(module, name: str, label: str | None = None) -> None:
        real = getattr(module, name)

        def counted(*args, **kwargs):
            counts[label or name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    counts.spy = spy
    return counts


def _session(api) -> str:
    response = api.post("/api/v1/sessions/", {"machine_model": "V4.0"}, content_type="application/json")
    assert response.status_code == 201
    return response.json()["id"]


@pytest.fixture
def session_id(api, troubleshooting_manual) -> str:
    return _session(api)


def test_text_is_validated_once_per_turn_and_the_engine_still_validates_alone(api, session_id, calls):
    from assistant.engine import turn

    calls.spy(turn, "validate_text")
    reply = say(api, session_id, "What is the tank capacity?", language="en")
    assert "200 litres" in reply["content"]
    assert calls["validate_text"] == 1
    empty = api.post(f"/api/v1/sessions/{session_id}/messages/", {"content": "   "}, content_type="application/json")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "message_empty"
    # Other callers (the legacy widget endpoints) hand the engine unchecked text: it checks it.
    with pytest.raises(TurnRejected):
        run_turn(TurnInput(session=ChatSession.objects.get(pk=session_id), text="  "))


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream"])
def test_the_step_payload_is_built_once_per_turn(api, session_id, calls, accept):
    from assistant.api import serializers
    from assistant.engine import turn

    calls.spy(turn, "step_payload")
    calls.spy(serializers, "step_payload")
    response = api.post(
        f"/api/v1/sessions/{session_id}/messages/",
        {"content": FAULT, "language": "en"},
        content_type="application/json",
        HTTP_ACCEPT=accept,
    )
    body = b"".join(response.streaming_content) if accept == "text/event-stream" else response.content
    assert b"Check the water inlet filter" in body
    assert calls["step_payload"] == 1


def test_a_new_fault_during_a_run_is_searched_and_matched_once(api, session_id, calls):
    from assistant.engine import troubleshoot, turn

    first = say(api, session_id, FAULT, language="en")["step"]
    calls.spy(turn, "retrieve")
    calls.spy(troubleshoot, "retrieve")
    calls.spy(troubleshoot, "fault_signal")
    calls.spy(troubleshoot, "procedures_for_fault")
    # Reads like "didn't work" (it checks whether it is another fault), and is one.
    reply = say(api, session_id, "Now the rotor does not turn at all", language="en")
    assert reply["step"]["procedure_title"] == "Rotor does not turn" and reply["step"]["run_id"] != first["run_id"]
    assert calls == {"retrieve": 1, "fault_signal": 1, "procedures_for_fault": 1}


def test_a_fault_turn_embeds_the_question_once_with_an_openai_compatible_backend(
    api, settings, tmp_path, exact_vector_scan
):
    """Only the local model caches query vectors; an embedding endpoint is asked for each call."""
    from knowledge.embeddings import reset_embedders
    from knowledge.models import Procedure, ProcedureStep
    from knowledge.tests.conftest import ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf
    from troubleshooting.matching import forget_procedure_vectors

    settings.MEDIA_ROOT = tmp_path / "media"
    with OpenAIStub() as stub:
        settings.EMBEDDING_BACKENDS = {
            "default": {
                "BACKEND": "knowledge.embeddings.openai.OpenAIEmbedder",
                "MODEL": "e",
                "BASE_URL": stub.base_url,
            }
        }
        reset_embedders()
        forget_procedure_vectors()
        try:
            ingest_file(write_text_pdf(tmp_path / "m.pdf", TROUBLESHOOTING_PAGES), machine_models=["V4.0"])
            # An expert's procedure is scored by the question's vector, not by a search candidate.
            expert = Procedure.objects.create(
                title="Boost pump loses prime", symptom="Pressure drops and the boost pump runs dry",
                machine_models=["V4.0"], origin=Procedure.Origin.EXPERT,
            )  # fmt: skip
            ProcedureStep.objects.create(procedure=expert, order=1, instruction="Bleed the boost pump.")
            session_id = _session(api)
            before = len(stub.requests)
            reply = say(api, session_id, FAULT, language="en")
            assert reply["role"] == "assistant"
            asked = [r["json"]["input"] for r in stub.requests[before:] if r["path"].endswith("/embeddings")]
            assert [inputs for inputs in asked if any(FAULT in text for text in inputs)] == [[FAULT]]
        finally:
            reset_embedders()
            forget_procedure_vectors()
