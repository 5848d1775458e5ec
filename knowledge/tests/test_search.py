"""Hybrid search behaviour: model filter, cross-lingual hits, abstention, citations."""

from __future__ import annotations

import pytest

from knowledge.models import Document, DocumentStatus
from knowledge.search import chunks_hybrid_search

pytestmark = pytest.mark.django_db


def test_finds_the_section_with_page_citation(two_manuals):
    v40, _ = two_manuals
    result = chunks_hybrid_search(query="camera picture is black", k=3, machine_model="V4.0")
    top = result.results[0]
    assert not result.abstained
    assert top.document_id == v40.id and top.file_name == "v40-manual.pdf"
    assert (top.page_start, top.page_end) == (3, 3)
    assert "camera" in top.section.lower()
    assert result.took_ms > 0


def test_machine_model_filter_excludes_the_other_model(two_manuals):
    v40, v31 = two_manuals
    for model, mine, other in (("V4.0", v40, v31), ("V3.1B", v31, v40)):
        hits = chunks_hybrid_search(query="pump loses pressure", k=10, machine_model=model).results
        assert hits and hits[0].document_id == mine.id
        assert other.id not in {h.document_id for h in hits}


def test_model_specific_section_beats_generic_one(two_manuals, tmp_path):
    from knowledge.tests.conftest import ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf

    generic = ingest_file(
        write_text_pdf(
            tmp_path / "generic.pdf",
            [["General pump guide"], ["1. High-pressure pump loses pressure", "", "The pump pressure drops."]],
        )
    )
    hits = chunks_hybrid_search(query="pump loses pressure", k=5, machine_model="V3.1B").results
    ids = [h.document_id for h in hits]
    v31 = two_manuals[1]
    assert generic.id in ids  # an all-models document qualifies
    assert ids.index(v31.id) < ids.index(generic.id)


def test_greek_question_finds_english_section(two_manuals):
    v40, _ = two_manuals
    result = chunks_hybrid_search(query="η κάμερα δεν δείχνει εικόνα", k=3, language="el", machine_model="V4.0")
    assert not result.abstained
    assert any(h.document_id == v40.id and h.page_start == 3 for h in result.results)


def test_abstains_on_unrelated_question(two_manuals):
    result = chunks_hybrid_search(query="how do I apply for parental leave and holiday pay", k=5)
    assert result.abstained


def test_documents_that_are_not_ready_are_invisible(two_manuals):
    v40, _ = two_manuals
    Document.objects.filter(id=v40.id).update(status=DocumentStatus.PROCESSING)
    hits = chunks_hybrid_search(query="camera picture is black", k=10).results
    assert v40.id not in {h.document_id for h in hits}


def test_empty_query_abstains_without_error(two_manuals):
    result = chunks_hybrid_search(query="   ", k=5)
    assert result.abstained and result.results == []


def test_query_syntax_is_never_interpreted(two_manuals):
    for query in ("pump & | ! ( ) :* <-> '", "'; DROP TABLE knowledge_chunk; --", "a" * 2000):
        result = chunks_hybrid_search(query=query, k=5)
        assert isinstance(result.results, list)
    assert chunks_hybrid_search(query="pump pressure", k=5).results


def test_languages_without_eligible_chunks_are_not_scanned():
    import numpy as np

    from knowledge.search import _Profile

    profile = _Profile(
        fingerprint="x",
        means={"en": np.zeros(3), "el": np.zeros(3), "tr": np.zeros(3)},
        models={"en": frozenset({"V4.0"}), "el": frozenset({"V3.1B"}), "tr": frozenset()},
        generic={"en": False, "el": False, "tr": True},
    )
    # Greek chunks are all for the V3.1B: a V4.0 question must not walk that index partition.
    assert profile.languages_for("V4.0") == ["en", "tr"]
    assert profile.languages_for("V3.1B") == ["el", "tr"]
    assert profile.languages_for(None) == ["el", "en", "tr"]


def test_a_code_named_in_more_chunks_than_the_scan_bound_still_finds_its_section(tmp_path, monkeypatch):
    """The code branch looks at a bounded number of the chunks naming a code (CODE_SCAN_LIMIT) and
    keeps those closest to the question; the section about the code is still found."""
    from knowledge import search
    from knowledge.tests.conftest import ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf

    pages = [
        ["Fault codes"],
        ["1. P-231 fibre link attenuation", "", "P-231: the fibre link is weak. Clean the connectors."],
    ]
    pages += [[f"{n + 2}. Log entry {n}", "", f"Shift log {n}: P-231 seen once, no action."] for n in range(4)]
    manual = ingest_file(write_text_pdf(tmp_path / "codes.pdf", pages))
    monkeypatch.setattr(search, "_CODE_SCAN_LIMIT", 2)
    result = chunks_hybrid_search(query="P-231 the fibre link is weak", k=3)
    assert not result.abstained
    assert result.results[0].document_id == manual.id
    assert "fibre" in result.results[0].text.lower()


@pytest.fixture
def installed_pgvector(monkeypatch):
    """Make this process believe the database has another pgvector version (read once per process)."""
    from core import pgvector

    def install(version: tuple[int, ...]) -> None:
        monkeypatch.setitem(pgvector._versions, "default", version)

    return install


def test_pgvector_older_than_0_8_searches_without_iterative_scans(two_manuals, installed_pgvector):
    # pgvector < 0.8 rejects `hnsw.iterative_scan` ("unrecognized configuration parameter"), which
    # failed every search; 0.5 is the documented minimum (issue 11, hole 4).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    installed_pgvector((0, 7, 4))
    with CaptureQueriesContext(connection) as queries:
        result = chunks_hybrid_search(query="pump loses pressure", k=3, machine_model="V4.0")
    assert result.results and not result.abstained
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "hnsw.ef_search" in sql
    assert "iterative_scan" not in sql

    installed_pgvector((0, 8, 0))
    with CaptureQueriesContext(connection) as queries:
        chunks_hybrid_search(query="pump loses pressure", k=3, machine_model="V4.0")
    assert "iterative_scan" in " ".join(q["sql"] for q in queries.captured_queries)


def test_the_installed_pgvector_version_is_read_once_per_process(db, django_assert_num_queries):
    from core import pgvector

    pgvector._versions.clear()
    with django_assert_num_queries(1):
        assert pgvector.pgvector_version() >= (0, 5)
        pgvector.pgvector_version()
    assert pgvector.parse_version("0.8.0") == (0, 8, 0) and pgvector.parse_version("0.5.1-dev") == (0, 5, 1)
