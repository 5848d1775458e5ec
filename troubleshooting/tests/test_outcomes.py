"""outcome_from_text: free-text answers to "did this work?" in the six languages (pure, no database)."""

from __future__ import annotations

import time

import pytest

from troubleshooting.outcomes import OUTCOMES, outcome_from_text
from troubleshooting.wording import normalize, sentences

W, P, D, S, U = "worked", "partially_worked", "didnt_work", "skipped", "unsafe"

EN = [
    ("yes it worked", W),
    ("Yes!", W),
    ("fixed", W),
    ("solved, thanks", W),
    ("works now 👍", W),
    ("pressure is back", W),
    ("No problem, it worked", W),
    ("there is no smoke, it works", W),
    ("not leaking anymore", W),
    ("👍", W),
    ("didn't work", D),
    ("didnt work", D),
    ("Not fixed.", D),
    ("still not turning", D),
    ("no change", D),
    ("same problem", D),
    ("No", D),
    ("nope, didnt help", D),
    ("No, it did not.", D),
    ("The rotor doesn't turn", D),
    ("I can't see any difference", D),
    ("worse", D),
    ("not better", D),
    ("no pressure", D),
    ("I cleaned the filter as you said and checked the hose, but the pressure is still low", D),
    ("Didn't work, where is the filter?", D),
    ("No. What pressure should it show? It shows 120 bar now after cleaning everything you told me to", D),
    ("a bit better", P),
    ("partly", P),
    ("somewhat better but still low", P),
    ("yes but the pressure is still low", P),
    ("It works, but the alarm still shows", P),
    ("skip", S),
    ("I can't do this step", S),
    ("I don't have the tool", S),
    ("I couldn't reach the valve", S),
    ("next step", S),
    ("there is smoke coming from the motor", U),
    ("I won't do that, it's dangerous", U),
    ("burning smell!!", U),
    ("I got an electric shock", U),
    ("not safe", U),
    ("smells like gas", U),
    ("What should I do about the smoke?", U),
    ("🔥🔥", U),
    ("what pressure should the gauge show?", None),
    ("where is the filter?", None),
    ("Is it dangerous to open the cover?", None),
    ("It's not dangerous", None),
    ("nozzle", None),
    ("Check the nozzle", None),
    ("Note: the manual says 180 bar", None),
    ("nobody told me", None),
    ("Norway", None),
    ("noted", None),
    ("ok", None),
    ("thanks", None),
    ("not sure", None),
    ("I'm not sure it works", None),
    ("trying now", None),
    ("The rotor won't turn and the camera image has been gone since this morning, also alarm P-206 shows", None),
    (
        "I have a question about the hydraulic oil: which grade should I use for the V4.0 in winter when the "
        "water temperature is below five degrees and the boat is outside?",
        None,
    ),
]
EL = [
    ("ναι, δούλεψε", W),
    ("ΝΑΙ ΔΟΥΛΕΨΕ", W),
    ("λύθηκε", W),
    ("Ναι", W),
    ("δεν δούλεψε", D),
    ("δεν δουλεψε", D),
    ("Όχι", D),
    ("οχι ακομα δεν γυριζει", D),
    ("Τίποτα, ίδιο πρόβλημα", D),
    ("λίγο καλύτερα", P),
    ("κάπως καλύτερα αλλά ακόμα χαμηλή", P),
    ("παράλειψη", S),
    ("δεν μπορώ να το ανοίξω", S),
    ("βγαίνει καπνός", U),
    ("Πού είναι το φίλτρο;", None),
    ("Τι πίεση πρέπει να δείχνει;", None),
    ("Πού βρίσκεται η βαλβίδα;", None),
    ("όχι ακόμα", None),
]
ES = [
    ("sí, funcionó", W),
    ("SI FUNCIONO", W),
    ("ya funciona", W),
    ("todo bien ahora", W),
    ("no funcionó", D),
    ("sigue igual", D),
    ("no", D),
    ("todavía no gira", D),
    ("mejor pero no del todo", P),
    ("un poco mejor pero sigue baja", P),
    ("saltar", S),
    ("no tengo la herramienta", S),
    ("sale humo", U),
    ("¿Dónde está el filtro?", None),
    ("¿Qué presión debe marcar?", None),
    ("¿Y dónde está la válvula?", None),
    ("todavía no", None),
    ("no sé", None),
    ("la nota del manual", None),
]
TR = [
    ("evet düzeldi", W),
    ("EVET DÜZELDİ", W),
    ("evet duzeldi", W),
    ("çalıştı", W),
    ("sorun kalmadı", W),
    ("işe yaramadı", D),
    ("hâlâ aynı", D),
    ("hala ayni", D),
    ("hayır", D),
    ("Hayir calismadi", D),
    ("hâlâ dönmüyor", D),
    ("biraz daha iyi", P),
    ("biraz düzeldi ama hala düşük", P),
    ("atla", S),
    ("bunu yapamıyorum", S),
    ("anahtarım yok, atlayalım", S),
    ("duman çıkıyor", U),
    ("Filtre nerede?", None),
    ("Manometre kaç bar göstermeli?", None),
    ("çalıştı mı?", None),
    ("tamam", None),
    ("bilmiyorum", None),
]
NB = [
    ("ja, det fungerte", W),
    ("Ja", W),
    ("det virker nå", W),
    ("det fungerer nå, takk", W),
    ("fungerte ikke", D),
    ("fortsatt lavt trykk", D),
    ("nei", D),
    ("Nei, fortsatt det samme", D),
    ("ingen endring", D),
    ("litt bedre", P),
    ("litt bedre, men fortsatt lavt", P),
    ("hopp over", S),
    ("jeg har ikke verktøy", S),
    ("det kommer røyk", U),
    ("Hvor er filteret?", None),
    ("Hva skal manometeret vise?", None),
    ("hvor er ventilen?", None),
    ("vet ikke", None),
    ("nettet er rent", None),
]
AR = [
    ("نعم نجح", W),
    ("نعم، نجحت", W),
    ("تم الحل", W),
    ("لم ينجح", D),
    ("لا، لم ينجح", D),
    ("ولم يتغير شيء", D),
    ("ما زالت المشكلة", D),
    ("مازال نفس المشكلة", D),
    ("لا", D),
    ("أفضل قليلا", P),
    ("أفضلُ قليلاً", P),
    ("تحسن قليلا لكن ما زال الضغط منخفض", P),
    ("تخطي", S),
    ("لا أستطيع فتح الغطاء", S),
    ("يوجد دخان", U),
    ("في دخان", U),
    ("أين الفلتر؟", None),
    ("كم يجب أن يكون الضغط؟", None),
    ("لازم أغير الفلتر؟", None),
    ("لاحظت صوتا", None),
    ("ما في دخان", None),
]
TABLE = {"en": EN, "el": EL, "es": ES, "tr": TR, "nb": NB, "ar": AR}
CASES = [
    pytest.param(text, expected, lang, id=f"{lang}:{text[:40]}")
    for lang, rows in TABLE.items()
    for text, expected in rows
]


