"""The widget's static files: the size budget of issue 14, and the demo page at / in both modes."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from abparts import demo

STATIC = Path(settings.BASE_DIR) / "assistant" / "static" / "assistant"
FIRST_LOAD = ("widget.js", "widget.css")  # the floating button
PANEL = ("widget-panel.js", "widget-i18n.js")  # imported on first open
BUDGET = 30 * 1024


def gzipped(names) -> int:
    return sum(len(gzip.compress((STATIC / name).read_bytes(), compresslevel=9, mtime=0)) for name in names)


def test_widget_fits_the_size_budget():
    first, everything = gzipped(FIRST_LOAD), gzipped(FIRST_LOAD + PANEL)
    print(f"\nwidget gzipped: first load {first} B, with the panel {everything} B (budget {BUDGET} B)")
    assert everything <= BUDGET
    assert first <= 5 * 1024  # the button alone stays small: the panel waits for the first open


def test_widget_never_puts_the_token_in_a_url_and_inserts_no_server_html():
    code = "".join((STATIC / name).read_text() for name in ("widget.js", "widget-panel.js"))
    assert "token=" not in code and "access_token" not in code
    assert '"Authorization: "' not in code and 'Authorization: "Bearer " + bearer' in code
    # innerHTML only ever receives the widget's own constant SVG icons.
    assignments = re.findall(r"innerHTML\s*=\s*([^;]*)", code)
    assert len(assignments) >= 5
    for value in assignments:
        assert value.lstrip().startswith("'<svg"), value


@pytest.mark.django_db
def test_demo_page_offers_the_seed_demo_operators_and_issues_a_working_token(client, settings):
    from abparts.services import demo_accounts_sync

    settings.DEMO_PAGE_ENABLED = True
    demo_accounts_sync()
    page = client.get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Giorgos Papadakis" in body and 'id="demo-operator"' in body
    assert (
        "script-src 'self'" in page["Content-Security-Policy"]
        and "unsafe-inline" not in page["Content-Security-Policy"]
    )
    assert "/static/assistant/widget.js" in body

    unknown = client.post("/demo/operator-token/", json.dumps({"username": "nobody"}), content_type="application/json")
    assert unknown.status_code == 400
    issued = client.post(
        "/demo/operator-token/", json.dumps({"username": "ahmed.rashid"}), content_type="application/json"
    )
    assert issued.status_code == 200 and issued.json()["language"] == "ar"
    sessions = client.get("/api/v1/sessions/", HTTP_AUTHORIZATION=f"Bearer {issued.json()['token']}")
    assert sessions.status_code == 200 and sessions.json() == []
    assert client.get("/api/v1/sessions/", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401


@pytest.mark.django_db
def test_demo_token_needs_the_csrf_token(settings):
    from django.test import Client

    from abparts.services import demo_accounts_sync

    settings.DEMO_PAGE_ENABLED = True
    demo_accounts_sync()
    response = Client(enforce_csrf_checks=True).post(
        "/demo/operator-token/", json.dumps({"username": "ahmed.rashid"}), content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_without_the_demo_setting_the_page_shows_nothing_sensitive(client, settings):
    from abparts.services import demo_accounts_sync

    settings.DEBUG = False
    settings.DEMO_PAGE_ENABLED = False
    demo_accounts_sync()
    page = client.get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="demo-operator"' not in body
    for user in demo.DEMO_USERS:
        assert user.username not in body and user.name not in body
    assert "/static/assistant/widget.js" in body  # the widget itself is there; it asks ABParts for a login
    response = client.post(
        "/demo/operator-token/", json.dumps({"username": "ahmed.rashid"}), content_type="application/json"
    )
    assert response.status_code == 404
