"""Turn an uploaded file into a stream of pages, whatever its format.

Two entry points:

* `inspect_document(path, declared=...)` — cheap validation for the upload request: size, the
  declared type against the content, encryption, zip bombs, page limit. Raises DocumentRejected,
  which the API maps to a 4xx.
* `iter_document_pages(path, kind=...)` — the page stream for the ingestion task. It repeats the
  checks (the file may have been replaced, and the task must not trust the request) and raises
  DocumentRejected for what only reading can reveal (a scan without text, a damaged page tree).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from .base import DEFAULT_LIMITS, DocumentKind, ExtractionLimits, PageText, checked_size
from .pdf import iter_pdf_pages, pdf_page_count
from .sniff import check_content_matches, declared_kind, sniff_kind
from .text import iter_text_pages, text_page_count
from .word import check_docx_archive, docx_page_count, iter_docx_pages

__all__ = [
    "DocumentInfo",
    "check_docx_archive",
    "declared_kind",
    "inspect_document",
    "iter_document_pages",
    "iter_docx_pages",
    "iter_pdf_pages",
    "iter_text_pages",
    "pdf_page_count",
    "sniff_kind",
]


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    kind: DocumentKind
    size_bytes: int
    page_count: int


def inspect_document(
    path: str | os.PathLike[str], *, declared: str, limits: ExtractionLimits = DEFAULT_LIMITS
) -> DocumentInfo:
    """Validate an upload against its declared type (file name, extension or MIME type)."""
    kind = declared_kind(declared)
    size = checked_size(path, limits)
    check_content_matches(path, kind)
    if kind is DocumentKind.PDF:
        pages = pdf_page_count(path, limits=limits)
    elif kind is DocumentKind.DOCX:
        pages = docx_page_count(path, limits=limits)
    else:
        pages = text_page_count(path, kind=kind, limits=limits)
    return DocumentInfo(kind=kind, size_bytes=size, page_count=pages)


def iter_document_pages(
    path: str | os.PathLike[str], *, kind: DocumentKind | str, limits: ExtractionLimits = DEFAULT_LIMITS
) -> Iterator[PageText]:
    """Pages of a document of a known kind (use `declared_kind` to get it from a name or MIME type)."""
    kind = DocumentKind(kind)
    if kind is DocumentKind.PDF:
        return iter_pdf_pages(path, limits=limits)
    if kind is DocumentKind.DOCX:
        return iter_docx_pages(path, limits=limits)
    return iter_text_pages(path, kind=kind, limits=limits)
