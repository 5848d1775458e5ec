"""Read operations of the knowledge app."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from .models import Document


def documents_list() -> QuerySet[Document]:
    return Document.objects.annotate(chunk_count=Count("chunks")).order_by("-created_at")


def document_get(*, document_id: int) -> Document:
    return get_object_or_404(documents_list(), id=document_id)
