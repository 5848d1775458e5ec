from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth import get_user_model

from core.logging import pseudonymize
from core.tasks import ping


@pytest.mark.django_db
def test_one_json_line_per_request_with_documented_fields(client, json_log_lines):
    user = get_user_model().objects.create_user("operator1", password="x-very-secret-1")
    client.force_login(user)

    response = client.get("/api/v1/does-not-exist/", HTTP_X_REQUEST_ID="abcdef0123456789")

    request_lines = [line for line in json_log_lines() if line.get("event") == "http_request"]
    assert len(request_lines) == 1, request_lines
    line = request_lines[0]
    assert line["request_id"] == "abcdef0123456789" == response["X-Request-ID"]
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/does-not-exist/"
    assert line["status"] == 404
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"
    assert line["logger"] == "autoboss.request"
    assert "time" in line
    # Pseudonymous: neither the id nor the username appears, but the value is stable per user.
    assert line["user"] == pseudonymize(user.pk)
    assert str(user.pk) != line["user"] and "operator1" not in json.dumps(line)


def test_request_id_is_generated_when_missing_or_unsafe(client, json_log_lines):
    response = client.get("/health/ready-not-a-url", HTTP_X_REQUEST_ID="<script>")
    generated = response["X-Request-ID"]
    assert generated != "<script>" and len(generated) == 32
    uuid.UUID(generated)


def test_celery_task_logs_carry_task_name_and_id(json_log_lines, db):
    result = ping.apply(kwargs={"token": "log-test"})
    lines = [line for line in json_log_lines() if line.get("event") == "celery_ping"]
    assert len(lines) == 1
    assert lines[0]["task_name"] == "core.ping"
    assert lines[0]["task_id"] == result.id


@pytest.mark.django_db
def test_metrics_expose_requests_and_tasks(client):
    client.get("/health/live")
    ping.apply(kwargs={"token": "metrics-test"})
    body = client.get("/metrics").content.decode()
    assert 'django_http_requests_total_by_method_total{method="GET"}' in body
    assert 'autoboss_celery_tasks_total{state="SUCCESS",task="core.ping"}' in body
    assert 'autoboss_celery_task_duration_seconds_count{task="core.ping"}' in body


def test_api_errors_are_json_without_exception_text(client, db):
    response = client.post("/api/v1/anything/", data="{not json", content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"]["code"] == "not_found"
    assert body["request_id"] == response["X-Request-ID"]
