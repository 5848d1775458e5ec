"""Machine selectors against the real `abparts` alias (read-only connection, demo data from seed_demo's DDL)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connections
from django.http import Http404
from django.utils import timezone

from abparts import demo, selectors
from abparts.db import ABPartsUnavailable
from core.identity import AuthenticatedIdentity

pytestmark = pytest.mark.django_db(databases=["default", "abparts"])


@pytest.fixture
def identity(django_user_model):
    user = django_user_model.objects.create_user("someone")

    def identity(*, organization_id=None, role=None, source="abparts"):
        return AuthenticatedIdentity(user=user, source=source, organization_id=organization_id, role=role)

    return identity


# --- visibility ---------------------------------------------------------------------------------------
def test_operator_sees_only_own_organization(abparts_demo, identity):
    machines = list(selectors.machines_visible_to(identity=identity(organization_id=demo.ORG_NORDFJORD, role="user")))
    assert {m.id for m in machines} == {demo.MACHINE_NORDFJORD_RIG1, demo.MACHINE_NORDFJORD_RIG2}
    assert {m.customer_organization.name for m in machines} == {"Nordfjord Salmon AS"}


def test_admin_role_does_not_widen_visibility(abparts_demo, identity):
    machines = selectors.machines_visible_to(identity=identity(organization_id=demo.ORG_AEGEAN, role="admin"))
    assert {m.id for m in machines} == {demo.MACHINE_AEGEAN_A, demo.MACHINE_AEGEAN_B, demo.MACHINE_AEGEAN_SPARE}


def test_super_admin_sees_all(abparts_demo, identity):
    machines = selectors.machines_visible_to(identity=identity(organization_id=demo.ORG_ORASEAS, role="super_admin"))
    assert machines.count() == len(demo.DEMO_MACHINES) == 6


@pytest.mark.parametrize(
    "kwargs", [{"organization_id": None, "role": "user"}, {"source": "session"}], ids=["no-organization", "session"]
)
def test_identity_without_organization_sees_nothing(abparts_demo, identity, kwargs):
    assert list(selectors.machines_visible_to(identity=identity(**kwargs))) == []
    assert list(selectors.machines_visible_to(identity=None)) == []


def test_get_for_identity_hides_other_organizations_machines_as_404(abparts_demo, identity):
    operator = identity(organization_id=demo.ORG_NORDFJORD, role="user")
    assert selectors.machine_get_for_identity(identity=operator, machine_id=demo.MACHINE_NORDFJORD_RIG1).name
    for machine_id in (demo.MACHINE_AEGEAN_A, uuid.uuid4(), "not-a-uuid", str(demo.MACHINE_AEGEAN_A)):
        with pytest.raises(Http404):
            selectors.machine_get_for_identity(identity=operator, machine_id=machine_id)
    # The string form of a visible id works too (a chat session stores machine ids as text).
    machine = selectors.machine_get_for_identity(identity=operator, machine_id=str(demo.MACHINE_NORDFJORD_RIG2))
    assert machine.model_type == "V3.1B"


def test_list_carries_latest_hours_in_one_query(abparts_demo, identity, django_assert_num_queries):
    super_admin = identity(role="super_admin")
    with django_assert_num_queries(1, using="abparts"):
        machines = {m.id: m for m in selectors.machines_list_for_identity(identity=super_admin)}
        names = [m.customer_organization.name for m in machines.values()]  # joined, no extra query
    assert len(names) == 6
    assert float(machines[demo.MACHINE_NORDFJORD_RIG1].latest_hours) == 1180
    assert machines[demo.MACHINE_NORDFJORD_RIG1].latest_hours_date.date() == timezone.now().date() - timedelta(days=3)
    assert machines[demo.MACHINE_ORASEAS_BENCH].latest_hours is None


# --- the context --------------------------------------------------------------------------------------
def test_context_of_the_overdue_v40(abparts_demo, identity, service_manual, django_assert_num_queries):
    operator = identity(organization_id=demo.ORG_NORDFJORD, role="user")
    machine = selectors.machine_get_for_identity(identity=operator, machine_id=abparts_demo.machine_id)
    with django_assert_num_queries(4, using="abparts"):
        context = selectors.machine_context(machine=machine)

    details = context.machine
    assert (details.name, details.model_type, details.serial_number) == ("Kvitholmen Rig 1", "V4.0", "AB40-2023-0117")
    assert details.status == "active" and details.location == "Kvitholmen site, Nordfjord"
    assert details.under_warranty is True and details.warranty_expiry_date > timezone.now()
    assert details.organization_name == "Nordfjord Salmon AS"
    assert details.organization_id == demo.ORG_NORDFJORD

    assert context.hours.value == 1180.0
    assert context.hours.recorded_date.date() == timezone.now().date() - timedelta(days=3)

    # Newest first, with the parts used and the hours estimated from the readings around each date.
    assert [m.type for m in context.maintenance] == ["cleaning", "repair", "scheduled"]
    service = context.maintenance[2]
    assert service.description.startswith("500-hour service")
    assert [(p.part_number, p.quantity) for p in service.parts] == [
        ("AB-HF-2210", 1.0),
        ("AB-NZ-0415", 1.0),
        ("AB-OIL-HV46", 20.0),
    ]
    assert service.parts[0].name == "Hydraulic return filter element"
    assert service.hours_at_service == pytest.approx(501, abs=1)  # serviced at ~500 h

    assert [(u.part_number, u.quantity) for u in context.recent_part_usage] == [
        ("AB-OIL-HV46", 5.0),
        ("AB40-BD-0300", 4.0),
    ]

    # 1 180 h: the 1 000 h point passed with only a cleaning since; both intervals reach it.
    overdue = {s.interval_hours: s for s in context.suggestions}
    assert set(overdue) == {500, 1000}
    thousand = overdue[1000]
    assert (thousand.status, thousand.due_at_hours, thousand.hours_overdue) == ("overdue", 1000, 180.0)
    assert thousand.hours_until_due is None and thousand.current_hours == 1180.0
    task = thousand.tasks[0]
    assert "pump seal kit" in task.task and task.document_id == service_manual.id
    assert task.document_title == "AutoBoss V4.0 Service Manual" and task.page == 1
    # The 50 h operator check never becomes a suggestion.
    assert all(s.interval_hours >= 100 for s in context.suggestions)


def test_due_soon_and_up_to_date_machines(abparts_demo, identity, service_manual):
    super_admin = identity(role="super_admin")
    due = selectors.machine_get_for_identity(identity=super_admin, machine_id=demo.MACHINE_AEGEAN_A)
    suggestions = selectors.machine_context(machine=due).suggestions
    assert [(s.status, s.interval_hours, s.due_at_hours, s.hours_until_due) for s in suggestions] == [
        ("due_soon", 500, 500, 38.0)
    ]
    spare = selectors.machine_get_for_identity(identity=super_admin, machine_id=demo.MACHINE_AEGEAN_SPARE)
    context = selectors.machine_context(machine=spare)
    assert context.suggestions == () and context.machine.under_warranty is False
    assert context.machine.status == "inactive"


def test_a_recent_service_clears_the_overdue_suggestion(abparts_demo, identity, service_manual):
    abparts_demo.execute(
        "INSERT INTO {s}.machine_maintenance (id, machine_id, maintenance_date, maintenance_type, "
        "performed_by_user_id, description) VALUES (%s, %s, now() - interval '1 day', 'scheduled', %s, %s)",
        [uuid.uuid4(), abparts_demo.machine_id, abparts_demo.operator_id, "1000-hour service"],
    )
    operator = identity(organization_id=abparts_demo.organization_id, role="user")
    machine = selectors.machine_get_for_identity(identity=operator, machine_id=abparts_demo.machine_id)
    context = selectors.machine_context(machine=machine)
    assert context.suggestions == ()
    assert context.maintenance[0].description == "1000-hour service"


def test_machine_without_hours_or_manual(abparts_demo, identity):
    super_admin = identity(role="super_admin")
    bench = selectors.machine_get_for_identity(identity=super_admin, machine_id=demo.MACHINE_ORASEAS_BENCH)
    context = selectors.machine_context(machine=bench)
    assert context.hours is None and context.suggestions == () and context.maintenance == ()
    # Hours but no manual in the knowledge base: no intervals, so no suggestions either.
    rig = selectors.machine_get_for_identity(identity=super_admin, machine_id=abparts_demo.machine_id)
    assert selectors.machine_context(machine=rig).suggestions == ()


def test_reads_go_through_the_read_only_alias(abparts_demo):
    with pytest.raises(Exception, match="read-only transaction"), connections["abparts"].cursor() as cursor:
        cursor.execute("UPDATE machines SET name = 'x'")


@pytest.mark.django_db(databases=["default", "abparts"], transaction=True)
def test_missing_tables_raise_abparts_unavailable(abparts_empty, identity):
    connection = connections["abparts"]
    original = connection.settings_dict["OPTIONS"]["options"]
    # A connection whose search_path has no ABParts tables: what an unseeded embedded database looks like.
    connection.settings_dict["OPTIONS"]["options"] = original.replace("search_path=abparts", "search_path=nothing")
    connection.close()
    try:
        with pytest.raises(ABPartsUnavailable) as raised:
            selectors.machines_list_for_identity(identity=identity(role="super_admin"))
        assert raised.value.reason == "missing"
    finally:
        connection.settings_dict["OPTIONS"]["options"] = original
        connection.close()
