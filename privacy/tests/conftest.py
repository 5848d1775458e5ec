"""Fixtures of the privacy tests: an operator with a bearer token and a manual with procedures."""

from __future__ import annotations

import json

import pytest

from assistant.auth.services import demo_token_issue
from troubleshooting.tests.fixtures import troubleshooting_manual  # noqa: F401


class BearerClient:
    """The test client with an operator's bearer token on every request (how the widget calls us)."""

    def __init__(self, client, user):
        self.client, self.user = client, user
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {demo_token_issue(username=user.username)}"}

    def get(self, path):
        return self.client.get(path, **self.headers)

    def post(self, path, body=None, expect=(200, 201)):
        response = self.client.post(path, json.dumps(body or {}), content_type="application/json", **self.headers)
        if expect:
            assert response.status_code in expect, response.content
        return response


@pytest.fixture
def ingrid(django_user_model):
    return django_user_model.objects.create_user(
        "ingrid-hansvik", email="ingrid.hansvik@example.net", first_name="Ingrid", last_name="Hansvik"
    )


@pytest.fixture
def ingrid_api(client, ingrid):
    return BearerClient(client, ingrid)
