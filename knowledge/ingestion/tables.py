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

    def add(self, raw: str, *, after_blank: bool) -> None:
        if after_blank and self.lines:
            self.breaks.add(len(self.lines))
        self.lines.append(raw)

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
        columns = self._columns()
        grid: list[list[list[str]]] = []
        for index, raw in enumerate(self.lines):
            cells: list[list[str]] = [[] for _ in columns]
            for start, text in _segments(raw):
                cells[_column_of(start, columns)].append(text)
            starts_row = not grid or (index in self.breaks if self.breaks else bool(cells[0]))
            if starts_row:
                grid.append(cells)
            else:
                for target, extra in zip(grid[-1], cells, strict=True):
                    target.extend(extra)
        return [[" ".join(parts) for parts in row] for row in grid]

    def as_prose(self) -> list[str]:
        return [" ".join(raw.split()) for raw in self.lines]

    def _columns(self) -> list[int]:
        # The line with the most cells (usually the header) defines the columns.
        widest = max((_segments(line) for line in self.lines), key=len)
        return [start for start, _text in widest] or [0]


def _column_of(start: int, columns: list[int]) -> int:
    best = 0
    for i, column in enumerate(columns):
        if column <= start + _COLUMN_TOLERANCE:
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
