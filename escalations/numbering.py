"""Ticket numbers: AB-YYYYMMDD-NNNN, consecutive per day, never issued twice.

One counter row per day, bumped by a single INSERT ... ON CONFLICT DO UPDATE ... RETURNING. Two
concurrent escalations serialize on that row's lock inside PostgreSQL, so they cannot read the same
value (the old service counted the day's tickets and handed out duplicates under load). The lock is
held until the caller's transaction ends: call this late in the ticket's transaction. A rolled-back
ticket gives its number back with the rollback, so the day's numbers stay gap-free.

The day is the calendar day in the configured TIME_ZONE (settings.TIME_ZONE, UTC by default):
`timezone.localdate()`. After 9 999 tickets on one day the number simply grows a digit.
"""

from __future__ import annotations

import datetime

from django.db import connection

PREFIX = "AB"

_NEXT_SQL = (
    "INSERT INTO escalations_ticketcounter (day, last) VALUES (%s, 1) "
    "ON CONFLICT (day) DO UPDATE SET last = escalations_ticketcounter.last + 1 "
    "RETURNING last"
)


def ticket_number_format(*, day: datetime.date, sequence: int) -> str:
    return f"{PREFIX}-{day:%Y%m%d}-{sequence:04d}"


def ticket_number_next(*, day: datetime.date) -> str:
    """The next ticket number of `day` (AB-YYYYMMDD-NNNN); call it inside the ticket's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SQL, [day])
        (sequence,) = cursor.fetchone()
    return ticket_number_format(day=day, sequence=sequence)
