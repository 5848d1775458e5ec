"""System checks of the escalations app (ids listed in docs/operations.md)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from core.startup import CONFIG_TAG

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@checks.register(CONFIG_TAG)
def check_email_settings(app_configs=None, **kwargs):
    """escalations.E001-E003: ticket e-mails cannot be delivered as configured."""
    messages = []
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        messages.append(
            checks.Error(
                "EMAIL_USE_TLS and EMAIL_USE_SSL are both true.",
                hint="Use EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (port 465), not both.",
                id="escalations.E003",
            )
        )
    if getattr(settings, "ENVIRONMENT", "local") != "production":
        # Locally an unset EMAIL_HOST means localhost:1025 (Mailpit); e-mails wait there if nothing listens.
        return messages
    if settings.EMAIL_BACKEND == SMTP_BACKEND and not getattr(settings, "EMAIL_HOST_CONFIGURED", False):
        messages.append(
            checks.Error(
                "EMAIL_HOST is not set in production.",
                hint="Point EMAIL_HOST (and EMAIL_PORT, EMAIL_USE_TLS, credentials) at your SMTP relay; "
                "ticket e-mails wait in the database until it is reachable.",
                id="escalations.E001",
            )
        )
    if not [address for address in settings.ESCALATION_SUPPORT_INBOX if address.strip()]:
        messages.append(
            checks.Error(
                "ESCALATION_SUPPORT_INBOX is empty in production.",
                hint="Set the support inbox address(es), comma-separated: new tickets are announced there.",
                id="escalations.E002",
            )
        )
    return messages
