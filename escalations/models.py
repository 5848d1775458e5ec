"""Escalation tickets, expert contacts and the e-mails about them (SPEC §3.6).

A ticket is a snapshot: the transcript, the steps tried and the machine as they were when the
operator asked for an expert, so the expert reads what the operator saw even after manuals,
procedures or ABParts data change. Numbers (AB-YYYYMMDD-NNNN) come from one counter row per day,
incremented with INSERT ... ON CONFLICT DO UPDATE ... RETURNING: concurrent escalations serialize
on that row and can never get the same number (the old service counted rows, and raced).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from core.fields import EncryptedJSONField, EncryptedTextField


class Reason(models.TextChoices):
    USER_REQUEST = "user_request", "Operator asked for an expert"
    LOW_CONFIDENCE = "low_confidence", "The manuals do not cover it"
    STEPS_EXCEEDED = "steps_exceeded", "Troubleshooting steps did not help"
    SAFETY_CONCERN = "safety_concern", "Safety concern"
    COMPLEX_ISSUE = "complex_issue", "Complex issue"
    EXPERT_REQUIRED = "expert_required", "Expert required"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_RANK = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# The workflow (SPEC §3.6): open → in_progress → resolved → closed, plus reopening a resolved
# ticket (the fix did not hold) and closing an open one (a duplicate, or the operator withdrew).
TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.RESOLVED, TicketStatus.OPEN}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.IN_PROGRESS}),
    TicketStatus.CLOSED: frozenset(),
}


class TicketCounter(models.Model):
    """The last ticket number issued on one day."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}: {self.last}"


class ExpertContact(models.Model):
    """Someone operators can be sent to; staff maintain the list in the admin."""

    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=50, blank=True)
    hours = models.CharField(max_length=200, blank=True, help_text="When they can be reached, e.g. Mon–Fri 08–16 CET.")
    specialization = models.CharField(max_length=200, blank=True)
    languages = ArrayField(models.CharField(max_length=5), default=list, blank=True, help_text="en, el, ar, es, tr, nb")
    reasons = ArrayField(
        models.CharField(max_length=20, choices=Reason.choices),
        default=list,
        blank=True,
        help_text="Escalation reasons this contact handles; empty = any.",
    )
    machine_models = ArrayField(models.CharField(max_length=16), default=list, blank=True, help_text="Empty = all.")
    # Lower comes first among equally suitable contacts.
    rank = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["rank", "name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    number = models.CharField(max_length=20, unique=True, editable=False)
    # One ticket per conversation: escalating again returns it (a database constraint, not a check).
    # Null once the conversation is gone (erasure, retention): the ticket is a snapshot and outlives it.
    session = models.OneToOneField(
        "assistant.ChatSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="tickets")
    run = models.ForeignKey(
        "troubleshooting.TroubleshootingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=5)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=12, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    machine_id = models.CharField(max_length=64, blank=True)
    machine_model = models.CharField(max_length=16, blank=True)
    # ABParts facts when the ticket was opened: details, hours, recent maintenance (JSON-safe dict).
    machine_snapshot = EncryptedJSONField(default=dict, blank=True)
    # [{"role", "content", "created_at"}] — the conversation as it was.
    transcript = EncryptedJSONField(default=list, blank=True)
    # [{"run_id", "procedure_title", "number", "instruction", "outcome", "note", "page", "document_title",
    #   "document"}] — the troubleshooting steps tried in every run of the conversation ("document" =
    #   "document_title", kept for the e-mail templates).
    attempted_steps = EncryptedJSONField(default=list, blank=True)
    assessment = EncryptedTextField(blank=True)
    contact_preference = models.CharField(max_length=200, blank=True)
    operator_notes = EncryptedTextField(blank=True)
    expert = models.ForeignKey(ExpertContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    published_document = models.ForeignKey(
        "knowledge.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"]), models.Index(fields=["priority", "status"])]
        permissions = [("publish_ticket", "Can publish a resolved ticket to the knowledge base")]

    def __str__(self) -> str:
        return self.number


class TicketNote(models.Model):
    """An internal note of a support agent (never shown to the operator)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"note on {self.ticket_id}"


class TicketEvent(models.Model):
    """What happened to a ticket: created, assigned, status changes (the ticket's own history)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20)  # created | assigned | status | published
    from_value = models.CharField(max_length=100, blank=True)
    to_value = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        change = f"{self.from_value} → {self.to_value}" if self.from_value else self.to_value
        return f"{self.kind} {change}".strip()


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailDelivery(models.Model):
    """One e-mail about a ticket, rendered when queued, sent by a Celery task (escalations.send_email).

    The rendered message is stored, so a retry sends exactly what was queued, and `message_id` is
    fixed at queue time: a receiving system can drop a duplicate even in the one case the row lock
    cannot cover (a worker killed between the SMTP reply and the commit).
    """

    class Kind(models.TextChoices):
        SUPPORT = "support", "To the support inbox"
        CONFIRMATION = "confirmation", "Confirmation to the operator"
        STATUS = "status", "Status change to the operator"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A stable key per (ticket, kind, event): the same notification is never queued twice.
    dedupe_key = models.CharField(max_length=100, unique=True)
    language = models.CharField(max_length=5)
    recipients = ArrayField(models.EmailField())
    subject = models.CharField(max_length=300)
    text_body = EncryptedTextField()
    html_body = EncryptedTextField()
    message_id = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "updated_at"])]
        verbose_name_plural = "email deliveries"

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} ({self.status})"
