"""The demo page at `/`: an ABParts-like page with the chat widget embedded (SPEC §3.9, issue 14).

With DEMO_PAGE_ENABLED (the embedded default) a visitor picks one of the `seed_demo` operators and
gets a short-lived demo token for them; otherwise the page shows the widget with no operator and
nothing else: no user names, no tokens.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from abparts import demo
from abparts.services import USERNAME_PREFIX

from .auth.services import DemoTokenError, demo_token_issue

DEMO_TOKEN_DAYS = 1


def demo_enabled() -> bool:
    return bool((settings.DEBUG or settings.DEMO_PAGE_ENABLED) and settings.DEMO_TOKENS_ENABLED)


def _demo_operators() -> list[demo.DemoUser]:
    """The seed_demo operators that exist here (seed_demo has run), in the demo's order."""
    local = {f"{USERNAME_PREFIX}{u.id}": u for u in demo.DEMO_USERS}
    present = set(get_user_model().objects.filter(username__in=local).values_list("username", flat=True))
    return [user for name, user in local.items() if name in present]


@require_GET
@ensure_csrf_cookie
def demo_page(request: HttpRequest) -> HttpResponse:
    enabled = demo_enabled()
    operators = _demo_operators() if enabled else []
    context = {
        "demo": enabled,
        "operators": [
            {"username": u.username, "name": u.name, "role": u.role, "language": u.preferred_language}
            for u in operators
        ],
    }
    # The project-wide Content-Security-Policy applies (config/settings/web_security.py): nothing
    # inline. The widget is built to work under it (its CSS is a <link> in its shadow root, its
    # panel a module from the same folder).
    return render(request, "assistant/demo.html", context)


@require_POST
def demo_operator_token(request: HttpRequest) -> JsonResponse:
    """A demo token for one seed_demo operator (CSRF-protected POST from the demo page only)."""
    if not demo_enabled():
        raise Http404
    try:
        username = json.loads(request.body or b"{}").get("username", "")
    except (ValueError, AttributeError):
        username = ""
    chosen = next((u for u in _demo_operators() if u.username == username), None)
    if chosen is None:
        return JsonResponse({"error": {"code": "unknown_operator", "message": "Unknown demo operator."}}, status=400)
    try:
        token = demo_token_issue(
            username=f"{USERNAME_PREFIX}{chosen.id}", name="demo-page", expires_days=DEMO_TOKEN_DAYS
        )
    except DemoTokenError:
        return JsonResponse({"error": {"code": "unknown_operator", "message": "Unknown demo operator."}}, status=400)
    language = "nb" if chosen.preferred_language == "no" else chosen.preferred_language
    return JsonResponse({"token": token, "name": chosen.name, "language": language})
