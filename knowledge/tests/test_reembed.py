"""Switching the embedding model: old vectors serve until the atomic swap."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from core.testing.openai_stub import OpenAIStub
from knowledge.embeddings import active_backend_alias, reset_embedders
from knowledge.models import Chunk, IndexState
from knowledge.reembedding import reembed_batch
from knowledge.search import chunks_hybrid_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub_backend(settings):
    with OpenAIStub() as stub:
        settings.EMBEDDING_BACKENDS = {
            **settings.EMBEDDING_BACKENDS,
            "stub": {"BACKEND": "knowledge.embeddings.openai.OpenAIEmbedder", "MODEL": "e", "BASE_URL": stub.base_url},
        }
        reset_embedders()
        yield stub
    reset_embedders()


def test_reembed_switches_model_while_old_vectors_keep_serving(two_manuals, stub_backend, tmp_path, exact_vector_scan):
    from knowledge.models import ChunkVector
    from knowledge.tests.conftest import ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf

    table_page = [
        "3. Service intervals", "",
        [(72, "Part"), (250, "Interval"), (400, "Number")],
        [(72, "Nozzle set"), (250, "500 h"), (400, "AB-2120")],
        [(72, "Inlet filter"), (250, "250 h"), (400, "AB-3300")],
    ]  # fmt: skip
    ingest_file(write_text_pdf(tmp_path / "intervals.pdf", [["Service guide"], table_page]))
    assert ChunkVector.objects.count() >= 2  # one vector per table row
    total = Chunk.objects.count()
    old_model = Chunk.objects.values_list("embedding_model", flat=True).first()
    assert old_model.startswith("multilingual-e5-small")

    # Half-way: some chunks have a next vector, searches still use the old model and vectors.
    assert reembed_batch(backend="stub", batch_size=2) == 2
    assert active_backend_alias() == "default"
    hits = chunks_hybrid_search(query="camera picture is black", k=3).results
    assert hits[0].page_start == 3
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {old_model}

    call_command("reembed", "--backend", "stub", "--batch-size", "3")
    assert active_backend_alias() == "stub"
    assert IndexState.objects.get().embedding_model == "openai:e"
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {"openai:e"}
    assert Chunk.objects.filter(embedding_next__isnull=False).count() == 0
    assert Chunk.objects.count() == total
    assert ChunkVector.objects.exclude(embedding_model="openai:e").count() == 0
    # Queries are now embedded by the stub's model too.
    before = len(stub_backend.requests)
    assert chunks_hybrid_search(query="camera cable connector", k=3).results
    assert len(stub_backend.requests) == before + 1


def test_reembed_failure_leaves_serving_vectors_untouched(two_manuals, stub_backend):
    stub_backend.fail_next(500, times=10)
    with pytest.raises(CommandError, match="Vectors in use are unchanged"):
        call_command("reembed", "--backend", "stub")
    assert active_backend_alias() == "default"
    assert not Chunk.objects.filter(embedding_model="openai:e").exists()
    call_command("reembed", "--abort")
    assert Chunk.objects.filter(embedding_next__isnull=False).count() == 0


def test_unknown_backend_is_a_clear_error(two_manuals):
    with pytest.raises(CommandError, match="unknown backend"):
        call_command("reembed", "--backend", "nope")


def test_the_active_backend_is_read_once_per_process_and_follows_an_activation_elsewhere(
    two_manuals, stub_backend, django_assert_num_queries, exact_vector_scan
):
    import numpy as np

    from knowledge.embeddings import get_embedder, note_active_backend
    from knowledge.reembedding import reembed_all

    chunks_hybrid_search(query="camera picture is black", k=3)
    with django_assert_num_queries(0):  # a turn no longer reads IndexState to find its embedder
        assert get_embedder("active") is get_embedder("default")

    reembed_all(backend="stub", batch_size=3)
    # What a gunicorn worker that did not run `reembed` still believes.
    note_active_backend("default")
    assert get_embedder("active") is get_embedder("default")

    text = "camera cable connector"
    before = len(stub_backend.requests)
    result = chunks_hybrid_search(query=text, k=3)
    # Its next search read the switch in its own statement, embedded the question with the new model
    # (once) and ranked the new vectors with it.
    assert get_embedder("active") is get_embedder("stub")
    asked = [r for r in stub_backend.requests[before:] if r["json"].get("input") == [text]]
    assert len(asked) == 1
    assert np.allclose(result.query_vector, get_embedder("stub").embed_query(text))
    assert result.results and result.results[0].page_start == 3
    # Writers of vectors read the database, whatever this process believes.
    note_active_backend("default")
    assert get_embedder("active", fresh=True) is get_embedder("stub")
