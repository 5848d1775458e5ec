"""The authorization matrix: every URL × every kind of caller × {own object, someone else's}: 0 leaks.

The routes come from the URL resolver, not from a list: `ROUTES` says, per route name, how to call
it and who may; a route the resolver has and `ROUTES` lacks fails `test_every_route_has_an_entry`,
so a new endpoint cannot ship without saying who may call it. Admin pages follow one rule derived
from Django's permissions (`_admin_expectation`), so a newly registered model is covered at once;
an admin view of its own (a custom URL) needs its entry like any endpoint.

Callers (config/tests/world.py): anonymous, operators A and B of one organization, operator C of
another, ABParts' super_admin, one staff member per Django group, staff in no group, a superuser.
"Other's object" is operator A's (operator B's for A itself): a conversation, its step, its reply,
a machine of another organization. A leak is a 2xx where the caller had no right, or another
caller's data in a 2xx body.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from abparts import demo

from .world import Caller, World

pytestmark = pytest.mark.django_db(databases=["default", "abparts"])

OWN, OTHERS = "own", "others"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: dict | None = None
    multipart: dict | None = None


@dataclass(frozen=True)
class Route:
    """How to call one route for (caller, target), and which statuses are right.

    `call` returns None when the combination does not exist (anonymous owns nothing). `allowed`
    says whether the caller may do it (then `ok` statuses are expected; otherwise `denied`
    statuses). `leak` may inspect a 2xx body for someone else's data.
    """

    call: Callable[[World, Caller, str], Call | None]
    allowed: Callable[[Caller, str], bool]
    ok: frozenset[int] = frozenset({200})
    denied: frozenset[int] | None = None  # None: 401 for anonymous, 404 for another's object, else 403
    leak: Callable[[World, Caller, str, dict], str | None] | None = None
    targets: tuple[str, ...] = (OWN, OTHERS)
    session_login: bool = False  # the demo page and the admin use Django's session, not a bearer token


def victim(world: World, caller: Caller) -> Caller:
    return world["operator_b"] if caller.name == "operator_a" else world["operator_a"]


def target_owner(world: World, caller: Caller, target: str) -> Caller | None:
    if target == OWN:
        return caller if caller.owned else None
    return victim(world, caller)


def authenticated(caller: Caller, target: str) -> bool:
    return caller.token is not None


def own_only(caller: Caller, target: str) -> bool:
    return caller.token is not None and target == OWN


def staff(caller: Caller, target: str) -> bool:
    return caller.is_staff


def knowledge_editor(caller: Caller, target: str) -> bool:
    return caller.is_superuser or "Knowledge editors" in caller.groups


def anyone(caller: Caller, target: str) -> bool:
    return True


def _session_call(suffix: str, method: str = "POST", body: dict | None = None):
    def build(world: World, caller: Caller, target: str) -> Call | None:
        owner = target_owner(world, caller, target)
        if owner is None:
            return None
        owned = owner.owned
        path = f"/api/v1/sessions/{owned.session_id}/{suffix}".replace("{step_id}", str(owned.step_id))
        return Call(method, path, json=body if method == "POST" else None)

    return build


def _no_target(method: str, path: str, **kwargs):
    def build(world: World, caller: Caller, target: str) -> Call | None:
        return Call(method, path, **kwargs)

    return build


def _sessions_leak(world: World, caller: Caller, target: str, body) -> str | None:
    others = {str(c.owned.session_id) for c in world.callers.values() if c.owned and c is not caller}
    shown = {item["id"] for item in body}
    return f"lists {sorted(shown & others)}" if shown & others else None


def _machines_leak(world: World, caller: Caller, target: str, body) -> str | None:
    if caller.abparts_role == "super_admin":
        return None
    foreign = [m["id"] for m in body if m["organization"]["id"] != str(caller.organization_id)]
    return f"lists machines of another organization: {foreign}" if foreign else None


def _machine_call(world: World, caller: Caller, target: str) -> Call | None:
    # Own: one of the caller's organization; other's: another organization's (super_admin sees both).
    machine = caller.machine_visible if target == OWN else caller.machine_hidden or demo.MACHINE_ORASEAS_BENCH
    return Call("GET", f"/api/v1/machines/{machine}/context/") if machine else None


def _machine_allowed(caller: Caller, target: str) -> bool:
    return caller.token is not None and (target == OWN or caller.abparts_role == "super_admin")


def _message_feedback_call(world: World, caller: Caller, target: str) -> Call | None:
    owner = target_owner(world, caller, target)
    if owner is None:
        return None
    return Call("POST", f"/api/v1/messages/{owner.owned.message_id}/feedback/", json={"rating": "up"})


def _legacy(name: str, build_body: Callable[[Caller], dict] | None = None, with_path: bool = False):
    def build(world: World, caller: Caller, target: str) -> Call | None:
        owner = target_owner(world, caller, target) or world["operator_a"]
        if target == OWN and not caller.owned:
            return None
        owned = owner.owned
        if with_path:
            return Call("POST", reverse(name, kwargs={"session_id": owned.session_id}), json={})
        return Call("POST", reverse(name), json=build_body(owned))

    return build


def _legacy_chat_leak(world: World, caller: Caller, target: str, body) -> str | None:
    # The widget's chat with someone else's session id must start a new conversation of the caller's.
    owner = target_owner(world, caller, target)
    if target == OTHERS and body.get("session_id") == str(owner.owned.session_id):
        return "continued another operator's conversation"
    if target == OWN and body.get("session_id") != str(caller.owned.session_id):
        return "did not continue the caller's own conversation"
    return None


def _upload_call(world: World, caller: Caller, target: str) -> Call:
    data = f"# Matrix manual for {caller.name}\n\nCheck the nozzle set every 50 hours.\n".encode()
    file = io.BytesIO(data)
    file.name = f"matrix-{caller.name.replace(':', '-').replace(' ', '-')}.md"
    return Call("POST", "/api/v1/knowledge/documents/", multipart={"file": file, "doc_type": "manual"})


def _page_call(world: World, caller: Caller, target: str) -> Call:
    return Call("GET", f"/api/v1/knowledge/documents/{world.document_id}/pages/1/")


def _document_call(world: World, caller: Caller, target: str) -> Call:
    return Call("GET", f"/api/v1/knowledge/documents/{world.document_id}/")


def _erasure_status_call(world: World, caller: Caller, target: str) -> Call | None:
    # The owner's erasure request (created here, not run: its task waits for a commit that never
    # comes in this test), read by the caller.
    from privacy.services import erasure_request_create

    owner = target_owner(world, caller, target)
    if owner is None:
        return None
    erasure, _ = erasure_request_create(user=owner.user, source="api", enqueue=False)
    return Call("GET", f"/api/v1/me/erase/{erasure.id}/")


NONE = (OWN,)  # a route without objects: called once per caller

API_ROUTES: dict[str, Route] = {
    "health-live": Route(_no_target("GET", "/health/live"), anyone, targets=NONE),
    "health-ready": Route(_no_target("GET", "/health/ready"), anyone, ok=frozenset({200, 503}), targets=NONE),
    # Prometheus text for the scraper: no user data; nginx keeps it internal (deploy/nginx).
    "prometheus-django-metrics": Route(_no_target("GET", "/metrics"), anyone, targets=NONE),
    "api-schema": Route(_no_target("GET", "/api/schema/"), anyone, targets=NONE),
    "api-docs": Route(_no_target("GET", "/api/docs/"), anyone, targets=NONE),
    "favicon": Route(_no_target("GET", "/favicon.ico"), anyone, ok=frozenset({302}), targets=NONE),
    # Only ever the caller's own data: there is no id to point at someone else's.
    "me-export": Route(_no_target("GET", "/api/v1/me/export/"), authenticated, targets=NONE),
    "me-erase": Route(
        _no_target("POST", "/api/v1/me/erase/", json={}), authenticated, ok=frozenset({202}), targets=NONE
    ),
    "me-erase-status": Route(_erasure_status_call, own_only),
    "sessions": Route(_no_target("GET", "/api/v1/sessions/"), authenticated, leak=_sessions_leak, targets=NONE),
    "session": Route(_session_call("", "GET"), own_only),
    "session-messages": Route(
        _session_call("messages/", body={"content": "What is the tank capacity?"}), own_only, ok=frozenset({201})
    ),
    "session-step-feedback": Route(
        _session_call("steps/{step_id}/feedback/", body={"outcome": "didnt_work"}), own_only, ok=frozenset({201})
    ),
    "session-escalate": Route(
        _session_call("escalate/", body={"reason": "user_request"}), own_only, ok=frozenset({200, 201})
    ),
    "session-resolve": Route(_session_call("resolve/", body={}), own_only),
    "message-feedback": Route(_message_feedback_call, own_only, ok=frozenset({201})),
    "machines": Route(_no_target("GET", "/api/v1/machines/"), authenticated, leak=_machines_leak, targets=NONE),
    "machine-context": Route(_machine_call, _machine_allowed),
    "knowledge-search": Route(
        _no_target("POST", "/api/v1/knowledge/search/", json={"query": "nozzle"}), authenticated, targets=NONE
    ),
    "knowledge-documents": Route(_no_target("GET", "/api/v1/knowledge/documents/"), staff, targets=NONE),
    "knowledge-document": Route(_document_call, staff, targets=NONE),
    "knowledge-document-page": Route(_page_call, authenticated, targets=NONE),
    "demo-page": Route(_no_target("GET", "/"), anyone, targets=NONE, session_login=True),
}
# Uploads: the POST of knowledge-documents, by knowledge editors only.
UPLOAD = Route(_upload_call, knowledge_editor, ok=frozenset({200, 202}), targets=NONE)

for _prefix in ("", "legacy-prefixed:"):
    API_ROUTES[f"{_prefix}legacy-chat"] = Route(
        _legacy(f"{_prefix}legacy-chat", lambda owned: {"message": "What is the tank capacity?",
                                                         "session_id": str(owned.session_id)}),
        authenticated,
        leak=_legacy_chat_leak,
    )  # fmt: skip
    API_ROUTES[f"{_prefix}legacy-step-feedback"] = Route(
        _legacy(f"{_prefix}legacy-step-feedback", lambda owned: {"session_id": str(owned.session_id),
                                                                  "step_id": str(owned.step_id),
                                                                  "feedback": "didnt_work"}),
        own_only,
    )  # fmt: skip
    API_ROUTES[f"{_prefix}legacy-escalate"] = Route(
        _legacy(f"{_prefix}legacy-escalate", with_path=True), own_only, ok=frozenset({201})
    )


def _demo_token_allowed(caller: Caller, target: str) -> bool:
    from assistant.views import demo_enabled

    # The embedded default's demo page hands out tokens for the seed_demo operators, to anyone
    # (decision of issue 14; off in production: DEMO_TOKENS_ENABLED defaults to false there).
    return demo_enabled()


API_ROUTES["demo-operator-token"] = Route(
    _no_target("POST", "/demo/operator-token/", json={"username": "kari.nordmann"}),
    _demo_token_allowed,
    denied=frozenset({404}),
    targets=NONE,
    session_login=True,
)

# Admin views of their own (not one of a ModelAdmin's five): who may open them.
ADMIN_CUSTOM: dict[str, Callable[[Caller], bool]] = {
    # Any staff member may try the search (read-only); re-ingesting and the original file follow
    # the document's permissions (knowledge editors change; staff may view).
    "admin:knowledge_document_search_test": lambda caller: caller.is_staff,
    "admin:knowledge_document_file": lambda caller: caller.is_staff,
    "admin:knowledge_document_reingest": lambda caller: caller.is_superuser or "Knowledge editors" in caller.groups,
    # Setting another user's password: whoever may change users.
    "admin:auth_user_password_change": lambda caller: caller.user.has_perm("auth.change_user"),
}
# Apps whose admin any staff member may read, whatever their permissions: the manuals and what was
# made of them are no one's personal data, and staff answer operators from them (knowledge/admin.py;
# the API's document list is staff-only for the same reason).
ADMIN_ANY_STAFF_MAY_VIEW = {"knowledge"}
# Admin pages that are the same for everyone (the login page, its static catalog).
ADMIN_PUBLIC = {"admin:login", "admin:jsi18n"}
# Admin routes not called: logout (ends the session the matrix uses), redirects to an object's
# public page (none of our models has one), the password change of the signed-in user.
ADMIN_NOT_CALLED = {"admin:logout", "admin:view_on_site", "admin:password_change", "admin:password_change_done"}
ADMIN_MODEL_VIEWS = ("changelist", "add", "change", "history", "delete")
# Unnamed patterns: the JSON 404 under /api/ and the admin's own catch-alls and redirects.
UNNAMED = {r"^(ai/)?api/", r"admin/(?P<url>.*)$"}


def resolver_routes() -> list[tuple[str, str]]:
    """(name, pattern) of every URL the project serves, from the resolver."""

    def walk(patterns, prefix: str, namespace: str | None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                joined = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), joined)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                yield name or "", prefix + str(pattern.pattern)

    return list(walk(get_resolver().url_patterns, "", None))


def _admin_model_route(name: str):
    """(model admin, view) when `name` is one of a registered ModelAdmin's five views."""
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix) and name[len(prefix) :] in ADMIN_MODEL_VIEWS:
            return model_admin, name[len(prefix) :]
    return None