@pytest.mark.parametrize(("text", "expected", "language"), CASES)
def test_outcome_from_text(text, expected, language):
    assert outcome_from_text(text, language) == expected


@pytest.mark.parametrize(("text", "expected", "language"), CASES)
def test_language_is_only_a_hint(text, expected, language):
    # The session language is often wrong (an English session, a Greek reply) or unknown.
    assert outcome_from_text(text, None) == expected
    assert outcome_from_text(text, "en" if language != "en" else "el") == expected


@pytest.mark.parametrize("language", ["no", "nb-NO", "xx", ""])
def test_odd_language_tags(language):
    assert outcome_from_text("fungerte ikke", language) == D


def test_every_language_covers_every_outcome_and_none():
    for language, rows in TABLE.items():
        found = {expected for _, expected in rows}
        assert found == {*OUTCOMES, None}, language


@pytest.mark.parametrize("text", ["", "   ", "?", "...", "🙂"])
def test_empty_or_symbol_only_is_no_answer(text):
    assert outcome_from_text(text) is None


def test_normalize_spells_out_negations_and_folds_scripts():
    assert normalize("I DIDN’T, it doesnt, we can't, it won't") == "i did not, it does not, we can not, it will not"
    assert normalize("Όχι, ΔΕΝ δούλεψες") == "οχι, δεν δουλεψεσ"
    assert normalize("لم يتغيّر شيءٌ، أبداً") == "لم يتغير شي, ابدا"
    assert normalize("HAYIR, İŞE YARAMADI") == "hayir, ise yaramadi"


def test_sentences_separate_the_statement_from_the_question():
    parts = sentences(normalize("Didn't work, where is the filter? Thanks."))
    assert [(s.lead, s.question) for s in parts] == [("did not work", "where is the filter"), ("thanks", "")]
    assert [(s.lead, s.question) for s in sentences("δεν δουλεψε. που ειναι;")] == [
        ("δεν δουλεψε", ""),
        ("", "που ειναι"),
    ]


def test_fast_enough_for_every_chat_turn():
    texts = [c.values[0] for c in CASES]
    outcome_from_text("warm up")
    rounds = max(1, 400 // len(texts))
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            outcome_from_text(text)
    average = (time.perf_counter() - start) / (rounds * len(texts))
    assert average < 0.002, f"{average * 1000:.3f} ms per call"
