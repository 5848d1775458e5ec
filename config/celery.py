"""The Celery application. Tasks live in <app>/tasks.py and are named explicitly."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("autoboss")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Signal handlers (metrics, log context, worker heartbeat) are wired in core.celery_signals,
# imported by core.apps.CoreConfig.ready() so they exist in every process that loads Django.
