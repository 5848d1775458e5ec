"""Headers and origins (issue 11): one Content-Security-Policy for every page, with nothing inline in
the pages we serve, and CORS only for the widget's configured host origins, only on the API."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import override_settings

from escalations.tests.test_emails import make_ticket
from knowledge.models import Document

pytestmark = pytest.mark.django_db

HOST = "https://abparts.example.com"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


class InlineFinder(HTMLParser):
    """What a strict policy would block: inline scripts, <style> elements, style/on* attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self._in_script = True
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag}[{n}]" for n in names if n == "style" or n.startswith("on")]

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def inline_parts(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


@pytest.fixture
def pages(admin_client):
    document = Document.objects.create(title="Pump manual", language="en", status="ready", file="manual.md")
    ticket = make_ticket(transcript=[{"role": "user", "content": "It stops", "created_at": "2026-12-01T10:00Z"}])
    return [
        "/admin/",
        "/admin/knowledge/document/",
        f"/admin/knowledge/document/{document.id}/change/",
        "/admin/escalations/ticket/",
        f"/admin/escalations/ticket/{ticket.id}/change/",
        "/admin/escalations/emaildelivery/",
        "/",
    ]


def test_every_page_has_the_strict_policy_and_nothing_inline(admin_client, pages):
    for path in pages:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        policy = directives(response)
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], path
        assert inline_parts(response.content.decode()) == [], path


def test_api_responses_carry_the_policy_too(client):
    response = client.get("/api/v1/sessions/")
    assert response.status_code == 401
    assert directives(response)["default-src"] == ["'self'"]


def test_api_docs_run_their_script_from_a_file(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    # Swagger UI's template keeps one inline <style>; that page alone allows inline styles.
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert [part for part in inline_parts(response.content.decode()) if part != "<style>"] == []
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content


@override_settings(CORS_ALLOWED_ORIGINS=[HOST])
def test_the_widget_host_may_call_the_api_with_a_bearer_header(client):
    preflight = client.options(
        "/api/v1/sessions/",
        HTTP_ORIGIN=HOST,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == HOST
    assert {"authorization", "content-type"} <= set(preflight["Access-Control-Allow-Headers"].split(", "))
    assert "Access-Control-Allow-Credentials" not in preflight  # tokens travel in a header, never cookies

    legacy = client.post("/ai/api/ai/chat", data={}, content_type="application/json", HTTP_ORIGIN=HOST)
    assert legacy["Access-Control-Allow-Origin"] == HOST
    assert "x-request-id" in legacy["Access-Control-Expose-Headers"]


@override_settings(CORS_ALLOWED_ORIGINS=[HOST])
def test_other_origins_and_non_api_paths_get_no_cors_headers(client):
    elsewhere = client.options(
        "/api/v1/sessions/", HTTP_ORIGIN="https://evil.example.net", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in elsewhere
    admin = client.get("/admin/login/", HTTP_ORIGIN=HOST)
    assert "Access-Control-Allow-Origin" not in admin


def test_no_origin_is_allowed_until_configured(client):
    response = client.options("/api/v1/sessions/", HTTP_ORIGIN=HOST, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in response


def test_a_host_page_may_load_the_widget_panel_module(client):
    # A cross-origin dynamic import() needs CORS on the module itself; WhiteNoise sends it.
    response = client.get("/static/assistant/widget-panel.js", HTTP_ORIGIN=HOST)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
