"""The six product languages and their PostgreSQL text search configurations."""

from __future__ import annotations

LANGUAGE_CHOICES = [
    ("en", "English"),
    ("el", "Greek"),
    ("ar", "Arabic"),
    ("es", "Spanish"),
    ("tr", "Turkish"),
    ("nb", "Norwegian Bokmål"),
]
LANGUAGES = frozenset(code for code, _ in LANGUAGE_CHOICES)

# PostgreSQL ships a snowball stemmer for each of them.
TS_CONFIG = {
    "en": "english",
    "el": "greek",
    "ar": "arabic",
    "es": "spanish",
    "tr": "turkish",
    "nb": "norwegian",
}

_ALIASES = {"no": "nb", "nob": "nb", "nn": "nb", "gr": "el", "english": "en"}


def normalize_language(code: str | None) -> str | None:
    """Map a client's language code to one of ours ('no' -> 'nb', 'en-US' -> 'en'); None if unknown."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    code = _ALIASES.get(code, code)
    return code if code in LANGUAGES else None


def ts_config(language: str | None) -> str:
    return TS_CONFIG.get(language or "", "simple")
