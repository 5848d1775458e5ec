"""Prometheus metrics of the ticket e-mails (escalations/emails.py)."""

from __future__ import annotations

from prometheus_client import Counter

# outcome: sent | retry (an SMTP attempt failed, another is scheduled) | failed (given up: permanent
# error or EMAIL_MAX_ATTEMPTS reached; the row stays, staff can "retry now" in the admin).
EMAIL_DELIVERIES = Counter(
    "autoboss_email_deliveries_total",
    "Ticket e-mail delivery attempts, by e-mail kind and outcome.",
    ["kind", "outcome"],
)
# Alert on increase(autoboss_email_deliveries_failed_total[1h]) > 0: someone must look at the admin.
EMAIL_DELIVERIES_FAILED = Counter(
    "autoboss_email_deliveries_failed_total",
    "Ticket e-mails that became failed (no further automatic attempts), by e-mail kind.",
    ["kind"],
)
