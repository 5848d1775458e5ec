"""The six product languages: codes, names, PostgreSQL text search configurations, and the mapping
of any client's language tag to one of them. Every app takes its language list from here."""

from __future__ import annotations

LANGUAGE_CHOICES = [
    ("en", "English"),
    ("el", "Greek"),
    ("ar", "Arabic"),
    ("es", "Spanish"),
    ("tr", "Turkish"),
    ("nb", "Norwegian Bokmål"),
]
# How each language names itself (the language switcher, settings.LANGUAGES).
NATIVE_NAMES = {
    "en": "English",
    "el": "Ελληνικά",
    "ar": "العربية",
    "es": "Español",
    "tr": "Türkçe",
    "nb": "Norsk bokmål",
}
# In the order of LANGUAGE_CHOICES (a tuple: also used to order per-language figures and tables).
LANGUAGES: tuple[str, ...] = tuple(code for code, _ in LANGUAGE_CHOICES)
# The language of the product's own words when nothing better is known.
FALLBACK_LANGUAGE = "en"

# PostgreSQL ships a snowball stemmer for each of them.
TS_CONFIG = {
    "en": "english",
    "el": "greek",
    "ar": "arabic",
    "es": "spanish",
    "tr": "turkish",
    "nb": "norwegian",
}

_ALIASES = {
    "no": "nb",
    "nob": "nb",
    # Nynorsk readers read Bokmål far better than English: the closest language we have.
    "nn": "nb",
    "nor": "nb",
    "norwegian": "nb",
    "bokmal": "nb",
    "bokmål": "nb",
    "eng": "en",
    "english": "en",
    "ell": "el",
    "gre": "el",
    "greek": "el",
    "ara": "ar",
    "arabic": "ar",
    "spa": "es",
    "spanish": "es",
    "tur": "tr",
    "turkish": "tr",
}


def ts_config(language: str | None) -> str:
    return TS_CONFIG.get(language or "", "simple")


def normalize_language(code: str | None) -> str | None:
    """Map a language tag to one of LANGUAGES ("no", "nb-NO", "en_GB" → "nb", "nb", "en").

    Returns None for empty or unsupported tags.
    """
    if not code:
        return None
    tag = code.strip().lower().replace("_", "-")
    if tag in LANGUAGES:
        return tag
    if tag in _ALIASES:
        return _ALIASES[tag]
    primary = tag.split("-", 1)[0]
    if primary in LANGUAGES:
        return primary
    return _ALIASES.get(primary)


def language_or_fallback(code: str | None) -> str:
    """normalize_language(), with FALLBACK_LANGUAGE for an empty or unsupported tag: the language to
    write in when the caller's is unknown (a reply, an e-mail), where None is not an answer."""
    return normalize_language(code) or FALLBACK_LANGUAGE
