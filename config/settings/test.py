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

# An in-process broker unless one is given explicitly (the worker processes tests start get theirs
# in CELERY_BROKER_URL): the on-commit hooks run in every test (conftest._on_commit_hooks_run), and
# the tasks they enqueue must never reach a developer's running worker through a shared Redis or
# var/broker.
if not env.str("CELERY_BROKER_URL", default=""):
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
