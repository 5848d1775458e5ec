"""Numbers and strings that identify a person or unlock something: secrets, IBANs, cards, phones,
bank accounts, national identity numbers. The checks come from python-stdnum and phonenumbers; the
regular expressions here only find candidates for them."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.es import ccc as es_ccc
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.gr import amka as gr_amka
from stdnum.no import fodselsnummer as no_fodselsnummer
from stdnum.no import kontonr as no_kontonr
from stdnum.tr import tckimlik as tr_tckimlik
from stdnum.us import ssn as us_ssn

from .spans import Spans, ascii_digits, cue_pattern, fold, glued, last_cue_end
from .vocabulary import (
    ACCOUNT_CUES,
    CARD_CUES,
    CODE_CUES,
    PHONE_CUES,
    SECRET_KEYS,
    SECRET_KEYS_ALONE,
    SECRET_VERBS,
    UNIT_AFTER_RE,
)

_SEP = " \u00a0\u202f"
# Dates and times are never phone, card or account numbers: "12.03.2024", "2024-03-12", "14:30".
_DATE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,2}:\d{2}")
# Part numbers and fault codes: letters, then digits, joined by hyphens ("AB4-2210", "P-227").
_CODE_SHAPE_RE = re.compile(r"(?i)^[a-z]{1,6}\d{0,3}(?:-[a-z0-9]+)+$|^[a-z]{1,3}\d+(?:\.\d+)*[a-z]?$")


# -- secrets -------------------------------------------------------------------------------------


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(sorted({re.escape(fold(word)) for word in words}, key=len, reverse=True))


# Matched on the folded text (accents gone, lower case), so "Contraseña" and "ŞİFRE" are found.
_SECRET_SEP_RE = re.compile(rf"(?<!\w)(?:{_alternatives(SECRET_KEYS)})\s*(?:[:=]|->)\s*(?P<value>[^\s,;،]{{3,}})")
# With words between the key and the value ("the password of the tablet is X", "كلمة المرور للجهاز
# اللوحي: X"), or without a separator, the value must look like a password; a key that is also an
# everyday word ("κωδικός" is a fault code, "pin" a connector pin) needs a verb or a separator.
_SECRET_VERB_RE = re.compile(
    rf"(?<!\w)(?:{_alternatives(SECRET_KEYS)})\s+(?:[^\s:=]+\s+){{0,4}}?"
    rf"(?:(?:{_alternatives(SECRET_VERBS)})\s+|[^\s:=]+\s*[:=]\s*)(?P<value>[^\s,;،]{{4,}})"
    rf"|(?<!\w)(?:{_alternatives(SECRET_KEYS_ALONE)})\s+(?P<bare>[^\s,;،]{{4,}})"
)
# Vendors' token shapes: a JWT, OpenAI/Stripe keys, GitHub and Slack tokens, AWS access key ids.
_TOKEN_RE = re.compile(
    r"(?<![\w-])(?:eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}|(?:sk|pk|rk)[-_](?:live[-_]|test[-_]|proj-)?[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})(?![\w-])"
)
_BEARER_RE = re.compile(r"(?i)\bbearer\s+(?P<value>[\w\-.~+/=]{16,})")


def secret_spans(spans: Spans, folded: str) -> None:
    text = spans.text
    for match in _TOKEN_RE.finditer(text):
        spans.claim(match.start(), match.end(), "secret")
    for match in _BEARER_RE.finditer(text):
        spans.claim(match.start("value"), match.end("value"), "secret")
    for pattern, strict in ((_SECRET_SEP_RE, False), (_SECRET_VERB_RE, True)):
        for match in pattern.finditer(folded):
            group = "value" if match.start("value") >= 0 else "bare"
            start, end = match.start(group), match.end(group)
            value = text[start:end].rstrip(".!?):،")
            end = start + len(value)
            if _CODE_SHAPE_RE.match(value) or len(value) < 3 or (value.isdigit() and len(value) < 4):
                continue  # "κωδικός: P-227" is a fault code, "pin: 3" a connector pin
            if strict and not _looks_like_password(value):
                continue  # "the password is wrong"
            spans.claim(start, end, "secret")


def _looks_like_password(value: str) -> bool:
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return has_digit or has_symbol or mixed


# -- IBAN and cards ------------------------------------------------------------------------------

_IBAN_RE = re.compile(
    rf"(?i)(?<![\w-])[a-z]{{2}}\d{{2}}(?:[{_SEP}]?[a-z0-9]{{4}}){{2,7}}(?:[{_SEP}]?[a-z0-9]{{1,3}})?(?![\w-])"
)


def iban_spans(spans: Spans) -> None:
    text = spans.text
    for match in _IBAN_RE.finditer(text):
        # The candidate may have taken a following group ("... 695 1234"): the longest valid prefix wins.
        raw = match[0]
        for end in range(len(raw), 14, -1):
            piece = raw[:end]
            if piece[-1] in _SEP:
                continue
            if stdnum_iban.is_valid(piece):
                spans.claim(match.start(), match.start() + end, "iban")
                break


_DIGIT_RUN_RE = re.compile(rf"(?<![\w\-+./,])\d(?:[{_SEP}.\-]?\d)+(?![\w\-/]|[.,]\d)")


def _numeric_context_ok(
    spans: Spans, folded: str, start: int, end: int, *, own_cues: tuple[str, ...] = (), cues_after: tuple[str, ...] = ()
) -> bool:
    """Not a reading, a date, a piece of a code, or a number after a code word (unless its own cue,
    e.g. "tel", stands nearer to it than the code word, or one of `cues_after` follows it: Turkish
    "... numaralı kart")."""
    text = spans.text
    if cues_after and cue_pattern(cues_after).search(folded, end, end + _words_ahead(text, end, 2)):
        return not (glued(text, start, end) or _DATE_RE.fullmatch(text[start:end]))
    if glued(text, start, end) or UNIT_AFTER_RE.match(text[end:]) or _DATE_RE.fullmatch(text[start:end]):
        return False
    # Only a code word among the last few words counts: "S/N 41234567", "número de serie 41234567";
    # "I ordered the filter and the card 4111..." is not an order number.
    code_at = last_cue_end(folded, start, CODE_CUES, window=_words_back(text, start, 3))
    if code_at < 0:
        return True
    return bool(own_cues) and last_cue_end(folded, start, own_cues) > code_at


def _words_back(text: str, start: int, count: int) -> int:
    """How many characters the last `count` words before `start` take (with their spaces)."""
    position = start
    for _ in range(count):
        while position > 0 and text[position - 1].isspace():
            position -= 1
        while position > 0 and not text[position - 1].isspace():
            position -= 1
    return start - position


def _words_ahead(text: str, end: int, count: int) -> int:
    position = end
    for _ in range(count):
        while position < len(text) and text[position].isspace():
            position += 1
        while position < len(text) and not text[position].isspace():
            position += 1
    return position - end


def card_spans(spans: Spans, folded: str) -> None:
    for match in _DIGIT_RUN_RE.finditer(spans.text):
        digits = ascii_digits(match[0])
        # Card numbers are 13-19 digits and start with 2-6 (Mastercard 2/5, Amex 3, Visa 4, Discover 6).
        if not (13 <= len(digits) <= 19 and digits[0] in "23456" and luhn.is_valid(digits)):
            continue
        if _numeric_context_ok(spans, folded, match.start(), match.end(), own_cues=CARD_CUES, cues_after=CARD_CUES):
            spans.claim(match.start(), match.end(), "card")


# -- phones --------------------------------------------------------------------------------------

# phonenumbers tries every digit run it sees (up to 65 535 by default, seconds on a long list of
# numbers); a chat message has far fewer candidates than this, a pasted log is cut short.
_MAX_TRIES = 300
_INTERNATIONAL_RE = re.compile(r"(?:\+|(?<!\d)00|٠٠)[\s(]*\d")
# Fewer digits than this is a quantity or a short code unless a phone word stands before it.
_PHONE_MIN_DIGITS = 8


def phone_spans(spans: Spans, folded: str, regions: tuple[str, ...], *, trusted: int = 2) -> None:
    """`trusted`: how many of the first `regions` are the operator's own (their country, their
    language's): national numbers of those need no phone word; of the others, they do."""
    text = spans.text
    seen: set[tuple[int, int]] = set()
    if not cue_pattern(PHONE_CUES).search(folded):
        # Other regions' numbers need a phone word: without one, their matchers (the costly part
        # of redaction on a long message) cannot find anything that counts.
        regions = regions[:trusted]
    for rank, region in enumerate(regions):
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID, max_tries=_MAX_TRIES):
            start, end = match.start, match.end
            if (start, end) in seen or not spans.free(start, end):
                continue
            seen.add((start, end))
            if _is_phone(spans, folded, match, trusted=rank < trusted):
                spans.claim(start, end, "phone")
    # A number written with "+" or "00" is a phone number even when phonenumbers' metadata does not
    # know its range yet (new mobile ranges reach the metadata months later).
    if not _INTERNATIONAL_RE.search(text):
        return
    region = regions[0] if regions else "GB"
    for match in PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE, max_tries=_MAX_TRIES):
        digits = len(ascii_digits(match.raw_string))
        if (
            match.raw_string.startswith(("+", "00", "٠٠"))
            and 8 <= digits <= 15
            and spans.free(match.start, match.end)
            and not _inside_digit_run(text, match.start, match.end)
            and _numeric_context_ok(spans, folded, match.start, match.end, own_cues=PHONE_CUES)
        ):
            spans.claim(match.start, match.end, "phone")


