"""Readiness checks (/health/ready and manage.py healthcheck)."""

from __future__ import annotations

from .environment import env

# Each check is bounded; a hung dependency makes readiness fail, not hang.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=3.0)
# Workers are optional for a web-only deployment that really has none (rare): off by default.
HEALTH_REQUIRE_WORKER = env.bool("HEALTH_REQUIRE_WORKER", default=True)
