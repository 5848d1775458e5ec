"""The /api/v1/ URL space: each app mounts its own api/urls.py here."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("knowledge/", include("knowledge.api.urls")),
    path("", include("assistant.api.urls")),
    path("", include("abparts.api.urls")),
    path("", include("escalations.api.urls")),
]
