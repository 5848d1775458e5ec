from __future__ import annotations

from django.apps import AppConfig


class ABPartsConfig(AppConfig):
    """ABParts integration: read-only machine data (a second database alias) and the local user mirror."""

    name = "abparts"
    verbose_name = "ABParts"
