"""Reading ABParts' database: errors become one exception the callers can answer with a 503."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError

logger = logging.getLogger(__name__)


class ABPartsUnavailable(Exception):
    """ABParts' database cannot be read: unreachable, or its tables are missing (not seeded).

    `reason` is "unreachable" or "missing"; the message never carries the database's error text.
    """

    def __init__(self, reason: str):
        super().__init__(f"ABParts database {reason}")
        self.reason = reason


# SQLSTATE classes meaning "the schema is not there": undefined table/column/schema/function.
_MISSING_SQLSTATES = frozenset({"42P01", "42703", "3F000", "42883", "42704"})


@contextmanager
def abparts_reading() -> Iterator[None]:
    """Run ABParts reads; a database error becomes ABPartsUnavailable.

    No transaction is opened: the alias runs in autocommit and each read is one statement, so a
    failed read leaves nothing behind (and a list costs exactly one query).
    """
    try:
        yield
    except DatabaseError as exc:
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        reason = "missing" if sqlstate in _MISSING_SQLSTATES else "unreachable"
        logger.warning(
            "ABParts database %s (%s)", reason, exc.__class__.__name__, extra={"event": "abparts_unavailable"}
        )
        raise ABPartsUnavailable(reason) from exc
