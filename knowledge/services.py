"""Write operations of the knowledge base: upload, ingestion, re-ingestion, the stuck-job sweep.

Ingestion is idempotent by construction: pages and chunks are keyed by (document, number/ordinal)
and re-written on every attempt, and the document only becomes searchable (status `ready`) in the
final transaction, which also retires the revision it replaces. A worker killed half-way leaves a
`processing` document whose rows are invisible to search; the retry (or the sweep) redoes it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.enqueue import enqueue_or_leave
from core.text.detect import detect_language
from core.text.languages import normalize_language

from .embeddings import EmbeddingError, get_embedder
from .indexing import index_chunks, passage_text
from .ingestion.base import ExtractionLimits
from .ingestion.chunking import chunk_pages
from .ingestion.errors import DocumentRejected
from .ingestion.extract import inspect_document, iter_document_pages
from .ingestion.procedures import extract_procedures
from .metrics import DOCUMENTS_INGESTED, INGESTION_SECONDS
from .models import Chunk, Document, DocumentStatus, DocumentType, Page, Procedure, ProcedureStep
from .validation import MachineModelsError, clean_machine_models, narrow_machine_models

logger = logging.getLogger(__name__)


class UploadRejected(Exception):
    """An upload that is refused before it is stored (maps to HTTP 400/413/415)."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


def extraction_limits() -> ExtractionLimits:
    conf = settings.KNOWLEDGE_INGESTION
    return ExtractionLimits(
        max_bytes=conf["MAX_UPLOAD_BYTES"],
        max_pages=conf["MAX_PAGES"],
        max_seconds=conf["MAX_SECONDS"],
    )


@dataclass(frozen=True)
class UploadOutcome:
    document: Document
    created: bool


def document_upload(
    *,
    uploaded_file,
    title: str = "",
    doc_type: str = DocumentType.MANUAL,
    machine_models: list[str] | None = None,
    language: str | None = None,
    revision: str = "",
    uploaded_by=None,
    enqueue: bool = True,
) -> UploadOutcome:
    """Validate and store an uploaded document and queue its ingestion.

    Identical content (SHA-256) is not stored twice: the existing document is returned
    (`created=False`). A document with the same title and type becomes the revision this one
    replaces when it is ready.
    """
    try:
        models = clean_machine_models(machine_models or [])
    except MachineModelsError as exc:
        raise UploadRejected(str(exc), "invalid_machine_models") from exc
    if language and not normalize_language(language):
        raise UploadRejected(f"Unsupported language {language!r}: use en, el, ar, es, tr or nb.", "invalid_language")
    if doc_type not in DocumentType.values:
        raise UploadRejected(f"Unknown document type {doc_type!r}.", "invalid_type")
    file_name = Path(getattr(uploaded_file, "name", "") or "upload").name[:255]
    limits = extraction_limits()

    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limits.max_bytes:
        raise UploadRejected(
            f"The file is larger than the limit of {limits.max_bytes // (1024 * 1024)} MiB.", "too_large"
        )

    with _spooled_copy(uploaded_file) as (path, sha256):
        try:
            info = inspect_document(path, declared=file_name, limits=limits)
        except DocumentRejected as exc:
            raise UploadRejected(exc.reason, exc.code.value) from exc

        existing = Document.objects.filter(content_sha256=sha256).first()
        if existing is not None:
            if existing.status == DocumentStatus.FAILED:
                document_reingest(document=existing, enqueue=enqueue)
            return UploadOutcome(existing, created=False)

        title = (title or "").strip() or Path(file_name).stem.replace("-", " ").replace("_", " ")
        with transaction.atomic():
            previous = (
                Document.objects.select_for_update()
                .filter(title__iexact=title, doc_type=doc_type)
                .exclude(status__in=[DocumentStatus.SUPERSEDED, DocumentStatus.FAILED])
                .order_by("-created_at")
                .first()
            )
            document = Document(
                title=title[:300],
                doc_type=doc_type,
                machine_models=models,
                language=normalize_language(language) or "",
                revision=revision[:100],
                file_name=file_name,
                content_type=info.kind.value,
                size_bytes=info.size_bytes,
                content_sha256=sha256,
                pages_total=info.page_count,
                replaces=previous,
                uploaded_by=uploaded_by,
            )
            with open(path, "rb") as fh:
                document.file.save(file_name, File(fh), save=False)
            try:
                with transaction.atomic():
                    document.save()
            except IntegrityError:
                # The same content was uploaded concurrently; that upload won.
                document.file.delete(save=False)
                return UploadOutcome(Document.objects.get(content_sha256=sha256), created=False)
            if enqueue:
                _enqueue_ingestion(document.id)
    logger.info("document %s uploaded (%s, %s pages)", document.id, info.kind.value, info.page_count)
    return UploadOutcome(document, created=True)


