"""Language identification restricted to the six product languages (SPEC §5).

Greek and Arabic are told apart by their script, which is exact and free. Latin-script text
(en/es/tr/nb) needs a statistical model: lingua's models ship inside the wheel, so nothing is
downloaded at run time. Two detectors are built lazily:

* the low-accuracy (trigram) detector for text of paragraph length: ~1 ms, ~12 MB of models;
* the high-accuracy detector for short text such as questions, where trigrams alone misjudge
  ("el rotor no gira"): ~0.05 ms per call but ~140 MB of models, so it is only loaded by the
  processes that actually detect short text.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# Below this many Latin letters the trigram model is unreliable and the precise one is used.
_SHORT_TEXT_LETTERS = 120
# Fewer letters than this carry no language ("P-227", "12.5 bar / 80 µm", a table of numbers).
_MIN_LETTERS = 6
# None of en/es/tr/nb is written in Greek or Arabic script, so a modest share of those letters
# decides even when Latin product terms ("ROTOR STOP", "AUTO-DEPTH") outnumber them.
_SCRIPT_SHARE = 0.25
# Only this much text is looked at: a chunk's first 2 000 characters decide as well as all of it.
_SAMPLE_CHARS = 2000


def _script_counts(text: str) -> tuple[int, int, int]:
    greek = arabic = latin = 0
    for ch in text:
        if not ch.isalpha():
            continue
        if "\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff":
            greek += 1
        elif "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufeff":
            arabic += 1
        elif ch.isascii() or unicodedata.name(ch, "").startswith("LATIN"):
            latin += 1
    return greek, arabic, latin


def detect_language(text: str, *, precise: bool | None = None) -> str | None:
    """Return "en", "el", "ar", "es", "tr" or "nb" for `text`, or None when it carries no language.

    `precise` forces (True) or forbids (False) the high-accuracy model; by default it is used for
    short text only.
    """
    sample = text[:_SAMPLE_CHARS]
    greek, arabic, latin = _script_counts(sample)
    total = greek + arabic + latin
    if total < _MIN_LETTERS:
        return None
    if max(greek, arabic) >= _SCRIPT_SHARE * total:
        return "el" if greek >= arabic else "ar"
    if precise is None:
        precise = latin < _SHORT_TEXT_LETTERS
    detector = _precise_detector() if precise else _fast_detector()
    found = detector.detect_language_of(sample)
    return _from_lingua(found)


def _from_lingua(language: object) -> str | None:
    if language is None:
        return None
    name = getattr(language, "name", "")
    return {"ENGLISH": "en", "SPANISH": "es", "TURKISH": "tr", "BOKMAL": "nb"}.get(name)


def _latin_languages() -> list[object]:
    from lingua import Language

    return [Language.ENGLISH, Language.SPANISH, Language.TURKISH, Language.BOKMAL]


@cache
def _fast_detector() -> LanguageDetector:
    from lingua import LanguageDetectorBuilder

    # Concurrent first calls may both build a detector; that is harmless and cheaper than a lock.
    return LanguageDetectorBuilder.from_languages(*_latin_languages()).with_low_accuracy_mode().build()


@cache
def _precise_detector() -> LanguageDetector:
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*_latin_languages()).build()
