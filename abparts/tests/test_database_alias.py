"""The `abparts` database alias (config/settings/abparts.py) and the router (abparts/routers.py)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connections, router

from abparts.models import ABPartsAccount, Machine, MachineHours, Organization
from config.settings.abparts import abparts_database

DEFAULT = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "autoboss",
    "USER": "autoboss",
    "HOST": "/var/run/pg",
    "CONN_MAX_AGE": 60,
    "OPTIONS": {"options": "-c statement_timeout=30000"},
}


def test_without_url_the_alias_is_the_default_database_schema_abparts():
    database = abparts_database(DEFAULT, url="", statement_timeout_ms=4000, connect_timeout=2)
    assert (database["NAME"], database["HOST"], database["USER"]) == ("autoboss", "/var/run/pg", "autoboss")
    assert database["OPTIONS"]["options"] == (
        "-c search_path=abparts -c default_transaction_read_only=on -c statement_timeout=4000"
    )
    assert database["OPTIONS"]["connect_timeout"] == 2
    assert database["TEST"] == {"MIRROR": "default"}
    assert DEFAULT["OPTIONS"] == {"options": "-c statement_timeout=30000"}  # the default entry is untouched


def test_with_url_the_alias_is_abparts_own_database_read_only():
    database = abparts_database(
        DEFAULT,
        url="postgres://reader:pw@abparts-db:5433/abparts?options=-c%20lock_timeout%3D1000",
        statement_timeout_ms=5000,
    )
    assert (database["NAME"], database["HOST"], database["PORT"], database["USER"]) == (
        "abparts",
        "abparts-db",
        5433,
        "reader",
    )
    assert database["OPTIONS"]["options"] == (
        "-c lock_timeout=1000 -c default_transaction_read_only=on -c statement_timeout=5000"
    )
    assert "search_path" not in database["OPTIONS"]["options"]  # ABParts' tables are in its own default schema
    assert database["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db(databases=["default", "abparts"])
def test_the_live_connection_is_read_only_bounded_and_on_the_schema():
    with connections["abparts"].cursor() as cursor:
        cursor.execute("SHOW default_transaction_read_only")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0] == "abparts"
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5s"
        cursor.execute("SELECT current_database()")
        abparts_database_name = cursor.fetchone()[0]
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_database()")
        # Tests: the mirror of the default *test* database, never a developer's or ABParts' database.
        assert cursor.fetchone()[0] == abparts_database_name
    assert abparts_database_name.startswith("test_")


def test_router_sends_abparts_tables_to_the_alias_and_migrates_nothing_there():
    for model in (Machine, MachineHours, Organization):
        assert router.db_for_read(model) == "abparts"
        assert router.db_for_write(model) == "abparts"
    assert router.db_for_read(ABPartsAccount) == "default"
    assert router.allow_migrate("abparts", "abparts", model_name="abpartsaccount") is False
    assert router.allow_migrate("abparts", "auth") is False
    assert router.allow_migrate("default", "abparts", model_name="abpartsaccount") is True


@pytest.mark.django_db
def test_the_migration_creates_only_our_own_table():
    out = io.StringIO()
    call_command("sqlmigrate", "abparts", "0001", stdout=out)
    sql = out.getvalue()
    assert sql.count("CREATE TABLE") == 1 and 'CREATE TABLE "abparts_abpartsaccount"' in sql