class _spooled_copy:
    """Copy an upload to a temporary file while hashing it; yields (path, sha256)."""

    def __init__(self, uploaded_file):
        self.uploaded_file = uploaded_file
        self.path: str | None = None

    def __enter__(self) -> tuple[str, str]:
        digest = hashlib.sha256()
        fd, self.path = tempfile.mkstemp(prefix="upload-", suffix=Path(getattr(self.uploaded_file, "name", "")).suffix)
        with os.fdopen(fd, "wb") as out:
            if hasattr(self.uploaded_file, "chunks"):
                pieces = self.uploaded_file.chunks()
            else:
                pieces = iter(lambda: self.uploaded_file.read(1024 * 1024), b"")
            for piece in pieces:
                digest.update(piece)
                out.write(piece)
        return self.path, digest.hexdigest()

    def __exit__(self, *exc) -> None:
        if self.path:
            Path(self.path).unlink(missing_ok=True)


def _enqueue_ingestion(document_id: int) -> None:
    transaction.on_commit(lambda: _enqueue_now(document_id))


def document_reingest(*, document: Document, enqueue: bool = True) -> Document:
    """Queue a document for ingestion again (admin action, failed re-upload, sweep)."""
    with transaction.atomic():
        Document.objects.filter(id=document.id).update(
            status=DocumentStatus.QUEUED,
            pages_done=0,
            error="",
            error_code="",
            attempts=0,
            updated_at=timezone.now(),
        )
        if enqueue:
            _enqueue_ingestion(document.id)
    document.refresh_from_db()
    return document


class TransientIngestionError(Exception):
    """Ingestion hit a temporary problem (embedding endpoint down); the task retries."""


class ClaimLost(Exception):
    """Another worker claimed the document meanwhile (the sweep re-queued a slow one): stop, store
    and publish nothing (issue 11)."""


def _hold_claim(document: Document) -> None:
    """Lock the document row and check it is still this ingestion's (same claim_token, processing).
    Call inside the transaction that writes; raises ClaimLost otherwise."""
    still_ours = (
        Document.objects.select_for_update()
        .filter(id=document.id, status=DocumentStatus.PROCESSING, claim_token=document.claim_token)
        .exists()
    )
    if not still_ours:
        raise ClaimLost(document.id)


def document_ingest(*, document_id: int, claim_token: str = "") -> Document | None:
    """Extract, chunk, embed and publish one document. Safe to run again at any point.

    Compare-and-set claim: a queued document, or one this same `claim_token` (the Celery task id,
    unchanged when a message is redelivered after a worker died) was processing.
    """
    now = timezone.now()
    claimable = Q(status=DocumentStatus.QUEUED)
    if claim_token:
        claimable |= Q(status=DocumentStatus.PROCESSING, claim_token=claim_token)
    claimed = Document.objects.filter(claimable, id=document_id).update(
        status=DocumentStatus.PROCESSING,
        processing_started_at=now,
        updated_at=now,
        pages_done=0,
        claim_token=claim_token,
    )
    if not claimed:
        logger.info("document %s is not waiting for ingestion; nothing to do", document_id)
        return None
    document = Document.objects.get(id=document_id)
    Document.objects.filter(id=document_id).update(attempts=document.attempts + 1)
    started = timezone.now()
    try:
        _ingest(document)
    except ClaimLost:
        logger.warning("document %s: another worker took over its ingestion; this one stops", document_id)
        return None
    except DocumentRejected as exc:
        _fail(document, exc.reason, exc.code.value)
        return document
    except EmbeddingError as exc:
        if exc.permanent:
            _fail(document, "The embedding service refused the document's text.", "embedding_failed")
            return document
        raise TransientIngestionError(str(exc)) from exc
    INGESTION_SECONDS.observe((timezone.now() - started).total_seconds())
    document.refresh_from_db()
    return document


