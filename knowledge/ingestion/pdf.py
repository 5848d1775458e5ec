"""PDF pages as text, one page at a time, with pypdf.

Layout mode is used because it keeps what the chunker needs and plain mode loses: blank lines
between paragraphs and column gaps inside tables. Layout mode emits right-to-left lines in visual
(reversed) order; `rtl.logical_layout_text` turns them back into logical order, with the page's
plain-mode text as the lexicon that repairs lam-alef ligatures. Plain mode alone is only the
fallback when layout extraction fails: it reorders Arabic but moves numbers and Latin codes to the
wrong end of the line and loses blank lines and table columns.
"""

from __future__ import annotations

import io
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import DependencyError, FileNotDecryptedError

from .base import DEFAULT_LIMITS, DocumentKind, ExtractionLimits, PageText, checked_size
from .errors import DocumentRejected, RejectCode
from .rtl import has_rtl, logical_layout_text
from .sniff import check_content_matches

logger = logging.getLogger(__name__)


def _traceback_wanted() -> bool:
    # A damaged upload is the uploader's problem, not an incident: its reason is stored on the
    # document. Parser tracebacks are kept for DEBUG logging, where someone is looking for them.
    return logger.isEnabledFor(logging.DEBUG)


# pypdf reports every robustness fix it applies to a malformed file through the "pypdf" logger.
# Without a handler anywhere those records would reach stderr through logging's last-resort
# handler; with this one they go wherever the project's logging config sends them (or nowhere).
logging.getLogger("pypdf").addHandler(logging.NullHandler())

_BLANK_RUN_RE = re.compile(r"\n{3,}")
# pypdf's own failures on hostile input are not limited to its PyPdfError hierarchy: malformed
# objects surface as KeyError, TypeError, struct.error, deep nesting as RecursionError, and so on.
# The reader is a parser of untrusted bytes, so at this boundary any exception means "corrupt"; it
# is logged with its traceback and turned into a DocumentRejected, never swallowed.
_PARSER_FAILURES = Exception


def pdf_page_count(path: str | os.PathLike[str], *, limits: ExtractionLimits = DEFAULT_LIMITS) -> int:
    """Validate a PDF (size, type, encryption, structure, page limit) and return its page count."""
    _reader, count = _open(path, limits)
    return count


def iter_pdf_pages(path: str | os.PathLike[str], *, limits: ExtractionLimits = DEFAULT_LIMITS) -> Iterator[PageText]:
    """Yield the text of each page in order.

    Only the current page's text is held; the caller may stop early. Raises DocumentRejected on
    open (see pdf_page_count) and, after the last page, when no page had any text (a scan).
    """
    started = time.monotonic()
    reader, count = _open(path, limits)
    found_text = False
    for index in range(count):
        if limits.max_seconds is not None and time.monotonic() - started > limits.max_seconds:
            raise DocumentRejected(
                f"Text extraction took longer than {limits.max_seconds:.0f} s (stopped at page {index + 1}).",
                RejectCode.TIMEOUT,
            )
        text, layout = _page_text(reader, index, limits)
        found_text = found_text or bool(text.strip())
        yield PageText(number=index + 1, text=text, layout=layout, kind=DocumentKind.PDF)
    if not found_text:
        raise DocumentRejected(
            "The PDF has no extractable text; scanned PDFs need OCR before they can be ingested.",
            RejectCode.NO_TEXT,
        )


def pdf_single_page(path: str | os.PathLike[str], number: int) -> bytes:
    """Page `number` (1-based) of a stored, already ingested PDF as a PDF of its own.

    One page of a manual is a few kilobytes; the whole manual can be many megabytes over a boat's
    mobile connection. The file passed the upload limits when it was ingested, so they are not
    checked again. Raises DocumentRejected if the file or the page cannot be read.
    """
    try:
        reader = PdfReader(Path(path), strict=False)
        _decrypt(reader)
        if not 1 <= number <= len(reader.pages):
            raise DocumentRejected(f"The PDF has no page {number}.", RejectCode.CORRUPT)
        writer = PdfWriter()
        writer.add_page(reader.pages[number - 1])
        out = io.BytesIO()
        writer.write(out)
    except DocumentRejected:
        raise
    except _PARSER_FAILURES as exc:
        logger.info("pdf page copy failed: %s", type(exc).__name__, exc_info=_traceback_wanted())
        raise DocumentRejected("The PDF page cannot be read.", RejectCode.CORRUPT) from exc
    return out.getvalue()


def _open(path: str | os.PathLike[str], limits: ExtractionLimits) -> tuple[PdfReader, int]:
    checked_size(path, limits)
    check_content_matches(path, DocumentKind.PDF)
    try:
        reader = PdfReader(Path(path), strict=False)
    except _PARSER_FAILURES as exc:
        logger.info("pdf open failed: %s", type(exc).__name__, exc_info=_traceback_wanted())
        raise DocumentRejected("The PDF is damaged or incomplete and cannot be read.", RejectCode.CORRUPT) from exc
    _decrypt(reader)
    _refuse_active_content(reader)
    # The page tree's /Count is read first: it is O(1), so a 5 000-page file is turned away before
    # pypdf walks the whole tree. It can lie, so the real count is checked again below.
    declared = _declared_page_count(reader)
    if declared is not None and declared > limits.max_pages:
        raise _too_many_pages(declared, limits)
    try:
        count = len(reader.pages)
    except _PARSER_FAILURES as exc:
        logger.info("pdf page tree unreadable: %s", type(exc).__name__, exc_info=_traceback_wanted())
        raise DocumentRejected("The PDF's page structure is damaged.", RejectCode.CORRUPT) from exc
    if count > limits.max_pages:
        raise _too_many_pages(count, limits)
    if count == 0:
        raise DocumentRejected("The PDF has no pages.", RejectCode.EMPTY)
    return reader, count


