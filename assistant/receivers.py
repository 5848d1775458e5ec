"""What the chat app does when a lower layer reports something (connected in AssistantConfig.ready).

Troubleshooting sits below the chat app and does not write its records (decision 0009): it sends a
signal, and the chat app changes its own conversation through its one writer.
"""

from __future__ import annotations

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from troubleshooting import services as runs
from troubleshooting.signals import run_resolved

from .models import ChatSession, SessionStatus
from .services import session_status_set


@receiver(run_resolved, dispatch_uid="assistant.run_resolved")
def conversation_resolved_by_run(sender, run, **kwargs) -> None:
    # The operator confirmed the fix: that is what "resolved" means in the analytics (SPEC §3.7). Only
    # an active conversation: one already escalated stays with the expert.
    session_status_set(session_id=run.session_id, status=SessionStatus.RESOLVED, only_from=frozenset({"active"}))


@receiver(pre_delete, sender=ChatSession, dispatch_uid="assistant.session_runs_delete")
def conversation_runs_deleted(sender, instance, **kwargs) -> None:
    # A run refers to its conversation by id, not by a foreign key, so the database does not cascade.
    runs.session_runs_delete(session_id=instance.pk)
