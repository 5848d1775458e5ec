"""URLs of the analytics app's API, mounted under /api/v1/ by config/urls.py."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("messages/<int:message_id>/feedback/", views.MessageFeedbackView.as_view(), name="message-feedback"),
]
