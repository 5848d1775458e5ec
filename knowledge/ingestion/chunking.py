"""Structure-aware chunking: one section (heading + its warnings, text, steps, table) → chunk(s).

Retrieval cites pages, so chunk boundaries follow the document's own structure: a chunk never
spans two sections, a section is split only between blocks (never inside a paragraph, a step list
or a table), and every chunk records the pages its blocks came from.

Chunk text conventions (also read back by `procedures.extract_procedures`): blocks are separated
by a blank line; steps of one list are consecutive `1. ...` lines; a warning is one line
`⚠ LABEL: text`; a table is one `a | b | c` line per row, header first. The section heading is not
repeated in the text; it is `Chunk.section` (use `Chunk.with_heading` for indexing).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from core.text.detect import detect_language
from core.text.languages import normalize_language

from .base import DocumentKind, PageText
from .blocks import Block, BlockKind, BlockParser, count_words
from .furniture import strip_furniture

DEFAULT_MAX_WORDS = 350
DEFAULT_MIN_WORDS = 60
# A single table or step list up to this multiple of max_words stays whole rather than being cut.
_WHOLE_UNIT_FACTOR = 2.0
# Sections longer than this are packed and emitted early, keeping only the tail in memory.
_FLUSH_FACTOR = 6
# A chunk in a document of known language is re-labelled only when it is long enough for the
# detector to be trusted against the uploader's metadata.
_RELABEL_MIN_WORDS = 40
_SECTION_MAX_CHARS = 300
PATH_SEPARATOR = " \u203a "  # a single right angle quote: "3. Maintenance > 3.1 Daily checks"


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    section: str
    page_start: int
    page_end: int
    ordinal: int
    language: str | None

    @property
    def word_count(self) -> int:
        return count_words(self.text)

    @property
    def with_heading(self) -> str:
        """Section heading + text: what full-text and embedding indexes should see."""
        return f"{self.section}\n\n{self.text}" if self.section else self.text


def chunk_pages(
    pages: Iterable[PageText],
    *,
    title: str,
    kind: DocumentKind | str | None = None,
    language: str | None = None,
    max_words: int = DEFAULT_MAX_WORDS,
    min_words: int = DEFAULT_MIN_WORDS,
) -> Iterator[Chunk]:
    """Chunk a page stream, holding at most the current section in memory.

    `kind` selects the heading rules: PDF and plain text recognise numbered and upper-case headings
    and treat page 1 of a PDF as a title page; DOCX and Markdown use `#` headings only. By default
    it is taken from the pages (`PageText.kind`, set by the extractors), else PDF. `language`
    is the document's language when known; each chunk is also detected and keeps the document's
    language unless it is long enough and clearly in another one.
    """
    iterator = iter(pages)
    first = next(iterator, None)
    if first is None:
        return
    kind = DocumentKind(kind or first.kind or DocumentKind.PDF)
    markdown = kind in (DocumentKind.DOCX, DocumentKind.MARKDOWN)
    builder = _ChunkBuilder(
        title=title.strip(),
        language=normalize_language(language),
        max_words=max_words,
        min_words=min_words,
    )
    parser = BlockParser(markdown=markdown, title_page=kind is DocumentKind.PDF)
    headings: list[Block] = []
    section = _Section(label=builder.title, titled=False)
    for page in strip_furniture(itertools.chain([first], iterator)):
        if not section.titled:
            # Untitled text (a title page, a document without headings) is chunked page by page,
            # so its citations stay exact.
            section.extend(parser.close_open())
            yield from builder.emit(section.take_all())
        for block in parser.feed(page):
            if block.kind is BlockKind.HEADING:
                yield from builder.emit(section.take_all())
                while headings and headings[-1].level >= block.level:
                    headings.pop()
                headings.append(block)
                section = _Section(label=_label(headings), titled=True)
                continue
            section.add(block)
            if section.words > _FLUSH_FACTOR * max_words:
                yield from builder.emit_head(section)
    section.extend(parser.finish())
    yield from builder.emit(section.take_all())


def _label(headings: list[Block]) -> str:
    label = PATH_SEPARATOR.join(h.text for h in headings)
    return label if len(label) <= _SECTION_MAX_CHARS else label[: _SECTION_MAX_CHARS - 1] + "…"


@dataclass
class _Section:
    label: str
    titled: bool
    blocks: list[Block] = field(default_factory=list)
    words: int = 0  # kept as blocks arrive: recounting a long section per block would be quadratic

    def add(self, block: Block) -> None:
        self.blocks.append(block)
        self.words += block.words

    def extend(self, blocks: list[Block]) -> None:
        for block in blocks:
            self.add(block)

    def keep(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.words = sum(b.words for b in blocks)

    def take_all(self) -> _Taken:
        taken = _Taken(self.label, self.blocks)
        self.keep([])
        return taken


@dataclass
class _Taken:
    label: str
    blocks: list[Block]


class _ChunkBuilder:
    def __init__(self, *, title: str, language: str | None, max_words: int, min_words: int) -> None:
        self.title = title
        self.language = language
        self.max_words = max_words
        self.min_words = min_words
        self.ordinal = 0

    def emit(self, section: _Taken) -> Iterator[Chunk]:
        for group in self._pack(_units(section.blocks, self.max_words)):
            yield self._chunk(section.label, group)

    def emit_head(self, section: _Section) -> Iterator[Chunk]:
        """Emit all but the last chunk of a long unfinished section; the last stays to grow."""
        groups = self._pack(_units(section.blocks, self.max_words))
        for group in groups[:-1]:
            yield self._chunk(section.label, group)
        section.keep(groups[-1] if groups else [])

    def _pack(self, units: list[list[Block]]) -> list[list[Block]]:
        sizes = [sum(b.words for b in unit) for unit in units]
        total = sum(sizes)
        if not units:
            return []
        if total <= self.max_words:
            return [[b for unit in units for b in unit]]
        # Aim for chunks of even size rather than one full chunk and a scrap.
        target = total / math.ceil(total / self.max_words)
        groups: list[list[Block]] = []
        current: list[Block] = []
        current_words = 0
        for unit, size in zip(units, sizes, strict=True):
            over_max = current_words + size > self.max_words
            past_target = current_words >= target and current_words + size > target * 1.15
            if current and (over_max or past_target):
                groups.append(current)
                current, current_words = [], 0
            current.extend(unit)
            current_words += size
        if current:
            last_words = current_words
            if groups and last_words < self.min_words:
                previous = sum(b.words for b in groups[-1])
                if previous + last_words <= self.max_words * 1.25:
                    groups[-1].extend(current)
                    return groups
            groups.append(current)
        return groups

    def _chunk(self, label: str, blocks: list[Block]) -> Chunk:
        text = render_blocks(blocks)
        chunk = Chunk(
            text=text,
            section=label,
            page_start=min(b.page_start for b in blocks),
            page_end=max(b.page_end for b in blocks),
            ordinal=self.ordinal,
            language=self._language(f"{label}\n{text}"),
        )
        self.ordinal += 1
        return chunk

    def _language(self, text: str) -> str | None:
        detected = detect_language(text)
        if self.language is None:
            return detected
        if detected is None or detected == self.language or count_words(text) < _RELABEL_MIN_WORDS:
            return self.language
        return detected


def _units(blocks: list[Block], max_words: int) -> list[list[Block]]:
    """Group blocks into pieces that must not be separated.

    A run of list items is one unit (steps stay together), with any warning or short note between
    its items; a warning and a paragraph that ends with ":" go with what follows them; a table is
    its own unit. A single unit far above max_words is split at its natural joints (between steps,
    between table rows with the header repeated).
    """
    units: list[list[Block]] = []
    carry: list[Block] = []  # warnings and "...:" lead-ins waiting for what they introduce
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if block.kind is BlockKind.WARNING or (block.kind is BlockKind.PARAGRAPH and block.text.endswith(":")):
            carry.append(block)
            continue
        last = units[-1] if units else None
        list_open = last is not None and last[-1].kind is BlockKind.LIST_ITEM
        if last is not None and list_open and block.kind is BlockKind.LIST_ITEM:
            last.extend(carry)
            last.append(block)
            carry = []
            continue
        note_between_steps = block.kind is BlockKind.PARAGRAPH and nxt is not None and nxt.kind is BlockKind.LIST_ITEM
        if last is not None and list_open and not carry and note_between_steps:
            last.append(block)
            continue
        units.append([*carry, block])
        carry = []
    if carry:
        if units:
            units[-1].extend(carry)
        else:
            units.append(carry)
    out: list[list[Block]] = []
    for unit in units:
        out.extend(_split_oversized(unit, max_words))
    return out


def _split_oversized(unit: list[Block], max_words: int) -> list[list[Block]]:
    words = sum(b.words for b in unit)
    if words <= _WHOLE_UNIT_FACTOR * max_words:
        return [unit]
    pieces: list[list[Block]] = []
    current: list[Block] = []
    current_words = 0
    for block in unit:
        parts = _split_block(block, max_words) if block.words > max_words else [block]
        for part in parts:
            if current and current_words + part.words > max_words:
                pieces.append(current)
                current, current_words = [], 0
            current.append(part)
            current_words += part.words
    if current:
        pieces.append(current)
    return pieces


def _split_block(block: Block, max_words: int) -> list[Block]:
    """Split one huge table (by rows, header repeated) or paragraph (by sentences)."""
    if block.kind is BlockKind.TABLE:
        header, *rows = block.text.split("\n")
        parts: list[list[str]] = [[]]
        for row in rows:
            if parts[-1] and count_words("\n".join([header, *parts[-1], row])) > max_words:
                parts.append([])
            parts[-1].append(row)
        texts = ["\n".join([header, *part]) for part in parts if part]
    else:
        sentences = _sentences(block.text)
        texts, current = [], ""
        for sentence in sentences:
            if current and count_words(current + " " + sentence) > max_words:
                texts.append(current)
                current = ""
            current = f"{current} {sentence}".strip()
        if current:
            texts.append(current)
    return [Block(block.kind, t, block.page_start, block.page_end, block.level, block.number) for t in texts]


def _sentences(text: str) -> list[str]:
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch in ".!?;؟" and i + 1 < len(text) and text[i + 1] == " ":
            out.append(text[start : i + 1].strip())
            start = i + 1
    out.append(text[start:].strip())
    return [s for s in out if s]


def render_blocks(blocks: list[Block]) -> str:
    parts: list[str] = []
    previous: Block | None = None
    for block in blocks:
        text = block.text
        if block.kind is BlockKind.LIST_ITEM and block.level:
            text = "   " * block.level + text
        if previous is not None and previous.kind is BlockKind.LIST_ITEM and block.kind is BlockKind.LIST_ITEM:
            parts.append("\n" + text)
        elif parts:
            parts.append("\n\n" + text)
        else:
            parts.append(text)
        previous = block
    return "".join(parts)