def _fail(document: Document, reason: str, code: str) -> None:
    document_mark_failed(document_id=document.id, reason=reason, code=code)


def document_mark_failed(*, document_id: int, reason: str, code: str) -> None:
    """End a document's ingestion with a reason a knowledge editor can act on."""
    with transaction.atomic():
        Chunk.objects.filter(document_id=document_id).delete()
        Document.objects.filter(id=document_id).update(
            status=DocumentStatus.FAILED, error=reason[:2000], error_code=code[:40], updated_at=timezone.now()
        )
    DOCUMENTS_INGESTED.labels(status="failed").inc()
    logger.warning("document %s failed: %s (%s)", document_id, reason, code)


def _ingest(document: Document) -> None:
    conf = settings.KNOWLEDGE_INGESTION
    # Read fresh: a process that ingests may not have searched since another process ran `reembed`,
    # and a document's vectors must come from the index's model (knowledge.embeddings._active).
    embedder = get_embedder(settings.KNOWLEDGE_SEARCH["EMBEDDING_BACKEND"], fresh=True)
    # A previous attempt may have left rows behind: start from a clean slate (not yet searchable).
    with transaction.atomic():
        Chunk.objects.filter(document=document).delete()
        Page.objects.filter(document=document).delete()

    path = document.file.path
    pages_seen = 0
    batch: list = []
    drafts: list = []
    ordinal = 0
    text_sample: list[str] = []

    def pages_with_progress():
        nonlocal pages_seen
        for page in iter_document_pages(path, kind=document.content_type, limits=extraction_limits()):
            pages_seen = page.number
            Page.objects.update_or_create(document=document, number=page.number, defaults={"text": page.text})
            if len(text_sample) < 5:
                text_sample.append(page.text)
            if page.number % conf["PROGRESS_EVERY_PAGES"] == 0:
                Document.objects.filter(id=document.id).update(pages_done=page.number, updated_at=timezone.now())
            yield page

    doc_language = document.language or None
    for chunk in chunk_pages(pages_with_progress(), title=document.title):
        drafts.append(chunk)
        batch.append(chunk)
        if len(batch) >= conf["EMBED_BATCH"]:
            ordinal = _store_chunks(document, batch, embedder, doc_language, ordinal)
            batch = []
    if batch:
        ordinal = _store_chunks(document, batch, embedder, doc_language, ordinal)
    if ordinal == 0:
        raise DocumentRejected("No text could be extracted from this document.", "no_text")

    detected = doc_language or detect_language("\n".join(text_sample)) or "en"
    procedures = list(extract_procedures(drafts, language=detected))

    with transaction.atomic():
        # Deleted, re-queued or claimed by another worker meanwhile: do not publish a stale result.
        _hold_claim(document)
        locked = Document.objects.get(id=document.id)
        _replace_extracted_procedures(locked, procedures, detected)
        Document.objects.filter(id=document.id).update(
            status=DocumentStatus.READY,
            language=detected,
            pages_done=pages_seen,
            pages_total=pages_seen or locked.pages_total,
            ready_at=timezone.now(),
            updated_at=timezone.now(),
            error="",
            error_code="",
        )
        if locked.replaces_id:
            # The old revision leaves search in the same transaction the new one enters it.
            Document.objects.filter(id=locked.replaces_id).update(
                status=DocumentStatus.SUPERSEDED, updated_at=timezone.now()
            )
            Chunk.objects.filter(document_id=locked.replaces_id).delete()
            Procedure.objects.filter(document_id=locked.replaces_id).update(is_active=False)
    DOCUMENTS_INGESTED.labels(status="ready").inc()
    logger.info("document %s ready: %s pages, %s chunks", document.id, pages_seen, ordinal)


