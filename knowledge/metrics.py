"""Prometheus metrics of the knowledge base."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DOCUMENTS_INGESTED = Counter(
    "autoboss_documents_ingested_total", "Documents whose ingestion ended, by final status.", ["status"]
)
INGESTION_SECONDS = Histogram(
    "autoboss_document_ingestion_seconds",
    "Time from claiming a document to it being searchable.",
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800),
)
SEARCH_SECONDS = Histogram(
    "autoboss_knowledge_search_seconds",
    "Hybrid search latency including query embedding.",
    buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2),
)
SEARCH_ABSTENTIONS = Counter("autoboss_knowledge_search_abstentions_total", "Searches that abstained.")
