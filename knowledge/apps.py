from __future__ import annotations

from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """Documents, pages, chunks, ingestion, embedding backends, hybrid search, procedures, retrieval evaluation."""

    name = "knowledge"
    verbose_name = "Knowledge base"
