"""The multilingual glossary: its data files load, and the matcher finds concepts in six languages
without swallowing look-alike words."""

from __future__ import annotations

import pytest

from knowledge.glossary import DATA_DIR, KINDS, LANGUAGES, Glossary, GlossaryError, glossary, parse

SAMPLE = """
# a comment
= pressure quantity
en  pressure
el  πίεση
es  presión
tr  basınç | basınc*
nb  trykk
ar  ضغط
= pump part
en  pump
el  αντλία
es  bomba
tr  pompa
nb  pumpe | pumpa
ar  مضخة
= high_pressure_pump part
en  high pressure pump | hp pump
el  αντλία υψηλής πίεσης
es  bomba de alta presión
tr  yüksek basınç pompası
nb  høytrykkspumpe
ar  مضخة الضغط العالي
= rig part
en  cleaning rig | rig
el  rig
es  equipo
tr  ünite
nb  rigg
ar  وحدة
= net site
en  net
el  δίχτυ
es  red
tr  ağ
nb  not
ar  شبكة
= pan_tilt part
en  pan-tilt unit
el  μονάδα pan-tilt
es  unidad pan-tilt
tr  pan-tilt ünitesi
nb  pan-tilt-enhet
ar  وحدة pan-tilt
"""


@pytest.fixture(scope="module")
def sample() -> Glossary:
    return Glossary(parse(SAMPLE.splitlines()), version="test")


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "The pumps lose pressure", ["pump", "pressure"]),
        ("el", "η πίεση της αντλίας πέφτει", ["pressure", "pump"]),
        ("es", "la presion de la bomba baja", ["pressure", "pump"]),
        # Turkish suffixes: basıncı (ç -> c before a vowel), pompası.
        ("tr", "pompasının basıncı düşüyor", ["pump", "pressure"]),
        ("nb", "høytrykkspumpa lekker, trykket faller", ["high_pressure_pump", "pressure"]),
        # A Norwegian compound the glossary does not list: its last part names the thing.
        ("nb", "boosterpumpa stopper", ["pump"]),
        # Arabic: the article and the conjunction are stripped.
        ("ar", "الضغط ينخفض والمضخة تصدر صوتا", ["pressure", "pump"]),
        # Greek text quotes an English term.
        ("el", "το rig δεν κινείται", ["rig"]),
    ],
)
def test_concepts_are_found_in_each_language(sample, language, text, expected):
    assert sample.concepts_in(text, language) == expected


def test_multi_word_terms_and_their_parts_both_count(sample):
    assert sample.concepts_in("the hp pump is leaking", "en") == ["high_pressure_pump", "pump"]
    assert sample.concepts_in("check the pan-tilt unit", "en") == ["pan_tilt"]


def test_short_words_take_only_inflectional_endings(sample):
    # "rig" is not "right" or "rigid"; "net" is not "network".
    assert sample.concepts_in("turn right, the frame is rigid, the network is down", "en") == []
    assert sample.concepts_in("two rigs and three nets", "en") == ["rig", "net"]


def test_english_is_not_read_into_other_latin_languages(sample):
    # Spanish "red" is the net; an English reading would add nothing, a wrong one would add noise.
    assert sample.concepts_in("la red esta rota", "es") == ["net"]
    assert sample.concepts_in("pump", "es") == []


def test_english_gloss(sample):
    assert sample.english_gloss("η πίεση της αντλίας", "el") == "pressure pump"
    assert sample.english_gloss("nothing known here", "en") == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("= pressure\nen  pressure", "expected '= concept_id kind'"),
        ("= pressure thing\nen  pressure", "expected '= concept_id kind'"),
        ("en  pressure", "expected a language line"),
        ("= pressure quantity\nen  pressure", "has no terms for el"),
        ("= pressure quantity\nen  |", "no terms"),
    ],
)
def test_format_errors_are_reported_with_their_line(text, message):
    with pytest.raises(GlossaryError, match=message):
        parse(text.splitlines(), source="x.txt")


def test_duplicate_concepts_are_refused():
    concepts = parse(SAMPLE.splitlines())
    with pytest.raises(GlossaryError, match="defined twice"):
        Glossary(concepts + concepts[:1])


def test_the_product_glossary_loads_and_covers_every_language():
    product = glossary()
    assert len(product.concepts) > 700
    assert len(product.version) == 12
    assert sorted(path.name for path in DATA_DIR.glob("*.txt"))
    for concept in product.concepts.values():
        assert concept.kind in KINDS
        assert set(concept.terms) == set(LANGUAGES), concept.id
        for language, terms in concept.terms.items():
            for term in terms:
                for word in term.split():
                    # A stem must be long enough not to swallow unrelated words.
                    if word.endswith("*"):
                        assert len(word) - 1 >= (3 if language in ("el", "ar") else 4), (concept.id, word)


@pytest.mark.parametrize(
    ("language", "text", "concept"),
    [
        ("en", "the pressure keeps dropping", "pressure"),
        ("el", "η πίεση πέφτει", "pressure"),
        ("es", "la presión baja", "pressure"),
        ("tr", "basınç düşüyor", "pressure"),
        ("nb", "trykket faller", "pressure"),
        ("ar", "الضغط ينخفض", "pressure"),
        ("en", "the umbilical hose is leaking", "umbilical"),
        ("en", "what is the salary of a diver", "salary"),
    ],
)
def test_the_product_glossary_knows_the_domain(language, text, concept):
    assert concept in glossary().concepts_in(text, language)


def test_each_thread_stems_with_its_own_stemmers():
    """Snowball stemmers keep the current word in their attributes: a stemmer shared by gunicorn's
    threads mixes their words up (IndexError under load), so every thread gets its own."""
    import threading

    from knowledge.glossary import _stemmers

    seen = []
    thread = threading.Thread(target=lambda: seen.append(_stemmers()["el"]))
    thread.start()
    thread.join()
    mine = _stemmers()["el"]
    assert _stemmers()["el"] is mine
    assert seen[0] is not mine
    assert mine.stemWord("αντλιες") == seen[0].stemWord("αντλιες")
