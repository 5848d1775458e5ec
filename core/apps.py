from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting plumbing: health, logging context, metrics, error format, system checks."""

    name = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        from . import celery_signals, checks  # noqa: F401  (registers handlers and checks)
