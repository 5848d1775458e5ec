"""URLs of the analytics app's API, mounted under /api/v1/."""

from __future__ import annotations

urlpatterns: list = []
