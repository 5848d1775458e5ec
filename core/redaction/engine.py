"""The redaction pipeline: detectors propose spans, the first detector to claim a character wins, the
spans are replaced by their tokens."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from core.metrics import PII_REDACTED

from . import names, numbers
from .spans import Spans, fold_same_length
from .vocabulary import COUNTRY_ALIASES, LANGUAGE_REGIONS

logger = logging.getLogger(__name__)

KINDS = (
    "machine", "link", "email", "secret", "id", "iban", "card", "phone", "national_id", "account", "name",
)  # fmt: skip

_MIN_DIGITS = 6
_URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'\])}]+")
_EMAIL_RE = re.compile(r"(?i)(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])")
_UUID_RE = re.compile(r"(?i)(?<![\w-])[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?![\w-])")


@dataclass(frozen=True)
class Redaction:
    """The redacted text and how many of each kind were replaced (counts only, never the values)."""

    text: str
    found: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def changed(self) -> bool:
        return bool(self.found)


def phone_regions(*, language: str | None = None, countries: Iterable[str] = ()) -> tuple[str, ...]:
    """The regions whose national phone formats are tried: the operator's countries first, then the
    default regions of the language. With neither, every language's defaults."""
    regions: list[str] = []
    for country in countries:
        code = (country or "").strip().upper()
        code = COUNTRY_ALIASES.get(code, code)
        if len(code) == 2 and code.isalpha() and code not in regions:
            regions.append(code)
    for code in LANGUAGE_REGIONS.get((language or "").lower()[:2] if language != "nb" else "nb", ()):
        if code not in regions:
            regions.append(code)
    if not regions:
        regions = [code for codes in LANGUAGE_REGIONS.values() for code in codes]
    return tuple(regions)


def redact(
    text: str,
    *,
    language: str | None = None,
    regions: Iterable[str] | None = None,
    known_names: Iterable[str] = (),
    machine_identifiers: Iterable[str] = (),
) -> Redaction:
    """Replace the personal data in `text` by typed tokens ("[email]", "[phone]", "[name]", ...).

    `regions`: the operator's phone regions (`phone_regions`), whose national numbers are taken on
    their own; by default those of `language`. Other countries' national numbers need a phone word
    before them; numbers written internationally (+47 ..., 0030 ...) are found whatever the regions.
    `known_names`: names, usernames and e-mail addresses of the people involved, removed wherever they
    occur as whole words, ignoring case and accents. `machine_identifiers`: the machine's serial
    number, name, site; the serial number also with other separators. Idempotent: redacting the
    result again changes nothing.
    """
    if not text:
        return Redaction(text or "")
    text = unicodedata.normalize("NFC", text)
    spans = Spans(text)
    folded = fold_same_length(text)
    names.known_spans(spans, folded, machine_identifiers, kind="machine", loose_separators=True)
    for match in _URL_RE.finditer(text):
        url = match[0].rstrip(".,;:!?")
        spans.claim(match.start(), match.start() + len(url), "link" if _url_has_token(url) else None)
    for match in _EMAIL_RE.finditer(text):
        spans.claim(match.start(), match.end(), "email")
    numbers.secret_spans(spans, folded)
    for match in _UUID_RE.finditer(text):
        spans.claim(match.start(), match.end(), "id")
    # Every number-shaped kind needs at least six digits: most chat messages skip all of them.
    if sum(char.isdigit() for char in text) >= _MIN_DIGITS:
        _number_spans(spans, folded, language=language, regions=regions)
    names.cue_spans(spans)
    names.known_spans(spans, folded, known_names, kind="name", loose_separators=False)
    redacted, counts = spans.apply()
    return Redaction(redacted, MappingProxyType(dict(Counter(counts))))


def _number_spans(spans: Spans, folded: str, *, language: str | None, regions: Iterable[str] | None) -> None:
    numbers.iban_spans(spans)
    numbers.card_spans(spans, folded)
    # The operator's regions read national numbers on their own; every other language's region
    # reads them only after a phone word ("call 6912345678" from an operator in Norway).
    # `regions=()` says "nobody's regions": then every national number needs a phone word; with
    # neither regions nor a language (an old text of unknown origin), every region is trusted.
    own = tuple(regions) if regions is not None else (phone_regions(language=language) if language else ())
    others = tuple(code for code in phone_regions() if code not in own)
    trusted = len(own) if regions is not None or language else len(others)
    numbers.phone_spans(spans, folded, own + others, trusted=trusted)
    numbers.identity_spans(spans, folded)


def redact_text(text: str, **options) -> str:
    """`redact(text, **options).text`."""
    return redact(text, **options).text


def redact_recorded(text: str, *, source: str, **options) -> str:
    """`redact_text`, counting what was replaced in `autoboss_pii_redacted_total{kind, source}` and
    logging the counts (never the values). `source` says what the text is: "message", "step_note"..."""
    result = redact(text, **options)
    if result.found:
        for kind, count in result.found.items():
            PII_REDACTED.labels(kind=kind, source=source).inc(count)
        logger.info(
            "personal data redacted", extra={"event": "pii_redacted", "source": source, "pii": dict(result.found)}
        )
    return result.text


def _url_has_token(url: str) -> bool:
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    return (
        "@" in host
        or "?" in url
        or "#" in url
        or any(_looks_like_token(segment) for segment in path.split("/"))
        or _UUID_RE.search(path) is not None
    )


def _looks_like_token(segment: str) -> bool:
    return len(segment) >= 16 and bool(re.fullmatch(r"[\w\-=.~%]+", segment)) and any(c.isdigit() for c in segment)
