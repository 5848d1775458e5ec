"""Language identification restricted to the six product languages, offline."""

from __future__ import annotations

import pytest

from core.text.detect import detect_language
from core.text.languages import LANGUAGES as SUPPORTED_LANGUAGES
from core.text.languages import normalize_language

SAMPLES = {
    "en": (
        "the rotor does not turn",
        "If the pressure swings by more than ten bar, check the boost pump intake for seaweed and inspect the hose.",
    ),
    "el": (
        "ο ρότορας δεν γυρίζει",
        "Αν η πίεση αυξομειώνεται πάνω από 10 bar, ελέγξτε τη λήψη της αντλίας ενίσχυσης για φύκια.",
    ),
    "ar": (
        "الدوار لا يدور",
        "إذا تذبذب الضغط بأكثر من عشرة بار، افحص مدخل مضخة التعزيز بحثا عن الأعشاب البحرية.",
    ),
    "es": (
        "el rotor no gira",
        "Si la presión oscila más de diez bar, revise la toma de la bomba de refuerzo por si hay algas.",
    ),
    "tr": (
        "rotor dönmüyor",
        "Basınç on bardan fazla dalgalanırsa, takviye pompasının emişini yosun için kontrol edin ve hortumu inceleyin.",
    ),
    "nb": (
        "rotoren går ikke rundt",
        "Hvis trykket svinger mer enn ti bar, sjekk inntaket til boostpumpen for tang og kontroller slangen.",
    ),
}


@pytest.mark.parametrize("language", list(SAMPLES))
def test_each_language_is_detected_in_short_and_long_text(language):
    short, long = SAMPLES[language]
    assert detect_language(short) == language
    assert detect_language(long) == language
    assert detect_language(long * 10, precise=False) == language


def test_product_terms_do_not_flip_a_greek_text_to_english():
    assert detect_language("Πατήστε ROTOR STOP και PUMP STOP, μετά AUTO-DEPTH off.") == "el"


@pytest.mark.parametrize("text", ["", "   ", "P-227", "12.5 bar / 80 µm", "→ ✓ ⚠"])
def test_text_without_language_gives_none(text):
    assert detect_language(text) is None


def test_only_supported_codes_come_back():
    french = "Le rotor ne tourne pas; vérifiez la goupille de verrouillage avant de redémarrer la pompe."
    assert detect_language(french) in SUPPORTED_LANGUAGES


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("no", "nb"),
        ("NO", "nb"),
        ("nb-NO", "nb"),
        ("nob", "nb"),
        ("en_GB", "en"),
        ("el-GR", "el"),
        ("ar-SA", "ar"),
        ("es-419", "es"),
        ("tr", "tr"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_language(tag, expected):
    assert normalize_language(tag) == expected
