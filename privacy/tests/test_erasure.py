"""Erasure (issue 13 item 5): through the API and the Celery task, then a scan of every table finds
nothing of the operator's; tickets are anonymised, learning statistics keep their counts."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from abparts.models import ABPartsAccount
from assistant.models import ApiToken, ChatSession, Message
from escalations.models import EmailDelivery, Ticket, TicketEvent, TicketNote
from escalations.services import ticket_note_add
from privacy import tasks
from privacy.models import ErasureRequest
from troubleshooting.models import FixCard, StepStat, TroubleshootingRun

from .conftest import BearerClient

pytestmark = pytest.mark.django_db

# What Ingrid typed: words no redaction rule removes, none of them in the manual.
TYPED = {
    "fault": "Kvitsøy cage",
    "step_note": "the seagull-feather filter",
    "fix_note": "rinsed it with Lerøy brine",
    "correction": "ask Tormod at Hitra",
    "comment": "bluefin answer",
    "notes": "meet by the Frøya barge",
    "contact": "after the Smøla shift",
    "second": "Vikna pontoon",
}
# The account stays (it is ABParts' account; the operator keeps using the assistant), so these rows
# may reference the user; nothing else may.
ACCOUNT_MODELS = {get_user_model(), ApiToken, ABPartsAccount, ErasureRequest}


def _converse(api: BearerClient, *, staff) -> str:
    """Ingrid's history: a troubleshooting run with a saved fix, feedback, an escalated conversation."""
    session = api.post("/api/v1/sessions/", {"machine_model": "V4.0", "language": "en"}).json()["id"]
    reply = api.post(
        f"/api/v1/sessions/{session}/messages/", {"content": f"The pump loses pressure at {TYPED['fault']}"}
    ).json()
    api.post(
        f"/api/v1/sessions/{session}/steps/{reply['step']['id']}/feedback/",
        {"outcome": "worked", "note": TYPED["step_note"]},
    )
    api.post(f"/api/v1/sessions/{session}/resolve/", {"save_fix": True, "note": TYPED["fix_note"]})
    api.post(
        f"/api/v1/messages/{reply['id']}/feedback/",
        {"rating": "down", "comment": TYPED["comment"], "correction": TYPED["correction"]},
    )

    other = api.post("/api/v1/sessions/", {"language": "en"}).json()["id"]
    api.post(f"/api/v1/sessions/{other}/messages/", {"content": f"Strange noise near {TYPED['second']}"})
    escalated = api.post(
        f"/api/v1/sessions/{other}/escalate/", {"notes": TYPED["notes"], "contact_preference": TYPED["contact"]}
    ).json()
    ticket = Ticket.objects.get(number=escalated["ticket"]["number"])
    ticket_note_add(ticket=ticket, author=staff, text=f"Called {api.user.email}, Ingrid Hansvik will check")
    return ticket.number


