"""Prometheus metrics owned by the platform layer (business metrics live in their apps).

All metrics are created once at import. Under gunicorn and Celery prefork they are written to
PROMETHEUS_MULTIPROC_DIR and aggregated by the /metrics view.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CELERY_TASKS = Counter(
    "autoboss_celery_tasks_total",
    "Celery tasks finished, by task name and final state.",
    ["task", "state"],
)
CELERY_TASK_FAILURES = Counter(
    "autoboss_celery_task_failures_total",
    "Celery tasks that raised, by task name and exception class.",
    ["task", "exception"],
)
CELERY_TASK_RETRIES = Counter(
    "autoboss_celery_task_retries_total",
    "Celery task retries scheduled, by task name.",
    ["task"],
)
CELERY_TASK_DURATION = Histogram(
    "autoboss_celery_task_duration_seconds",
    "Wall time of Celery task executions, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
PII_REDACTED = Counter(
    "autoboss_pii_redacted_total",
    "Pieces of personal data replaced before storing or sending text, by kind and by what was redacted.",
    ["kind", "source"],
)

# Calls to the Redis cache that failed (or were skipped while it is down) and were answered as a miss
# (core/cache.py): non-zero means throttles are not counting and token lookups are not cached.
CACHE_ERRORS = Counter(
    "autoboss_cache_errors_total",
    "Cache calls answered without Redis (Redis unreachable), by operation.",
    ["operation"],
)
