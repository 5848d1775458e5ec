from __future__ import annotations

from django.apps import AppConfig


class TroubleshootingConfig(AppConfig):
    """Troubleshooting runs: one step at a time from the manuals' procedures, with a learned step order."""

    name = "troubleshooting"
    verbose_name = "Troubleshooting"
