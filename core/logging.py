"""Per-request / per-task context for log records.

A contextvar holds the request id, the pseudonymous user id and the chat session id; the
ContextFilter copies them onto every record, so any logger.info() anywhere in a request is
traceable without passing ids around.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import logging
from typing import Any

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)


def log_context_set(**values: Any) -> contextvars.Token:
    current = dict(_context.get() or {})
    current.update({k: v for k, v in values.items() if v is not None})
    return _context.set(current)


def log_context_reset(token: contextvars.Token) -> None:
    _context.reset(token)


def log_context_get() -> dict[str, Any]:
    return dict(_context.get() or {})


def pseudonymize(value: object) -> str:
    """A stable, non-reversible id for logs: HMAC-SHA256 of the value, 16 hex chars."""
    from django.conf import settings

    key = settings.LOG_PSEUDONYM_KEY.encode()
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:16]


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in log_context_get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        task = _current_celery_task()
        if task is not None:
            record.task_name = getattr(task, "name", None)
            record.task_id = getattr(task.request, "id", None)
        record.task_label = f" {record.task_name}:{record.task_id}" if getattr(record, "task_name", None) else ""
        return True


def _current_celery_task():
    from celery._state import get_current_task

    task = get_current_task()
    if task is None or not getattr(task.request, "id", None):
        return None
    return task
