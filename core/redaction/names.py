"""People's names: after a cue ("my name is", a sign-off) and the names a caller knows.

Names nobody announces ("ask Lars") cannot be found by patterns without a language model, which this
project cannot download; the callers that know the people involved (ticket publishing) pass them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .spans import Spans, fold
from .vocabulary import ARABIC_NOT_NAMES, NAME_INTROS, NAME_SIGNOFFS, NOT_NAMES

# Account names that are roles or product words, not people: removing them would eat the text
# ("the operator checked the pump") without protecting anyone.
_GENERIC_NAMES = frozenset(
    {
        "abparts", "admin", "administrator", "agent", "assistant", "autoboss", "bar", "demo", "expert", "guest",
        "machine", "manager", "operator", "pump", "root", "rig", "service", "staff", "support", "system",
        "team", "tech", "technician", "test", "user", "boat", "the", "and",
    }
)  # fmt: skip
_MIN_NAME_CHARS = 3
_MAX_NAME_WORDS = 3
_MAX_ARABIC_NAME_WORDS = 2
# Lower-case particles inside a name: "Carmen de la Rosa", "Ahmed bin Saleh".
_PARTICLES = frozenset({"de", "del", "la", "van", "von", "der", "bin", "ibn", "al", "el", "da", "di"})

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_ARABIC_RE = re.compile(r"[\u0600-\u06ff]")


def _alternatives(phrases: Iterable[str]) -> str:
    return "|".join(sorted({re.escape(phrase).replace(r"\ ", r"\s+") for phrase in phrases}, key=len, reverse=True))


# A cue, then the name on the same line. A label cue ends with its colon; the others need a space.
_INTRO_RE = re.compile(rf"(?i)(?<!\w)(?:{_alternatives(NAME_INTROS)})(?:(?<=:)[ \t]*|[ \t]+)")
# A sign-off starts a line (or a sentence) and the name ends it: "Thanks,\nLars Berg".
_SIGNOFF_RE = re.compile(
    rf"(?im)(?:^|(?<=[.!?])[ \t]+|(?<=[.!?]))[ \t]*(?:{_alternatives(NAME_SIGNOFFS)})[ \t]*[,،!.:\-–—]?[ \t]*\n?[ \t]*"
)
_SIGNATURE_DASH_RE = re.compile(r"(?m)^[ \t]*(?:--|—|–)[ \t]*")


def cue_spans(spans: Spans) -> None:
    text = spans.text
    for match in _INTRO_RE.finditer(text):
        _claim_name(spans, match.end(), must_end_line=False)
    for regex in (_SIGNOFF_RE, _SIGNATURE_DASH_RE):
        for match in regex.finditer(text):
            _claim_name(spans, match.end(), must_end_line=True)


def _claim_name(spans: Spans, start: int, *, must_end_line: bool) -> None:
    text = spans.text
    words: list[tuple[int, int]] = []
    position = start
    arabic = bool(_ARABIC_RE.match(text[start : start + 1]))
    limit = _MAX_ARABIC_NAME_WORDS if arabic else _MAX_NAME_WORDS
    pending_particles: list[tuple[int, int]] = []
    while len(words) < limit:
        match = _WORD_RE.match(text, position)
        if match is None:
            break
        word = match[0]
        if not arabic and fold(word) in _PARTICLES and words:
            pending_particles.append(match.span())
        elif not _is_name_word(word, arabic=arabic):
            break
        else:
            words += [*pending_particles, match.span()]
            pending_particles = []
        gap = re.match(r"[ \t]+", text[match.end() :])
        if gap is None:
            break
        position = match.end() + gap.end()
    if not words:
        return
    end = words[-1][1]
    if must_end_line and not re.match(r"[ \t]*[.!]?[ \t]*(?:\n|$)", text[end:]):
        return  # "Thanks, Filter changed and ..." is a sentence, not a signature
    spans.claim(words[0][0], end, "name")


def _is_name_word(word: str, *, arabic: bool) -> bool:
    if arabic:
        return bool(_ARABIC_RE.match(word)) and word not in ARABIC_NOT_NAMES and len(word) >= 2
    return word[0].isupper() and fold(word) not in NOT_NAMES and len(word) >= 2


def known_spans(spans: Spans, folded: str, values: Iterable[str], *, kind: str, loose_separators: bool) -> None:
    """Whole-word occurrences of known strings, any case, with or without accents, longest first.

    `folded` is the text folded character by character, so its indices are the text's. With
    `loose_separators`, a serial number also matches with other or no separators ("AB40 2023 0117").
    """
    patterns = []
    for value in sorted({v for v in values if v and v.strip()}, key=len, reverse=True):
        pattern = _known_pattern(value, loose_separators=loose_separators)
        if pattern:
            patterns.append(pattern)
    if not patterns:
        return
    for match in re.finditer("|".join(patterns), folded):
        spans.claim(match.start(), match.end(), kind)


def _known_pattern(value: str, *, loose_separators: bool) -> str | None:
    folded = " ".join(fold(value).split())
    if len(folded.replace(" ", "")) < _MIN_NAME_CHARS or folded in _GENERIC_NAMES:
        return None
    if loose_separators and re.fullmatch(r"[\w\-./ ]+", folded) and any(c.isdigit() for c in folded):
        chars = [c for c in folded if c.isalnum()]
        body = r"[\s\-./]?".join(re.escape(c) for c in chars)
    else:
        body = "".join(r"\s+" if c == " " else re.escape(c) for c in folded)
    return rf"(?<!\w){body}(?!\w)"
