"""Enqueue a Celery task from an on-commit hook without turning a broker outage into a 500.

The row the task works on is already committed when the hook runs: failing the request then would
tell the caller that something failed while it is stored. The row stays in its waiting state and
whatever recovers it (a beat sweep, a management command) enqueues it once the broker is back.
"""

from __future__ import annotations

import logging

from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

# A few quick tries ride out a broker restart; a longer outage is left to the recovery path.
_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}


def enqueue_or_leave(task, *args, what: str, recovery: str) -> bool:
    """`task.apply_async(args)`; on a broker failure log `what` and `recovery` and return False."""
    try:
        task.apply_async(args=args, retry=True, retry_policy=_RETRY_POLICY)
    except (KombuError, OSError) as exc:
        # Only the class is logged: the exception text can carry the broker URL.
        logger.warning("%s not enqueued (%s); %s", what, type(exc).__name__, recovery)
        return False
    return True
