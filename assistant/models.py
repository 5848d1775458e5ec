"""Models of the assistant app."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.fields import EncryptedTextField


class ApiToken(models.Model):
    """A demo bearer token (assistant.auth.demo). Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Written at most once a minute (assistant.auth.services.api_token_mark_used).
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name or 'token'} ({self.user_id})"


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"
    ESCALATED = "escalated", "Escalated"
    ABANDONED = "abandoned", "Abandoned"


class ChatSession(models.Model):
    """One conversation of one operator, optionally about one machine."""

    # UUIDs: session ids travel through the widget and URLs; they must not be guessable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions")
    machine_id = models.CharField(max_length=64, blank=True)
    machine_model = models.CharField(max_length=16, blank=True)
    # The language the operator asked for explicitly ("" = follow preference / detection per message).
    language = models.CharField(max_length=5, blank=True)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.ACTIVE)
    # Running summary of the turns that no longer fit the prompt's memory window.
    summary = EncryptedTextField(blank=True)
    summary_upto_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["user", "-updated_at"])]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class MessageRole(models.TextChoices):
    USER = "user", "Operator"
    ASSISTANT = "assistant", "Assistant"


class Message(models.Model):
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    # Position in the conversation (1, 2, ...); assigned under a row lock on the session.
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=10, choices=MessageRole.choices)
    content = EncryptedTextField()
    language = models.CharField(max_length=5)
    # The operator's own id for a message: a retried POST with the same id returns the same turn.
    client_message_id = models.CharField(max_length=64, blank=True)
    # For assistant messages: the operator message this answers (one answer per question).
    reply_to = models.OneToOneField("self", null=True, blank=True, on_delete=models.CASCADE, related_name="reply")
    citations = models.JSONField(default=list, blank=True)
    abstained = models.BooleanField(default=False)
    offers_escalation = models.BooleanField(default=False)
    # The troubleshooting step this message shows: a new step, or the current one again.
    run_step = models.ForeignKey(
        "troubleshooting.RunStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_used = models.CharField(max_length=100, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    # Whole turn on the server, and the part of it spent waiting for the LLM.
    latency_ms = models.PositiveIntegerField(default=0)
    llm_latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="assistant_message_unique_seq"),
            models.UniqueConstraint(
                fields=["session", "client_message_id"],
                condition=~models.Q(client_message_id=""),
                name="assistant_message_unique_client_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.role}"
