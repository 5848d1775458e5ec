"""URLs of the knowledge API, mounted under /api/v1/knowledge/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.KnowledgeSearchView.as_view(), name="knowledge-search"),
    path("documents/", views.DocumentListCreateView.as_view(), name="knowledge-documents"),
    path("documents/<int:document_id>/", views.DocumentDetailView.as_view(), name="knowledge-document"),
    path(
        "documents/<int:document_id>/pages/<int:number>/",
        views.DocumentPageView.as_view(),
        name="knowledge-document-page",
    ),
]
