from __future__ import annotations

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data-subject rights (export, erasure) and retention: they reach across every app's records."""

    name = "privacy"
    verbose_name = "Privacy"
