"""Celery tasks of the privacy app (named explicitly, take ids, call one service)."""

from __future__ import annotations