def _is_admin_object_redirect(name: str, pattern: str) -> bool:
    # ModelAdmin's unnamed "<id>/" → "<id>/change/" redirect: the change view's rule covers it.
    return not name and pattern.startswith("admin/") and pattern.endswith("<path:object_id>/")


def test_every_route_has_an_entry():
    """A route nobody decided about is a failure: add it to ROUTES (or the admin tables) with who may call it."""
    missing = []
    for name, pattern in resolver_routes():
        if name in API_ROUTES or name == "knowledge-documents":
            continue
        if name in ADMIN_CUSTOM or name in ADMIN_PUBLIC or name in ADMIN_NOT_CALLED:
            continue
        if name in {"admin:index", "admin:app_list", "admin:autocomplete"} or _admin_model_route(name):
            continue
        if not name and (pattern in UNNAMED or _is_admin_object_redirect(name, pattern)):
            continue
        missing.append(name or pattern)
    assert not missing, f"routes without an authorization entry: {missing}"


def _request(client: Client, call: Call, caller: Caller, *, session_login: bool):
    headers = {} if session_login else caller.headers
    if call.multipart is not None:
        return client.post(call.path, call.multipart, **headers)
    if call.method == "GET":
        return client.get(call.path, **headers)
    return client.post(call.path, call.json or {}, content_type="application/json", **headers)


