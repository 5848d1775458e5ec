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


def ts_config(language: str | None) -> str:
    return TS_CONFIG.get(language or "", "simple")
