"""System checks of the escalations app."""

from __future__ import annotations
