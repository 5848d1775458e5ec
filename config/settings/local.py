"""Local / embedded default: no configuration needed."""

from __future__ import annotations

from .base import *  # noqa: F403
