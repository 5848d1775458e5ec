"""`manage.py seed_demo` and the DDL / demo data it loads (abparts/demo.py), against the real database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from abparts import demo
from abparts.intervals import service_intervals
from abparts.models import ABPartsAccount
from assistant.models import ApiToken
from knowledge.models import Document, DocumentStatus

REAL_MANUALS = Path(django_settings.BASE_DIR) / "demo" / "manuals"


def seed_demo(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def printed_tokens(out: str) -> dict[str, str]:
    """username → token, from the lines seed_demo prints for the demo users."""
    usernames = {u.username for u in demo.DEMO_USERS}
    return {
        line.split()[0]: line.split()[-1]
        for line in out.splitlines()
        if line.split()[:1] and line.split()[0] in usernames
    }


def count_rows(schema: str) -> dict[str, int]:
    s = connection.ops.quote_name(schema)
    with connection.cursor() as cursor:
        counts = {}
        for table in demo.TABLES:
            cursor.execute(f"SELECT count(*) FROM {s}.{table}")
            counts[table] = cursor.fetchone()[0]
    return counts


# --- the DDL and the data -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_schema_create_builds_abparts_tables_with_their_constraints():
    schema = "abparts_ddl_test"  # inside the test transaction: rolled back with it
    demo.schema_create(connection, schema)
    demo.schema_create(connection, schema)  # IF NOT EXISTS: repeating it is harmless
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, udt_name FROM information_schema.columns "
            "WHERE table_schema = %s",
            [schema],
        )
        columns = {(table, column): (data_type, udt) for table, column, data_type, udt in cursor.fetchall()}
    assert {table for table, _ in columns} == set(demo.TABLES)
    assert columns[("machines", "model_type")] == ("character varying", "varchar")
    assert ("machines", "hours") not in columns  # ABParts dropped it: hours live in machine_hours
    assert columns[("machine_hours", "hours_value")][0] == "numeric"
    assert columns[("machine_hours", "recorded_date")][0] == "timestamp with time zone"
    assert columns[("users", "role")] == ("USER-DEFINED", "userrole")
    assert columns[("users", "preferred_language")] == ("character varying", "varchar")

    demo.demo_data_load(connection, schema)
    s = connection.ops.quote_name(schema)
    for statement in (
        f"INSERT INTO {s}.machines (id, customer_organization_id, model_type, name, serial_number) "
        f"VALUES (gen_random_uuid(), '{demo.ORG_AEGEAN}', 'V4.0', 'Copy', 'AB40-2023-0117')",  # serial is unique
        f"INSERT INTO {s}.parts (id, part_number, name, part_type) "
        "VALUES (gen_random_uuid(), 'AB-HF-2210', 'Copy', 'consumable')",  # part number is unique
        f"INSERT INTO {s}.machine_hours (id, machine_id, recorded_by_user_id, hours_value, recorded_date) "
        f"VALUES (gen_random_uuid(), gen_random_uuid(), '{demo.USER_KARI}', 1, now())",  # machine must exist
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_current():
    schema = "abparts_data_test"
    demo.schema_create(connection, schema)
    first = demo.demo_data_load(connection, schema)
    counts = count_rows(schema)
    assert demo.demo_data_load(connection, schema) == first
    assert count_rows(schema) == counts
    assert counts["machines"] == first.machines == 6 and counts["organizations"] == 3
    s = connection.ops.quote_name(schema)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT preferred_language FROM {s}.users")
        assert {row[0] for row in cursor.fetchall()} == {"en", "el", "no", "es", "tr", "ar"}
        cursor.execute(f"SELECT DISTINCT model_type FROM {s}.machines")
        assert {row[0] for row in cursor.fetchall()} == {"V4.0", "V3.1B"}
        # The newest reading of the overdue rig is days old, whatever day the demo is loaded.
        cursor.execute(
            f"SELECT hours_value, now() - recorded_date FROM {s}.machine_hours WHERE machine_id = %s "
            "ORDER BY recorded_date DESC LIMIT 1",
            [demo.MACHINE_NORDFJORD_RIG1],
        )
        hours, age = cursor.fetchone()
    assert float(hours) == 1180 and 2 <= age.days <= 3


# --- the command --------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_seed_demo_refuses_a_real_abparts_database(settings):
    settings.ABPARTS_DATABASE_URL = "postgres://reader@abparts-db:5432/abparts"
    with pytest.raises(CommandError, match="never writes"):
        seed_demo("--no-manuals")
    assert not ABPartsAccount.objects.exists()


@pytest.mark.django_db
def test_seed_demo_in_a_fresh_schema(settings):
    settings.ABPARTS_SCHEMA = "abparts_seed_test"  # the test transaction rolls it back
    out, _ = seed_demo("--no-manuals")
    assert "6 machines" in out and "schema 'abparts_seed_test'" in out
    assert count_rows("abparts_seed_test")["machine_hours"] > 30
    tokens = printed_tokens(out)
    assert set(tokens) == {u.username for u in demo.DEMO_USERS}
    accounts = {a.abparts_user_id: a for a in ABPartsAccount.objects.select_related("user")}
    kari = accounts[demo.USER_KARI]
    assert (kari.organization_id, kari.role, kari.preferred_language) == (demo.ORG_NORDFJORD, "user", "nb")
    assert kari.user.username == f"abparts:{demo.USER_KARI}" and not kari.user.has_usable_password()
    assert {a.preferred_language for a in accounts.values()} == {"en", "el", "nb", "es", "tr", "ar"}
    assert accounts[demo.USER_SUPPORT].role == "super_admin"


@pytest.mark.django_db(databases=["default", "abparts"], transaction=True)
def test_seed_demo_twice_gives_the_same_state_and_working_tokens(client, abparts_empty):
    out, _ = seed_demo("--no-manuals")
    counts = count_rows(django_settings.ABPARTS_SCHEMA)
    users = set(get_user_model().objects.values_list("username", flat=True))
    out2, _ = seed_demo("--no-manuals")
    assert count_rows(django_settings.ABPARTS_SCHEMA) == counts
    assert set(get_user_model().objects.values_list("username", flat=True)) == users
    assert ABPartsAccount.objects.count() == len(demo.DEMO_USERS)
    # One live token per demo user: the first run's tokens were revoked by the second.
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == len(demo.DEMO_USERS)
    old, new = printed_tokens(out), printed_tokens(out2)
    assert client.get("/api/v1/machines/", HTTP_AUTHORIZATION=f"Bearer {old['kari.nordmann']}").status_code == 401

    # The printed token works against the API and is scoped like the ABParts user (read via the alias).
    kari = client.get("/api/v1/machines/", HTTP_AUTHORIZATION=f"Bearer {new['kari.nordmann']}")
    assert kari.status_code == 200, kari.content
    assert {m["name"] for m in kari.json()} == {"Kvitholmen Rig 1", "Hestneset Rig 2"}
    eleni = client.get("/api/v1/machines/", HTTP_AUTHORIZATION=f"Bearer {new['eleni.support']}")
    assert len(eleni.json()) == 6


# --- manuals ----------------------------------------------------------------------------------------------
SCHEDULE_EN = """# AutoBoss V4.0 Maintenance Guide

