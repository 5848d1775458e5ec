"""Claimed spans of a text and the helpers every detector shares (folding, cue words, context)."""

from __future__ import annotations

import bisect
import re
import unicodedata
from functools import lru_cache

# How far before a number its cue word may stand ("tel.: ", "my mobile number is ").
CUE_WINDOW = 32


class Spans:
    """Non-overlapping spans of one text. A span claimed with kind None is protected (a plain URL):
    later detectors cannot take it, and it is kept as written."""

    def __init__(self, text: str):
        self.text = text
        self._starts: list[int] = []
        self._items: list[tuple[int, int, str | None]] = []

    def free(self, start: int, end: int) -> bool:
        index = bisect.bisect_right(self._starts, start)
        if index and self._items[index - 1][1] > start:
            return False
        return not (index < len(self._items) and self._items[index][0] < end)

    def claim(self, start: int, end: int, kind: str | None) -> bool:
        if start >= end or not self.free(start, end):
            return False
        index = bisect.bisect_right(self._starts, start)
        self._starts.insert(index, start)
        self._items.insert(index, (start, end, kind))
        return True

    def apply(self) -> tuple[str, list[str]]:
        pieces, kinds, position = [], [], 0
        for start, end, kind in self._items:
            if kind is None:
                continue
            pieces.append(self.text[position:start])
            pieces.append(f"[{kind}]")
            kinds.append(kind)
            position = end
        pieces.append(self.text[position:])
        return "".join(pieces), kinds


def fold(value: str) -> str:
    """Lower case without accents (NFD minus combining marks)."""
    decomposed = unicodedata.normalize("NFD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold_same_length(text: str) -> str:
    """`fold` character by character, so that an index into the result is an index into `text`
    (casefold alone changes lengths: "ß" becomes "ss", "İ" two characters)."""
    out = []
    for char in text:
        folded = fold(char)
        out.append(folded if len(folded) == 1 else char.lower()[:1] or char)
    return "".join(out)


@lru_cache(maxsize=32)
def cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    # At a word start: "tel" in "tel." or "telefon", not in "hotel"; "call" not in "recall".
    alternatives = sorted({re.escape(fold(cue)) for cue in cues}, key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})")


def last_cue_end(folded: str, start: int, cues: tuple[str, ...], window: int = CUE_WINDOW) -> int:
    """Where the last cue in the `window` characters before `start` ends (-1 when there is none)."""
    low = max(0, start - window)
    ends = [match.end() for match in cue_pattern(cues).finditer(folded, low, start)]
    return ends[-1] if ends else -1


def glued(text: str, start: int, end: int) -> bool:
    """The span is part of a longer token: "AB40-2023-0117", "E-1170", "x41234567"."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before.isalnum() or after.isalnum():
        return True
    if before in "-/._" and start >= 2 and text[start - 2].isalnum():
        return True
    return bool(after and after in "-/_" and end + 1 < len(text) and text[end + 1].isalnum())


def ascii_digits(value: str) -> str:
    """The digits of `value` as ASCII ("٠٥٠" is "050"): Arabic-Indic digits pass the same checks."""
    return "".join(str(unicodedata.digit(char)) for char in value if char.isdigit())
