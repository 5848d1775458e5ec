"""The machine API (GET /api/v1/machines/, /api/v1/machines/{id}/context/) through the real URLs and auth."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from abparts import demo
from abparts.tests.fixtures import make_abparts_operator
from conftest import free_port
from knowledge.tests.conftest import ingest_file

pytestmark = pytest.mark.django_db(databases=["default", "abparts"])

MACHINES = "/api/v1/machines/"


def context_url(machine_id) -> str:
    return f"/api/v1/machines/{machine_id}/context/"


def _user(user_id: uuid.UUID) -> demo.DemoUser:
    return next(u for u in demo.DEMO_USERS if u.id == user_id)


# --- list -------------------------------------------------------------------------------------------------
def test_operator_lists_own_organizations_machines_with_latest_hours(client, abparts_demo, abparts_operator):
    response = client.get(MACHINES, **abparts_operator.auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["name"] for m in body] == ["Hestneset Rig 2", "Kvitholmen Rig 1"]
    rig1 = body[1]
    assert rig1 == {
        "id": str(demo.MACHINE_NORDFJORD_RIG1),
        "name": "Kvitholmen Rig 1",
        "model_type": "V4.0",
        "serial_number": "AB40-2023-0117",
        "status": "active",
        "location": "Kvitholmen site, Nordfjord",
        "organization": {"id": str(demo.ORG_NORDFJORD), "name": "Nordfjord Salmon AS"},
        "hours": {"value": 1180.0, "recorded_date": rig1["hours"]["recorded_date"]},
    }
    assert body[0]["status"] == "maintenance" and body[0]["hours"]["value"] == 2460.0


def test_list_query_count_does_not_grow_with_machines(
    client, abparts_demo, abparts_operator, abparts_super_admin, django_assert_num_queries
):
    """One ABParts query whatever the number of machines; our own database's work is per request, not per row."""
    counts = {}
    for who, expected in ((abparts_operator, 2), (abparts_super_admin, 6)):
        client.get(MACHINES, **who.auth)  # warm: first-use writes (token last_used_at, throttle keys)
        with django_assert_num_queries(1, using="abparts"), CaptureQueriesContext(connection) as default_queries:
            response = client.get(MACHINES, **who.auth)
        assert len(response.json()) == expected
        counts[expected] = len(default_queries)
    assert counts[2] == counts[6]


def test_super_admin_lists_every_machine(client, abparts_demo, abparts_super_admin):
    body = client.get(MACHINES, **abparts_super_admin.auth).json()
    assert len(body) == 6
    bench = next(m for m in body if m["id"] == str(demo.MACHINE_ORASEAS_BENCH))
    assert bench["hours"] is None


def test_user_without_abparts_account_sees_nothing(client, abparts_demo, django_user_model, admin_client):
    from assistant.auth.services import api_token_create

    plain = django_user_model.objects.create_user("plain")
    _, token = api_token_create(user=plain)
    assert client.get(MACHINES, HTTP_AUTHORIZATION=f"Bearer {token}").json() == []
    # A staff login to the admin has no ABParts organization either.
    assert admin_client.get(MACHINES).json() == []
    assert admin_client.get(context_url(abparts_demo.machine_id)).status_code == 404


def test_anonymous_is_401(client, abparts_demo):
    response = client.get(MACHINES)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- context ----------------------------------------------------------------------------------------------
