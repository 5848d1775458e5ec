"""Fixtures of the abparts tests (defined in fixtures.py so that other apps can import them)."""

from __future__ import annotations

import pytest
from django.db import connections

from abparts.tests.fixtures import (  # noqa: F401
    abparts_demo,
    abparts_empty,
    abparts_operator,
    abparts_super_admin,
    abparts_writer,
    service_manual,
)


@pytest.fixture(scope="session", autouse=True)
def abparts_connection_closed_at_end(django_db_setup):
    """Close the `abparts` alias' connection before the test database is dropped.

    It is a second connection to the default test database (a test mirror) that Django's teardown
    does not close; left open, it keeps PostgreSQL from dropping the database.
    """
    yield
    connections["abparts"].close()