def _is_phone(spans: Spans, folded: str, match, *, trusted: bool) -> bool:
    raw = match.raw_string
    start, end = match.start, match.end
    if _inside_digit_run(spans.text, start, end):
        return False
    if not _numeric_context_ok(spans, folded, start, end, own_cues=PHONE_CUES):
        return False
    phone_cue = last_cue_end(folded, start, PHONE_CUES)
    if max(last_cue_end(folded, start, ACCOUNT_CUES), last_cue_end(folded, start, CARD_CUES)) > phone_cue:
        return False  # "account no. 41234567": a bank account that happens to dial in Norway
    cue = phone_cue >= 0
    international = raw.lstrip("( ").startswith(("+", "00", "٠٠"))
    if international:
        return True
    digits = len(ascii_digits(raw))
    if cue:
        return digits >= 6
    return trusted and digits >= _PHONE_MIN_DIGITS and phonenumbers.is_valid_number(match.number)


def _inside_digit_run(text: str, start: int, end: int) -> bool:
    # "... 0000 0001 2300 695": the matcher found a phone inside a longer run of digit groups (an
    # IBAN with a wrong checksum, a meter reading) that it could not read whole.
    return bool(re.search(r"\d[ \u00a0]$", text[max(0, start - 2) : start])) or bool(
        re.match(r"[ \u00a0]\d", text[end : end + 2])
    )


