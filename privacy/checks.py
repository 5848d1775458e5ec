"""System checks of the privacy app."""

from __future__ import annotations
