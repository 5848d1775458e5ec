"""Celery tasks of the knowledge app (named explicitly, take ids, call one service)."""

from __future__ import annotations