def _decrypt(reader: PdfReader) -> None:
    try:
        if not reader.is_encrypted:
            return
        # Many manuals are "secured" only against editing: they open with an empty password.
        if reader.decrypt(""):
            return
    except DependencyError as exc:
        raise DocumentRejected(
            "The PDF uses an encryption method this server cannot decrypt; upload an unprotected copy.",
            RejectCode.ENCRYPTED,
        ) from exc
    except _PARSER_FAILURES as exc:
        logger.info("pdf decryption failed: %s", type(exc).__name__, exc_info=_traceback_wanted())
        raise DocumentRejected("The PDF's encryption data is damaged.", RejectCode.CORRUPT) from exc
    raise DocumentRejected("The PDF is password-protected; upload an unprotected copy.", RejectCode.ENCRYPTED)


# Actions that run something when the file is opened or a page is shown. A manual never needs
# them; a PDF that has them was made to do more than be read. Operators are served pages of the
# stored file (pdf_single_page), so such a file is refused, not ingested.
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition"}


def _refuse_active_content(reader: PdfReader) -> None:
    try:
        root = reader.trailer["/Root"]
        found = _runs_something(root.get("/OpenAction")) or "/AA" in root
        names = root.get("/Names")
        found = found or (names is not None and "/JavaScript" in names.get_object())
        for page in reader.pages if not found else ():
            found = "/AA" in page or any(
                _runs_something(annotation.get_object().get("/A")) for annotation in page.get("/Annots") or ()
            )
            if found:
                break
    except _PARSER_FAILURES as exc:
        logger.info("pdf structure unreadable: %s", type(exc).__name__, exc_info=_traceback_wanted())
        raise DocumentRejected("The PDF's structure is damaged.", RejectCode.CORRUPT) from exc
    if found:
        raise DocumentRejected(
            "The PDF contains scripts or actions that run when it is opened; save it again without them "
            '(for example with "Print to PDF") and upload that copy.',
            RejectCode.ACTIVE_CONTENT,
        )


def _runs_something(action) -> bool:
    if action is None:
        return False
    action = action.get_object()
    # An /OpenAction may also be a destination (an array: "open at page 1"), which runs nothing.
    return hasattr(action, "get") and action.get("/S") in _ACTIVE_ACTIONS


def _declared_page_count(reader: PdfReader) -> int | None:
    try:
        value = reader.trailer["/Root"]["/Pages"]["/Count"]
        return int(value)
    except _PARSER_FAILURES:
        # A broken /Count is not fatal by itself: pypdf may still rebuild the page list.
        return None


def _too_many_pages(count: int, limits: ExtractionLimits) -> DocumentRejected:
    return DocumentRejected(
        f"The PDF has {count} pages; at most {limits.max_pages} pages can be ingested.", RejectCode.TOO_MANY_PAGES
    )


def _page_text(reader: PdfReader, index: int, limits: ExtractionLimits) -> tuple[str, bool]:
    try:
        page = reader.pages[index]
    except FileNotDecryptedError as exc:  # pragma: no cover - guarded by _decrypt
        raise DocumentRejected("The PDF is password-protected.", RejectCode.ENCRYPTED) from exc
    except _PARSER_FAILURES as exc:
        logger.info("pdf page %d unreadable: %s", index + 1, type(exc).__name__, exc_info=_traceback_wanted())
        raise DocumentRejected(f"Page {index + 1} of the PDF is damaged.", RejectCode.CORRUPT) from exc
    text, layout = "", True
    try:
        text = page.extract_text(extraction_mode="layout")
    except _PARSER_FAILURES:
        # Layout mode is the less battle-tested code path in pypdf; plain mode often still works.
        logger.info("pdf page %d: layout extraction failed, using plain mode", index + 1, exc_info=_traceback_wanted())
        layout = False
    if layout and has_rtl(text):
        text = logical_layout_text(text, _plain_text(page, index))
    elif not layout or not text.strip():
        text, layout = _plain_text(page, index), False
    if len(text) > limits.max_page_chars:
        logger.warning("pdf page %d: %d characters, cut to %d", index + 1, len(text), limits.max_page_chars)
        text = text[: limits.max_page_chars]
    return _tidy(text), layout


def _plain_text(page: PageObject, index: int) -> str:
    try:
        return page.extract_text()
    except _PARSER_FAILURES:
        # One unreadable page does not sink a 200-page manual; it is logged and left empty.
        logger.warning("pdf page %d: text extraction failed", index + 1, exc_info=_traceback_wanted())
        return ""


def _tidy(text: str) -> str:
    # Layout mode pads lines to their x position and fills the page height with empty lines;
    # trailing spaces and blank runs carry no information, leading indentation does (continuations).
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_RUN_RE.sub("\n\n", "\n".join(lines)).strip("\n")
