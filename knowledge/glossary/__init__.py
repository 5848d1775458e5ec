"""The multilingual domain glossary: the same concept recognised in six languages.

A multilingual embedding model as small as multilingual-e5-small aligns languages only roughly: a
Turkish question about "basınç" is closer to every Turkish page than to the English page about
"pressure" that answers it. The glossary gives retrieval and troubleshooting a language-independent
layer on top of the vectors: `concepts_in(text, language)` maps words of any of the six languages
to concept ids ("pressure", "high_pressure_pump", "leak", "jellyfish"), so a Turkish question and
an English manual section can be compared by the concepts they name. `english_gloss` writes those
concepts out as English words, the language the embedding model knows best.

The data is in `data/*.txt`, written from general knowledge of the domain (machines, fish farms,
workplace life), not from any manual or evaluation question; docs/knowledge.md describes the format
and docs/decisions/0008-multilingual-glossary.md why it exists.

Matching works on folded text (lower case, accents removed): a glossary word matches a text word
that equals it, that starts with it and adds a short inflectional ending ("pump" → "pumps",
"φίλτρο" → "φίλτρου", "pompa" → "pompası"), or that has the same Snowball stem in that language;
a word written with a trailing `*` matches every word starting with it. Multi-word terms match
consecutive words. Arabic words are also tried without the article and the one-letter proclitics.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import snowballstemmer

from core.text.languages import LANGUAGES
from core.text.lexicon import ascii_digits, fold

DATA_DIR = Path(__file__).resolve().parent / "data"

KINDS = frozenset(
    (
        "part",
        "fault",
        "state",
        "action",
        "quantity",
        "environment",
        "site",
        "work",
        "other_equipment",
        "doc",
        "time",
    )
)
_SNOWBALL = {"en": "english", "el": "greek", "es": "spanish", "tr": "turkish", "nb": "norwegian", "ar": "arabic"}
_TOKEN = re.compile(r"\w+", re.UNICODE)
# Longest ending accepted after a glossary word ("pump" + "s", "pompa" + "sından"): Turkish stacks
# suffixes, the other languages inflect with short endings.
_MAX_SUFFIX = {"tr": 7, "el": 3, "ar": 3}
_DEFAULT_MAX_SUFFIX = 4
# Latin-script languages other than English (see Glossary.matches).
_LATIN_SCRIPT = frozenset(("es", "tr", "nb"))
# A glossary word of at most four letters takes only its language's inflectional endings: "rig"
# must match "rigs" but not "right", "net" "nets" but not "network".
_SHORT_WORD = 4
_SHORT_ENDINGS = {
    "en": frozenset(("s", "es", "ed", "ing")),
    "es": frozenset(("s", "es")),
    "nb": frozenset(("a", "e", "en", "et", "er", "ene", "ane", "ar", "s")),
    "el": frozenset(("α", "ας", "εσ", "ου", "ων", "ο", "η", "ησ", "οι", "ι", "ια", "σ")),
    "tr": frozenset(
        [
            "i",
            "u",
            "yi",
            "yu",
            "ya",
            "ye",
            "a",
            "e",
            "da",
            "de",
            "ta",
            "te",
            "dan",
            "den",
            "tan",
            "ten",
            "in",
            "un",
            "nin",
            "nun",
            "lar",
            "ler",
            "lari",
            "leri",
            "si",
            "su",
            "sini",
            "sunu",
            "ini",
            "unu",
        ]
    ),
    "ar": frozenset(),
}
# Shortest word accepted as the last part of a Norwegian compound ("pumpe" in "høytrykkspumpe").
_MIN_COMPOUND_TAIL = 4
# Arabic proclitics, longest first: the conjunctions و/ف, the prepositions ب/ل/ك, the article ال.
_AR_PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "ال", "وب", "ول", "فب", "و", "ف", "ب", "ل", "ك")
# Arabic attached pronouns and the feminine ending, tried when nothing else matched.
_AR_SUFFIXES = ("ها", "هم", "نا", "ات", "ين", "ون", "ة", "ه")


class GlossaryError(ValueError):
    """A data file does not follow the format (raised at load, with file and line)."""


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    kind: str
    # Per language, the terms as written in the data file (first = the preferred term).
    terms: dict[str, tuple[str, ...]]

    @property
    def english(self) -> str:
        return self.terms["en"][0].replace("*", "")


@dataclass(frozen=True, slots=True)
class _Word:
    text: str  # folded
    prefix: bool  # written with a trailing *


@dataclass(frozen=True, slots=True)
class _Pattern:
    concept: str
    words: tuple[_Word, ...]


@dataclass(frozen=True, slots=True)
class ConceptMatch:
    concept: str
    start: int  # index of the first matched token
    end: int  # one past the last matched token


# A Snowball stemmer keeps the word being stemmed in its own attributes, so two threads sharing one
# (gunicorn's gthread workers) corrupt each other's word: IndexError, or a wrong stem. One set of
# stemmers per thread.
_local = threading.local()


def _stemmers() -> dict:
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {lang: snowballstemmer.stemmer(name) for lang, name in _SNOWBALL.items()}
    return stemmers


@lru_cache(maxsize=65536)
def _stem(language: str, word: str) -> str:
    # Snowball in pure Python costs ~0.1 ms a word; chat text repeats the same few hundred words.
    return _stemmers()[language].stemWord(word)


def normalize(text: str) -> str:
    """Folded text as the matcher sees it (lower case, no accents, ASCII digits)."""
    return fold(ascii_digits(text)).replace("ς", "σ")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


class Glossary:
    """Concepts and a matcher over them. Build with `glossary()` (cached) or from lines in tests."""

    def __init__(self, concepts: Iterable[Concept], *, version: str = ""):
        # Changes whenever the data changes: chunks annotated with another version are refreshed.
        self.version = version
        self.concepts: dict[str, Concept] = {}
        for concept in concepts:
            if concept.id in self.concepts:
                raise GlossaryError(f"concept {concept.id!r} is defined twice")
            self.concepts[concept.id] = concept
        # Per language: first word of every pattern, indexed three ways (see _candidates).
        self._exact: dict[str, dict[str, list[_Pattern]]] = {lang: {} for lang in LANGUAGES}
        self._prefix: dict[str, dict[str, list[_Pattern]]] = {lang: {} for lang in LANGUAGES}
        self._stem: dict[str, dict[str, list[_Pattern]]] = {lang: {} for lang in LANGUAGES}
        for concept in self.concepts.values():
            for lang, terms in concept.terms.items():
                for term in terms:
                    pattern = _Pattern(concept.id, _parse_term(term))
                    if not pattern.words:
                        continue
                    first = pattern.words[0]
                    self._prefix[lang].setdefault(first.text, []).append(pattern)
                    if not first.prefix:
                        self._exact[lang].setdefault(first.text, []).append(pattern)
                        stem = _stem(lang, first.text)
                        if len(stem) >= 3:
                            self._stem[lang].setdefault(stem, []).append(pattern)

    # -- matching ---------------------------------------------------------------------------------
    def matches(self, text: str, language: str | None) -> list[ConceptMatch]:
        """Every concept named in `text`, in text order (overlapping terms all count).

        The text's own language is matched first; English terms are tried on words that matched
        nothing, because operators and translated manuals mix in English ("rig", "tablet").
        """
        words = tokens(text)
        languages = [language] if language in self._exact and language != "en" else []
        # English terms are tried on the words left over, but only where English words stand out:
        # in Greek or Arabic script a Latin word is a loanword ("rig", "tablet"); in Spanish,
        # Turkish or Norwegian it is as likely a native word that looks English ("sonar" is "to
        # sound" in Spanish), and their own lines carry the loanwords operators use.
        if language not in _LATIN_SCRIPT:
            languages.append("en")
        found: dict[tuple[str, int], ConceptMatch] = {}
        covered: set[int] = set()
        for lang in languages:
            for position in range(len(words)):
                if lang == "en" and language != "en" and position in covered:
                    continue
                for pattern, end in self._patterns_at(words, position, lang):
                    found.setdefault((pattern.concept, position), ConceptMatch(pattern.concept, position, end))
                    covered.update(range(position, end))
        return sorted(found.values(), key=lambda m: (m.start, m.end))

    def concepts_in(self, text: str, language: str | None) -> list[str]:
        """Concept ids named in `text`, in order of first mention, without repeats."""
        return list(dict.fromkeys(m.concept for m in self.matches(text, language)))

    def concept_counts(self, text: str, language: str | None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for match in self.matches(text, language):
            counts[match.concept] = counts.get(match.concept, 0) + 1
        return counts

    def english_gloss(self, text: str, language: str | None) -> str:
        """The concepts of `text` as English words, in text order ("" when none is named)."""
        return self.gloss_of(self.concepts_in(text, language))

    def gloss_of(self, concepts: Iterable[str]) -> str:
        """Concept ids written out in English ("pressure boost pump")."""
        return " ".join(self.concepts[c].english for c in concepts)

    def kind(self, concept_id: str) -> str:
        return self.concepts[concept_id].kind

    def _patterns_at(self, words: list[str], position: int, lang: str):
        matched = False
        for pattern in self._candidates(words[position], lang):
            end = position + len(pattern.words)
            if end > len(words):
                continue
            if all(self._word_matches(words[position + i], word, lang) for i, word in enumerate(pattern.words)):
                matched = True
                yield pattern, end
        if lang == "nb" and not matched:
            yield from self._compound_tail(words[position], position)

    def _compound_tail(self, token: str, position: int):
        """Norwegian writes compounds as one word ("høytrykkspumpa", "filterpatronene"); the last
        part names the thing, so the longest tail that is a one-word term gives the concept."""
        for split in range(3, len(token) - _MIN_COMPOUND_TAIL + 1):
            tail = token[split:]
            found = [
                p
                for p in self._candidates(tail, "nb")
                if len(p.words) == 1
                and len(p.words[0].text) >= _MIN_COMPOUND_TAIL
                and self._word_matches(tail, p.words[0], "nb")
            ]
            if found:
                for pattern in found:
                    yield pattern, position + 1
                return

    def _candidates(self, token: str, lang: str) -> list[_Pattern]:
        variants = _arabic_variants(token) if lang == "ar" else (token,)
        out: dict[int, _Pattern] = {}
        for variant in variants:
            for pattern in self._exact[lang].get(variant, ()):
                out[id(pattern)] = pattern
            prefixes = self._prefix[lang]
            for size in range(2, len(variant) + 1):
                for pattern in prefixes.get(variant[:size], ()):
                    out[id(pattern)] = pattern
            for pattern in self._stem[lang].get(_stem(lang, variant), ()):
                out[id(pattern)] = pattern
        return list(out.values())

    def _word_matches(self, token: str, word: _Word, lang: str) -> bool:
        variants = _arabic_variants(token) if lang == "ar" else (token,)
        for variant in variants:
            if variant == word.text:
                return True
            if variant.startswith(word.text):
                if word.prefix:
                    return True
                ending = variant[len(word.text) :]
                if len(word.text) <= _SHORT_WORD:
                    if ending in _SHORT_ENDINGS.get(lang, ()):
                        return True
                elif len(ending) <= _MAX_SUFFIX.get(lang, _DEFAULT_MAX_SUFFIX):
                    return True
            if not word.prefix and len(word.text) >= 4:
                stem = _stem(lang, word.text)
                if len(stem) >= 3 and _stem(lang, variant) == stem:
                    return True
        return False


_TERM_WORD = re.compile(r"(\w+)(\*?)", re.UNICODE)


def _parse_term(term: str) -> tuple[_Word, ...]:
    # Split like the text is split ("pan-tilt" is two words there too); a * keeps to its word.
    return tuple(_Word(word, bool(star)) for word, star in _TERM_WORD.findall(normalize(term)))


def _arabic_variants(token: str) -> tuple[str, ...]:
    variants = [token]
    for prefix in _AR_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 2:
            variants.append(token[len(prefix) :])
    for base in list(variants):
        for suffix in _AR_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= 2:
                variants.append(base[: -len(suffix)])
    return tuple(dict.fromkeys(variants))


# -- the data files -----------------------------------------------------------------------------


def parse(lines: Iterable[str], *, source: str = "<lines>") -> list[Concept]:
    """Concepts from glossary lines (format in docs/knowledge.md). Raises GlossaryError."""
    concepts: list[Concept] = []
    current: tuple[str, str, int] | None = None
    terms: dict[str, tuple[str, ...]] = {}

    def close() -> None:
        if current is None:
            return
        concept_id, kind, line_no = current
        missing = [lang for lang in LANGUAGES if lang not in terms]
        if missing:
            raise GlossaryError(f"{source}:{line_no}: {concept_id} has no terms for {', '.join(missing)}")
        concepts.append(Concept(concept_id, kind, dict(terms)))

    for line_no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("="):
            close()
            parts = line[1:].split()
            if len(parts) != 2 or parts[1] not in KINDS or not re.fullmatch(r"[a-z0-9_]+", parts[0]):
                raise GlossaryError(f"{source}:{line_no}: expected '= concept_id kind', got {line!r}")
            current, terms = (parts[0], parts[1], line_no), {}
            continue
        lang, _, rest = line.partition(" ")
        if current is None or lang not in LANGUAGES:
            raise GlossaryError(f"{source}:{line_no}: expected a language line, got {line!r}")
        variants = tuple(v.strip() for v in rest.split("|") if v.strip())
        if not variants:
            raise GlossaryError(f"{source}:{line_no}: no terms")
        terms[lang] = terms.get(lang, ()) + variants
    close()
    return concepts


@cache
def glossary() -> Glossary:
    """The product's glossary, loaded once per process from DATA_DIR."""
    concepts: list[Concept] = []
    digest = hashlib.sha256()
    for path in sorted(DATA_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode())
        concepts.extend(parse(text.splitlines(), source=path.name))
    return Glossary(concepts, version=digest.hexdigest()[:12])