def _scan(user, strings: list[str]) -> list[str]:
    """Every row of every model we own, read through the ORM (so encrypted columns are decrypted):
    a foreign key to the user, or any of `strings` in any column, is a finding."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model is get_user_model():
            continue  # unmanaged: ABParts' own tables, read-only to us
        fields = [f for f in model._meta.concrete_fields]
        user_fks = [f.attname for f in fields if f.is_relation and f.related_model is get_user_model()]
        for row in model.objects.values_list(*(f.attname for f in fields)).iterator():
            values = dict(zip((f.attname for f in fields), row, strict=True))
            if model not in ACCOUNT_MODELS and any(values[fk] == user.pk for fk in user_fks):
                found.append(f"{model._meta.label} {values} refers to the user")
            text = "\n".join(json.dumps(v, default=str, ensure_ascii=False) for v in values.values()).lower()
            found += [f"{model._meta.label}: {s!r}" for s in strings if s.lower() in text]
    return found


def test_erasure_through_the_api_leaves_nothing_of_the_operator(
    ingrid, ingrid_api, troubleshooting_manual, django_user_model, django_capture_on_commit_callbacks, settings
):
    settings.ESCALATION_SUPPORT_INBOX = "support@autoboss.example"
    staff = django_user_model.objects.create_user("agent", is_staff=True)
    number = _converse(ingrid_api, staff=staff)
    personal = [*TYPED.values(), ingrid.username, ingrid.email, "Hansvik"]
    # The history is really there, and the scan sees it (a scan that cannot fail is no test).
    assert FixCard.objects.filter(user=ingrid).exists() and TroubleshootingRun.objects.exists()
    assert EmailDelivery.objects.filter(ticket__number=number).count() == 2
    before = _scan(ingrid, personal)
    assert {s for s in personal if any(repr(s) in finding for finding in before)} == set(personal)
    stats = sorted(StepStat.objects.values_list("step_key", "machine_model", "tries", "successes", "fixes", "cases"))
    assert stats

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = ingrid_api.post("/api/v1/me/erase/", expect=(202,))
    assert len(callbacks) == 1  # the task is enqueued once the request is committed
    body = response.json()
    assert body["status"] == "queued" and response["Location"] == f"/api/v1/me/erase/{body['id']}/"
    # Asking again while it is queued returns the same request.
    assert ingrid_api.post("/api/v1/me/erase/", expect=(202,)).json()["id"] == body["id"]

    assert tasks.erase_user_data.apply(args=(body["id"],)).get() == "done"  # the worker's task body

    status = ingrid_api.get(f"/api/v1/me/erase/{body['id']}/").json()
    assert (status["status"], status["progress"]) == ("done", 100)
    counts = status["counts"]
    assert counts["sessions"] == 2 and counts["messages"] >= 4 and counts["feedback"] == 1
    assert counts["fix_cards"] == 1 and counts["tickets_anonymised"] == 1 and counts["troubleshooting_runs"] == 1

    assert _scan(ingrid, personal) == []
    # The ticket stays, anonymised, with its number and technical facts.
    ticket = Ticket.objects.get(number=number)
    assert (ticket.user, ticket.session, ticket.transcript, ticket.operator_notes) == (None, None, [], "")
    assert ticket.reason and ticket.status == "open" and ticket.language == "en"
    assert "[erased]" in TicketNote.objects.get(ticket=ticket).text
    assert list(EmailDelivery.objects.filter(ticket=ticket).values_list("kind", flat=True)) == ["support"]
    assert TicketEvent.objects.filter(ticket=ticket, kind="created").exists()
    # Learning statistics keep every count (they never had a link to the operator).
    assert stats == sorted(
        StepStat.objects.values_list("step_key", "machine_model", "tries", "successes", "fixes", "cases")
    )
    assert not ChatSession.objects.filter(user=ingrid).exists() and not Message.objects.exists()

    # The account still works: the export now holds the account and the erasure, nothing else.
    exported = json.loads(b"".join(ingrid_api.get("/api/v1/me/export/").streaming_content))
    assert exported["sessions"] == exported["messages"] == exported["tickets"] == exported["feedback"] == []
    assert [e["status"] for e in exported["erasure_requests"]] == ["done"]


def test_erasing_twice_is_a_clear_answer_not_an_error(ingrid, ingrid_api, django_capture_on_commit_callbacks):
    ingrid_api.post("/api/v1/sessions/", {"language": "en"})
    out = StringIO()
    call_command("erase_user_data", ingrid.username, stdout=out)
    assert "sessions 1" in out.getvalue()
    call_command("erase_user_data", ingrid.username, stdout=(out := StringIO()))
    assert "nothing left to erase (already erased)" in out.getvalue()

    with django_capture_on_commit_callbacks(execute=True):
        first = ingrid_api.post("/api/v1/me/erase/", expect=(202,)).json()
    tasks.erase_user_data.apply(args=(first["id"],))
    tasks.erase_user_data.apply(args=(first["id"],))  # a re-delivered task changes nothing
    again = ingrid_api.get(f"/api/v1/me/erase/{first['id']}/").json()
    assert again["status"] == "done" and not any(again["counts"].values())
    assert ErasureRequest.objects.filter(user=ingrid).count() == 3


def test_an_erasure_request_is_visible_to_its_operator_only(ingrid_api, client, django_user_model):
    erasure = ingrid_api.post("/api/v1/me/erase/", expect=(202,)).json()
    other = BearerClient(client, django_user_model.objects.create_user("someone-else"))
    assert other.get(f"/api/v1/me/erase/{erasure['id']}/").status_code == 404
    assert client.post("/api/v1/me/erase/").status_code == 401


def test_an_unknown_user_is_a_clear_command_error():
    with pytest.raises(Exception, match="no user 'nobody'"):
        call_command("erase_user_data", "nobody")
    with pytest.raises(Exception, match="no user 'nobody'"):
        call_command("export_user_data", "nobody")
