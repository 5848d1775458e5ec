"""Ticket numbers: AB-YYYYMMDD-NNNN, consecutive per day, never the same twice — also under concurrency."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection

from escalations.models import Reason, Ticket, TicketCounter
from escalations.numbering import ticket_number_next
from escalations.services import ticket_escalate

from .helpers import conversation

pytestmark = pytest.mark.usefixtures("escalation_settings")

CONCURRENT = 40


@pytest.mark.django_db
def test_numbers_count_up_per_day_and_start_again_on_the_next_day():
    day, next_day = datetime.date(2026, 11, 24), datetime.date(2026, 11, 25)
    assert [ticket_number_next(day=day) for _ in range(3)] == [
        "AB-20261124-0001",
        "AB-20261124-0002",
        "AB-20261124-0003",
    ]
    assert ticket_number_next(day=next_day) == "AB-20261125-0001"
    assert ticket_number_next(day=day) == "AB-20261124-0004"  # each day keeps its own counter
    assert dict(TicketCounter.objects.values_list("day", "last")) == {day: 4, next_day: 1}


@pytest.mark.django_db
def test_escalations_on_two_days_both_start_at_0001(operator, monkeypatch):
    days = iter([datetime.date(2026, 12, 31), datetime.date(2027, 1, 1)])
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: next(days))
    first, _ = ticket_escalate(session=conversation(operator, ("user", "help")), user=operator, reason="user_request")
    second, _ = ticket_escalate(session=conversation(operator, ("user", "help")), user=operator, reason="user_request")
    assert (first.number, second.number) == ("AB-20261231-0001", "AB-20270101-0001")


@pytest.mark.django_db
def test_numbers_past_9999_grow_a_digit():
    TicketCounter.objects.create(day=datetime.date(2026, 11, 24), last=9999)
    assert ticket_number_next(day=datetime.date(2026, 11, 24)) == "AB-20261124-10000"


@pytest.mark.django_db(transaction=True)
def test_concurrent_escalations_get_distinct_consecutive_numbers(django_user_model):
    """40 threads, each with its own database connection, escalate 40 conversations at the same moment."""
    operator = django_user_model.objects.create_user("operator", password="pw-operator-123")
    sessions = [conversation(operator, ("user", f"problem {i}")) for i in range(CONCURRENT)]
    barrier = threading.Barrier(CONCURRENT)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def escalate(session):
        try:
            barrier.wait(timeout=30)
            ticket, created = ticket_escalate(session=session, user=operator, reason=Reason.USER_REQUEST)
            assert created
            with lock:
                numbers.append(ticket.number)
        except BaseException as exc:  # reported below; a thread's exception would otherwise vanish
            with lock:
                errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    started = time.perf_counter()
    threads = [threading.Thread(target=escalate, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.perf_counter() - started

    assert not errors, errors
    day = Ticket.objects.first().created_at.date()
    expected = {f"AB-{day:%Y%m%d}-{n:04d}" for n in range(1, CONCURRENT + 1)}
    assert len(numbers) == CONCURRENT and set(numbers) == expected
    assert set(Ticket.objects.values_list("number", flat=True)) == expected
    assert TicketCounter.objects.get(day=day).last == CONCURRENT
    print(f"{CONCURRENT} concurrent escalations in {elapsed:.2f}s")
