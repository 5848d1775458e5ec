"""Legacy ABParts widget endpoints (SPEC §4.2), mounted at /api/ai/ and /ai/api/ai/ (config/urls.py)."""

from __future__ import annotations

from django.urls import path

from escalations.api.legacy import LegacyEscalateView

from . import legacy

urlpatterns = [
    path("chat", legacy.LegacyChatView.as_view(), name="legacy-chat"),
    path("chat/step-feedback", legacy.LegacyStepFeedbackView.as_view(), name="legacy-step-feedback"),
    path("sessions/<uuid:session_id>/escalate", LegacyEscalateView.as_view(), name="legacy-escalate"),
]
