"""Celery tasks of the escalations app (named explicitly, take ids, call one service)."""

from __future__ import annotations
