"""The /api/v1/ URL space; each app adds its own api/urls.py here as it grows."""

from __future__ import annotations

urlpatterns: list = []
