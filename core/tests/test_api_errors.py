"""The one JSON error shape, exercised through real DRF views."""

from __future__ import annotations

import pytest
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView


class EchoView(APIView):
    permission_classes = [AllowAny]
    throttle_classes: list = []

    class InputSerializer(serializers.Serializer):
        count = serializers.IntegerField(min_value=1)

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class BrokenView(APIView):
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


class OneRequestThrottle(AnonRateThrottle):
    rate = "1/min"
    scope = "test-one"


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [OneRequestThrottle]

    def get(self, request):
        return Response({"ok": True})


class PrivateView(APIView):
    def get(self, request):
        return Response({"ok": True})


factory = APIRequestFactory()


def test_validation_errors_have_field_details():
    response = EchoView.as_view()(factory.post("/x", {"count": "many"}, format="json"))
    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid"
    assert "count" in response.data["error"]["details"]


def test_malformed_json_is_a_400_not_a_500():
    response = EchoView.as_view()(factory.post("/x", "{oops", content_type="application/json"))
    assert response.status_code == 400
    assert response.data["error"]["code"] == "parse_error"


def test_unexpected_errors_hide_exception_text(caplog):
    response = BrokenView.as_view()(factory.get("/x"))
    assert response.status_code == 500
    assert response.data["error"] == {"code": "server_error", "message": "Something went wrong on our side."}
    assert "hunter2" not in str(response.data)
    assert any(r.exc_info for r in caplog.records), "the cause must be logged server-side"


def test_unauthenticated_is_json(db):
    response = PrivateView.as_view()(factory.get("/x"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.data["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_throttling_returns_429_with_retry_after():
    from django.core.cache import cache

    cache.clear()
    view = ThrottledView.as_view()
    assert view(factory.get("/x", REMOTE_ADDR="10.9.8.7")).status_code == 200
    response = view(factory.get("/x", REMOTE_ADDR="10.9.8.7"))
    assert response.status_code == 429
    assert response.data["error"]["code"] == "throttled"
    assert response.data["error"]["details"]["retry_after_seconds"] > 0


def test_schema_and_docs_are_served(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI assets come from this server (drf-spectacular-sidecar), not from a CDN.
    assert b"cdn.jsdelivr" not in docs.content and b"swagger-ui" in docs.content


def test_a_post_to_an_unknown_api_url_is_a_json_404_not_a_csrf_page(db):
    from django.test import Client

    # Found by the API fuzz: the CSRF middleware answered first, with its HTML 403 page.
    response = Client(enforce_csrf_checks=True).post("/api/v1/sessions/not-a-uuid/resolve/", {}, "application/json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