def _expected_denial(route: Route, caller: Caller, target: str) -> frozenset[int]:
    if route.denied is not None:
        return route.denied
    if caller.token is None:
        return frozenset({401})
    if target == OTHERS and route.allowed(caller, OWN):
        return frozenset({404})  # someone else's object: as if it did not exist
    return frozenset({403, 404})


def test_authorization_matrix(world):
    problems: list[str] = []
    calls = 0
    routes = [(name, route) for name, route in API_ROUTES.items()]
    routes.append(("knowledge-documents (upload)", UPLOAD))
    # Writes that end a conversation's run last, so the calls before them see it running.
    order = ["session-resolve", "session-escalate", "legacy-escalate", "legacy-prefixed:legacy-escalate"]
    routes.sort(key=lambda item: order.index(item[0]) if item[0] in order else -1)
    for name, route in routes:
        for caller in world.callers.values():
            for target in route.targets:
                call = route.call(world, caller, target)
                if call is None:
                    continue
                client = Client()
                if route.session_login and caller.user is not None:
                    client.force_login(caller.user)
                response = _request(client, call, caller, session_login=route.session_login)
                calls += 1
                allowed = route.allowed(caller, target)
                expected = route.ok if allowed else _expected_denial(route, caller, target)
                where = f"{name} as {caller.name} on {target}'s ({call.method} {call.path})"
                if response.status_code not in expected:
                    kind = "LEAK" if 200 <= response.status_code < 300 and not allowed else "wrong status"
                    problems.append(f"{kind}: {where}: {response.status_code}, expected {sorted(expected)}")
                    continue
                if allowed and route.leak and 200 <= response.status_code < 300:
                    found = route.leak(world, caller, target, response.json())
                    if found:
                        problems.append(f"LEAK: {where}: {found}")
    print(f"authorization matrix: {calls} API calls")
    assert not problems, "\n".join(problems)


