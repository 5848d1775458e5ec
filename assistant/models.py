"""Models of the assistant app."""

from __future__ import annotations
