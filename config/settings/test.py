"""Test settings: the same real services as production (PostgreSQL+pgvector, Redis when given)."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import LOG_FORMAT, build_logging, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
# Quiet by default; child processes started by tests (workers, the product) ask for INFO.
LOGGING = build_logging(LOG_FORMAT, env.str("LOG_LEVEL", default="WARNING"))

ENVIRONMENT = "test"

# Keep test keys apart from a developer's running instance on the same Redis.
CACHES["default"]["KEY_PREFIX"] = "autoboss-test"
