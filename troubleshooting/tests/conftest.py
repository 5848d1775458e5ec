"""Fixtures of the troubleshooting tests: the chat fixtures and a manual with procedures."""

from __future__ import annotations

from abparts.tests.fixtures import abparts_demo, abparts_operator, abparts_writer, service_manual  # noqa: F401
from assistant.tests.conftest import api, llm_stub, operator  # noqa: F401
from troubleshooting.tests.fixtures import session_id, troubleshooting_manual  # noqa: F401
