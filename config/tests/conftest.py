"""Fixtures of the whole-API tests: the demo ABParts data, a manual with procedures, the world of callers."""

from __future__ import annotations

import pytest

from abparts.tests.fixtures import abparts_demo, abparts_writer  # noqa: F401
from troubleshooting.tests.fixtures import troubleshooting_manual  # noqa: F401

from .world import World, build_world


@pytest.fixture
def unthrottled(monkeypatch):
    """Throttles out of the way: these tests make hundreds of calls per caller in seconds, and a 429
    would hide what the endpoint does (the throttles have tests of their own). Off, not raised: a
    raised rate would still write each call's history into the shared cache, where the next test
    process's user with the same id would find it and be throttled."""
    from rest_framework.views import APIView

    monkeypatch.setattr(APIView, "get_throttles", lambda self: [])


@pytest.fixture
def world(abparts_demo, troubleshooting_manual, unthrottled, settings) -> World:  # noqa: F811
    # A machine context cached by an earlier test must not answer for this one's data.
    from assistant.engine.machine import forget_machine_contexts

    settings.ESCALATION_SUPPORT_INBOX = []
    forget_machine_contexts()
    return build_world(document_id=troubleshooting_manual.id)
