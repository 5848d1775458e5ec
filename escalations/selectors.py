"""Read operations of the escalations app (CONVENTIONS: selectors return prepared querysets)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from .models import DeliveryStatus, EmailDelivery, ExpertContact, Ticket

# The legacy widget shows a primary contact and a short list of alternatives.
MAX_ALTERNATIVES = 3


def expert_contacts_for(*, reason: str, language: str, machine_model: str) -> list[ExpertContact]:
    """The experts to send an operator to, best first: primary = [0], alternatives = the rest (≤ 3).

    Suitable = active, handles `reason` (or every reason) and `machine_model` (or every model; a
    conversation without a known model accepts every contact). Among the suitable ones, those who
    speak the operator's language come first, then by rank, then by name. With none suitable, the
    configured default support contact (settings.ESCALATION_DEFAULT_CONTACT, an unsaved row) alone.
    """
    contacts = ExpertContact.objects.filter(is_active=True).filter(Q(reasons=[]) | Q(reasons__contains=[reason]))
    if machine_model:
        contacts = contacts.filter(Q(machine_models=[]) | Q(machine_models__contains=[machine_model]))
    contacts = contacts.annotate(
        speaks=Case(When(languages__contains=[language], then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("speaks", "rank", "name", "pk")
    found = list(contacts[: 1 + MAX_ALTERNATIVES])
    return found or [default_contact()]


def default_contact() -> ExpertContact:
    """The support contact from settings (never saved: its pk is None)."""
    values = getattr(settings, "ESCALATION_DEFAULT_CONTACT", {}) or {}
    return ExpertContact(
        name=values.get("name") or "AutoBoss Support",
        email=values.get("email") or "",
        phone=values.get("phone") or "",
        hours=values.get("hours") or "",
        specialization=values.get("specialization") or "",
    )


def ticket_contacts(*, ticket: Ticket) -> tuple[ExpertContact, list[ExpertContact]]:
    """(primary, alternatives) for a ticket: the expert chosen when it was opened stays the primary
    (the operator was told that name), the alternatives are chosen now (contacts change)."""
    contacts = expert_contacts_for(reason=ticket.reason, language=ticket.language, machine_model=ticket.machine_model)
    primary = ticket.expert if ticket.expert_id and ticket.expert.is_active else contacts[0]
    alternatives = [c for c in contacts if c.pk is not None and c.pk != primary.pk]
    return primary, alternatives[:MAX_ALTERNATIVES]


def ticket_for_session(*, session) -> Ticket | None:
    return Ticket.objects.select_related("expert").filter(session=session).first()


def tickets_queue() -> QuerySet[Ticket]:
    """Tickets for the agents' queue, with what the list shows: assignee, and `email_failed`."""
    failed = EmailDelivery.objects.filter(ticket=OuterRef("pk"), status=DeliveryStatus.FAILED)
    return Ticket.objects.select_related("assignee", "expert").annotate(email_failed=Exists(failed))
