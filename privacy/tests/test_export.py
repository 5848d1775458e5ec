"""Export (issue 13 item 5): one JSON document with everything about the operator, through the API
and the command, streamed so that 10 000 messages cost bounded memory."""

from __future__ import annotations

import json
import time
import tracemalloc
from io import StringIO

import pytest
from django.core.management import call_command

from abparts.models import ABPartsAccount
from assistant.models import ChatSession, Message

pytestmark = pytest.mark.django_db


def _export(api) -> dict:
    response = api.get("/api/v1/me/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    return json.loads(b"".join(response.streaming_content))


def test_the_export_holds_everything_of_the_operator_and_nothing_of_others(
    ingrid, ingrid_api, troubleshooting_manual, django_user_model, client
):
    session = ingrid_api.post("/api/v1/sessions/", {"machine_model": "V4.0", "language": "en"}).json()["id"]
    reply = ingrid_api.post(f"/api/v1/sessions/{session}/messages/", {"content": "The pump loses pressure"}).json()
    ingrid_api.post(f"/api/v1/sessions/{session}/steps/{reply['step']['id']}/feedback/", {"outcome": "worked"})
    ingrid_api.post(f"/api/v1/sessions/{session}/resolve/", {"save_fix": True, "note": "Filter full of algae"})
    ingrid_api.post(f"/api/v1/messages/{reply['id']}/feedback/", {"rating": "up", "comment": "spot on"})
    other = ingrid_api.post("/api/v1/sessions/", {"language": "en"}).json()["id"]
    ingrid_api.post(f"/api/v1/sessions/{other}/messages/", {"content": "Rotor noise"})
    ingrid_api.post(f"/api/v1/sessions/{other}/escalate/", {"notes": "Call me after lunch"})
    someone = django_user_model.objects.create_user("someone-else")
    ChatSession.objects.create(user=someone, language="en")
    # Made last: with an account, a chat turn reads the operator's ABParts row (another database).
    ABPartsAccount.objects.create(
        user=ingrid, abparts_user_id="6f1c1a8e-6f8a-4c47-9d51-2f1f9b0a7e11", synced_at="2026-01-05T10:00:00Z"
    )

    data = _export(ingrid_api)
    assert (data["format"], data["version"]) == ("autoboss-user-export", 1)
    assert data["user"]["username"] == "ingrid-hansvik" and data["user"]["email"] == "ingrid.hansvik@example.net"
    assert data["abparts_account"]["abparts_user_id"] == "6f1c1a8e-6f8a-4c47-9d51-2f1f9b0a7e11"
    assert data["audit_entries"] is None  # no audit log exists yet
    assert {s["id"] for s in data["sessions"]} == {session, other}
    contents = [m["content"] for m in data["messages"]]
    assert "The pump loses pressure" in contents and "Rotor noise" in contents  # decrypted
    assert [(s["number"], s["outcome"]) for s in data["troubleshooting_runs"][0]["steps"]] == [(1, "worked")]
    assert data["fix_cards"][0]["note"] == "Filter full of algae"
    assert data["feedback"][0]["comment"] == "spot on"
    (ticket,) = data["tickets"]
    assert ticket["operator_notes"] == "Call me after lunch" and ticket["transcript"][0]["content"] == "Rotor noise"

    out = StringIO()
    call_command("export_user_data", "6f1c1a8e-6f8a-4c47-9d51-2f1f9b0a7e11", stdout=out)  # by ABParts id
    assert json.loads(out.getvalue())["messages"] == data["messages"]


def test_an_operator_without_data_gets_an_empty_export(ingrid_api):
    data = _export(ingrid_api)
    assert data["sessions"] == data["messages"] == data["tickets"] == data["fix_cards"] == []
    assert data["abparts_account"] is None


def test_ten_thousand_messages_export_in_bounded_memory(ingrid, ingrid_api, tmp_path, django_assert_max_num_queries):
    sessions = ChatSession.objects.bulk_create([ChatSession(user=ingrid, language="en") for _ in range(50)])
    text = "The net cleaner stops after 20 minutes and the pump shows 150 bar on the gauge. " * 3
    Message.objects.bulk_create(
        [
            Message(session=session, seq=seq, role="user" if seq % 2 else "assistant", content=text, language="en")
            for session in sessions
            for seq in range(1, 201)
        ],
        batch_size=2000,
    )

    tracemalloc.start()
    started = time.perf_counter()
    with django_assert_max_num_queries(40):  # a handful per list, whatever the number of rows
        response = ingrid_api.get("/api/v1/me/export/")
        size = sum(len(piece) for piece in response.streaming_content)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    path = tmp_path / "export.json"
    call_command("export_user_data", ingrid.username, "--output", str(path), stderr=StringIO())
    data = json.loads(path.read_text(encoding="utf-8"))
    assert len(data["messages"]) == 10_000 and len(data["sessions"]) == 50
    assert data["messages"][0]["content"] == text
    print(f"\nexport of 10 000 messages: {size / 1e6:.1f} MB in {seconds:.1f} s, peak memory {peak / 1e6:.1f} MB")
    # The whole document never sits in memory: the peak stays well below its size.
    assert peak < size / 2