# -- bank accounts and national identity numbers -------------------------------------------------

_DNI_RE = re.compile(r"(?i)(?<![\w-])(?:\d{8}[ -]?[a-z]|[xyz][ -]?\d{7}[ -]?[a-z])(?![\w-])")
_SSN_RE = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_KONTONR_RE = re.compile(r"(?<![\w\-.])\d{4}[. ]\d{2}[. ]\d{5}(?![\w\-.]|\.\d)")


def identity_spans(spans: Spans, folded: str) -> None:
    text = spans.text
    for match in _DNI_RE.finditer(text):
        value = match[0].replace(" ", "").replace("-", "").upper()
        if (es_dni.is_valid(value) or es_nie.is_valid(value)) and _numeric_context_ok(
            spans, folded, match.start(), match.end()
        ):
            spans.claim(match.start(), match.end(), "national_id")
    for match in _SSN_RE.finditer(text):
        if us_ssn.is_valid(match[0]) and _numeric_context_ok(spans, folded, match.start(), match.end()):
            spans.claim(match.start(), match.end(), "national_id")
    for match in _KONTONR_RE.finditer(text):
        if no_kontonr.is_valid(ascii_digits(match[0])) and _numeric_context_ok(
            spans, folded, match.start(), match.end(), own_cues=ACCOUNT_CUES
        ):
            spans.claim(match.start(), match.end(), "account")
    for match in _DIGIT_RUN_RE.finditer(text):
        start, end = match.start(), match.end()
        if not spans.free(start, end):
            continue
        digits = ascii_digits(match[0])
        kind = _identity_kind(digits)
        account_cue = last_cue_end(folded, start, ACCOUNT_CUES) >= 0
        if kind is None and account_cue and 6 <= len(digits) <= 20:
            kind = "account"  # "account no. 12345678": any bank's number, after the word
        if kind and _numeric_context_ok(spans, folded, start, end, own_cues=ACCOUNT_CUES if account_cue else ()):
            spans.claim(start, end, kind)


def _identity_kind(digits: str) -> str | None:
    if len(digits) == 20 and es_ccc.is_valid(digits):
        return "account"
    if len(digits) == 11 and (
        no_fodselsnummer.is_valid(digits) or tr_tckimlik.is_valid(digits) or gr_amka.is_valid(digits)
    ):
        return "national_id"
    return None
