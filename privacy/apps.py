from __future__ import annotations

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Consents, audit log, PII redaction, field encryption, data export/erasure, retention purge."""

    name = "privacy"
    verbose_name = "Privacy"
