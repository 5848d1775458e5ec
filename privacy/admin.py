"""Admin registrations of the privacy app."""

from __future__ import annotations