def test_context_of_an_overdue_machine_with_citations(
    client, abparts_demo, abparts_operator, service_manual, django_assert_num_queries
):
    with django_assert_num_queries(5, using="abparts"):  # the machine, hours, maintenance, its parts, part usage
        response = client.get(context_url(abparts_demo.machine_id), **abparts_operator.auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["machine"]["serial_number"] == "AB40-2023-0117"
    assert body["machine"]["under_warranty"] is True
    assert body["machine"]["organization_name"] == "Nordfjord Salmon AS"
    assert body["hours"]["value"] == 1180.0
    assert [m["type"] for m in body["maintenance"]] == ["cleaning", "repair", "scheduled"]
    assert body["maintenance"][1]["parts"] == [
        {"part_number": "AB-OR-0021", "name": "O-ring kit, hydraulic couplings", "quantity": 1.0},
        {"part_number": "AB-UH-1010", "name": "Umbilical hose coupling", "quantity": 1.0},
    ]
    assert body["recent_part_usage"][0]["part_number"] == "AB-OIL-HV46"
    first = body["suggestions"][0]
    assert {k: first[k] for k in ("status", "interval_hours", "due_at_hours", "hours_overdue")} == {
        "status": "overdue",
        "interval_hours": 1000,
        "due_at_hours": 1000,
        "hours_overdue": 180.0,
    }
    task = first["tasks"][0]
    assert task["document_id"] == service_manual.id and task["page"] == 1
    assert task["document_title"] == "AutoBoss V4.0 Service Manual"
    assert "pump seal kit" in task["task"]


def test_context_task_language(client, abparts_demo, abparts_operator, service_manual, tmp_path):
    greek = tmp_path / "v40-el.md"
    greek.write_text(
        "# AutoBoss V4.0 Εγχειρίδιο\n\n## Πρόγραμμα συντήρησης\n\n"
        "- Κάθε 1 000 ώρες λειτουργίας: αντικατάσταση του κιτ τσιμουχών της αντλίας.\n",
        encoding="utf-8",
    )
    ingest_file(greek, machine_models=["V4.0"], language="el")
    url = context_url(abparts_demo.machine_id)

    def thousand_tasks(**params):
        body = client.get(url, params, **abparts_operator.auth).json()
        return [t["task"] for s in body["suggestions"] if s["interval_hours"] == 1000 for t in s["tasks"]]

    # Kari prefers Norwegian: no Norwegian manual, so English.
    assert thousand_tasks() == [
        "Every 1 000 operating hours | Replace the pump seal kit and service the rotor bearings"
    ]
    assert thousand_tasks(language="el") == [
        "Κάθε 1 000 ώρες λειτουργίας: αντικατάσταση του κιτ τσιμουχών της αντλίας."
    ]


def test_other_organizations_machine_is_404_like_an_unknown_one(client, abparts_demo, abparts_operator):
    for machine_id in (abparts_demo.other_machine_id, uuid.uuid4()):
        response = client.get(context_url(machine_id), **abparts_operator.auth)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/machines/not-a-uuid/context/", **abparts_operator.auth).status_code == 404


def test_super_admin_reads_any_context(client, abparts_demo, abparts_super_admin):
    response = client.get(context_url(abparts_demo.other_machine_id), **abparts_super_admin.auth)
    assert response.status_code == 200
    assert response.json()["machine"]["organization_name"] == "Aegean Aquaculture S.A."


def test_greek_operator_is_scoped_to_aegean(client, abparts_demo):
    giorgos = make_abparts_operator(_user(demo.USER_GIORGOS))
    assert giorgos.language == "el"
    names = {m["name"] for m in client.get(MACHINES, **giorgos.auth).json()}
    assert names == {"Poros Unit A", "Chios Unit B", "Spare unit"}
    assert client.get(context_url(abparts_demo.machine_id), **giorgos.auth).status_code == 404


# --- ABParts' database not readable -------------------------------------------------------------------------
@pytest.fixture
def abparts_connection_options():
    """Change the `abparts` connection's settings for one test (reconnects), then put them back."""
    connection = connections["abparts"]
    original = {key: connection.settings_dict.get(key) for key in ("HOST", "PORT")}
    original_options = dict(connection.settings_dict["OPTIONS"])

    def change(**values):
        options = values.pop("OPTIONS", None)
        connection.settings_dict.update(values)
        if options:
            connection.settings_dict["OPTIONS"].update(options)
        connection.close()

    yield change
    connection.settings_dict.update(original)
    connection.settings_dict["OPTIONS"] = original_options
    connection.close()


@pytest.mark.django_db(databases=["default", "abparts"], transaction=True)
def test_not_seeded_is_503_with_a_clear_message(client, abparts_empty, abparts_operator, abparts_connection_options):
    options = connections["abparts"].settings_dict["OPTIONS"]["options"]
    abparts_connection_options(OPTIONS={"options": options.replace("search_path=abparts", "search_path=missing")})
    for url in (MACHINES, context_url(demo.MACHINE_NORDFJORD_RIG1)):
        response = client.get(url, **abparts_operator.auth)
        assert response.status_code == 503, response.content
        error = response.json()["error"]
        assert error["code"] == "abparts_unavailable"
        assert "seed_demo" in error["message"]


@pytest.mark.django_db(databases=["default", "abparts"], transaction=True)
def test_unreachable_is_503_without_details(client, abparts_empty, abparts_operator, abparts_connection_options):
    abparts_connection_options(HOST="127.0.0.1", PORT=str(free_port()))
    response = client.get(MACHINES, **abparts_operator.auth)
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "abparts_unavailable"
    assert "try again" in error["message"] and "127.0.0.1" not in response.content.decode()


def test_schema_documents_the_endpoints(client, db):
    schema = client.get("/api/schema/?format=json").json()
    assert schema["paths"]["/api/v1/machines/"]["get"]["operationId"] == "machines_list"
    context = schema["paths"]["/api/v1/machines/{machine_id}/context/"]["get"]
    assert context["operationId"] == "machines_context"
    assert {"200", "503"} <= set(context["responses"])