def _admin_expectation(name: str, user) -> bool:
    """May `user` open this admin page? From Django's permissions, not from the admin's own answer."""
    if not (user.is_active and user.is_staff):
        return False
    if name in ADMIN_CUSTOM:
        return None  # decided per caller by ADMIN_CUSTOM
    if name == "admin:index":
        return True
    found = _admin_model_route(name)
    if found is None:
        return True
    model_admin, view = found
    opts = model_admin.model._meta
    perm = {"add": "add", "delete": "delete"}.get(view)
    if perm:
        return user.has_perm(f"{opts.app_label}.{perm}_{opts.model_name}")
    if opts.app_label in ADMIN_ANY_STAFF_MAY_VIEW:
        return True
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def test_admin_matrix(world):
    """Every admin page × anonymous, an operator (no staff) and every staff role: no page opens for
    someone Django's permissions do not allow (a stricter admin, e.g. a read-only one, is fine)."""
    problems: list[str] = []
    not_exercised: list[str] = []
    # A ticket (transcripts: the most private rows) and a fix card, so their pages have a row to show.
    owner = world["operator_a"]
    sessions = f"/api/v1/sessions/{owner.owned.session_id}"
    assert Client().post(f"{sessions}/escalate/", {}, "application/json", **owner.headers).status_code == 201
    resolved = Client().post(f"{sessions}/resolve/", {"save_fix": True, "note": "Cleaned the inlet filter."},
                             "application/json", **owner.headers)  # fmt: skip
    assert resolved.status_code == 200 and resolved.json()["fix_card_id"], resolved.content
    callers = [world["anonymous"], world["operator_a"]] + [c for c in world.callers.values() if c.is_staff]
    for name, _pattern in resolver_routes():
        if not name.startswith("admin:") or name in ADMIN_NOT_CALLED:
            continue
        found = _admin_model_route(name)
        kwargs = {}
        if name == "admin:app_list":
            kwargs = {"app_label": "escalations"}
        elif name == "admin:autocomplete":
            continue  # answers only with parameters naming a registered autocomplete field; none is
        if found and found[1] in ("change", "history", "delete"):
            obj = found[0].model._default_manager.order_by("pk").first()
            if obj is None:
                not_exercised.append(name)
                continue
            kwargs = {"object_id": obj.pk}
        if name in ("admin:knowledge_document_reingest", "admin:knowledge_document_file"):
            kwargs = {"object_id": world.document_id}
        if name == "admin:auth_user_password_change":
            kwargs = {"id": world["operator_a"].user.pk}
        path = reverse(name, kwargs=kwargs)
        for caller in callers:
            client = Client()
            if caller.user is not None:
                client.force_login(caller.user)
            response = client.get(path)
            user = caller.user
            if name in ADMIN_PUBLIC:
                continue  # the login page and the JS catalog: anyone
            if name in ADMIN_CUSTOM:
                allowed = user is not None and user.is_staff and ADMIN_CUSTOM[name](caller)
            elif name == "admin:app_list":
                allowed = user is not None and user.is_staff and user.has_module_perms("escalations")
            else:
                allowed = user is not None and _admin_expectation(name, user)
            opened = response.status_code == 200
            if opened and not allowed:
                problems.append(f"LEAK: {path} as {caller.name}: 200")
            if not opened and response.status_code not in (302, 403, 404, 405):
                problems.append(f"{path} as {caller.name}: {response.status_code}")
    print(f"admin matrix: not exercised (no row): {not_exercised}")
    assert not problems, "\n".join(problems)
