"""Fail fast: run the project's configuration checks when a server process starts.

gunicorn does not run Django's system checks, so without this a production replica with no
SECRET_KEY or an unknown provider path would start and fail on the first request instead.
"""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

CONFIG_TAG = "autoboss_config"


def fail_on_configuration_errors() -> None:
    errors = [m for m in checks.run_checks(tags=[CONFIG_TAG]) if m.level >= checks.ERROR]
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))
