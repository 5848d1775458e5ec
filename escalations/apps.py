from __future__ import annotations

from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    """Support tickets, ticket numbering, escalation emails, expert contacts, ticket workflow."""

    name = "escalations"
    verbose_name = "Escalations"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers escalations.E001-E003)