## Maintenance schedule

| Interval | Task |
|---|---|
| Every 500 h | Replace the hydraulic return filter |
| Every 1 000 h | Replace the pump seal kit |
"""
QUICK_EL = """# AutoBoss V4.0 Γρήγορος οδηγός

## Συντήρηση

Κάθε 500 ώρες λειτουργίας: αντικαταστήστε το φίλτρο επιστροφής υδραυλικού λαδιού.
"""


@pytest.fixture
def manuals_dir(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    folder = tmp_path / "manuals"
    folder.mkdir()
    (folder / "maintenance-v40-en.md").write_text(SCHEDULE_EN, encoding="utf-8")
    (folder / "quick-v40-el.md").write_text(QUICK_EL, encoding="utf-8")
    manifest = [
        {
            "file": "maintenance-v40-en.md",
            "title": "AutoBoss V4.0 Maintenance Guide",
            "machine_models": ["V4.0"],
            "language": "en",
            "document_type": "manual",
        },
        {
            "file": "quick-v40-el.md",
            "title": "AutoBoss V4.0 Γρήγορος οδηγός",
            "machine_models": ["V4.0"],
            "language": "el",
            "document_type": "quick_guide",
        },
    ]
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return folder


@pytest.mark.django_db
def test_seed_demo_ingests_the_manifest_once(manuals_dir, settings):
    settings.ABPARTS_SCHEMA = "abparts_seed_test"
    out, err = seed_demo("--manuals-dir", str(manuals_dir), "--no-tokens")
    assert err == ""
    assert out.count(": ingested") == 2 and "2 manuals ready" in out
    documents = {d.title: d for d in Document.objects.all()}
    guide = documents["AutoBoss V4.0 Maintenance Guide"]
    quick = documents["AutoBoss V4.0 Γρήγορος οδηγός"]
    assert guide.status == quick.status == DocumentStatus.READY
    assert (guide.machine_models, guide.language, guide.doc_type) == (["V4.0"], "en", "manual")
    assert (quick.language, quick.doc_type) == ("el", "quick_guide")
    assert {(i.hours, i.language) for i in service_intervals(machine_model="V4.0")} == {
        (500, "en"),
        (1000, "en"),
        (500, "el"),
    }

    out, _ = seed_demo("--manuals-dir", str(manuals_dir), "--no-tokens")
    assert out.count(": unchanged") == 2
    assert Document.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"file": "x.md"}', "list of manuals"),
        ('[{"title": "no file"}]', "needs a 'file'"),
        ('[{"file": "../outside.md"}]', "outside"),
        ('[{"file": "missing.md"}]', "does not exist"),
        ('[{"file": "maintenance-v40-en.md", "machine_models": "V4.0"}]', "list of strings"),
    ],
)
def test_bad_manifest_is_a_clear_error(manuals_dir, settings, manifest, message):
    settings.ABPARTS_SCHEMA = "abparts_seed_test"
    (manuals_dir.parent / "outside.md").write_text("# Outside\n\ntext\n")
    (manuals_dir / "manifest.json").write_text(manifest)
    with pytest.raises(CommandError, match=message):
        seed_demo("--manuals-dir", str(manuals_dir), "--no-tokens")


@pytest.mark.django_db
def test_missing_manifest_is_reported_not_fatal(tmp_path, settings):
    settings.ABPARTS_SCHEMA = "abparts_seed_test"
    out, err = seed_demo("--manuals-dir", str(tmp_path / "nowhere"), "--no-tokens")
    assert "no manuals ingested" in err and "6 machines" in out


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.skipif(not (REAL_MANUALS / "manifest.json").exists(), reason="demo/manuals is not there yet")
def test_seed_demo_with_the_real_demo_manuals(settings, tmp_path):
    settings.ABPARTS_SCHEMA = "abparts_seed_test"
    settings.MEDIA_ROOT = tmp_path / "media"
    out, err = seed_demo("--no-tokens")
    entries = json.loads((REAL_MANUALS / "manifest.json").read_text(encoding="utf-8"))
    entries = entries.get("manuals", entries) if isinstance(entries, dict) else entries
    assert f"{len(entries)} manuals ready" in out, out + err
    documents = Document.objects.all()
    assert documents.count() == len(entries)
    assert all(d.status == DocumentStatus.READY and d.chunks.exists() for d in documents)
    assert {d.file_name for d in documents} == {Path(e["file"]).name for e in entries}
    # The V4.0 manual's maintenance schedule is what the suggestions cite.
    thousand = [i for i in service_intervals(machine_model="V4.0") if i.hours == 1000 and i.schedule]
    assert any(i.document_title == "AutoBoss V4.0 Operator Manual" and i.language == "en" for i in thousand)
    # Re-running is a no-op for unchanged manuals (content hash).
    out, _ = seed_demo("--no-tokens")
    assert out.count(": unchanged") == len(entries)
