"""fault_signal: does an operator's message report a fault? Six languages (pure, no database)."""

from __future__ import annotations

import time

import pytest

from troubleshooting.faults import FaultSignal, fault_signal

FAULTS = {
    "en": [
        "The pump loses pressure",
        "rotor won't turn",
        "P-206 on the screen",
        "the head keeps drifting off the net",
        "camera image is gone",
        "pump is overheating",
        "there is a leak at the hose",
        "alarm E-12",
        "strange noise from the pump",
        "it stopped working",
        "why is the pressure dropping?",
        "E12?",
        "What does P206 mean?",
        "How do I fix the leak?",
        "The net cleaner won't stay on the net",
        "The pump runs but the rotor won't turn",
        "the rotor stopped",
        "pump is loud",
    ],
    "el": [
        "Η αντλία χάνει πίεση",
        "Η κάμερα δεν δείχνει εικόνα",
        "Γιατί πέφτει η πίεση;",
        "Ο ρότορας δεν γυρίζει",
        "Ακούγεται περίεργος θόρυβος από την αντλία",
        "Συναγερμός P-206 στην οθόνη",
        "Η αντλία υπερθερμαίνεται",
        "η κεφαλή φεύγει από το δίχτυ",
    ],
    "es": [
        "el rotor no gira",
        "No gira el rotor",
        "la bomba pierde presión",
        "hay una fuga en la manguera",
        "la bomba se calienta demasiado",
        "ruido extraño en la bomba",
        "alarma E-12 en la pantalla",
        "¿Por qué baja la presión?",
        "el cabezal se va de la red",
    ],
    "tr": [
        "pompa basınç kaybediyor",
        "rotor dönmüyor",
        "Pompa çalışmıyor",
        "pompadan garip ses geliyor",
        "hortumda kaçak var",
        "pompa aşırı ısınıyor",
        "ekranda P-206 hatası",
        "Basınç neden düşüyor?",
        "kafa ağdan uzaklaşıyor",
    ],
    "nb": [
        "pumpen mister trykk",
        "rotoren går ikke rundt",
        "pumpen lekker ved slangen",
        "kamerabildet er borte",
        "pumpen blir veldig varm",
        "alarm P-206 på skjermen",
        "Hvorfor faller trykket?",
        "hodet driver bort fra nota",
    ],
    "ar": [
        "المضخة تفقد الضغط",
        "الدوار لا يدور",
        "يوجد تسرب في الخرطوم",
        "المضخة تسخن كثيرا",
        "صوت غريب من المضخة",
        "إنذار P-206 على الشاشة",
        "لماذا ينخفض الضغط؟",
        "ما في ضغط",
        "عندي مشكلة في الكاميرا",
    ],
}
NOT_FAULTS = {
    "en": [
        "What is the tank capacity?",
        "How heavy is the V4.0?",
        "What is the operating pressure?",
        "How do I start the machine?",
        "When should I change the pump oil?",
        "Hello",
        "thanks",
        "What is the pump pressure?",
        "What is the noise level?",
        "What is the alarm volume?",
        "Is the V4.0 ISO-9001 certified?",
        "Do you stock part AB31-PS-1120?",
        "What size is the M12 bolt?",
        "Which oil, HV46?",
        "What is the maximum temperature before the pump overheats?",
        "How long can it run before it overheats?",
        "Do not run the pump dry?",
        "thanks, no problem",
        "The problem is solved, thanks",
        "How do I turn it off?",
        "No leaks at the hose",
        "The pump is not leaking",
        "I stopped the pump",
        "Why does the manual say 180 bar?",
    ],
    "el": [
        "Πόσο ζυγίζει;",
        "Ποια είναι η πίεση λειτουργίας;",
        "Πώς ξεκινάω το μηχάνημα;",
        "Πότε αλλάζω το λάδι;",
        "Γεια σας",
        "Ευχαριστώ",
        "Μην ανοίγετε το καπάκι;",
    ],
    "es": [
        "¿Cuál es la capacidad del tanque?",
        "¿Cuál es la presión de trabajo?",
        "¿Cómo arranco la máquina?",
        "¿Cuánto pesa?",
        "Hola",
        "Gracias",
        "¿Cómo se apaga?",
        "sin fugas",
        "¿Puedo usar agua de mar?",
    ],
    "tr": [
        "Tankın kapasitesi nedir?",
        "Çalışma basıncı nedir?",
        "Makineyi nasıl çalıştırırım?",
        "Yağı ne zaman değiştirmeliyim?",
        "Merhaba",
        "Teşekkürler",
        "Bilmiyorum",
    ],
    "nb": [
        "Hvor lang er slangen?",
        "Hva er driftstrykket?",
        "Hvordan starter jeg maskinen?",
        "Når bør jeg skifte olje?",
        "Hei",
        "Takk",
        "Jeg vet ikke",
        "Kan jeg kjøre pumpen uten vann?",
    ],
    "ar": [
        "ما هي سعة الخزان؟",
        "ما هو ضغط التشغيل؟",
        "كيف أشغل الآلة؟",
        "متى يجب تغيير الزيت؟",
        "مرحبا",
        "شكرا",
        "نعم",
    ],
}
CASES = [
    pytest.param(text, expected, lang, id=f"{lang}:{expected}:{text[:40]}")
    for expected, table in ((True, FAULTS), (False, NOT_FAULTS))
    for lang, texts in table.items()
    for text in texts
]


@pytest.mark.parametrize(("text", "expected", "language"), CASES)
def test_fault_signal(text, expected, language):
    signal = fault_signal(text, language)
    assert signal.is_fault is expected
    assert bool(signal.cues) is expected  # a fault always names what gave it away


@pytest.mark.parametrize(("text", "expected", "language"), CASES)
def test_language_is_only_a_hint(text, expected, language):
    assert fault_signal(text, None).is_fault is expected
    assert fault_signal(text, "no" if language != "nb" else "en").is_fault is expected


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("alarm E-12", ("E-12", "alarm")),
        ("P-206 on the screen", ("P-206",)),
        ("rotor won't turn", ("not turn",)),
        ("the head keeps drifting off the net", ("keeps drifting",)),
        ("rotor dönmüyor", ("donmuyor",)),
        ("Error e12 after 10 minutes", ("E12", "error")),
        ("How heavy is the V4.0?", ()),
    ],
)
def test_cues_name_the_words_and_codes(text, cues):
    assert fault_signal(text) == FaultSignal(bool(cues), cues)


def test_every_language_has_enough_examples():
    for language in ("en", "el", "es", "tr", "nb", "ar"):
        assert len(FAULTS[language]) >= 6, language
        assert len(NOT_FAULTS[language]) >= 5, language


def test_fast_enough_for_every_chat_turn():
    texts = [c.values[0] for c in CASES]
    fault_signal("warm up")
    rounds = max(1, 400 // len(texts))
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            fault_signal(text)
    average = (time.perf_counter() - start) / (rounds * len(texts))
    assert average < 0.002, f"{average * 1000:.3f} ms per call"
