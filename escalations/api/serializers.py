"""Serializers of the escalations app's API, and the expert-contact block both escalate endpoints share."""

from __future__ import annotations

from rest_framework import serializers

from core.text.phrases import phrase

from ..models import ExpertContact, Priority, Reason, Ticket, TicketStatus
from ..selectors import ticket_contacts


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    hours = serializers.CharField(allow_blank=True)
    specialization = serializers.CharField(allow_blank=True)


class ExpertContactInfoSerializer(serializers.Serializer):
    primary_contact = ContactSerializer()
    alternative_contacts = ContactSerializer(many=True)
    # A plain string in the schema: the same choices as `reason` under another name would make
    # drf-spectacular name one enum twice (W001).
    escalation_reason = serializers.CharField(help_text="The ticket's reason: " + " | ".join(Reason.values))
    recommended_action = serializers.CharField(help_text="What happens next, in the operator's language.")
    ticket_reference = serializers.CharField(help_text="The ticket number, AB-YYYYMMDD-NNNN.")


class TicketSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.ChoiceField(choices=Reason.choices)
    created_at = serializers.DateTimeField()


def contact_payload(contact: ExpertContact) -> dict[str, str]:
    return {
        "name": contact.name,
        "email": contact.email or "",
        "phone": contact.phone or "",
        "hours": contact.hours or "",
        "specialization": contact.specialization or "",
    }


def expert_contact_info(*, ticket: Ticket) -> dict:
    """The `expert_contact_info` object of the legacy widget (SPEC §4.2), also in the native response."""
    primary, alternatives = ticket_contacts(ticket=ticket)
    return {
        "primary_contact": contact_payload(primary),
        "alternative_contacts": [contact_payload(contact) for contact in alternatives],
        "escalation_reason": ticket.reason,
        # No phrase says more than "who will contact you" yet; that is the recommended action.
        "recommended_action": phrase("escalation_created", ticket.language, ticket=ticket.number, name=primary.name),
        "ticket_reference": ticket.number,
    }


def operator_message(*, ticket: Ticket, created: bool, contact_info: dict) -> str:
    """The sentence the operator reads: sent to the experts (and who calls back), or already sent."""
    if created:
        name = contact_info["primary_contact"]["name"]
        return phrase("escalation_created", ticket.language, ticket=ticket.number, name=name)
    return phrase("escalation_exists", ticket.language, ticket=ticket.number)
