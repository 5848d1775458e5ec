from __future__ import annotations

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Events, feedback, outcome statistics, the expert review queue, dashboards, business metrics, roll-ups."""

    name = "analytics"
    verbose_name = "Analytics"
