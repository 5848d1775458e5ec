"""Markdown and plain-text files: UTF-8 (a BOM is allowed, UTF-16 with a BOM too), pages split on form feeds."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import Path

from .base import DEFAULT_LIMITS, DocumentKind, ExtractionLimits, PageText, checked_size
from .errors import DocumentRejected, RejectCode
from .sniff import check_content_matches

_READ_BYTES = 64 * 1024


def iter_text_pages(
    path: str | os.PathLike[str],
    *,
    kind: DocumentKind = DocumentKind.TEXT,
    limits: ExtractionLimits = DEFAULT_LIMITS,
) -> Iterator[PageText]:
    """Yield pages of a text/Markdown file; a file without form feeds is page 1.

    The file is decoded incrementally, so only the current page is held in memory.
    """
    checked_size(path, limits)
    check_content_matches(path, kind)
    number = 1
    buffer: list[str] = []
    found_text = False
    for piece in _decoded_pieces(path):
        if "\x00" in piece:
            raise DocumentRejected("The text file contains binary data (NUL bytes).", RejectCode.TYPE_MISMATCH)
        parts = piece.split("\f")
        for i, part in enumerate(parts):
            if i > 0:
                page = PageText(number=number, text=_clean("".join(buffer)), kind=kind)
                found_text = found_text or bool(page.text.strip())
                yield page
                number += 1
                buffer = []
                if number > limits.max_pages:
                    raise DocumentRejected(
                        f"The document has more than {limits.max_pages} pages (form feeds).",
                        RejectCode.TOO_MANY_PAGES,
                    )
            buffer.append(part)
    page = PageText(number=number, text=_clean("".join(buffer)), kind=kind)
    found_text = found_text or bool(page.text.strip())
    yield page
    if not found_text:
        raise DocumentRejected("The file contains only whitespace.", RejectCode.EMPTY)


def text_page_count(
    path: str | os.PathLike[str],
    *,
    kind: DocumentKind = DocumentKind.TEXT,
    limits: ExtractionLimits = DEFAULT_LIMITS,
) -> int:
    """Validate a text/Markdown file (encoding, limits) and count its pages."""
    return sum(1 for _ in iter_text_pages(path, kind=kind, limits=limits))


def _decoded_pieces(path: str | os.PathLike[str]) -> Iterator[str]:
    with Path(path).open("rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            decoder = codecs.getincrementaldecoder("utf-16")()
        else:
            # utf-8-sig drops a leading BOM, which Windows editors add.
            decoder = codecs.getincrementaldecoder("utf-8-sig")()
        data = head
        try:
            while True:
                yield decoder.decode(data, final=False)
                data = fh.read(_READ_BYTES)
                if not data:
                    break
            yield decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise DocumentRejected(
                "The text file is not valid UTF-8; save it as UTF-8 and upload it again.", RejectCode.TYPE_MISMATCH
            ) from exc


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
