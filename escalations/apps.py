from __future__ import annotations

from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    """Support tickets, ticket numbering, escalation emails, expert contacts, ticket workflow."""

    name = "escalations"
    verbose_name = "Escalations"
