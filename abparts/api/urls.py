"""URLs of the machine API, mounted under /api/v1/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("machines/", views.MachineListView.as_view(), name="machines"),
    path("machines/<uuid:machine_id>/context/", views.MachineContextView.as_view(), name="machine-context"),
]