def _store_chunks(document: Document, chunks: list, embedder, doc_language: str | None, ordinal: int) -> int:
    """Embed a batch and insert it; returns the next ordinal."""
    texts = [passage_text(document.title, c.section, c.text) for c in chunks]
    vectors = embedder.embed_passages(texts)
    rows = []
    for chunk, vector in zip(chunks, vectors, strict=True):
        language = doc_language or chunk.language or detect_language(chunk.text) or "en"
        rows.append(
            Chunk(
                document=document,
                ordinal=ordinal,
                section=(chunk.section or "")[:300],
                page_start=chunk.page_start,
                page_end=chunk.page_end,
                language=language,
                machine_models=narrow_machine_models(document.machine_models, chunk.section, chunk.text),
                text=chunk.text,
                embedding=vector,
                embedding_model=embedder.model_id,
            )
        )
        ordinal += 1
    with transaction.atomic():
        # Under the document's row lock: a worker that lost its claim adds nothing beside the new one's.
        _hold_claim(document)
        created = Chunk.objects.bulk_create(rows)
        index_chunks(created, embedder)
    return ordinal


def _replace_extracted_procedures(document: Document, drafts: list, language: str) -> None:
    Procedure.objects.filter(document=document, origin=Procedure.Origin.EXTRACTED).delete()
    for draft in drafts:
        procedure = Procedure.objects.create(
            title=draft.title[:300],
            symptom=draft.symptom,
            machine_models=document.machine_models,
            language=draft.language or language,
            origin=Procedure.Origin.EXTRACTED,
            document=document,
            source_page=draft.page,
        )
        ProcedureStep.objects.bulk_create(
            ProcedureStep(
                procedure=procedure,
                order=step.order,
                instruction=step.instruction,
                safety_warning=step.safety_warning or "",
                expected_outcome=step.expected_outcome or "",
                estimated_minutes=step.minutes,
                source_page=step.page or draft.page,
            )
            for step in draft.steps
        )


def documents_requeue_stuck() -> int:
    """Re-queue documents whose ingestion stalled (worker killed, message lost). Returns the count."""
    conf = settings.KNOWLEDGE_INGESTION
    stale = timezone.now() - timedelta(seconds=conf["STUCK_AFTER_SECONDS"])
    stuck = list(
        Document.objects.filter(
            status__in=[DocumentStatus.QUEUED, DocumentStatus.PROCESSING], updated_at__lt=stale
        ).values_list("id", "attempts")
    )
    requeued = 0
    for document_id, attempts in stuck:
        if attempts >= conf["MAX_ATTEMPTS"]:
            Document.objects.filter(id=document_id).update(
                status=DocumentStatus.FAILED,
                error="Ingestion did not finish after several attempts; see the worker log.",
                error_code="stalled",
                updated_at=timezone.now(),
            )
            continue
        Document.objects.filter(id=document_id).update(status=DocumentStatus.QUEUED, updated_at=timezone.now())
        transaction.on_commit(lambda d=document_id: _enqueue_now(d))
        requeued += 1
    return requeued


def _enqueue_now(document_id: int) -> None:
    from .tasks import ingest_document

    # Broker down (SPEC §7): the document stays queued; documents_requeue_stuck enqueues it later.
    enqueue_or_leave(ingest_document, document_id, what=f"document {document_id}", recovery="the sweep will enqueue it")


def document_delete(*, document: Document) -> None:
    """Delete a document, its file, pages, chunks and extracted procedures."""
    storage, name = document.file.storage, document.file.name
    with transaction.atomic():
        document.delete()
        transaction.on_commit(lambda: storage.delete(name) if name else None)
