"""System checks of the knowledge app."""

from __future__ import annotations
