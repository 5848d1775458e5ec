"""Remove page furniture: page-number footers and running headers/footers repeated on many pages.

Both would otherwise end up inside chunks ("... which clear by Page 13 themselves ...") and, worse,
make every chunk share a few identical tokens.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Iterable, Iterator

from core.text.lexicon import PAGE_LABEL_RE, fold, warning_label

from .base import PageText

# How many non-blank lines at the top and bottom of a page count as header/footer zone.
_EDGE_LINES = 2
# A line is a running header when it recurs in the edge zone of this many *other* pages nearby.
_MIN_REPEATS = 2
# Pages looked at on each side; only this window is held in memory, never the whole document.
_WINDOW = 3
_DIGITS_RE = re.compile(r"\d+")
_NUMBERED_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3})*[.)]?\s")


def is_page_label(line: str) -> bool:
    return bool(PAGE_LABEL_RE.match(" ".join(line.split())))


_Edge = tuple[str, tuple[int, ...]]  # a line with its digits replaced by "#", and those numbers


def strip_furniture(pages: Iterable[PageText]) -> Iterator[PageText]:
    """Yield the pages with page labels and running headers/footers removed (streaming).

    A page is judged once the _WINDOW pages after it have arrived (or the document ended), against
    at most _WINDOW pages on each side, so at most 2 * _WINDOW + 1 pages are held.
    """
    window: deque[tuple[PageText, list[_Edge]]] = deque()
    pending = 0  # index in `window` of the first page not yielded yet
    for page in pages:
        window.append((page, [_edge(line) for line in _edge_lines(page.text)]))
        while len(window) - 1 - pending >= _WINDOW:
            yield _clean(window, pending)
            pending += 1
        while pending > _WINDOW:
            window.popleft()
            pending -= 1
    while pending < len(window):
        yield _clean(window, pending)
        pending += 1


def _edge_lines(text: str) -> list[str]:
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) <= 2 * _EDGE_LINES:
        return lines
    return lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]


def _edge(line: str) -> _Edge:
    folded = fold(" ".join(line.split()))
    return _DIGITS_RE.sub("#", folded), tuple(int(n) for n in _DIGITS_RE.findall(folded))


def _same_furniture(a: _Edge, page_a: int, b: _Edge, page_b: int) -> bool:
    """Identical lines, or lines that differ only in a number that counts pages ("p. 5 of 16")."""
    (key_a, nums_a), (key_b, nums_b) = a, b
    if key_a != key_b:
        return False
    differing = [(x, y) for x, y in zip(nums_a, nums_b, strict=True) if x != y]
    # A data line such as "Weight 165 kg" vs "Weight 170 kg" differs by something else than the
    # page distance, and stays.
    return not differing or (len(differing) == 1 and differing[0][0] - differing[0][1] == page_a - page_b)


def _clean(window: deque[tuple[PageText, list[_Edge]]], index: int) -> PageText:
    page, _edges = window[index]
    others = [(other.number, edges) for i, (other, edges) in enumerate(window) if i != index]
    lines = page.text.split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    edge = set(nonblank[:_EDGE_LINES] + nonblank[-_EDGE_LINES:])
    drop: set[int] = set()
    for i in edge:
        line = lines[i]
        if is_page_label(line):
            drop.add(i)
            continue
        if warning_label(line) is not None or _NUMBERED_RE.match(line.strip()):
            # Sections often open with the same boxed warning label, and "3. Chapter 3" differs
            # from "4. Chapter 4" only in digits: content, not a running header.
            continue
        mine = _edge(line)
        # Very short lines ("#", "-") repeat by chance; they are handled by is_page_label or kept.
        if len(mine[0]) < 4:
            continue
        repeats = sum(
            any(_same_furniture(mine, page.number, theirs, number) for theirs in edges) for number, edges in others
        )
        if repeats >= _MIN_REPEATS:
            drop.add(i)
    if not drop:
        return page
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return dataclasses.replace(page, text=kept.strip("\n"))
