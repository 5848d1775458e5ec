"""Ingestion through knowledge.services: formats, pages, idempotency, revisions, failures, sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from knowledge import services
from knowledge.models import Chunk, Document, DocumentStatus, Page, Procedure
from knowledge.search import chunks_hybrid_search
from knowledge.tests.conftest import V40_PAGES, ingest_file
from knowledge.tests.fixtures.ingestion_files import write_blank_pdf, write_sample_docx, write_text_pdf

pytestmark = pytest.mark.django_db


def test_pdf_is_ingested_page_by_page_with_chunks_and_procedures(two_manuals):
    v40, _ = two_manuals
    assert v40.status == DocumentStatus.READY
    assert (v40.pages_done, v40.pages_total, v40.progress_percent) == (3, 3, 100)
    assert list(Page.objects.filter(document=v40).values_list("number", flat=True)) == [1, 2, 3]
    chunks = list(Chunk.objects.filter(document=v40).order_by("ordinal"))
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    pump = next(c for c in chunks if "pump loses pressure" in c.section.lower())
    assert (pump.page_start, pump.page_end) == (2, 2)
    # The heading stays with its warning and all three numbered steps.
    assert "WARNING" in pump.text and "1. Check the inlet filter" in pump.text and "3. Replace the nozzle" in pump.text
    assert pump.machine_models == ["V4.0"] and pump.language == "en"
    assert pump.embedding is not None and len(pump.embedding) == 384
    procedure = Procedure.objects.get(document=v40, title__icontains="pump loses pressure")
    steps = list(procedure.steps.order_by("order"))
    assert [s.order for s in steps] == [1, 2, 3]
    assert steps[0].instruction.startswith("Check the inlet filter")
    assert procedure.source_page == 2 and procedure.machine_models == ["V4.0"]


def test_docx_markdown_and_text_are_ingested(media_root, tmp_path):
    docx_doc = ingest_file(write_sample_docx(tmp_path / "guide.docx"), doc_type="procedure")
    assert docx_doc.status == DocumentStatus.READY, docx_doc.error
    assert docx_doc.language == "en"  # detected
    table_chunk = Chunk.objects.get(document=docx_doc, text__contains="P-212")
    assert "P-206" in table_chunk.text  # the table stayed whole

    md = tmp_path / "faq.md"
    md.write_text("# Net cleaning FAQ\n\n## Rotor stops\n\n1. Check the rotor fuse.\n2. Restart the rig.\n")
    md_doc = ingest_file(md, doc_type="faq", language="en")
    assert md_doc.status == DocumentStatus.READY
    assert Chunk.objects.filter(document=md_doc, section__icontains="Rotor stops").exists()

    txt = tmp_path / "notes.txt"
    txt.write_text("Η πίεση της αντλίας πέφτει όταν το φίλτρο είναι βουλωμένο. Καθαρίστε το φίλτρο εισόδου.")
    txt_doc = ingest_file(txt, doc_type="expert_input")
    assert txt_doc.status == DocumentStatus.READY
    assert txt_doc.language == "el"


def test_identical_content_is_a_no_op(two_manuals, tmp_path):
    v40, _ = two_manuals
    path = write_text_pdf(tmp_path / "copy-with-other-name.pdf", V40_PAGES)
    with open(path, "rb") as fh:
        outcome = services.document_upload(uploaded_file=File(fh, name=path.name), enqueue=False)
    assert outcome.created is False and outcome.document.id == v40.id
    assert Document.objects.count() == 2


def test_new_revision_replaces_old_one_atomically(media_root, tmp_path):
    old = ingest_file(write_text_pdf(tmp_path / "a.pdf", V40_PAGES), title="Pump manual", machine_models=["V4.0"])
    pages = [list(p) for p in V40_PAGES]
    pages[1] = [line.replace("150 bar", "140 bar") for line in pages[1]]
    with open(write_text_pdf(tmp_path / "b.pdf", pages), "rb") as fh:
        new = services.document_upload(
            uploaded_file=File(fh, name="b.pdf"), title="Pump manual", machine_models=["V4.0"], enqueue=False
        ).document
    assert new.replaces_id == old.id

    # While the new revision is queued, search still answers from the old one only.
    hits = chunks_hybrid_search(query="pump pressure drops", k=10).results
    assert {h.document_id for h in hits} == {old.id}

    services.document_ingest(document_id=new.id)
    old.refresh_from_db()
    assert old.status == DocumentStatus.SUPERSEDED
    assert not Chunk.objects.filter(document=old).exists()
    assert not Procedure.objects.filter(document=old, is_active=True).exists()
    hits = chunks_hybrid_search(query="pump pressure drops", k=10).results
    assert {h.document_id for h in hits} == {new.id}
    assert any("140 bar" in h.text for h in hits)


def test_rerunning_ingestion_does_not_duplicate_chunks(two_manuals):
    v40, _ = two_manuals
    count = Chunk.objects.filter(document=v40).count()
    # A retry after a crash: the document is claimed again and rebuilt from scratch.
    Document.objects.filter(id=v40.id).update(status=DocumentStatus.QUEUED)
    services.document_ingest(document_id=v40.id)
    assert Chunk.objects.filter(document=v40).count() == count
    assert services.document_ingest(document_id=v40.id) is None  # ready: nothing to claim


def test_scanned_pdf_fails_with_a_readable_reason(media_root, tmp_path):
    document = ingest_file(write_blank_pdf(tmp_path / "scan.pdf", pages=3))
    assert document.status == DocumentStatus.FAILED
    assert document.error_code == "no_text"
    assert "OCR" in document.error or "text" in document.error.lower()
    assert not Chunk.objects.filter(document=document).exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.pdf", b"", "empty"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <<", "corrupt"),
        ("random.pdf", bytes(range(256)) * 40, "type_mismatch"),
        ("manual.exe", b"MZ\x90\x00", "unsupported_type"),
        ("notes.txt", b"%PDF-1.4\n%%EOF", "type_mismatch"),
    ],
)
def test_bad_uploads_are_rejected_before_storage(media_root, name, content, code):
    with pytest.raises(services.UploadRejected) as excinfo:
        services.document_upload(uploaded_file=SimpleUploadedFile(name, content), enqueue=False)
    assert excinfo.value.code == code
    assert excinfo.value.reason
    assert not Document.objects.exists()


def test_oversized_upload_is_rejected(media_root, settings):
    settings.KNOWLEDGE_INGESTION = {**settings.KNOWLEDGE_INGESTION, "MAX_UPLOAD_BYTES": 1024}
    with pytest.raises(services.UploadRejected) as excinfo:
        services.document_upload(uploaded_file=SimpleUploadedFile("big.txt", b"x" * 4096), enqueue=False)
    assert excinfo.value.code == "too_large"


def test_invalid_metadata_is_rejected(media_root):
    upload = SimpleUploadedFile("a.md", b"# Title\n\ntext")
    with pytest.raises(services.UploadRejected) as excinfo:
        services.document_upload(uploaded_file=upload, machine_models=["Tesla"], enqueue=False)
    assert excinfo.value.code == "invalid_machine_models"
    with pytest.raises(services.UploadRejected) as excinfo:
        services.document_upload(uploaded_file=upload, language="fr", enqueue=False)
    assert excinfo.value.code == "invalid_language"


def test_sweep_requeues_stalled_documents_and_gives_up_after_max_attempts(two_manuals, settings):
    v40, v31 = two_manuals
    long_ago = timezone.now() - timedelta(hours=1)
    Document.objects.filter(id=v40.id).update(status=DocumentStatus.PROCESSING, updated_at=long_ago, attempts=1)
    Document.objects.filter(id=v31.id).update(
        status=DocumentStatus.PROCESSING, updated_at=long_ago, attempts=settings.KNOWLEDGE_INGESTION["MAX_ATTEMPTS"]
    )
    assert services.documents_requeue_stuck() == 1
    v40.refresh_from_db()
    v31.refresh_from_db()
    assert v40.status == DocumentStatus.QUEUED
    assert v31.status == DocumentStatus.FAILED and v31.error_code == "stalled"
    # A fresh one is left alone.
    assert services.documents_requeue_stuck() == 0


def test_a_stale_worker_whose_claim_was_taken_over_publishes_nothing(media_root, tmp_path, monkeypatch):
    # Worker A was slow; the sweep re-queued the document and worker B claimed it (a new token).
    # A must not publish its result, nor add chunks beside B's (issue 11, hole 5).
    with open(write_text_pdf(tmp_path / "a.pdf", V40_PAGES), "rb") as fh:
        document = services.document_upload(
            uploaded_file=File(fh, name="a.pdf"), title="Pump manual", machine_models=["V4.0"], enqueue=False
        ).document
    real_extract = services.extract_procedures

    def taken_over(drafts, language):
        Document.objects.filter(id=document.id).update(status=DocumentStatus.PROCESSING, claim_token="task-B")
        return real_extract(drafts, language=language)

    monkeypatch.setattr(services, "extract_procedures", taken_over)
    services.document_ingest(document_id=document.id, claim_token="task-A")
    document.refresh_from_db()
    assert (document.status, document.claim_token) == (DocumentStatus.PROCESSING, "task-B")
    assert not Procedure.objects.filter(document=document).exists()


def test_a_stale_worker_stops_storing_chunks_once_its_claim_was_taken_over(media_root, tmp_path, monkeypatch):
    with open(write_text_pdf(tmp_path / "a.pdf", V40_PAGES), "rb") as fh:
        document = services.document_upload(
            uploaded_file=File(fh, name="a.pdf"), title="Pump manual", machine_models=["V4.0"], enqueue=False
        ).document
    real_chunk_pages = services.chunk_pages

    def taken_over(pages, title):
        # B claims the document (and starts from a clean slate) before A stores its first batch.
        Document.objects.filter(id=document.id).update(claim_token="task-B")
        yield from real_chunk_pages(pages, title=title)

    monkeypatch.setattr(services, "chunk_pages", taken_over)
    services.document_ingest(document_id=document.id, claim_token="task-A")
    assert not Chunk.objects.filter(document=document).exists()
    document.refresh_from_db()
    assert (document.status, document.claim_token) == (DocumentStatus.PROCESSING, "task-B")
