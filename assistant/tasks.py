"""Celery tasks of the assistant app (named explicitly, take ids, call one service)."""

from __future__ import annotations
