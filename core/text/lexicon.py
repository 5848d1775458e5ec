"""Multilingual word lists used to recognise the furniture of a manual (en, el, ar, es, tr, nb).

Kept in one place so that adding a language means editing one file. Everything is matched on
`fold()`-ed text (lower case, accents removed), so lists are written without accents — and with
Greek final sigma as σ ("κινδυνοσ"), because casefold() turns ς into σ; a test checks every entry.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic and Eastern Arabic-Indic digits appear in Arabic manuals for section and step numbers.
DIGITS = "0-9\u0660-\u0669\u06f0-\u06f9"
_DIGIT_TABLE = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def ascii_digits(text: str) -> str:
    return text.translate(_DIGIT_TABLE)


def fold(text: str) -> str:
    """Lower-case and strip accents (Greek tonos, Spanish tildes, Turkish dots) for matching."""
    # Turkish dotless i (U+0131) has no decomposition; fold it too so "ar\u0131za" matches "ariza".
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("\u0131", "i"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Footer/header page labels: "Page 5", "Σελίδα 5", "Página 5 de 7", "5 صفحة" (RTL extraction puts
# the number first), "- 5 -", "5/16".
PAGE_WORDS = ("page", "pg", "p", "pag", "pagina", "σελιδα", "σελ", "side", "sayfa", "صفحة", "seite", "sida")
_PAGE_WORD_RE = "|".join(sorted((re.escape(w) for w in PAGE_WORDS), key=len, reverse=True))
_NUM = f"[{DIGITS}]{{1,5}}"
_OF = r"(?:/|of|av|de|από|απο|من|\|)"
_DASH = "[-\u2013\u2014]"
PAGE_LABEL_RE = re.compile(
    rf"^{_DASH}?\s*(?:(?:{_PAGE_WORD_RE})\.?\s*)?{_NUM}(?:\s*{_OF}\s*{_NUM})?\s*{_DASH}?$"
    rf"|^{_NUM}\s*(?:{_PAGE_WORD_RE})\.?$",
    re.IGNORECASE,
)

# Labels of safety notices. Notes ("NOTE", "ΣΗΜΕΙΩΣΗ", "NOTA", "MERK", "NOT") are deliberately absent:
# they are ordinary paragraphs, not safety warnings.
WARNING_LABELS = (
    "warning",
    "caution",
    "danger",
    "προειδοποιηση",
    "προσοχη",
    "κινδυνοσ",
    "advertencia",
    "precaucion",
    "peligro",
    "atencion",
    "uyari",
    "dikkat",
    "tehlike",
    "advarsel",
    "forsiktig",
    "fare",
    "تحذير",
    "تنبيه",
    "خطر",
)

_WARNING_SYMBOLS = "⚠⚡△▲❗!"
_WARNING_LINE_RE = re.compile(
    rf"^(?P<sym>[{_WARNING_SYMBOLS}]\ufe0f?\s*)?(?P<label>\w+)(?P<sep>\s*[:!.\-\u2013\u2014]|\s*[{_WARNING_SYMBOLS}]\ufe0f?)?\s*(?P<rest>.*)$"
)
_WARNING_LABEL_SET = frozenset(WARNING_LABELS)


def warning_label(line: str) -> tuple[str, str] | None:
    """("WARNING", "rest of the line") when `line` opens a safety notice, else None.

    "Caution: hot surface", "⚠ WARNING", "ADVERTENCIA La unidad..." open a notice; "Warning lights
    flash when..." does not (a label word in running text has no separator and is not upper case).
    """
    match = _WARNING_LINE_RE.match(line.strip())
    if match is None:
        return None
    label = match["label"]
    if fold(label) not in _WARNING_LABEL_SET:
        return None
    rest = match["rest"].strip().strip(_WARNING_SYMBOLS).strip()
    sep = (match["sep"] or "").strip()
    cased = label.upper() != label.lower()
    if not cased:
        # Arabic has no case: only a symbol, punctuation or a line of its own marks the label.
        return (label, rest) if match["sym"] or sep or not rest else None
    if label.isupper():
        return label, rest  # upper case marks a label even without punctuation
    if label.islower():
        return None  # "... without acoustic\nwarning. Keep clear" is running text
    if match["sym"] or not rest or (sep and sep != "."):
        return label, rest
    return None


# Words that make a heading describe a fault. Stems are matched at word start, so "fail" covers
# "failure" and "fails"; short function words ("not", "no", "δεν") are matched as whole words.
SYMPTOM_STEMS = (
    # en
    "fault",
    "fail",
    "error",
    "problem",
    "issue",
    "trouble",
    "malfunction",
    "loss",
    "lost",
    "leak",
    "alarm",
    "block",
    "clog",
    "overheat",
    "fluctuat",
    "stuck",
    "jam",
    "broken",
    "vibrat",
    "noise",
    "low pressure",
    "no pressure",
    # el
    "βλαβ",
    "σφαλμ",
    "προβλημ",
    "αστοχ",
    "διαρρο",
    "απωλει",
    "υπερθερμ",
    "μπλοκαρ",
    "πεφτει",
    "ανεβοκατεβαιν",
    # es
    "fallo",
    "falla",
    "averia",
    "problema",
    "perdida",
    "fuga",
    "bloque",
    "atasc",
    "sobrecalent",
    "fluctu",
    # tr
    "ariza",
    "hata",
    "sorun",
    "kacak",
    "tikan",
    "tikal",
    "asiri isin",
    "calismiyor",
    "donmuyor",
    # nb
    "feil",
    "svikt",
    "lekk",
    "tap av",
    "blokk",
    "overopphet",
    "virker ikke",
    "fungerer ikke",
    # ar
    "عطل",
    "اعطال",
    "خطا",
    "مشكل",
    "فقد",
    "تسرب",
    "انسداد",
    "انذار",
)
SYMPTOM_WORDS = ("not", "no", "cannot", "won't", "doesn't", "δεν", "ikke", "لا", "يعمل")

# A later sentence of a step that states what should happen: "The lamp must be green."
OUTCOME_CUES: dict[str, tuple[str, ...]] = {
    "en": ("should", "must", "expected"),
    "el": ("πρεπει", "θα"),
    "es": ("debe", "debera", "deberia", "hasta que"),
    "tr": ("olmali", "olmalidir", "gerekir"),
    "nb": ("skal", "bør", "ma"),
    "ar": ("يجب", "سوف", "ينبغي"),
}

# A sentence inside a step that is a safety instruction rather than the action itself.
SAFETY_STARTS: dict[str, tuple[str, ...]] = {
    "en": ("never", "do not", "don't", "warning", "caution", "danger"),
    "el": ("μην", "ποτε", "προσοχη", "κινδυνοσ"),
    "es": ("nunca", "no", "jamas", "advertencia", "precaucion", "peligro"),
    "tr": ("asla", "sakin", "dikkat", "uyari", "tehlike"),
    "nb": ("aldri", "ikke", "advarsel", "forsiktig", "fare"),
    "ar": ("لا", "تحذير", "اياك", "احذر"),
}

# Clauses that open a branch ("If it is stiff, replace it") rather than state an outcome.
CONDITIONAL_STARTS: dict[str, tuple[str, ...]] = {
    "en": ("if", "when", "unless"),
    "el": ("αν", "εαν", "οταν"),
    "es": ("si", "cuando"),
    "tr": ("eger", "ise"),
    "nb": ("hvis", "om", "nar"),
    "ar": ("اذا", "ان", "عندما"),
}

# Column headers that mark a fault-code table.
CODE_HEADERS = ("code", "fault", "error", "κωδικοσ", "codigo", "kod", "kode", "feilkode", "الرمز", "رمز", "الكود")

MINUTE_UNITS = r"(?:min(?:ute)?s?|mins?\.?|λεπτ[αάό]?|λεπ\.?|minutos?|dakika|dk\.?|minutt(?:er)?|دقيقة|دقائق)"
