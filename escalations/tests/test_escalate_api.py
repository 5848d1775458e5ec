"""The escalate endpoints: the legacy widget contract (SPEC §4.2) field by field, and the native one."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from assistant.auth.services import demo_token_issue
from assistant.models import ChatSession
from core.text.phrases import phrase
from escalations.models import ExpertContact, Ticket

from .helpers import conversation

pytestmark = pytest.mark.usefixtures("escalation_settings")

PREFIXES = ["/api/ai", "/ai/api/ai"]
NUMBER = re.compile(r"AB-\d{8}-\d{4}")
LEGACY_FIELDS = {"ticket_id", "ticket_number", "status", "message", "expert_contact_info"}
INFO_FIELDS = {
    "primary_contact", "alternative_contacts", "escalation_reason", "recommended_action", "ticket_reference",
}  # fmt: skip
CONTACT_FIELDS = {"name", "email", "phone", "hours", "specialization"}


@pytest.fixture
def bearer(operator):
    return {"HTTP_AUTHORIZATION": f"Bearer {demo_token_issue(username=operator.username)}"}


@pytest.fixture
def experts(db):
    return [
        ExpertContact.objects.create(
            name="Eleni Papadaki", email="eleni@autoboss.test", phone="+30 210 000 0000", hours="Mon–Fri 08–16",
            specialization="Pumps and hydraulics", languages=["el", "en"], rank=10,
        ),
        ExpertContact.objects.create(name="Anna Berg", email="anna@autoboss.test", languages=["nb", "en"], rank=20),
        ExpertContact.objects.create(name="Omar Haddad", email="omar@autoboss.test", languages=["ar"], rank=30),
    ]  # fmt: skip


def post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def legacy_body(reason="steps_exceeded", priority="medium", notes="The pump still loses pressure"):
    return {"escalation_reason": reason, "priority": priority, "additional_notes": notes}


def assert_contact(contact: dict) -> None:
    assert set(contact) == CONTACT_FIELDS, contact
    assert all(isinstance(value, str) for value in contact.values()), contact


def assert_legacy_shape(body: dict) -> None:
    assert set(body) == LEGACY_FIELDS, body
    for name in ["ticket_id", "ticket_number", "status", "message"]:
        assert isinstance(body[name], str), (name, body[name])
    info = body["expert_contact_info"]
    assert set(info) == INFO_FIELDS, info
    assert_contact(info["primary_contact"])
    assert isinstance(info["alternative_contacts"], list)
    for alternative in info["alternative_contacts"]:
        assert_contact(alternative)
    for name in ["escalation_reason", "recommended_action", "ticket_reference"]:
        assert isinstance(info[name], str), (name, info[name])


@pytest.mark.parametrize("prefix", PREFIXES)
def test_legacy_escalate_contract(client, operator, bearer, experts, prefix):
    session = conversation(
        operator, ("user", "Η αντλία χάνει πίεση"), ("assistant", "Ελέγξτε το φίλτρο."), language="el"
    )

    response = post(client, f"{prefix}/sessions/{session.id}/escalate", legacy_body(), bearer)

    assert response.status_code == 201, response.content
    body = response.json()
    assert_legacy_shape(body)
    ticket = Ticket.objects.get(session=session)
    assert body["ticket_id"] == str(ticket.id)
    assert NUMBER.fullmatch(body["ticket_number"]) and body["ticket_number"] == ticket.number
    assert body["status"] == "open"
    info = body["expert_contact_info"]
    assert info["primary_contact"] == {
        "name": "Eleni Papadaki",
        "email": "eleni@autoboss.test",
        "phone": "+30 210 000 0000",
        "hours": "Mon–Fri 08–16",
        "specialization": "Pumps and hydraulics",
    }
    assert [c["name"] for c in info["alternative_contacts"]] == ["Anna Berg", "Omar Haddad"]
    assert info["alternative_contacts"][0]["phone"] == ""  # never null: the widget renders strings
    assert info["escalation_reason"] == "steps_exceeded"
    assert info["ticket_reference"] == ticket.number
    expected = phrase("escalation_created", "el", ticket=ticket.number, name="Eleni Papadaki")
    assert body["message"] == expected and info["recommended_action"] == expected
    assert (ticket.reason, ticket.priority, ticket.operator_notes) == (
        "steps_exceeded",
        "medium",
        "The pump still loses pressure",
    )


def test_legacy_escalate_again_is_201_with_the_same_ticket(client, operator, bearer, experts):
    session = conversation(operator, ("user", "help"))
    first = post(client, f"/api/ai/sessions/{session.id}/escalate", legacy_body(), bearer)
    second = post(client, f"/ai/api/ai/sessions/{session.id}/escalate", legacy_body(reason="safety_concern"), bearer)
    assert (first.status_code, second.status_code) == (201, 201)
    assert_legacy_shape(second.json())
    assert second.json()["ticket_id"] == first.json()["ticket_id"]
    assert second.json()["message"] == phrase("escalation_exists", "en", ticket=first.json()["ticket_number"])
    assert second.json()["expert_contact_info"]["escalation_reason"] == "steps_exceeded"
    assert Ticket.objects.count() == 1


def test_legacy_body_fields_are_optional_and_null_is_accepted(client, operator, bearer):
    session = conversation(operator, ("user", "help"))
    response = post(
        client,
        f"/api/ai/sessions/{session.id}/escalate",
        {"escalation_reason": None, "priority": None, "additional_notes": None},
        bearer,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert_legacy_shape(body)
    # No expert configured: the default support contact from settings.
    assert body["expert_contact_info"]["primary_contact"]["name"] == "AutoBoss Support"
    assert body["expert_contact_info"]["alternative_contacts"] == []
    ticket = Ticket.objects.get(pk=int(body["ticket_id"]))
    assert (ticket.reason, ticket.priority, ticket.operator_notes) == ("user_request", "medium", "")
    assert post(client, f"/api/ai/sessions/{uuid.uuid4()}/escalate", {}, bearer).status_code == 404


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("header", [None, "Bearer not-a-real-token"])
def test_legacy_escalate_without_a_valid_token_is_a_401_json(client, operator, prefix, header):
    session = conversation(operator, ("user", "help"))
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = post(client, f"{prefix}/sessions/{session.id}/escalate", legacy_body(), headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed"}
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_legacy_escalate_of_another_operators_session_is_a_404(client, operator, bearer, django_user_model, prefix):
    other = django_user_model.objects.create_user("other-operator")
    session = conversation(other, ("user", "help"))
    response = post(client, f"{prefix}/sessions/{session.id}/escalate", legacy_body(), bearer)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Ticket.objects.exists()
    assert ChatSession.objects.get(pk=session.pk).status == "active"


@pytest.mark.parametrize(
    "body",
    [
        legacy_body(reason="bored"),
        legacy_body(priority="asap"),
        legacy_body(notes=["not", "text"]),
    ],
)
def test_legacy_escalate_invalid_values_are_a_400_json(client, operator, bearer, body):
    session = conversation(operator, ("user", "help"))
    response = post(client, f"/api/ai/sessions/{session.id}/escalate", body, bearer)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["details"]
    assert not Ticket.objects.exists()
    malformed = client.post(
        f"/api/ai/sessions/{session.id}/escalate", "{not json", content_type="application/json", **bearer
    )
    assert malformed.status_code == 400 and "error" in malformed.json()


# --- native ---------------------------------------------------------------------------------------


def test_native_escalate_201_then_200(api, operator, experts):
    session = conversation(operator, ("user", "Maskinen står stille"), language="nb")
    url = f"/api/v1/sessions/{session.id}/escalate/"
    response = api.post(url, {"reason": "complex_issue", "notes": "Since 06:00", "contact_preference": "SMS"},
                        content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"ticket", "created", "expert_contact_info", "message"}
    ticket = Ticket.objects.get(session=session)
    assert body["ticket"]["id"] == ticket.id and body["ticket"]["number"] == ticket.number
    assert {k: body["ticket"][k] for k in ["status", "priority", "reason"]} == {
        "status": "open",
        "priority": "high",  # the operator said the machine stands still
        "reason": "complex_issue",
    }
    assert body["ticket"]["created_at"]
    assert body["created"] is True
    assert set(body["expert_contact_info"]) == INFO_FIELDS
    assert body["expert_contact_info"]["primary_contact"]["name"] == "Anna Berg"  # speaks nb
    assert body["message"] == phrase("escalation_created", "nb", ticket=ticket.number, name="Anna Berg")
    assert (ticket.operator_notes, ticket.contact_preference) == ("Since 06:00", "SMS")

    again = api.post(url, {}, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["ticket"]["id"] == ticket.id
    assert again.json()["message"] == phrase("escalation_exists", "nb", ticket=ticket.number)


def test_native_escalate_errors(client, api, operator, django_user_model):
    session = conversation(operator, ("user", "help"))
    url = f"/api/v1/sessions/{session.id}/escalate/"
    invalid = api.post(url, {"reason": "bored"}, content_type="application/json")
    assert invalid.status_code == 400 and "reason" in invalid.json()["error"]["details"]
    assert api.post(url, {"priority": "asap"}, content_type="application/json").status_code == 400
    other = conversation(django_user_model.objects.create_user("other-operator"), ("user", "help"))
    assert api.post(f"/api/v1/sessions/{other.id}/escalate/", {}, content_type="application/json").status_code == 404
    client.logout()
    unauthenticated = client.post(url, {}, content_type="application/json")
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"]["code"] == "not_authenticated"
    assert not Ticket.objects.exists()


def test_both_endpoints_are_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values() if "operationId" in op}
    assert {"sessions_escalate", "legacy_ai_session_escalate"} <= operations
    assert "/api/ai/sessions/{session_id}/escalate" in schema["paths"]
    assert "/api/v1/sessions/{session_id}/escalate/" in schema["paths"]
