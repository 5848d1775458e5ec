"""Celery tasks of the knowledge app (named explicitly, take ids, call one service)."""

from __future__ import annotations

import random

from celery import shared_task

from . import services


@shared_task(bind=True, name="knowledge.ingest_document", acks_late=True, max_retries=5, ignore_result=True)
def ingest_document(self, document_id: int) -> None:
    try:
        services.document_ingest(document_id=document_id, claim_token=self.request.id or "")
    except services.TransientIngestionError as exc:
        if self.request.retries >= self.max_retries:
            services.document_mark_failed(
                document_id=document_id,
                reason="The embedding service stayed unavailable; re-ingest the document when it is back.",
                code="embedding_unavailable",
            )
            return
        # Exponential backoff with jitter: 10 s, 20 s, 40 s... capped at 10 minutes.
        countdown = min(600, 10 * 2**self.request.retries) * random.uniform(0.8, 1.2)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="knowledge.requeue_stuck_documents", ignore_result=True)
def requeue_stuck_documents() -> int:
    return services.documents_requeue_stuck()


@shared_task(name="knowledge.refresh_concepts", ignore_result=True)
def refresh_concepts() -> int:
    # After a deploy that changed the glossary, stored chunk concepts are re-annotated in the
    # background; a no-op (one indexed query) when everything is current.
    from .indexing import refresh_concepts as refresh

    return refresh()
