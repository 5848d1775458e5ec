"""Prometheus metrics of escalations (the e-mail delivery metrics are defined with the e-mails).

Label values are bounded: reason and priority are model choices, language one of the six codes.
"""

from __future__ import annotations

from prometheus_client import Counter

# monitoring/alerts.yml (EscalationSpike) watches this; counted once per new ticket, after commit.
ESCALATIONS = Counter(
    "autoboss_escalations_total",
    "Tickets opened (an escalation that returned an existing ticket is not counted).",
    ["reason", "priority", "language"],
)
