"""Document parsing for the knowledge base: files → pages → structure-aware chunks → procedures.

Pure Python, no Django: the ingestion task and the retrieval benchmark both build on it.

    info = inspect_document(path, declared=upload.name)          # at upload: 4xx on DocumentRejected
    pages = iter_document_pages(path, kind=info.kind)            # in the task: a page stream
    chunks = chunk_pages(pages, title=title, kind=info.kind, language=language)
    procedures = extract_procedures(chunks)                       # from the same chunks

Everything streams: wrap `pages` in a generator to store pages and report progress as they pass.
"""

from __future__ import annotations

from .base import DEFAULT_LIMITS, DocumentKind, ExtractionLimits, PageText
from .chunking import Chunk, chunk_pages
from .errors import DocumentRejected, RejectCode
from .extract import (
    DocumentInfo,
    declared_kind,
    inspect_document,
    iter_document_pages,
    iter_docx_pages,
    iter_pdf_pages,
    iter_text_pages,
    pdf_page_count,
)
from .procedures import ProcedureDraft, StepDraft, extract_procedures

__all__ = [
    "DEFAULT_LIMITS",
    "Chunk",
    "DocumentInfo",
    "DocumentKind",
    "DocumentRejected",
    "ExtractionLimits",
    "PageText",
    "ProcedureDraft",
    "RejectCode",
    "StepDraft",
    "chunk_pages",
    "declared_kind",
    "extract_procedures",
    "inspect_document",
    "iter_document_pages",
    "iter_docx_pages",
    "iter_pdf_pages",
    "iter_text_pages",
    "pdf_page_count",
]
