"""Test fixtures for ABParts data: the `abparts` schema in the test database, with seed_demo's DDL and data.

How the `abparts` alias works in tests (docs/decisions/0005-abparts-database-alias.md): the alias is a
test mirror of `default` (TEST MIRROR), so it reads the default *test* database, schema `abparts`,
through its own read-only connection. That connection cannot see rows the test wrote through
`default` inside its transaction, so ABParts rows are written through a separate autocommit
connection (`abparts_writer`) and committed; `abparts_demo` puts back the exact demo data set before
each test, so what one test writes never reaches the next.

Use in another app's tests (import the fixtures into that app's conftest.py):

    from abparts.tests.fixtures import abparts_demo, abparts_operator, abparts_writer, service_manual  # noqa: F401

    @pytest.mark.django_db(databases=["default", "abparts"])
    def test_something(abparts_demo, abparts_operator):
        machine_id = abparts_demo.machine_id          # V4.0 at 1 180 h, 1 000 h service overdue
        ...
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from abparts import demo

# A small V4.0 service manual whose maintenance schedule gives 500 h and 1 000 h intervals.
SERVICE_MANUAL_V40 = """# AutoBoss V4.0 Service Manual

## 1. Safety

Stop the diesel engine and release the hydraulic pressure before any maintenance work.

## 7. Maintenance schedule

The intervals below are operating hours as shown on the hour meter of the control box.

| Interval | Task |
|---|---|
| Every 50 h | Check the hydraulic oil level and the umbilical for chafing |
| Every 500 h | Replace the hydraulic return filter (AB-HF-2210) and the nozzle set (AB-NZ-0415) |
| Every 1 000 operating hours | Replace the pump seal kit and service the rotor bearings |

- 2000-hour service: full overhaul by an authorised technician.
"""


def _require_abparts_database(request) -> None:
    marker = request.node.get_closest_marker("django_db")
    databases = (marker.kwargs.get("databases") if marker else None) or []
    if databases != "__all__" and "abparts" not in databases:
        pytest.fail('ABParts fixtures need @pytest.mark.django_db(databases=["default", "abparts"])')


@pytest.fixture(scope="session")
def abparts_writer(django_db_setup, django_db_blocker):
    """A writable autocommit connection to the default test database; the `abparts` schema exists.

    Use it only inside `django_db_blocker.unblock()` (or through ABPartsDemo.execute).
    """
    with django_db_blocker.unblock():
        writer = connections["default"].copy()
        writer.ensure_connection()
        demo.schema_create(writer, settings.ABPARTS_SCHEMA)
    yield writer
    with django_db_blocker.unblock():
        writer.close()
        # The alias' own connection too: an open one would keep the test database from being dropped.
        connections["abparts"].close()


@dataclass
class ABPartsDemo:
    """The demo data set as loaded by seed_demo, with the ids tests need and a way to add rows."""

    writer: Any
    blocker: Any
    schema: str
    summary: demo.DemoSummary
    # A V4.0 machine at 1 180 h whose 1 000 h (and 500 h) service is overdue, its organization, and
    # an operator of that organization (ABParts language `no` = nb).
    machine_id: uuid.UUID = demo.MACHINE_NORDFJORD_RIG1
    organization_id: uuid.UUID = demo.ORG_NORDFJORD
    operator_id: uuid.UUID = demo.USER_KARI
    # Another customer's V4.0 machine (462 h, 500 h service due soon): invisible to the operator above.
    other_organization_id: uuid.UUID = demo.ORG_AEGEAN
    other_machine_id: uuid.UUID = demo.MACHINE_AEGEAN_A
    super_admin_id: uuid.UUID = demo.USER_SUPPORT

    def execute(self, sql: str, params: list | tuple | None = None) -> None:
        """Run SQL against the ABParts tables, committed at once; `{s}` stands for the schema."""
        with self.blocker.unblock(), self.writer.cursor() as cursor:
            cursor.execute(sql.format(s=demo.quoted_schema(self.writer, self.schema)), params)


@pytest.fixture
def abparts_demo(request, abparts_writer, django_db_blocker) -> ABPartsDemo:
    """The demo ABParts data (exactly what seed_demo loads), freshly reset for this test."""
    _require_abparts_database(request)
    schema = settings.ABPARTS_SCHEMA
    with django_db_blocker.unblock():
        # DELETE, not TRUNCATE: nothing here may wait for the lock of a read the test still holds.
        demo.demo_data_clear(abparts_writer, schema)
        summary = demo.demo_data_load(abparts_writer, schema)
    return ABPartsDemo(writer=abparts_writer, blocker=django_db_blocker, schema=schema, summary=summary)


@pytest.fixture
def abparts_empty(request, abparts_writer, django_db_blocker) -> ABPartsDemo:
    """The ABParts tables exist but hold no rows."""
    _require_abparts_database(request)
    schema = settings.ABPARTS_SCHEMA
    with django_db_blocker.unblock():
        demo.demo_data_clear(abparts_writer, schema)
    empty = demo.DemoSummary(0, 0, 0, 0, 0, 0, 0)
    return ABPartsDemo(writer=abparts_writer, blocker=django_db_blocker, schema=schema, summary=empty)


@dataclass
class ABPartsOperator:
    user: Any  # the local mirror user
    token: str  # a demo bearer token of that user
    abparts_user_id: uuid.UUID
    organization_id: uuid.UUID
    role: str
    language: str  # our code

    @property
    def auth(self) -> dict[str, str]:
        """Keyword arguments for the Django test client: client.get(url, **operator.auth)."""
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}


def make_abparts_operator(demo_user: demo.DemoUser) -> ABPartsOperator:
    """The local user + ABPartsAccount of a demo ABParts user (as seed_demo makes them) and a demo token."""
    from abparts.services import demo_account_sync
    from assistant.auth.services import api_token_create

    user, account = demo_account_sync(demo_user=demo_user)
    _, token = api_token_create(user=user, name="test")
    return ABPartsOperator(
        user=user,
        token=token,
        abparts_user_id=demo_user.id,
        organization_id=demo_user.organization_id,
        role=demo_user.role,
        language=account.preferred_language,
    )


def _demo_user(user_id: uuid.UUID) -> demo.DemoUser:
    return next(user for user in demo.DEMO_USERS if user.id == user_id)


@pytest.fixture
def abparts_operator(db) -> ABPartsOperator:
    """Kari, an operator (role user, language nb) of the organization of abparts_demo.machine_id."""
    return make_abparts_operator(_demo_user(demo.USER_KARI))


@pytest.fixture
def abparts_super_admin(db) -> ABPartsOperator:
    return make_abparts_operator(_demo_user(demo.USER_SUPPORT))


@pytest.fixture
def service_manual(db, settings, tmp_path):
    """SERVICE_MANUAL_V40 ingested (ready) for machine model V4.0; returns the Document."""
    from knowledge.tests.conftest import ingest_file

    settings.MEDIA_ROOT = tmp_path / "media"
    path = Path(tmp_path) / "autoboss-v40-service-manual.md"
    path.write_text(SERVICE_MANUAL_V40, encoding="utf-8")
    return ingest_file(path, machine_models=["V4.0"], language="en", title="AutoBoss V4.0 Service Manual")
