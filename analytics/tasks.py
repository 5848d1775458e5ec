"""Celery tasks of the analytics app (named explicitly, take ids, call one service)."""

from __future__ import annotations
