"""Celery: Redis in production, kombu's filesystem transport (no server) in the embedded default."""

from __future__ import annotations

from pathlib import Path

from celery.schedules import crontab

from .environment import VAR_DIR, env


def filesystem_broker_options(broker_dir: Path) -> dict:
    """kombu filesystem transport options for a broker living in `broker_dir` (created if missing)."""
    for sub in ("queue", "processed", "control"):
        (broker_dir / sub).mkdir(parents=True, exist_ok=True)
    return {
        # Producer and consumer share one folder: a message written by web is read by the worker.
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "processed_folder": str(broker_dir / "processed"),
        "control_folder": str(broker_dir / "control"),
        "store_processed": False,
    }


# CELERY_BROKER_URL wins; else REDIS_URL; else the filesystem transport (no server needed).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL", default="") or "filesystem://"
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))

if not CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Tasks are acked late: a message survives a killed worker and is redelivered after this.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "socket_connect_timeout": 3,
        "socket_timeout": 5,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_BROKER_DIR)

# Tests give each run its own queue so stray messages of one run never reach another's worker.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")

# Results are not used for control flow (tasks write their outcome to the database).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Worker liveness: each worker publishes a heartbeat task through the broker on this interval;
# whichever worker consumes it records the time (core.tasks). /health/ready accepts a heartbeat
# younger than CELERY_HEARTBEAT_MAX_AGE.
CELERY_HEARTBEAT_INTERVAL = env.int("CELERY_HEARTBEAT_INTERVAL", default=15)
CELERY_HEARTBEAT_MAX_AGE = env.int("CELERY_HEARTBEAT_MAX_AGE", default=90)

# When set, a worker serves its own Prometheus metrics on this port (production: one container
# per worker). In the embedded default web and worker share PROMETHEUS_MULTIPROC_DIR instead.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)

# The one place the periodic schedule lives (CONVENTIONS: "the beat schedule lives in code").
CELERY_BEAT_SCHEDULE: dict = {
    "knowledge-requeue-stuck-documents": {"task": "knowledge.requeue_stuck_documents", "schedule": 120.0},
    "knowledge-refresh-concepts": {"task": "knowledge.refresh_concepts", "schedule": 300.0},
    "escalations-sweep-emails": {"task": "escalations.sweep_emails", "schedule": 300.0},
    # Nightly, at a quiet hour (UTC): deletes conversations past PRIVACY_RETENTION_DAYS.
    "privacy-purge-expired": {"task": "privacy.purge_expired", "schedule": crontab(hour=2, minute=30)},
}
