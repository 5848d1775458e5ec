"""Escalation to human experts (escalations/; docs/escalation.md). E-mail settings are in email.py."""

from __future__ import annotations

from .environment import env

# Whom operators are sent to when no active ExpertContact in the admin suits the ticket (or none is
# configured yet): shown in the escalation response as the primary contact. Set it in production;
# an empty e-mail is shown as empty, never as a made-up address.
ESCALATION_DEFAULT_CONTACT = {
    "name": env.str("ESCALATION_DEFAULT_CONTACT_NAME", default="AutoBoss Support"),
    "email": env.str("ESCALATION_DEFAULT_CONTACT_EMAIL", default=""),
    "phone": env.str("ESCALATION_DEFAULT_CONTACT_PHONE", default=""),
    "hours": env.str("ESCALATION_DEFAULT_CONTACT_HOURS", default=""),
    "specialization": env.str("ESCALATION_DEFAULT_CONTACT_SPECIALIZATION", default="AutoBoss technical support"),
}
