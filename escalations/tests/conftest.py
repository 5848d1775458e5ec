"""Fixtures of the escalations tests: the chat fixtures, a manual with procedures, ABParts data."""

from __future__ import annotations

import pytest

from abparts.tests.fixtures import abparts_demo, abparts_operator, abparts_writer  # noqa: F401
from assistant.tests.conftest import api, operator  # noqa: F401
from troubleshooting.tests.fixtures import session_id, troubleshooting_manual  # noqa: F401


@pytest.fixture
def escalation_settings(settings):
    """Deterministic whatever the developer's .env says: no support inbox unless a test sets one, a
    known default contact, and no machine context cached by an earlier test. Opt-in (`pytestmark`):
    the e-mail tests in this directory bring their own settings."""
    settings.ESCALATION_SUPPORT_INBOX = []
    settings.ESCALATION_DEFAULT_CONTACT = {
        "name": "AutoBoss Support",
        "email": "support@autoboss.test",
        "phone": "+47 555 00 000",
        "hours": "Mon–Fri 08–16 CET",
        "specialization": "AutoBoss technical support",
    }
    from assistant.engine.machine import forget_machine_contexts

    forget_machine_contexts()
    yield settings
    forget_machine_contexts()
