"""Troubleshooting runs end to end through the chat API, with the manual's procedures (no LLM)."""

from __future__ import annotations

from assistant.models import ChatSession
from core.text.phrases import phrase
from troubleshooting.models import FixCard, RunStatus, StepStat, TroubleshootingRun
from troubleshooting.ordering import step_key
from troubleshooting.tests.fixtures import PUMP_STEPS, answer, say


def test_fault_starts_a_run_with_an_assessment_and_one_cited_step(api, session_id):
    reply = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")
    step = reply["step"]
    assert step["number"] == 1 and step["total"] == 6
    assert step["instruction"] == PUMP_STEPS[0]
    assert step["estimated_minutes"] == 5
    assert step["requires_feedback"] is True and step["run_status"] == "active"
    assert step["source"]["page"] == 2 and step["source"]["document_title"]
    assert step["procedure_title"] == "Pump loses pressure"
    assert 0 < step["confidence"] <= 1
    assert step["success_rate"] == 0.0  # never tried on this model
    text = reply["content"]
    assert phrase("likely_causes", "en") in text
    assert "⚠ Stop the pump before opening any cover." in text
    assert phrase("diagnosis_confidence", "en", percent=round(step["confidence"] * 100)) in text
    assert PUMP_STEPS[0] in text and PUMP_STEPS[1] not in text  # one step at a time
    assert phrase("ask_outcome", "en") in text
    assert reply["citations"][0]["page_start"] == 2
    assert reply["model_used"] == "offline"


def test_worked_at_step_one_resolves_and_the_fix_can_be_saved(api, session_id, operator):
    first = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    done = answer(api, session_id, first["id"], "worked")
    assert done["step"] is None
    assert done["content"] == phrase("resolved", "en")
    run = TroubleshootingRun.objects.get(session_id=session_id)
    assert (run.status, run.end_reason) == (RunStatus.RESOLVED, "worked")
    assert ChatSession.objects.get(pk=session_id).status == "resolved"
    stat = StepStat.objects.get(machine_model="V4.0", step_key=step_key("Pump loses pressure", PUMP_STEPS[0]))
    assert (stat.successes, stat.tries, stat.fixes, stat.cases) == (1.0, 1.0, 1.0, 1.0)
    # One fix per case: the other five steps were not it, although none of them was shown.
    others = StepStat.objects.filter(machine_model="V4.0").exclude(pk=stat.pk)
    assert sorted(others.values_list("tries", "fixes", "cases")) == [(0.0, 0.0, 1.0)] * 5

    response = api.post(
        f"/api/v1/sessions/{session_id}/resolve/",
        {"save_fix": True, "note": "Filter was full of algae"},
        content_type="application/json",
    )
    assert response.status_code == 200
    card = FixCard.objects.get(pk=response.json()["fix_card_id"])
    assert (card.fix, card.note, card.status, card.user) == (
        PUMP_STEPS[0],
        "Filter was full of algae",
        "pending",
        operator,
    )
    again = api.post(f"/api/v1/sessions/{session_id}/resolve/", {"save_fix": True}, content_type="application/json")
    assert again.json()["fix_card_id"] == card.id  # one card per run


def test_greek_run_resolved_at_step_three(api, session_id):
    reply = say(api, session_id, "Η αντλία χάνει πίεση κατά τον καθαρισμό")
    assert reply["language"] == "el"
    steps = [reply["step"]]
    for _ in range(2):
        reply = answer(api, session_id, steps[-1]["id"], "didnt_work")
        assert reply["content"].startswith(phrase("next_step_after_failure", "el"))
        steps.append(reply["step"])
    assert [s["number"] for s in steps] == [1, 2, 3]
    assert [s["instruction"] for s in steps] == PUMP_STEPS  # the manual's order while nothing is learned
    assert phrase("step_header", "el", number=3, total=6) in reply["content"]
    done = answer(api, session_id, steps[-1]["id"], "worked")
    assert done["content"] == phrase("resolved", "el") and done["step"] is None
    run = TroubleshootingRun.objects.get(session_id=session_id)
    assert (run.status, run.failed_steps) == (RunStatus.RESOLVED, 2)


