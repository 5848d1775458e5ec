"""A small, real world for the whole-API tests (fuzzing, authorization matrix): who calls, and what they own.

Built through the same public surface an operator uses (the HTTP API with bearer tokens), on the
demo ABParts data set, so every object is exactly what production would hold.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from abparts import demo
from abparts.tests.fixtures import make_abparts_operator

# The first message of each conversation: a fault of troubleshooting_manual, so it starts a run
# and shows a step (a step id to answer, a reply to rate).
FAULT = "The pump loses pressure and the panel shows alarm P-206"


@dataclass
class Owned:
    """What one caller owns (ids), for "own object" and "other's object" requests."""

    session_id: uuid.UUID
    message_id: int  # the assistant's reply (the one a thumbs up/down rates)
    step_id: int  # the troubleshooting step shown with that reply


@dataclass
class Caller:
    name: str
    token: str | None = None  # None: anonymous
    user: Any = None
    organization_id: uuid.UUID | None = None
    abparts_role: str = ""  # ABParts role (user, admin, super_admin) or "" for local staff
    groups: tuple[str, ...] = ()
    is_staff: bool = False
    is_superuser: bool = False
    owned: Owned | None = None
    # A machine this caller may see, and one it may not (None: there is none of that kind).
    machine_visible: uuid.UUID | None = None
    machine_hidden: uuid.UUID | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}


@dataclass
class World:
    callers: dict[str, Caller] = field(default_factory=dict)
    document_id: int = 0  # a ready manual (pages readable by any authenticated caller)

    def __getitem__(self, name: str) -> Caller:
        return self.callers[name]


def _token_for(user) -> str:
    from assistant.auth.services import api_token_create

    return api_token_create(user=user, name="world")[1]


def staff_caller(*, name: str, groups: tuple[str, ...] = (), superuser: bool = False) -> Caller:
    """A local staff member (no ABParts account) with a bearer token, in the given Django groups."""
    user = get_user_model().objects.create_user(
        f"world-{name}", password="pw-world-123", is_staff=True, is_superuser=superuser
    )
    user.groups.set(Group.objects.filter(name__in=groups))
    return Caller(name=name, token=_token_for(user), user=user, groups=groups, is_staff=True, is_superuser=superuser)


def abparts_caller(*, name: str, user_id: uuid.UUID) -> Caller:
    demo_user = next(u for u in demo.DEMO_USERS if u.id == user_id)
    operator = make_abparts_operator(demo_user)
    return Caller(
        name=name,
        token=operator.token,
        user=operator.user,
        organization_id=operator.organization_id,
        abparts_role=operator.role,
    )


def start_conversation(caller: Caller, *, machine_id: uuid.UUID | None) -> Owned:
    """A conversation of `caller` with a troubleshooting run waiting on its first step."""
    client = Client()
    body = {"machine_id": str(machine_id)} if machine_id else {"machine_model": "V4.0"}
    created = client.post("/api/v1/sessions/", body, content_type="application/json", **caller.headers)
    assert created.status_code == 201, created.content
    session_id = uuid.UUID(created.json()["id"])
    reply = client.post(
        f"/api/v1/sessions/{session_id}/messages/",
        {"content": FAULT},
        content_type="application/json",
        **caller.headers,
    )
    assert reply.status_code == 201, reply.content
    step = reply.json()["step"]
    assert step is not None, reply.json()
    return Owned(session_id=session_id, message_id=reply.json()["id"], step_id=step["id"])


# Which demo machine each organization's operators may see, and one of another organization.
_MACHINES = {
    demo.ORG_NORDFJORD: (demo.MACHINE_NORDFJORD_RIG1, demo.MACHINE_AEGEAN_A),
    demo.ORG_AEGEAN: (demo.MACHINE_AEGEAN_A, demo.MACHINE_NORDFJORD_RIG1),
}


def build_world(*, document_id: int) -> World:
    """Every kind of caller the API knows, each owning a conversation with a step and a reply.

    * operator_a, operator_b: two operators (role `user`) of one customer organization;
    * operator_c: an operator of another customer organization;
    * super_admin: ABParts' super_admin (sees every machine, but nobody else's conversation);
    * one staff member per Django group the migrations create (a new group is a new row here),
      a staff member in no group, and a Django superuser;
    * anonymous: no token.
    """
    world = World(document_id=document_id)
    callers = [
        abparts_caller(name="operator_a", user_id=demo.USER_KARI),
        abparts_caller(name="operator_b", user_id=demo.USER_AHMED),
        abparts_caller(name="operator_c", user_id=demo.USER_CARMEN),
        abparts_caller(name="super_admin", user_id=demo.USER_SUPPORT),
    ]
    for group in Group.objects.order_by("name"):
        callers.append(staff_caller(name=f"staff:{group.name}", groups=(group.name,)))
    callers.append(staff_caller(name="staff:no-group"))
    callers.append(staff_caller(name="superuser", superuser=True))
    for caller in callers:
        visible, hidden = _MACHINES.get(caller.organization_id, (None, None))
        if caller.abparts_role == "super_admin":
            visible, hidden = demo.MACHINE_AEGEAN_A, None  # sees everything
        caller.machine_visible, caller.machine_hidden = visible, hidden
        caller.owned = start_conversation(caller, machine_id=visible)
        world.callers[caller.name] = caller
    world.callers["anonymous"] = Caller(name="anonymous")
    return world
