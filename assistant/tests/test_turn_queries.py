"""SQL round trips of the three main kinds of chat turn, through the real API path (issue 12).

A turn runs on every message of every operator; each statement here is a round trip to PostgreSQL
and PostgreSQL CPU (docs/performance.md, "Queries per turn"). The pins are exact, so a change that
adds a round trip to the hot path fails here and has to be argued for.

What is counted: every statement on the default database during the POST, the request's own
(session, user) included. The throttle's budget lives in the Django cache, which is the database
cache in the embedded default (4 more statements and 2 savepoints per request) and Redis in
production and CI; these tests give it a local-memory cache so that the pins count the turn, not
the deployment. Per-process caches (the search's index profile, the procedures' concepts) are
warmed by an earlier conversation first, as in a running server.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from troubleshooting.models import TroubleshootingRun

pytestmark = pytest.mark.django_db

PLAIN = "What is the tank capacity?"
FAULT = "The pump loses pressure while cleaning the net"

# Round trips per turn kind (before issue 12: 24 / 34 / 29 / 42); docs/performance.md has the table.
PLAIN_QUERIES = 21
# A run start takes an advisory lock (one round trip) so two fault turns at once cannot both insert
# an active run (issue 11).
FAULT_QUERIES = 32
STEP_ANSWER_QUERIES = 27
# A new fault while a step waits: it reads like "didn't work" ("does not turn"), so the engine
# first checks whether it describes another fault (a search and matching), then starts the new run
# with that same search and those matches.
NEW_FAULT_DURING_RUN_QUERIES = 32


def _post(api, session_id: str, content: str):
    with CaptureQueriesContext(connection) as captured:
        response = api.post(
            f"/api/v1/sessions/{session_id}/messages/", {"content": content, "language": "en"}, "application/json"
        )
    assert response.status_code == 201, response.content
    queries = [q["sql"] for q in captured.captured_queries]
    return response.json(), queries


def _session(api) -> str:
    response = api.post("/api/v1/sessions/", {"machine_model": "V4.0"}, "application/json")
    assert response.status_code == 201
    return response.json()["id"]


@pytest.fixture(autouse=True)
def _throttle_cache_in_memory(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def warm(api, troubleshooting_manual):
    """One whole conversation first, so that per-process caches hold this index."""
    session_id = _session(api)
    for text in (PLAIN, FAULT, "no"):
        _post(api, session_id, text)


def _pinned(queries: list[str], expected: int) -> None:
    assert len(queries) == expected, f"{len(queries)} round trips, pinned {expected}:\n" + "\n".join(
        f"{n:3}. {sql[:200]}" for n, sql in enumerate(queries, start=1)
    )


def test_plain_answer_round_trips(api, warm):
    session_id = _session(api)
    reply, queries = _post(api, session_id, PLAIN)
    assert "200 litres" in reply["content"] and reply["step"] is None
    _pinned(queries, PLAIN_QUERIES)


def test_fault_turn_that_starts_a_run_round_trips(api, warm):
    session_id = _session(api)
    _post(api, session_id, PLAIN)
    reply, queries = _post(api, session_id, FAULT)
    assert reply["step"]["number"] == 1 and reply["step"]["procedure_title"] == "Pump loses pressure"
    assert TroubleshootingRun.objects.filter(session_id=session_id, status="active").count() == 1
    _pinned(queries, FAULT_QUERIES)


def test_step_answer_round_trips(api, warm):
    session_id = _session(api)
    first = _post(api, session_id, FAULT)[0]["step"]
    reply, queries = _post(api, session_id, "no")  # step 1 did not work: the run moves to step 2
    assert reply["step"]["number"] == 2 and reply["step"]["run_id"] == first["run_id"]
    _pinned(queries, STEP_ANSWER_QUERIES)


def test_new_fault_during_a_run_round_trips(api, warm):
    session_id = _session(api)
    _post(api, session_id, FAULT)
    reply, queries = _post(api, session_id, "Now the rotor does not turn at all")
    assert reply["step"]["procedure_title"] == "Rotor does not turn" and reply["step"]["number"] == 1
    _pinned(queries, NEW_FAULT_DURING_RUN_QUERIES)
