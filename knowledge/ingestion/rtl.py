"""Right-to-left text from PDF layout extraction, put back into logical (reading) order.

pypdf's layout mode places glyphs by their x position, so each line comes out in *visual* order:
an Arabic line reads backwards, while numbers and Latin codes inside it keep their left-to-right
spelling. Layout mode is still the mode to use, because only it keeps what the chunker relies
on: blank lines between paragraphs, numbers and codes next to the words they belong to, and
table columns at their positions. (Plain mode reorders Arabic, but moves "45 °م" and "P-208" to
the wrong end of the line and drops the blank lines.)

Each visual line is turned into logical order with the Unicode bidirectional algorithm
(`bidi.get_display`): applied to visual text it reverses the right-to-left runs back and leaves
the left-to-right runs as they are. On a right-to-left page every line is first padded to the
page width, so the reversal mirrors positions as well: right-aligned text starts at column 0 and a
table's first (right-hand) column becomes the left-most one, with the gaps between columns kept.

The algorithm resolves neutral characters ("JOB > PRESSURE", "." after a code) over a whole
paragraph, but it only sees one line here. Where a line's logical end is a Latin run followed by
a joining symbol and the next line starts with Latin ("JOB >" / "DISTANCE."), the symbol belonged
to the Latin run; a left-to-right mark put after it gives the algorithm that context back (and the
same at a line's start after a line that ends in Latin). Only joining symbols (> / - + = &) get
the mark: punctuation in that place (".", ":", "،") is much more often the Arabic sentence's own,
and the visual order cannot tell the two apart. Combining marks come out in visual order
("shadda, kasra"); NFC puts them back in canonical order.

One artefact remains: a lam-alef ligature is one glyph whose Unicode mapping is already the two
letters in logical order ("لا"), so the reversal swaps them ("ال"): "الأقل" comes out as "األقل".
Plain-mode text of the same page spells these words correctly, so it serves as the lexicon: a
word that is not in it is tried with its "alef + lam" pairs swapped back, fewest swaps first, and
the first spelling found in the lexicon is kept. A word with no match stays as it is.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from bidi import get_display

_RTL_CHAR_RE = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# Hebrew and Arabic letters, presentation forms included (what makes a page right-to-left).
_RTL_LETTER_RE = re.compile(
    r"[\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]"
)
# An Arabic word: letters with their combining marks and tatweel.
_ARABIC_WORD_RE = re.compile(r"[\u0620-\u064a\u064b-\u065f\u0670-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\u0640]+")
_ALEFS = "\u0627\u0623\u0625\u0622"  # ا أ إ آ: the alefs that form a ligature after lam
_LAM = "\u0644"
_SWAPPED_RE = re.compile(f"[{_ALEFS}]{_LAM}")
_LRM = "\u200e"
# Symbols that join the parts of a Latin expression ("JOB > PRESSURE", "AB5-1310 / AB5-1311").
_LATIN_JOINERS = frozenset("></\\+-=&|*#@_~\u2013\u2192")
# A word with more candidate pairs than this is left alone rather than tried 2**n ways.
_MAX_PAIRS = 6
# A page is laid out right to left when at least this share of its letters are RTL letters.
_RTL_PAGE_SHARE = 0.5


def has_rtl(text: str) -> bool:
    return bool(_RTL_CHAR_RE.search(text))


def is_rtl_page(text: str) -> bool:
    """Most of the page's letters are Arabic or Hebrew (a Latin page quoting a word is not)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    rtl = sum(1 for ch in letters if _RTL_LETTER_RE.match(ch))
    return rtl >= _RTL_PAGE_SHARE * len(letters)


