"""URLs of the chat API, mounted under /api/v1/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("sessions/", views.SessionListCreateView.as_view(), name="sessions"),
    path("sessions/<uuid:session_id>/", views.SessionDetailView.as_view(), name="session"),
    path("sessions/<uuid:session_id>/messages/", views.MessageCreateView.as_view(), name="session-messages"),
    path(
        "sessions/<uuid:session_id>/steps/<int:step_id>/feedback/",
        views.StepFeedbackView.as_view(),
        name="session-step-feedback",
    ),
    path("sessions/<uuid:session_id>/resolve/", views.SessionResolveView.as_view(), name="session-resolve"),
]
