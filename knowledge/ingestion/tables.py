"""Tables in page text: layout-mode column grids and Markdown pipe tables, rendered as `a | b | c` rows."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

# Cells in layout-mode text are separated by runs of 3+ spaces; 2 occur inside prose ("end.  Next").
_GAP_RE = re.compile(r"\S {3,}\S")
_SEGMENT_RE = re.compile(r"\S+(?: {1,2}\S+)*")
_MD_SEPARATOR_RE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
# Segment starts within this many characters belong to the same column (layout positions are
# computed from an average character width, so they wobble a little).
_COLUMN_TOLERANCE = 2


def is_gapped(raw: str) -> bool:
    return bool(_GAP_RE.search(raw.strip()))


def is_pipe_row(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith("|") and stripped.count("|") >= 2


def _segments(raw: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _SEGMENT_RE.finditer(raw)]


@dataclass
class LayoutTable:
    """Lines of a layout-mode table being collected; `rows()` decides how they form rows."""

    lines: list[str] = field(default_factory=list)
    # Index into `lines` where a blank line preceded the line: fpdf2, Word and most generators pad
    # rows, so blank lines separate rows and lines in between are wrapped cell text.
    breaks: set[int] = field(default_factory=set)
    # Index into `lines` where the table continues on a new page, with the header line repeated
    # there: layout positions are computed per page, so each page's part has its own columns.
    parts: dict[int, str] = field(default_factory=dict)

    def add(self, raw: str, *, after_blank: bool) -> None:
        if after_blank and self.lines:
            self.breaks.add(len(self.lines))
        self.lines.append(raw)

    def continue_on_new_page(self, header: str) -> None:
        """The header row repeated at the top of the next page: not a row, but that page's columns."""
        self.parts[len(self.lines)] = header
        self.breaks.add(len(self.lines))

    @property
    def first_column_width(self) -> int:
        segments = _segments(self.lines[0]) if self.lines else []
        return segments[1][0] if len(segments) > 1 else 0

    def is_table(self) -> bool:
        """At least two lines share a column start besides the left edge (justified prose does not)."""
        gapped = [line for line in self.lines if is_gapped(line)]
        if len(gapped) < 2:
            return False
        starts: list[int] = []
        for line in gapped:
            starts.extend(start for start, _text in _segments(line)[1:])
        starts.sort()
        return any(b - a <= _COLUMN_TOLERANCE for a, b in itertools.pairwise(starts))

    def rows(self) -> list[list[str]]:
        grid: list[list[list[str]]] = []
        for first, lines, header in self._parts():
            columns = _columns([header, *lines] if header else lines)
            for offset, raw in enumerate(lines):
                index = first + offset
                segments = _segments(raw)
                cells: list[list[str]] = [[] for _ in columns]
                if len(segments) == len(columns):
                    # A full row: its cells are the columns in order, wherever the positions of
                    # right-aligned or mirrored (right-to-left) text put them.
                    for cell, (_start, text) in zip(cells, segments, strict=True):
                        cell.append(text)
                else:
                    for start, text in segments:
                        cells[_column_of(start, start + len(text), columns)].append(text)
                starts_row = not grid or (index in self.breaks if self.breaks else bool(cells[0]))
                if starts_row:
                    grid.append(cells)
                else:
                    for target, extra in zip(grid[-1], cells, strict=False):
                        target.extend(extra)
        width = max((len(row) for row in grid), default=0)
        return [[" ".join(parts) for parts in row] + [""] * (width - len(row)) for row in grid]

    def as_prose(self) -> list[str]:
        return [" ".join(raw.split()) for raw in self.lines]

    def _parts(self) -> list[tuple[int, list[str], str]]:
        """(index of the first line, lines, repeated header or "") for each page of the table."""
        bounds = [0, *sorted(self.parts), len(self.lines)]
        return [
            (start, self.lines[start:end], self.parts.get(start, ""))
            for start, end in itertools.pairwise(bounds)
            if end > start
        ]


def _columns(lines: list[str]) -> list[tuple[int, int]]:
    """Column extents (first start, last end) over the lines that have a cell in every column."""
    segmented = [_segments(line) for line in lines]
    count = max((len(segments) for segments in segmented), default=0)
    if count == 0:
        return [(0, 0)]
    full = [segments for segments in segmented if len(segments) == count]
    return [
        (min(segments[i][0] for segments in full), max(segments[i][0] + len(segments[i][1]) for segments in full))
        for i in range(count)
    ]


def _column_of(start: int, end: int, columns: list[tuple[int, int]]) -> int:
    """The column a wrapped cell's text belongs to: the one it overlaps most, else by its start."""
    overlaps = [min(end, right) - max(start, left) for left, right in columns]
    best = max(range(len(columns)), key=lambda i: overlaps[i])
    if overlaps[best] > 0:
        return best
    best = 0
    for i, (left, _right) in enumerate(columns):
        if left <= start + _COLUMN_TOLERANCE:
            best = i
    return best


def pipe_cells(text: str) -> list[str] | None:
    """Cells of a Markdown table row, or None for the |---|---| separator row."""
    stripped = text.strip()
    if _MD_SEPARATOR_RE.match(stripped):
        return None
    inner = stripped.strip("|")
    return [cell.strip() for cell in inner.split("|")]


def render_row(cells: list[str]) -> str:
    return " | ".join(cells).strip()
