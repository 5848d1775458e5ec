"""Switch the index to another embedding model without a search outage (`manage.py reembed`).

New vectors go into `Chunk.embedding_next` in batches while `Chunk.embedding` keeps serving. When
every chunk has one, a single transaction (holding off concurrent ingestion with a table lock)
embeds any latecomers, moves `embedding_next` into `embedding` and records the new backend in
IndexState, which queries and ingestion read. The new model must produce 384-dimensional vectors
(the column's size); OpenAI's text-embedding-3 models do with `dimensions=384`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection, transaction

from .embeddings import EmbeddingError, get_embedder, note_active_backend
from .indexing import passage_text, refresh_row_vectors
from .models import EMBEDDING_DIMENSIONS, Chunk, IndexState

logger = logging.getLogger(__name__)


def _pending():
    return Chunk.objects.filter(embedding_next__isnull=True, embedding__isnull=False)


def reembed_batch(*, backend: str, batch_size: int) -> int:
    """Fill `embedding_next` for up to `batch_size` chunks; returns how many were done."""
    embedder = get_embedder(backend)
    chunks = list(_pending().select_related("document").order_by("id")[:batch_size])
    if not chunks:
        return 0
    vectors = embedder.embed_passages([passage_text(c.document.title, c.section, c.text) for c in chunks])
    for chunk, vector in zip(chunks, vectors, strict=True):
        chunk.embedding_next = vector
    Chunk.objects.bulk_update(chunks, ["embedding_next"])
    return len(chunks)


def reembed_all(*, backend: str, batch_size: int = 64, progress: Callable[[int, int], None] | None = None) -> int:
    """Re-embed every chunk with `backend` and switch the index to it. Returns the chunk count."""
    embedder = get_embedder(backend)
    if embedder.dimensions != EMBEDDING_DIMENSIONS:
        raise EmbeddingError(
            f"backend {backend!r} makes {embedder.dimensions}-dimensional vectors; the index holds "
            f"{EMBEDDING_DIMENSIONS}", permanent=True,
        )  # fmt: skip
    # A previous, interrupted run may have left vectors of another model in embedding_next.
    previous = IndexState.objects.filter(singleton=True).values_list("embedding_backend", flat=True).first()
    if previous == backend:
        logger.info("index already uses %s; re-embedding anyway", backend)
    total = Chunk.objects.filter(embedding__isnull=False).count()
    done = Chunk.objects.filter(embedding_next__isnull=False).count()
    while True:
        count = reembed_batch(backend=backend, batch_size=batch_size)
        if not count:
            break
        done += count
        if progress:
            progress(done, total)
    with transaction.atomic():
        # Ingestion writes chunks; hold it off while the latecomers are embedded and the swap happens.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE knowledge_chunk IN SHARE ROW EXCLUSIVE MODE")
        while reembed_batch(backend=backend, batch_size=batch_size):
            pass
        switched = Chunk.objects.filter(embedding_next__isnull=False).count()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE knowledge_chunk SET embedding = embedding_next, embedding_model = %s, embedding_next = NULL "
                "WHERE embedding_next IS NOT NULL",
                [embedder.model_id],
            )
        IndexState.objects.update_or_create(
            singleton=True, defaults={"embedding_backend": backend, "embedding_model": embedder.model_id}
        )
    # This process knows at once; the others notice with their next search (knowledge.embeddings._active).
    note_active_backend(backend)
    logger.info("index switched to %s (%s), %s chunks", backend, embedder.model_id, switched)
    # Table-row vectors of the old model are ignored by search from the swap on (their model no
    # longer matches their chunk's); re-embed them now. Until this finishes, table lookups rank on
    # the chunk vectors alone — slightly worse, never wrong.
    rows = refresh_row_vectors(embedder, batch_size=batch_size)
    logger.info("re-embedded %s table-row vectors", rows)
    return switched


def reembed_abort() -> int:
    """Forget half-done work (embedding_next) without touching the serving vectors."""
    return Chunk.objects.filter(embedding_next__isnull=False).update(embedding_next=None)
