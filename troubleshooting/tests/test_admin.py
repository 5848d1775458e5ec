"""The troubleshooting admin: runs and statistics are read-only, fix cards are reviewed."""

from __future__ import annotations

import pytest
from django.test import Client

from troubleshooting.models import FixCard, StepStat, TroubleshootingRun
from troubleshooting.tests.fixtures import answer, say


@pytest.fixture
def staff(django_user_model):
    # Its own client: `api` (the operator) is logged in on the default one.
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("expert", "expert@example.test", "pw-expert-123"))
    return client


@pytest.fixture
def saved_fix(api, session_id):
    step = say(api, session_id, "The pump loses pressure while cleaning the net", language="en")["step"]
    answer(api, session_id, step["id"], "worked")
    response = api.post(f"/api/v1/sessions/{session_id}/resolve/", {"save_fix": True}, content_type="application/json")
    return FixCard.objects.get(pk=response.json()["fix_card_id"])


def test_runs_are_listed_and_shown_with_their_steps_but_not_editable(staff, saved_fix):
    run = TroubleshootingRun.objects.get()
    listing = staff.get("/admin/troubleshooting/troubleshootingrun/?status=resolved")
    assert listing.status_code == 200 and "Pump loses pressure" in listing.content.decode()
    page = staff.get(f"/admin/troubleshooting/troubleshootingrun/{run.pk}/change/")
    assert page.status_code == 200
    assert "Check the water inlet filter and clean it" in page.content.decode()
    assert staff.get("/admin/troubleshooting/troubleshootingrun/add/").status_code == 403
    stat = StepStat.objects.get(tries=1.0)  # the step that worked; the others were ruled out untried
    deleted = staff.post(f"/admin/troubleshooting/stepstat/{stat.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403 and StepStat.objects.filter(pk=stat.pk).exists()


def test_a_fix_card_is_approved_by_the_reviewer(staff, saved_fix):
    response = staff.post(
        "/admin/troubleshooting/fixcard/",
        {"action": "approve", "_selected_action": [saved_fix.pk]},
        follow=True,
    )
    assert response.status_code == 200
    saved_fix.refresh_from_db()
    assert saved_fix.status == FixCard.Status.APPROVED
    assert saved_fix.reviewed_by.username == "expert" and saved_fix.reviewed_at is not None