def test_unsafe_in_free_text_stops_and_offers_an_expert(api, session_id):
    say(api, session_id, "La bomba pierde presión durante la limpieza")
    reply = say(api, session_id, "Huele a quemado y salen chispas, no es seguro")
    assert reply["step"] is None
    assert reply["offers_escalation"] is True
    assert reply["content"] == "\n\n".join([phrase("unsafe_stop", "es"), phrase("offer_escalation", "es")])
    run = TroubleshootingRun.objects.get(session_id=session_id)
    assert (run.status, run.end_reason) == (RunStatus.NEEDS_EXPERT, "unsafe")


def test_procedure_exhausted_offers_an_expert(api, session_id):
    reply = say(api, session_id, "The rotor does not turn although the pump runs", language="en")
    assert reply["step"]["total"] == 3
    for _ in range(3):
        reply = answer(api, session_id, reply["step"]["id"], "didnt_work")
    assert reply["step"] is None and reply["offers_escalation"] is True
    assert reply["content"] == "\n\n".join([phrase("steps_exhausted", "en"), phrase("offer_escalation", "en")])
    run = TroubleshootingRun.objects.get(session_id=session_id)
    assert (run.status, run.end_reason) == (RunStatus.NEEDS_EXPERT, "procedure_exhausted")


def test_too_many_failed_steps_offers_an_expert(api, session_id, settings):
    settings.TROUBLESHOOTING = {"MAX_FAILED_STEPS": 2}
    reply = say(api, session_id, "Pompa temizlik sırasında basınç kaybediyor")
    reply = answer(api, session_id, reply["step"]["id"], "didnt_work")
    reply = answer(api, session_id, reply["step"]["id"], "skipped")  # a skip is not a failure
    reply = answer(api, session_id, reply["step"]["id"], "didnt_work")
    assert reply["step"] is None and reply["offers_escalation"] is True
    assert reply["content"].startswith(phrase("steps_failed", "tr", count=2))
    run = TroubleshootingRun.objects.get(session_id=session_id)
    assert (run.end_reason, run.failed_steps) == ("steps_exceeded", 2)


def test_free_text_answers_move_the_run_along(api, session_id):
    reply = say(api, session_id, "Pumpen mister trykk under rengjøring")
    assert reply["language"] == "nb" and reply["step"]["number"] == 1
    reply = say(api, session_id, "Nei, det fungerte ikke")
    assert reply["step"]["number"] == 2
    assert reply["content"].startswith(phrase("next_step_after_failure", "nb"))
    reply = say(api, session_id, "litt bedre, men fortsatt lavt trykk")
    assert reply["content"].startswith(phrase("partially_worked", "nb"))
    assert reply["step"]["number"] == 3
    reply = say(api, session_id, "Ja, det fungerte!")
    assert reply["step"] is None and reply["content"] == phrase("resolved", "nb")


def test_a_question_during_a_run_is_answered_and_keeps_the_current_step(api, session_id):
    first = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    reply = say(api, session_id, "What is the operating pressure?", language="en")
    assert "180 bar" in reply["content"]
    assert reply["step"]["id"] == first["id"] and reply["step"]["requires_feedback"] is True


def test_a_question_that_is_not_a_fault_gets_a_normal_answer(api, session_id):
    reply = say(api, session_id, "What is the tank capacity?", language="en")
    assert reply["step"] is None
    assert "200 litres" in reply["content"]
    assert not TroubleshootingRun.objects.filter(session_id=session_id).exists()


def test_resume_returns_the_current_step(api, session_id, client, operator):
    say(api, session_id, "The pump loses pressure while cleaning the net", language="en")
    after_no = say(api, session_id, "no")["step"]  # free text: step 1 did not work
    second = answer(api, session_id, after_no["id"], "didnt_work")["step"]
    # Another device: a fresh client for the same operator.
    other = type(client)()
    other.force_login(operator)
    detail = other.get(f"/api/v1/sessions/{session_id}/").json()
    assert detail["current_step"]["id"] == second["id"]
    assert detail["current_step"]["number"] == 3
    assert detail["messages"][-1]["step"]["id"] == second["id"]


def test_a_retried_step_answer_is_not_counted_twice(api, session_id):
    first = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    one = answer(api, session_id, first["id"], "didnt_work")
    two = answer(api, session_id, first["id"], "didnt_work")
    assert one["id"] == two["id"]
    assert StepStat.objects.get(machine_model="V4.0").tries == 1.0
    assert TroubleshootingRun.objects.get(session_id=session_id).failed_steps == 1


