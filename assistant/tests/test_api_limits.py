"""Bounded requests (issue 11, hole 3): body size for every content type, every list and string field.

DRF parses JSON from the request stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never applied to
it; a body over the cap is a 413 in the error envelope, in the conversation's language, before it
is read.
"""

from __future__ import annotations

import json

import pytest

from core.text.phrases import phrase

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_chat_budget(monkeypatch):
    """Many requests in a few seconds, on user ids an earlier run may have used: no 429 in the way."""
    from rest_framework import throttling

    rates = {scope: "10000/min" for scope in throttling.SimpleRateThrottle.THROTTLE_RATES}
    # Each class: another test may have set the attribute on a subclass.
    for throttle in (throttling.SimpleRateThrottle, throttling.ScopedRateThrottle, throttling.UserRateThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", rates)


def _session(api, **body) -> str:
    response = api.post("/api/v1/sessions/", body, "application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _assert_too_large(response, language: str) -> None:
    assert response.status_code == 413, response.content[:300]
    body = response.json()
    assert body["error"]["code"] == "request_too_large"
    assert body["error"]["message"] == phrase("request_too_large", language)
    assert "request_id" in body


def test_a_json_body_over_the_cap_is_a_413_in_the_conversations_language(api, settings):
    settings.API_MAX_BODY_BYTES = 64 * 1024
    session_id = _session(api, language="tr")
    body = json.dumps({"content": "x" * (settings.API_MAX_BODY_BYTES + 10)})
    response = api.post(f"/api/v1/sessions/{session_id}/messages/", body, "application/json")
    _assert_too_large(response, "tr")


def test_a_form_body_is_refused_whatever_its_size(api, settings):
    # The chat reads JSON only (config/settings/api.py): a form, small or over API_MAX_BODY_BYTES,
    # is a 415 and is never parsed.
    settings.API_MAX_BODY_BYTES = 64 * 1024
    session_id = _session(api, language="el")
    for body in ("content=hello", "content=" + "x" * settings.API_MAX_BODY_BYTES):
        response = api.generic(
            "POST", f"/api/v1/sessions/{session_id}/messages/", body, "application/x-www-form-urlencoded"
        )
        assert response.status_code == 415, response.content
        assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=BoUnDaRy", "text/plain", ""])
def test_any_body_over_the_request_cap_is_a_413_before_it_is_read(api, settings, content_type):
    settings.REQUEST_MAX_BODY_BYTES = 100 * 1024
    session_id = _session(api, language="el")
    body = b"a" * (settings.REQUEST_MAX_BODY_BYTES + 1)
    url = f"/api/v1/sessions/{session_id}/messages/"
    # No view runs, so the conversation is unknown: the caller's Accept-Language is used.
    _assert_too_large(api.generic("POST", url, body, content_type, HTTP_ACCEPT_LANGUAGE="es"), "es")


def test_the_legacy_history_is_bounded_in_length_and_per_item(api):
    def chat(history):
        body = {"message": "hello", "language": "es", "conversation_history": history}
        return api.post("/api/ai/chat", body, "application/json")

    item = {"role": "user", "content": "earlier", "timestamp": 1764000000}
    assert chat([item] * 200).status_code == 200
    assert chat([item] * 201).status_code == 400
    assert chat([{**item, "content": "x" * 8000}]).status_code == 200
    assert chat([{**item, "content": "x" * 8001}]).status_code == 400
    assert chat([{**item, "timestamp": {"nested": ["x" * 1000]}}]).status_code == 400


def test_the_legacy_chat_over_the_cap_is_a_413(api, settings):
    settings.API_MAX_BODY_BYTES = 64 * 1024
    history = [{"role": "user", "content": "x" * 4000}] * (settings.API_MAX_BODY_BYTES // 4000 + 1)
    body = json.dumps({"message": "hello", "language": "ar", "conversation_history": history})
    # The body (and its `language`) is not read: the caller's preferred language, else Accept-Language.
    response = api.post("/api/ai/chat", body, "application/json", HTTP_ACCEPT_LANGUAGE="ar")
    _assert_too_large(response, "ar")


def test_a_malformed_body_gets_a_fixed_translated_message_not_the_parsers_text(api):
    session_id = _session(api, language="nb")
    response = api.post(f"/api/v1/sessions/{session_id}/messages/", '{"content": "x",', "application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert error["message"] == phrase("invalid_request", "nb")
    text = response.content.decode()
    assert "JSON" not in text and "Expecting" not in text and "char" not in text


def test_a_refused_conversation_says_fixed_translated_words_not_the_exceptions_text(api):
    # The service's message quoted the input ("Unsupported language 'xx<script>'"), and any ValueError
    # from deeper down reached the client the same way (issue 11, hole 5).
    response = api.post("/api/v1/sessions/", {"language": "xx<script>"}, "application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"language": [phrase("unsupported_language", "en")]}
    response = api.post("/api/v1/sessions/", {"machine_model": "V9<b>", "language": "tr"}, "application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"machine_model": [phrase("unknown_machine_model", "tr")]}
    assert "<b>" not in response.content.decode()
