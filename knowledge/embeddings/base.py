from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class EmbeddingError(Exception):
    """Any failure of an embedding backend. `permanent` = retrying cannot help (bad config, bad input)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Embedder(ABC):
    """Turns text into unit-length vectors of `dimensions` floats.

    Queries and passages are embedded differently on purpose: e5 models are trained with
    "query: " / "passage: " prefixes and lose accuracy without them.
    """

    #: identifies the vectors' space; stored with every chunk
    model_id: str
    dimensions: int

    @abstractmethod
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed document chunks; returns an array of shape (len(texts), dimensions)."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query; returns an array of shape (dimensions,)."""


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32)
