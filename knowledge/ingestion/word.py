"""DOCX documents as Markdown-like text with python-docx.

Word has no fixed pages, so the document is page 1 unless it contains explicit page breaks
(Ctrl+Enter or "page break before"), which start a new page. The output uses the conventions the
chunker reads for every source: `#` headings, `1.` numbered steps, `- ` bullets and `| a | b |`
table rows.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .base import DEFAULT_LIMITS, DocumentKind, ExtractionLimits, PageText, checked_size
from .errors import DocumentRejected, RejectCode
from .sniff import check_content_matches

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph

logger = logging.getLogger(__name__)


def _traceback_wanted() -> bool:
    # A damaged upload is the uploader's problem, not an incident: its reason is stored on the
    # document. Parser tracebacks are kept for DEBUG logging, where someone is looking for them.
    return logger.isEnabledFor(logging.DEBUG)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PAGE_BREAK = "\f"
_BLANK_RUN_RE = re.compile(r"\n{3,}")
# Members smaller than this may compress very well (runs of spaces in XML) without being a bomb.
_RATIO_CHECK_MIN_BYTES = 1024 * 1024


def check_docx_archive(path: str | os.PathLike[str], limits: ExtractionLimits = DEFAULT_LIMITS) -> None:
    """Reject zip bombs from the zip directory alone, before anything is decompressed.

    The declared sizes are trustworthy enough: zipfile stops reading a member at its declared size
    and fails its CRC check if the data would expand further.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentRejected("The DOCX file is damaged and cannot be opened.", RejectCode.CORRUPT) from exc
    if len(infos) > limits.max_zip_members:
        raise DocumentRejected(
            f"The DOCX archive has {len(infos)} entries; at most {limits.max_zip_members} are allowed.",
            RejectCode.ZIP_BOMB,
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise DocumentRejected(
            f"The DOCX expands to {total // (1024 * 1024)} MiB; at most "
            f"{limits.max_uncompressed_bytes // (1024 * 1024)} MiB is allowed.",
            RejectCode.ZIP_BOMB,
        )
    for info in infos:
        if info.file_size < _RATIO_CHECK_MIN_BYTES:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise DocumentRejected(
                f"The DOCX member {info.filename!r} is compressed {ratio:.0f}:1, which is typical of a zip bomb.",
                RejectCode.ZIP_BOMB,
            )


def docx_page_count(path: str | os.PathLike[str], *, limits: ExtractionLimits = DEFAULT_LIMITS) -> int:
    """Validate a DOCX and count its pages (explicit page breaks + 1)."""
    return sum(1 for _ in iter_docx_pages(path, limits=limits))


def iter_docx_pages(path: str | os.PathLike[str], *, limits: ExtractionLimits = DEFAULT_LIMITS) -> Iterator[PageText]:
    """Yield the document's pages (split on explicit page breaks) as Markdown-like text."""
    checked_size(path, limits)
    check_content_matches(path, DocumentKind.DOCX)
    check_docx_archive(path, limits)
    document = _open(path)
    writer = _PageWriter()
    numbering = _Numbering(document)
    found_text = False
    try:
        for block in document.iter_inner_content():
            for line in _render_block(block, numbering):
                for page in writer.add(line):
                    found_text = found_text or bool(page.text.strip())
                    yield page
                    if page.number >= limits.max_pages:
                        raise _too_many_pages(limits)
    except DocumentRejected:
        raise
    except Exception as exc:  # python-docx on hostile XML: see the note in pdf.py on parser failures
        logger.info("docx body unreadable: %s", type(exc).__name__, exc_info=_traceback_wanted())
        raise DocumentRejected("The DOCX file is damaged and cannot be read.", RejectCode.CORRUPT) from exc
    last = writer.finish()
    found_text = found_text or bool(last.text.strip())
    yield last
    if not found_text:
        raise DocumentRejected("The DOCX document contains no text.", RejectCode.NO_TEXT)


def _too_many_pages(limits: ExtractionLimits) -> DocumentRejected:
    return DocumentRejected(
        f"The document has more than {limits.max_pages} pages; at most {limits.max_pages} can be ingested.",
        RejectCode.TOO_MANY_PAGES,
    )


def _open(path: str | os.PathLike[str]) -> DocxDocument:
    import docx

    try:
        return docx.Document(os.fspath(path))
    except Exception as exc:  # see the note in pdf.py on parser failures
        logger.info("docx open failed: %s", type(exc).__name__, exc_info=_traceback_wanted())
        raise DocumentRejected("The DOCX file is damaged and cannot be opened.", RejectCode.CORRUPT) from exc


@dataclass
class _PageWriter:
    number: int = 1
    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> Iterator[PageText]:
        # A line may carry page breaks (as \f) before, inside or after its text.
        parts = line.split(_PAGE_BREAK)
        for i, part in enumerate(parts):
            if i > 0:
                yield self._flush()
            if part or i == 0:
                self.lines.append(part)

    def _flush(self) -> PageText:
        text = _BLANK_RUN_RE.sub("\n\n", "\n".join(self.lines)).strip("\n")
        page = PageText(number=self.number, text=text, kind=DocumentKind.DOCX)
        self.number += 1
        self.lines = []
        return page

    def finish(self) -> PageText:
        return self._flush()


def _render_block(block: Paragraph | Table, numbering: _Numbering) -> Iterator[str]:
    from docx.table import Table

    if isinstance(block, Table):
        yield ""
        yield from _render_table(block)
        yield ""
        return
    text = _paragraph_text(block)
    if _has_page_break_before(block):
        text = _PAGE_BREAK + text
    level = _heading_level(block)
    marker: str | None = None
    for i, segment in enumerate(text.split(_PAGE_BREAK)):
        if i > 0:
            yield _PAGE_BREAK
        body = segment.strip()
        if not body:
            continue
        if level:
            yield ""
            yield "#" * level + " " + " ".join(body.split())
            yield ""
            continue
        # The list marker is taken once: text after a page break inside an item continues it.
        if marker is None:
            marker = numbering.marker(block) or ""
            if marker:
                yield marker + " " + " ".join(body.split())
                continue
        yield ""
        yield body
        yield ""


def _paragraph_text(paragraph: Paragraph) -> str:
    """Text of a paragraph in document order, with explicit page breaks kept as \\f.

    python-docx's `Paragraph.text` drops page breaks, so runs are walked directly.
    """
    out: list[str] = []
    for el in paragraph._p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        tag = el.tag
        if tag == f"{_W}t":
            out.append(el.text or "")
        elif tag == f"{_W}tab":
            out.append(" ")
        elif tag == f"{_W}br" and el.get(f"{_W}type") == "page":
            out.append(_PAGE_BREAK)
        else:
            out.append("\n")
    return "".join(out)


def _has_page_break_before(paragraph: Paragraph) -> bool:
    p_pr = paragraph._p.pPr
    if p_pr is None:
        return False
    flag = p_pr.find(f"{_W}pageBreakBefore")
    return flag is not None and flag.get(f"{_W}val", "true") not in ("0", "false", "off")


def _heading_level(paragraph: Paragraph) -> int:
    style = paragraph.style
    # Style names are localised in non-English Word ("Überschrift 1"), the outline level is not.
    while style is not None:
        name = (style.name or "").lower()
        if name == "title":
            return 1
        if name.startswith("heading"):
            digits = "".join(ch for ch in name if ch.isdigit())
            return min(int(digits), 6) if digits else 1
        p_pr = style.element.pPr
        if p_pr is not None:
            outline = p_pr.find(f"{_W}outlineLvl")
            if outline is not None and (val := outline.get(f"{_W}val", "")).isdigit() and int(val) < 9:
                return min(int(val) + 1, 6)
        style = style.base_style
    p_pr = paragraph._p.pPr
    if p_pr is not None:
        outline = p_pr.find(f"{_W}outlineLvl")
        if outline is not None and (val := outline.get(f"{_W}val", "")).isdigit() and int(val) < 9:
            return min(int(val) + 1, 6)
    return 0


class _Numbering:
    """Turns Word list paragraphs into "1." / "- " markers, counting per list and level."""

    def __init__(self, document: DocxDocument) -> None:
        self._formats: dict[tuple[str, int], str] = {}
        self._counters: dict[tuple[str, int], int] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            root = None
        if root is None:
            return
        abstract_formats: dict[str, dict[int, str]] = {}
        for abstract in root.findall(f"{_W}abstractNum"):
            levels: dict[int, str] = {}
            for lvl in abstract.findall(f"{_W}lvl"):
                fmt = lvl.find(f"{_W}numFmt")
                levels[_int(lvl.get(f"{_W}ilvl"))] = fmt.get(f"{_W}val", "decimal") if fmt is not None else "decimal"
            abstract_formats[abstract.get(f"{_W}abstractNumId", "")] = levels
        for num in root.findall(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            levels = abstract_formats.get(ref.get(f"{_W}val", "") if ref is not None else "", {})
            for ilvl, fmt in levels.items():
                self._formats[(num.get(f"{_W}numId", ""), ilvl)] = fmt

    def marker(self, paragraph: Paragraph) -> str | None:
        num_id, ilvl = self._num_pr(paragraph)
        if not num_id or num_id == "0":
            return None
        indent = "   " * ilvl
        if self._formats.get((num_id, ilvl), "decimal") in ("bullet", "none"):
            return f"{indent}-"
        # A higher-level item restarts the counting of the levels below it.
        for key in [k for k in self._counters if k[0] == num_id and k[1] > ilvl]:
            del self._counters[key]
        count = self._counters.get((num_id, ilvl), 0) + 1
        self._counters[(num_id, ilvl)] = count
        return f"{indent}{count}."

    @staticmethod
    def _num_pr(paragraph: Paragraph) -> tuple[str | None, int]:
        # numPr on the paragraph wins; otherwise a list style ("List Number") carries it.
        candidates = [paragraph._p.pPr]
        style = paragraph.style
        while style is not None:
            candidates.append(style.element.pPr)
            style = style.base_style
        num_id: str | None = None
        ilvl: int | None = None
        for p_pr in candidates:
            if p_pr is None:
                continue
            num_pr = p_pr.find(f"{_W}numPr")
            if num_pr is None:
                continue
            if num_id is None and (el := num_pr.find(f"{_W}numId")) is not None:
                num_id = el.get(f"{_W}val")
            if ilvl is None and (el := num_pr.find(f"{_W}ilvl")) is not None:
                ilvl = _int(el.get(f"{_W}val"))
        return num_id, ilvl or 0


def _render_table(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # Horizontally merged cells come back once per grid column; print them once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()).replace("|", "/"))
        if any(cells):
            yield "| " + " | ".join(cells) + " |"


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
