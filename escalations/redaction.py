"""Removing personal data from ticket text before it is published as knowledge (SPEC §3.6, §3.8).

What goes: e-mail addresses, phone numbers, IBANs, payment card numbers, URLs that carry a token
(query string, fragment, credentials or a token-like path segment), UUIDs (ABParts user, machine and
organisation ids), values written after "password:"/"token=", names after "my name is", and the
strings the caller knows to be personal: the operator's and agents' names and usernames, the
machine's serial number, name and location.

What stays: part numbers ("AB-4021-17", "HP-SEAL-22"), fault codes ("P-206"), readings with units
("180 bar", "1 180 h"), dates, ticket numbers. That is why numbers are judged by shape and context
rather than removed wholesale: a phone number needs a "+"/"00" prefix, a phone word before it
("tel.", "κινητό", "mobil") or at least ten digits; IBANs and card numbers must pass their
checksums; a number followed by a unit or preceded by "part"/"serial" is a reading or a code.

Names nobody told us about (a colleague mentioned in passing) cannot be found by patterns; the
publishing step passes every name it knows, and the admin remains the place to unpublish.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

NAME = "[name]"
EMAIL = "[email]"
PHONE = "[phone]"
IBAN = "[iban]"
CARD = "[card]"
LINK = "[link]"
ID = "[id]"
SECRET = "[secret]"
MACHINE = "[machine]"

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

_URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'\])}]+")
_EMAIL_RE = re.compile(r"(?i)(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])")
_UUID_RE = re.compile(r"(?i)(?<![\w-])[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?![\w-])")
_SECRET_RE = re.compile(
    r"(?i)\b(?:(?P<key>password|passwd|pwd|passcode|pin|token|api[ _-]?key|secret|κωδικός|contraseña|passord|şifre)"
    r"(?P<sep>\s*[:=]\s*)(?P<value>[^\s,;]{3,}[^\s,;.!?)])|(?P<bearer>bearer)(?P<bsep>\s+)[\w\-.~+/=]{16,})"
)
# "my name is Nikos Papadopoulos" — only capitalised words are taken as the name.
_INTRO_RE = re.compile(
    r"(?i)\b(?P<intro>my name is|me llamo|mi nombre es|jeg heter|mitt navn er|benim adım|"
    r"με λένε|ονομάζομαι|το όνομά μου είναι|اسمي)\s+(?P<first>[^\W\d_]+)(?:(?P<gap>\s+)(?P<second>[^\W\d_]+))?"
)
# IBAN length per country: with the mod-97 checksum, a code that merely looks like an IBAN is kept.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_RE = re.compile(r"(?i)(?<![\w-])[a-z]{2}\d{2}(?:[ \u00a0]?[a-z0-9]{4}){2,7}(?:[ \u00a0]?[a-z0-9]{1,3})?(?![\w-])")
_CARD_RE = re.compile(r"(?<![\w\-+.])(?:\d[ \u00a0-]?){12,18}\d(?![\w-])")
# A run of digit groups that might be a phone number; judged by _is_phone.
_SPACE = " \u00a0\u202f"
# A separator is required between digit groups (or a parenthesised group): no two ways to split
# a run of digits, so a long number cannot make the regex backtrack exponentially.
_PHONE_CANDIDATE_RE = re.compile(
    rf"(?<![\w\-./+])(?:\+|00)?(?:\(\d+\)|\d+)(?:[{_SPACE}.\-/]?\(\d+\)|[{_SPACE}.\-/]\d+)*(?![\w-])"
)
_DATE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_IPV4_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_UNIT_AFTER_RE = re.compile(
    r"(?i)^[\s\u00a0\u202f]?(?:bar|psi|mpa|kpa|h|hrs?|hours?|ώρες|ωρ|timer|t|saat|horas?|rpm|u/min|mm|cm|m|km|"
    r"kg|g|l|lt|l/min|lpm|°|º|%|v|kw|w|nm|min|mins|s|sec|€|eur|nok|usd|pcs|stk|x)(?![^\W\d_])"
)
_PHONE_WORDS = (
    "tel", "tél", "phone", "mobile", "mob", "cell", "call", "whatsapp", "viber", "sms", "fax", "hotline",
    "τηλ", "κινητ", "τηλέφων", "teléfono", "telefono", "móvil", "movil", "telefon", "tlf", "mobil", "cep",
    "هاتف", "جوال", "رقم",
)  # fmt: skip
_CODE_WORDS = ("part", "p/n", "pn", "art", "item", "ref", "serial", "s/n", "sn", "code", "order", "ticket", "κωδ")
_CONTEXT_CHARS = 24


def redact_personal_data(
    text: str,
    *,
    known_names: Iterable[str] = (),
    machine_identifiers: Iterable[str] = (),
) -> str:
    """Return `text` with personal data replaced by placeholders ("[email]", "[phone]", "[name]", ...).

    `known_names`: names, usernames and e-mail addresses of the people involved; removed wherever
    they occur as whole words, ignoring case and accents ("nikos" matches "Níkos"), longest first.
    `machine_identifiers`: the machine's serial number, name, location and organisation; removed
    the same way (serial numbers also when written with other separators: "AB40 2023 0117").
    """
    if not text:
        return text or ""
    text = unicodedata.normalize("NFC", text)
    text = _replace_known(text, machine_identifiers, MACHINE, loose_separators=True)
    text = _URL_RE.sub(_redact_url, text)
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _SECRET_RE.sub(_redact_secret, text)
    text = _UUID_RE.sub(ID, text)
    text = _IBAN_RE.sub(_redact_iban, text)
    text = _CARD_RE.sub(_redact_card, text)
    text = _PHONE_CANDIDATE_RE.sub(_redact_phone, text)
    text = _INTRO_RE.sub(_redact_introduction, text)
    text = _replace_known(text, known_names, NAME, loose_separators=False)
    return text


# -- known strings -------------------------------------------------------------------------------


def _fold(value: str) -> str:
    """Lower case without accents (NFD minus combining marks)."""
    decomposed = unicodedata.normalize("NFD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _known_pattern(value: str, *, loose_separators: bool) -> str | None:
    folded = " ".join(_fold(value).split())
    if len(folded.replace(" ", "")) < _MIN_NAME_CHARS or folded in _GENERIC_NAMES:
        return None
    marks = "[\u0300-\u036f]*"
    if loose_separators and re.fullmatch(r"[\w\-./ ]+", folded) and any(c.isdigit() for c in folded):
        # A serial number: the same characters with or without separators between them.
        chars = [c for c in folded if c.isalnum()]
        body = r"[\s\-./]?".join(re.escape(c) + marks for c in chars)
    else:
        body = "".join(r"\s+" if c == " " else re.escape(c) + marks for c in folded)
    return rf"(?<!\w){body}(?!\w)"


def _replace_known(text: str, values: Iterable[str], placeholder: str, *, loose_separators: bool) -> str:
    patterns = []
    for value in sorted({v for v in values if v and v.strip()}, key=len, reverse=True):
        pattern = _known_pattern(value, loose_separators=loose_separators)
        if pattern:
            patterns.append(pattern)
    if not patterns:
        return text
    # Matching on the decomposed text lets "nikos" find "Níkos" (the accent is a separate mark).
    decomposed = unicodedata.normalize("NFD", text)
    replaced = re.sub("|".join(patterns), placeholder, decomposed, flags=re.IGNORECASE)
    return unicodedata.normalize("NFC", replaced)


def _redact_secret(match: re.Match[str]) -> str:
    if match["bearer"]:
        return f"{match['bearer']}{match['bsep']}{SECRET}"
    return f"{match['key']}{match['sep']}{SECRET}"


def _redact_introduction(match: re.Match[str]) -> str:
    first, second = match["first"], match["second"]
    if not first[0].isupper():
        return match[0]
    if second and second[0].isupper():
        return f"{match['intro']} {NAME}"
    return f"{match['intro']} {NAME}{match['gap'] or ''}{second or ''}"


# -- patterns with checks ------------------------------------------------------------------------


def _redact_url(match: re.Match[str]) -> str:
    url = match[0].rstrip(".,;:!?")
    tail = match[0][len(url) :]
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    tokenish = (
        "@" in host
        or "?" in url
        or "#" in url
        or any(_looks_like_token(segment) for segment in path.split("/"))
        or _UUID_RE.search(path) is not None
    )
    return (LINK if tokenish else url) + tail


def _looks_like_token(segment: str) -> bool:
    return len(segment) >= 16 and bool(re.fullmatch(r"[\w\-=.~%]+", segment)) and any(c.isdigit() for c in segment)


def _redact_iban(match: re.Match[str]) -> str:
    compact = re.sub(r"[\s\u00a0]", "", match[0]).upper()
    length = _IBAN_LENGTHS.get(compact[:2])
    if length is None or len(compact) < length or not _iban_checksum_ok(compact[:length]):
        return match[0]
    # The regex may have taken a following group of digits ("... 695 1234"): keep what is not the IBAN.
    consumed = _span_for_chars(match[0], length)
    return IBAN + match[0][consumed:]


def _iban_checksum_ok(iban: str) -> bool:
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def _span_for_chars(text: str, count: int) -> int:
    """Index in `text` just after its `count`-th non-space character."""
    seen = 0
    for index, char in enumerate(text):
        if not char.isspace():
            seen += 1
            if seen == count:
                return index + 1
    return len(text)


def _redact_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    if 13 <= len(digits) <= 19 and _luhn_ok(digits) and not _UNIT_AFTER_RE.match(match.string[match.end() :]):
        return CARD
    return match[0]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _redact_phone(match: re.Match[str]) -> str:
    return PHONE if _is_phone(match) else match[0]


def _is_phone(match: re.Match[str]) -> bool:
    span = match[0]
    digits = sum(c.isdigit() for c in span)
    if digits > 15 or _IPV4_RE.match(span):
        return False
    after = match.string[match.end() :]
    before = _fold(match.string[max(0, match.start() - _CONTEXT_CHARS) : match.start()])
    if _UNIT_AFTER_RE.match(after):
        return False  # a reading: "1 180 h", "12 500 000 h"
    if span.startswith(("+", "00")) and digits >= 8:
        return not _DATE_RE.search(span)
    if _mentions(before, _PHONE_WORDS):
        return digits >= 6 and not _DATE_RE.fullmatch(span)
    if _DATE_RE.search(span) or _mentions(before, _CODE_WORDS):
        return False
    groups = len(re.findall(r"\d+", span))
    # Norwegian "412 34 567", Greek "69 1234 5678", "210-1234567": groups of digits that add up
    # to a subscriber number. Fewer digits than that is a quantity or a code.
    return digits >= 10 or (digits >= 8 and groups >= 3 and not re.search(r"[-/.]", span))


def _mentions(before: str, words: tuple[str, ...]) -> bool:
    # At a word start: "tel" in "tel." or "telefon", not in "hotel"; "call" not in "recall".
    return any(re.search(rf"(?<!\w){re.escape(_fold(word))}", before) for word in words)
