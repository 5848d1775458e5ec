from __future__ import annotations

import numpy as np

from .base import Embedder, EmbeddingError, normalize_rows


class OpenAIEmbedder(Embedder):
    """Any OpenAI-compatible /v1/embeddings endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp).

    `dimensions` must match the database column (384); OpenAI's text-embedding-3 models accept a
    `dimensions` parameter, which is sent when `send_dimensions` is true.
    """

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str = "",
        dimensions: int = 384,
        timeout: float = 30.0,
        max_retries: int = 2,
        batch_size: int = 64,
        send_dimensions: bool = True,
        query_prefix: str = "",
        passage_prefix: str = "",
    ):
        from openai import OpenAI

        self.model = model
        self.model_id = f"openai:{model}"
        self.dimensions = dimensions
        self.batch_size = batch_size
        self.send_dimensions = send_dimensions
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        # The client retries 429/5xx/timeouts itself with exponential backoff, bounded here.
        self._client = OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=max_retries
        )

    def _embed(self, texts: list[str]) -> np.ndarray:
        import openai

        kwargs = {"model": self.model, "input": texts}
        if self.send_dimensions:
            kwargs["dimensions"] = self.dimensions
        try:
            response = self._client.embeddings.create(**kwargs)
        except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as exc:
            raise EmbeddingError(
                f"embedding endpoint refused the request ({exc.__class__.__name__})", permanent=True
            ) from exc
        except openai.BadRequestError as exc:
            raise EmbeddingError("embedding endpoint rejected the input", permanent=True) from exc
        except openai.OpenAIError as exc:
            raise EmbeddingError(f"embedding endpoint failed ({exc.__class__.__name__})") from exc
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # The client's own response parsing chokes on a malformed body; that is the server's fault.
            raise EmbeddingError("embedding endpoint returned a malformed response") from exc
        try:
            rows = sorted(response.data, key=lambda item: item.index)
            matrix = np.asarray([row.embedding for row in rows], dtype=np.float32)
        except (AttributeError, TypeError, ValueError) as exc:
            raise EmbeddingError("embedding endpoint returned a malformed response") from exc
        if len(rows) != len(texts):
            raise EmbeddingError(f"embedding endpoint returned {len(rows)} vectors for {len(texts)} inputs")
        if matrix.ndim != 2 or matrix.shape[1] != self.dimensions:
            raise EmbeddingError(
                f"embedding endpoint returned {matrix.shape[-1]}-dimensional vectors, expected {self.dimensions}",
                permanent=True,
            )
        return normalize_rows(matrix)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        parts = [
            self._embed([self.passage_prefix + t for t in texts[i : i + self.batch_size]])
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.vstack(parts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([self.query_prefix + text])[0]
