"""Two fault reports at once in one conversation (a double tap, two tabs): both answered, one run.

Transactional, with real threads and connections: the second turn's run start must wait for the
first instead of inserting a second active run (the one-active-run constraint turned that into an
IntegrityError and a 500; issue 11, hole 5).
"""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_fault_turns_at_once_in_one_session_are_both_answered(troubleshooting_manual, operator, monkeypatch):
    from assistant.engine.turn import TurnInput, run_turn
    from assistant.models import ChatSession
    from assistant.services import session_start
    from troubleshooting import services as run_services
    from troubleshooting.models import RunStatus, TroubleshootingRun

    session = session_start(user=operator, language="en")
    # Both turns reach the run start before either inserts its run (without a lock that orders them);
    # with one, the second waits on it and the barrier gives up after a moment.
    both_there = threading.Barrier(2)
    real_rank_steps = run_services.rank_steps

    def rank_steps(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            both_there.wait(timeout=3)
        return real_rank_steps(*args, **kwargs)

    monkeypatch.setattr(run_services, "rank_steps", rank_steps)
    errors: list[BaseException] = []
    replies = []

    def turn(text: str) -> None:
        try:
            replies.append(run_turn(TurnInput(session=ChatSession.objects.get(pk=session.pk), text=text)))
        except BaseException as exc:  # the assertion below shows it
            errors.append(exc)
        finally:
            connection.close()

    texts = ["The pump loses pressure while cleaning the net", "Pump pressure drops and the gauge reads low"]
    threads = [threading.Thread(target=turn, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(replies) == 2 and all(reply.run_step_id for reply in replies)
    runs = TroubleshootingRun.objects.filter(session_id=session.pk)
    assert runs.count() == 2 and runs.filter(status=RunStatus.ACTIVE).count() == 1