def logical_layout_text(layout: str, plain: str = "") -> str:
    """Layout-mode page text with every line in logical order (see the module docstring).

    `plain` is the plain-mode text of the same page, used only as the lexicon for the lam-alef
    repair; without it the ligatures stay swapped.
    """
    lexicon = frozenset(_ARABIC_WORD_RE.findall(unicodedata.normalize("NFC", plain)))
    lines = [line.rstrip() for line in layout.split("\n")]
    if is_rtl_page(layout):
        out = _rtl_page_lines(lines)
    else:
        # A left-to-right page quoting Arabic: only the right-to-left runs of those lines turn round.
        out = [get_display(line, base_dir="L") if has_rtl(line) else line for line in lines]
    return "\n".join(_finish_line(line, lexicon) if has_rtl(line) else line for line in out)


def _rtl_page_lines(lines: list[str]) -> list[str]:
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for i, line in enumerate(lines):
        if not line.strip():
            out.append("")
            continue
        # In visual order a line's logical start is its right end and its logical end its left end.
        before = _strong_at(lines[i - 1], from_left=True) if i > 0 else None
        after = _strong_at(lines[i + 1], from_left=False) if i + 1 < len(lines) else None
        visual = _with_context(line.ljust(width), starts_latin=before == "L", ends_latin=after == "L")
        # Padding to the page width makes the reversal mirror each run's position too.
        out.append(get_display(visual, base_dir="R").replace(_LRM, "").rstrip())
    return out


def _strong(ch: str) -> str | None:
    direction = unicodedata.bidirectional(ch)
    if direction == "L":
        return "L"
    return "R" if direction in ("R", "AL") else None


def _strong_at(visual: str, *, from_left: bool) -> str | None:
    """Direction of the first strong character met from the left (or right) end of a visual line."""
    chars = visual if from_left else reversed(visual)
    return next((d for d in map(_strong, chars) if d is not None), None)


def _with_context(visual: str, *, starts_latin: bool, ends_latin: bool) -> str:
    """Insert left-to-right marks where a Latin run's joining symbol continues on the next line."""
    directions = [_strong(ch) for ch in visual]
    rtl = [i for i, d in enumerate(directions) if d == "R"]
    if not rtl:
        return visual
    if starts_latin:
        # Logical start at the right end: "... <R> > PRESSURE" continues a Latin run.
        tail = rtl[-1] + 1
        first = next((i for i in range(tail, len(visual)) if not visual[i].isspace()), None)
        if first is not None and visual[first] in _LATIN_JOINERS and "L" in directions[first:]:
            visual = f"{visual[:first]}{_LRM}{visual[first:]}"
    if ends_latin:
        # Logical end at the left end: "JOB > <R> ..." is a Latin run the next line carries on.
        head = rtl[0]
        last = next((i for i in range(head - 1, -1, -1) if not visual[i].isspace()), None)
        if last is not None and visual[last] in _LATIN_JOINERS and "L" in directions[:last]:
            visual = f"{visual[: last + 1]}{_LRM}{visual[last + 1 :]}"
    return visual


def _finish_line(line: str, lexicon: frozenset[str]) -> str:
    return repair_lam_alef(unicodedata.normalize("NFC", line), lexicon)


def repair_lam_alef(text: str, lexicon: frozenset[str]) -> str:
    """Swap "alef + lam" back to "lam + alef" in the words of `text` whose repaired form is in `lexicon`."""
    if not lexicon:
        return text
    return _ARABIC_WORD_RE.sub(lambda match: _repaired_word(match.group(), lexicon), text)


def _repaired_word(word: str, lexicon: frozenset[str]) -> str:
    if word in lexicon:
        return word
    pairs = [m.start() for m in _SWAPPED_RE.finditer(word)]
    if not pairs or len(pairs) > _MAX_PAIRS:
        return word
    for count in range(1, len(pairs) + 1):
        for chosen in itertools.combinations(pairs, count):
            letters = list(word)
            for at in chosen:
                letters[at], letters[at + 1] = letters[at + 1], letters[at]
            candidate = "".join(letters)
            if candidate in lexicon:
                return candidate
    return word
