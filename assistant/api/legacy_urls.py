"""Legacy ABParts widget chat endpoints (SPEC §4.2); config/urls.py mounts them at /api/ai/ and
/ai/api/ai/ together with escalations/api/legacy_urls.py."""

from __future__ import annotations

from django.urls import path

from . import legacy

urlpatterns = [
    path("chat", legacy.LegacyChatView.as_view(), name="legacy-chat"),
    path("chat/step-feedback", legacy.LegacyStepFeedbackView.as_view(), name="legacy-step-feedback"),
]
