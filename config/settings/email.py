"""Outgoing e-mail: the SMTP connection and the ticket e-mails' delivery policy (docs/email.md)."""

from __future__ import annotations

from email.utils import parseaddr

from .environment import env

# SMTP by default; any Django backend by dotted path (console/filebased for a demo without mail).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# Unset EMAIL_HOST (the embedded default) means localhost:1025, where docker compose's Mailpit
# (profile `mail`) listens. With nothing listening there, ticket e-mails stay queued and are retried,
# then marked failed after EMAIL_MAX_ATTEMPTS; nothing is lost (admin action "retry now").
# Production requires EMAIL_HOST (system check escalations.E001).
EMAIL_HOST_CONFIGURED = bool(env.str("EMAIL_HOST", default=""))
EMAIL_HOST = env.str("EMAIL_HOST", default="") or "localhost"
EMAIL_PORT = env.int("EMAIL_PORT", default=25 if EMAIL_HOST_CONFIGURED else 1025)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
# STARTTLS (usually port 587) or implicit TLS (usually 465); at most one of the two.
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Seconds for connecting and for each SMTP command: a hung server must not hold a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AutoBoss Assistant <assistant@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The right-hand side of Message-IDs (<...@domain>); defaults to the sender's domain.
EMAIL_MESSAGE_ID_DOMAIN = env.str(
    "EMAIL_MESSAGE_ID_DOMAIN", default=parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
)

# --- ticket e-mails (escalations/emails.py) ----------------------------------------------------
# Where new tickets are announced (comma-separated). Empty: no support e-mail is queued (logged);
# production requires it (escalations.E002).
ESCALATION_SUPPORT_INBOX = env.list("ESCALATION_SUPPORT_INBOX", default=[])
# The language of the support e-mail's labels (en, el, ar, es, tr, nb); operators get their own.
ESCALATION_SUPPORT_LANGUAGE = env.str("ESCALATION_SUPPORT_LANGUAGE", default="en")
# The admin's public address, including a path prefix such as /ai behind ABParts' nginx; the support
# e-mail links to {ESCALATION_ADMIN_BASE_URL}/admin/escalations/ticket/<id>/change/.
ESCALATION_ADMIN_BASE_URL = env.str("ESCALATION_ADMIN_BASE_URL", default="http://localhost:8000").rstrip("/")

# --- delivery policy (escalations/tasks.py) -----------------------------------------------------
# SMTP attempts per e-mail before it is marked failed (kept, visible in the admin and metrics).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=10)
# Exponential backoff between attempts: base * 2**(attempts-1), at most the cap; with the defaults
# the last attempt comes about 2.5 h after the first. Keep the cap below the Redis broker's
# CELERY_VISIBILITY_TIMEOUT: a task waiting longer than that for its countdown is delivered twice
# (harmless, the row lock sends once, but it spends attempts faster).
EMAIL_RETRY_BACKOFF_SECONDS = env.int("EMAIL_RETRY_BACKOFF_SECONDS", default=60)
EMAIL_RETRY_BACKOFF_MAX_SECONDS = env.int("EMAIL_RETRY_BACKOFF_MAX_SECONDS", default=1800)
# The beat sweep (escalations.sweep_emails) re-enqueues a queued e-mail untouched for this long
# beyond its expected backoff: its task message was lost (filesystem broker, broker outage).
EMAIL_STUCK_AFTER_SECONDS = env.int("EMAIL_STUCK_AFTER_SECONDS", default=600)
