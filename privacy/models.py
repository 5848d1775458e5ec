"""The record of an erasure request (issue 13 item 5): what was asked, how far it got, what it removed."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ErasureStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ErasureRequest(models.Model):
    """One request to erase a user's data, followed by the operator through the API.

    It keeps its link to the user: the account itself is not erased (it is ABParts' account, and the
    operator keeps using the assistant), and the request is the proof that the right was honoured.
    It holds no content: counts per kind of record only.
    """

    # A UUID: the id is handed to the operator and appears in URLs.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erasure_requests")
    # "api" (the operator asked) or "command" (a privacy officer ran erase_user_data).
    source = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.QUEUED)
    # 0..100 and the step under way, written after each step and each batch of conversations.
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=40, blank=True)
    # Rows removed or anonymised per kind ({"sessions": 3, "messages": 40, "tickets_anonymised": 1, ...}).
    counts = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # At most one unfinished request per user: asking again while one runs returns it.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["queued", "running"]),
                name="privacy_one_unfinished_erasure",
            )
        ]

    def __str__(self) -> str:
        return f"erasure {self.id} ({self.status} {self.progress}%)"
