"""Admin registrations of the escalations app."""

from __future__ import annotations