def test_answering_an_old_step_differently_says_it_is_not_current(api, session_id):
    first = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    second = answer(api, session_id, first["id"], "didnt_work")["step"]
    reply = answer(api, session_id, first["id"], "worked")
    assert reply["content"].startswith(phrase("step_not_current", "en"))
    assert reply["step"]["id"] == second["id"]
    assert TroubleshootingRun.objects.get(session_id=session_id).status == RunStatus.ACTIVE


def test_a_new_fault_replaces_the_active_run(api, session_id):
    say(api, session_id, "The pump loses pressure while cleaning the net", language="en")
    reply = say(api, session_id, "Now the rotor does not turn at all", language="en")
    assert reply["step"]["procedure_title"] == "Rotor does not turn"
    statuses = dict(TroubleshootingRun.objects.filter(session_id=session_id).values_list("procedure_title", "status"))
    assert statuses == {"Pump loses pressure": "abandoned", "Rotor does not turn": "active"}


def test_someone_elses_step_is_not_found(api, session_id, django_user_model, client):
    step = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    intruder = django_user_model.objects.create_user("intruder", password="pw-intruder-123")
    other = type(client)()
    other.force_login(intruder)
    response = other.post(
        f"/api/v1/sessions/{session_id}/steps/{step['id']}/feedback/",
        {"outcome": "worked"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_invalid_outcome_is_a_400(api, session_id):
    step = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    response = api.post(
        f"/api/v1/sessions/{session_id}/steps/{step['id']}/feedback/",
        {"outcome": "maybe"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "outcome" in response.json()["error"]["details"]


def test_runs_and_outcomes_are_counted_in_metrics(api, session_id, django_capture_on_commit_callbacks):
    from prometheus_client import REGISTRY

    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0

    started = sample("autoboss_troubleshooting_runs_started_total", machine_model="V4.0", language="en")
    worked = sample("autoboss_troubleshooting_step_outcomes_total", outcome="worked")
    ended = sample("autoboss_troubleshooting_runs_ended_total", end_reason="worked")
    with django_capture_on_commit_callbacks(execute=True):  # counted once the run is committed
        step = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
        answer(api, session_id, step["id"], "worked")
    assert sample("autoboss_troubleshooting_runs_started_total", machine_model="V4.0", language="en") == started + 1
    assert sample("autoboss_troubleshooting_step_outcomes_total", outcome="worked") == worked + 1
    assert sample("autoboss_troubleshooting_runs_ended_total", end_reason="worked") == ended + 1


def test_a_note_with_the_outcome_is_kept_on_the_step_and_in_the_transcript(api, session_id):
    from troubleshooting.models import RunStep

    step = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    answer(api, session_id, step["id"], "didnt_work", note="The filter was clean already")
    assert RunStep.objects.get(pk=step["id"]).note == "The filter was clean already"
    detail = api.get(f"/api/v1/sessions/{session_id}/").json()
    assert [m["content"] for m in detail["messages"] if m["role"] == "user"][-1] == "The filter was clean already"
    # Without a note the transcript shows the outcome in the operator's words, and the step has no note.
    second = detail["current_step"]
    answer(api, session_id, second["id"], "skipped")
    assert RunStep.objects.get(pk=second["id"]).note == ""
    detail = api.get(f"/api/v1/sessions/{session_id}/").json()
    assert [m["content"] for m in detail["messages"] if m["role"] == "user"][-1] == phrase("outcome_skipped", "en")


def test_bad_step_feedback_bodies_are_clear_400s_and_change_nothing(api, session_id):
    step = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    url = f"/api/v1/sessions/{session_id}/steps/{step['id']}/feedback/"
    for body, content_type in [
        ("{not json", "application/json"),
        ('{"outcome": ["worked"]}', "application/json"),
        ('{"outcome": "worked", "note": "' + "x" * 2001 + '"}', "application/json"),
    ]:
        response = api.post(url, body, content_type=content_type)
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"]
    from troubleshooting.models import RunStep

    assert RunStep.objects.get(pk=step["id"]).outcome == ""  # still waiting for a real answer
