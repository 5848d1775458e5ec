"""URLs of the privacy app's API, mounted under /api/v1/ by config/urls.py."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("me/export/", views.MyDataExportView.as_view(), name="me-export"),
    path("me/erase/", views.MyDataEraseView.as_view(), name="me-erase"),
    path("me/erase/<uuid:request_id>/", views.MyErasureRequestView.as_view(), name="me-erase-status"),
]
