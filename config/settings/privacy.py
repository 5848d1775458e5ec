"""Retention of conversations (docs/privacy.md, "Retention")."""

from __future__ import annotations

from .environment import env

# Days a conversation is kept after its last activity, per status (assistant.models.SessionStatus).
# An active conversation nobody wrote to for this long is left behind; resolved and escalated ones
# are kept a year for follow-up questions and the learning loop (the ticket keeps its own snapshot
# and is never purged here). A conversation whose ticket is still open is never purged.
PRIVACY_RETENTION_DAYS: dict[str, int] = {
    "active": env.int("RETENTION_DAYS_ACTIVE", default=90),
    "resolved": env.int("RETENTION_DAYS_RESOLVED", default=365),
    "escalated": env.int("RETENTION_DAYS_ESCALATED", default=365),
    "abandoned": env.int("RETENTION_DAYS_ABANDONED", default=30),
}
# Conversations deleted per transaction by the purge and by an erasure (bounded locks and memory).
PRIVACY_DELETE_BATCH = env.int("PRIVACY_DELETE_BATCH", default=200)
