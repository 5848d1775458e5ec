"""Knowledge base: documents, their pages and searchable chunks, and troubleshooting procedures."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from pgvector.django import HnswIndex, VectorField

from core.text.languages import LANGUAGE_CHOICES

EMBEDDING_DIMENSIONS = 384


class DocumentType(models.TextChoices):
    MANUAL = "manual", "Manual"
    QUICK_GUIDE = "quick_guide", "Quick guide"
    SERVICE_BULLETIN = "service_bulletin", "Service bulletin"
    PROCEDURE = "procedure", "Procedure"
    FAQ = "faq", "FAQ"
    EXPERT_INPUT = "expert_input", "Expert input"
    RESOLVED_CASE = "resolved_case", "Resolved case"


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    # A newer revision of the same document is ready; kept for history, never searched.
    SUPERSEDED = "superseded", "Superseded"


class Document(models.Model):
    title = models.CharField(max_length=300)
    doc_type = models.CharField(max_length=32, choices=DocumentType.choices, default=DocumentType.MANUAL)
    # Empty list = applies to every machine model.
    machine_models = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    # Given at upload, or detected during ingestion ("" until then).
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES, blank=True)
    revision = models.CharField(max_length=100, blank=True)
    file = models.FileField(upload_to="documents/%Y/%m/")
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=20, blank=True)  # pdf | docx | markdown | text
    size_bytes = models.PositiveBigIntegerField(default=0)
    content_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED)
    pages_total = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Who is ingesting it (the Celery task id): a redelivered message of the same task may take
    # the document over at once; anyone else waits for the stuck-job sweep.
    claim_token = models.CharField(max_length=64, blank=True)
    # The revision this document replaces once it is ready.
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Identical content is ingested once (a re-upload returns the existing document).
            models.UniqueConstraint(fields=["content_sha256"], name="knowledge_document_unique_content"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.file_name})"

    @property
    def progress_percent(self) -> int:
        if self.status == DocumentStatus.READY:
            return 100
        if not self.pages_total:
            return 0
        return min(100, round(100 * self.pages_done / self.pages_total))


class Page(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    text = models.TextField()

    class Meta:
        ordering = ["document_id", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="knowledge_page_unique_number")]

    def __str__(self) -> str:
        return f"{self.document_id} p.{self.number}"


class Chunk(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    section = models.CharField(max_length=300, blank=True)
    page_start = models.PositiveIntegerField()
    page_end = models.PositiveIntegerField()
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES)
    # Copied from the document, narrowed when the section names a model ("V3.1B only"): lets the
    # vector index scan filter without a join. Empty = all models.
    machine_models = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True)
    embedding_model = models.CharField(max_length=100, blank=True)
    # Filled by `manage.py reembed` while `embedding` keeps serving; swapped in at the end.
    embedding_next = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    # to_tsvector(<chunk language's configuration>, section + text) || to_tsvector('simple', ...)
    search_vector = SearchVectorField(null=True)
    # Glossary concepts named in the section heading and text, with their counts ({"pressure": 3}):
    # the language-independent layer of search (knowledge/glossary, docs/knowledge.md).
    concepts = models.JSONField(default=dict, blank=True)
    # The glossary version `concepts` was computed with; `manage.py reindex_concepts` refreshes older ones.
    concepts_version = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["document_id", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["document", "ordinal"], name="knowledge_chunk_unique_ordinal")]
        # Vector search uses one partial HNSW index per chunk language (migration 0004), which is
        # what lets search take candidates per language; an index over all languages would only
        # cost ingestion time and disk.
        indexes = [
            GinIndex(fields=["search_vector"], name="knowledge_chunk_fts_gin"),
            GinIndex(fields=["machine_models"], name="knowledge_chunk_models_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.ordinal} p.{self.page_start}-{self.page_end}"


class IndexState(models.Model):
    """Which embedding model the stored vectors come from (one row). Queries must use the same."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    embedding_backend = models.CharField(max_length=50, default="default")
    embedding_model = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.embedding_backend}: {self.embedding_model}"


class Procedure(models.Model):
    """A troubleshooting procedure: symptom -> ordered steps (from a manual or written by an expert)."""

    class Origin(models.TextChoices):
        EXTRACTED = "extracted", "Extracted from a manual"
        EXPERT = "expert", "Written by an expert"

    title = models.CharField(max_length=300)
    symptom = models.TextField(help_text="What the operator sees or hears; used to match their description.")
    machine_models = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES, default="en")
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.EXPERT)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="procedures")
    source_page = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ProcedureStep(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    instruction = models.TextField()
    safety_warning = models.TextField(blank=True)
    expected_outcome = models.TextField(blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    source_page = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["procedure_id", "order"]
        constraints = [models.UniqueConstraint(fields=["procedure", "order"], name="knowledge_step_unique_order")]

    def __str__(self) -> str:
        return f"{self.procedure_id}.{self.order}"


class ChunkVector(models.Model):
    """An extra embedding for part of a chunk (one table row), searched with max-sim, cited as the chunk.

    A chunk's embedding averages everything in it, so one line of a long table barely moves it:
    "how heavy is the rig" does not find the key-data page. A vector per row ("2. Key data — Weight
    of rig: 165 kg") does. Written by knowledge.indexing at ingestion (bounded per chunk), deleted
    with the chunk; rows whose `embedding_model` differs from the chunk's are ignored by search.
    """

    class Kind(models.TextChoices):
        TABLE_ROW = "table_row", "Table row"

    chunk = models.ForeignKey(Chunk, on_delete=models.CASCADE, related_name="extra_vectors")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TABLE_ROW)
    ordinal = models.PositiveSmallIntegerField()
    # The chunk's language, copied so that the per-language vector scans need no join to filter.
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES)
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    embedding_model = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["chunk_id", "kind", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["chunk", "kind", "ordinal"], name="knowledge_chunkvector_unique_ordinal")
        ]
        # One HNSW graph per language: search scans every language separately (a question's own
        # language would otherwise crowd out the others), and a partial index makes each scan as
        # cheap as an unfiltered one. Migration 0004 adds the same for knowledge_chunk.
        indexes = [
            HnswIndex(
                name=f"knowledge_chunkvector_hnsw_{code}",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
                condition=models.Q(language=code),
            )
            for code, _ in LANGUAGE_CHOICES
        ]

    def __str__(self) -> str:
        return f"{self.chunk_id}/{self.kind}#{self.ordinal}"
