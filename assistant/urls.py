"""The demo page at / and its operator picker (assistant/views.py)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.demo_page, name="demo-page"),
    path("demo/operator-token/", views.demo_operator_token, name="demo-operator-token"),
]
