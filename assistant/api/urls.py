"""URLs of the chat API, mounted under /api/v1/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("sessions/", views.SessionListCreateView.as_view(), name="sessions"),
    path("sessions/<uuid:session_id>/", views.SessionDetailView.as_view(), name="session"),
    path("sessions/<uuid:session_id>/messages/", views.MessageCreateView.as_view(), name="session-messages"),
    path("messages/<int:message_id>/feedback/", views.MessageFeedbackView.as_view(), name="message-feedback"),
]
