"""URLs of the escalations app's API, mounted under /api/v1/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("sessions/<uuid:session_id>/escalate/", views.SessionEscalateView.as_view(), name="session-escalate"),
]
