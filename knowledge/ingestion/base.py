"""Value types shared by the extractors: a page of text, the limits, the kinds of document."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .errors import DocumentRejected, RejectCode


class DocumentKind(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    MARKDOWN = "markdown"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class PageText:
    """The text of one page, 1-based.

    `layout` is True when the text keeps the page's geometry (pypdf layout mode): blank lines
    separate paragraphs and runs of spaces separate table columns, which the chunker relies on.
    `kind` is the format the page came from; the chunker picks its heading rules from it.
    """

    number: int
    text: str
    layout: bool = False
    kind: DocumentKind | None = None


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    """Upper bounds that keep one hostile upload from exhausting a worker."""

    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 2000
    # DOCX (a zip): total declared uncompressed size, per-member ratio and member count.
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 200.0
    max_zip_members: int = 5000
    # Text of a single page beyond this is cut: no real page holds 200 000 characters.
    max_page_chars: int = 200_000
    # Wall-clock budget for a whole extraction, checked between pages (None: no budget).
    max_seconds: float | None = None


DEFAULT_LIMITS = ExtractionLimits()


def checked_size(path: str | os.PathLike[str], limits: ExtractionLimits) -> int:
    """Size of the file after the empty and too-large checks, which every format shares."""
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        raise DocumentRejected("The uploaded file could not be read.", RejectCode.CORRUPT) from exc
    if size == 0:
        raise DocumentRejected("The file is empty.", RejectCode.EMPTY)
    if size > limits.max_bytes:
        raise DocumentRejected(
            f"The file is {_mib(size)} MiB; the limit is {_mib(limits.max_bytes)} MiB.", RejectCode.TOO_LARGE
        )
    return size


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}"
