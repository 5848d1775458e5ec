"""A generated reply may not state a number, code or part number that its sources do not contain.

LLMs are fluent at inventing plausible pressures ("set it to 180 bar") and part numbers. Every
number-like token of the reply must appear in the retrieved sources or in the conversation; a
reply that fails this is discarded and the offline responder answers from the manual instead.

Two kinds of number-like tokens are not claims about the machine and are let through: machine
model names ("V3.1B", "V4.0": the product's own vocabulary, named by the operator's machine and
every manual's title) and references into the manual ("section 12", "step 4", "page 7", "§ 3.2",
in the six languages), which the citations make checkable anyway.
"""

from __future__ import annotations

import re

from core.text.lexicon import ascii_digits, fold

# Tokens that carry a digit: 190, 2.5, 1,000, P-227, AB5-2120, 40rpm. Step numbers ("1.") and
# citation markers ("[2]") are excluded below.
_NUMBERISH = re.compile(r"(?<![\w.])[A-Za-z]*[-/]?\d[\w\-./,]*")
_CITATION_MARK = re.compile(r"\[\d{1,2}\]")
_LIST_MARKER = re.compile(r"(?m)^\s*\d{1,2}[.)]\s")
# A machine model name: V4.0, V3.1B, v5 (letter V, a version, an optional revision letter).
_MODEL_NAME = re.compile(r"(?<![\w.\-/])[Vv]\d{1,2}(?:\.\d{1,2})?[A-Za-z]?(?![\w\-/]|\.\d)")
# "section 12", "step 4", "page 7", "§ 3.2" in en/el/es/tr/nb/ar; the number is a reference.
_REFERENCE = re.compile(
    r"(?i)(?:§|\b(?:sections?|sec\.|chapters?|steps?|pages?|pp?\.|"
    r"ενότητα|ενότητας|ενοτητα|κεφάλαιο|κεφαλαιο|βήμα|βημα|σελίδα|σελιδα|σελ\.|"
    r"sección|seccion|capítulo|capitulo|paso|página|pagina|pág\.|"
    r"bölüm|bolum|bölümü|adım|adim|sayfa|"
    r"avsnitt|kapittel|trinn|steg|side)|(?:القسم|قسم|الفصل|فصل|الخطوة|خطوة|الصفحة|صفحة))"
    r"\s*(?:nr\.?|no\.?|αρ\.)?\s*[0-9\u0660-\u0669]{1,3}(?:\.[0-9\u0660-\u0669]{1,2})*"
    # Turkish puts the ordinal first: "12. bölüm", "3. adım".
    r"|(?i:\b\d{1,3}\.\s*(?:bölüm|bolum|adım|adim|sayfa)\w*)"
)


def _normalise(token: str) -> str:
    token = fold(ascii_digits(token)).strip(".,/-")
    return token.replace(",", "") if re.fullmatch(r"[\d,]+(\.\d+)?", token) else token


def numeric_tokens(text: str) -> set[str]:
    text = _CITATION_MARK.sub(" ", text)
    text = _LIST_MARKER.sub(" ", text)
    text = _REFERENCE.sub(" ", text)
    text = _MODEL_NAME.sub(" ", text)
    return {_normalise(t) for t in _NUMBERISH.findall(ascii_digits(text)) if _normalise(t)}


def ungrounded_numbers(reply: str, *evidence: str) -> set[str]:
    """Number-like tokens of `reply` that occur in none of the `evidence` texts."""
    allowed = set()
    joined = " ".join(evidence)
    for token in numeric_tokens(joined):
        allowed.add(token)
        # "190" in the source allows "190 bar" and "190bar"; split glued units off too.
        allowed.update(re.findall(r"\d+(?:\.\d+)?", token))
    missing = set()
    for token in numeric_tokens(reply):
        if token in allowed:
            continue
        digits = re.findall(r"\d+(?:\.\d+)?", token)
        # A bare small ordinal ("step 2", "2 times") is not a claim about the machine.
        if token.isdigit() and int(token) <= 10:
            continue
        if digits and all(d in allowed for d in digits) and not re.search(r"[a-z]", token):
            continue
        missing.add(token)
    return missing
