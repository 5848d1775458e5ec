"""Legacy ABParts widget escalation endpoint (SPEC §4.2), mounted by config/urls.py with the chat ones."""

from __future__ import annotations

from django.urls import path

from .legacy import LegacyEscalateView

urlpatterns = [
    path("sessions/<uuid:session_id>/escalate", LegacyEscalateView.as_view(), name="legacy-escalate"),
]
