"""The admin under the Content-Security-Policy in a real browser (issue 11): Debian's chromium signs
in and opens the pages support staff use; the browser reports no blocked script, style or frame and
no script error. The static check in test_web_security.py finds inline parts in our HTML; this one
also catches what the admin's own JavaScript would do at run time."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model

from conftest import service_unavailable
from escalations.tests.test_emails import make_ticket
from knowledge.models import Document

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def browser_page():
    """Started after the test's data exists: Playwright's sync API runs an event loop in this thread,
    and Django refuses ORM calls from a thread with a running loop."""
    if not os.path.exists(CHROMIUM):
        service_unavailable(f"{CHROMIUM} is missing (apt-get install chromium; .ci/apt-packages.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.problems = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"{m.text} {m.location.get('url')}"))
        page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
        yield page
        browser.close()


def test_staff_pages_run_under_the_policy_without_violations(live_server):
    get_user_model().objects.create_superuser("root", "root@example.com", "a-long-local-password")
    document = Document.objects.create(title="Pump manual", language="en", status="ready", file="manual.md")
    ticket = make_ticket(transcript=[{"role": "user", "content": "It stops", "created_at": "2026-12-01T10:00Z"}])
    with browser_page() as page:
        _visit_staff_pages(page, live_server.url, document.id, ticket.id)


def _visit_staff_pages(page, base: str, document_id: int, ticket_id: int) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "a-long-local-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    for path in [
        "/admin/knowledge/document/",
        f"/admin/knowledge/document/{document_id}/change/",
        "/admin/knowledge/document/add/",
        "/admin/escalations/ticket/",
        f"/admin/escalations/ticket/{ticket_id}/change/",
        "/api/docs/",
    ]:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert "Content-Security-Policy" in {name.title() for name in response.headers}
        page.wait_for_load_state("networkidle")
    # The admin's scripts ran (the changelist's select-all box is wired by actions.js).
    page.goto(f"{base}/admin/escalations/ticket/")
    assert page.locator("#action-toggle").count() == 1
    assert page.problems == []
