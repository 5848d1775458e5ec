"""Models of the analytics app."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import EncryptedTextField


class MessageFeedback(models.Model):
    """Thumbs up/down (and an optional correction) on an assistant message: input to the review queue."""

    class Rating(models.TextChoices):
        UP = "up", "Thumbs up"
        DOWN = "down", "Thumbs down"

    message = models.ForeignKey("assistant.Message", on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_feedback")
    rating = models.CharField(max_length=4, choices=Rating.choices)
    comment = EncryptedTextField(blank=True)
    correction = EncryptedTextField(blank=True)
    # Set when an expert has looked at it in the review queue.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # One opinion per operator per message; giving it again updates it.
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="analytics_feedback_one_per_user")]

    def __str__(self) -> str:
        return f"{self.rating} on {self.message_id}"
