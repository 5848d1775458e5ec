"""core.redaction: contact details, secrets and known names go; part numbers, codes and readings stay."""

from __future__ import annotations

import time

import pytest

from core.redaction import phone_regions, redact, redact_text

NAMES = ("Nikos Papadopoulos", "Nikos", "Papadopoulos", "nikos.p", "Νίκος")
MACHINE = ("AB40-2023-0117", "Kvitholmen Rig 1", "Kvitholmen site", "Nordfjord")

# (text, expected): exact outputs, so a pattern that eats one character too many fails.
REMOVED = [
    ("Mail nikos.papadopoulos@seafarm.gr today", "Mail [email] today"),
    ("Write to N.Papa+boat@sea-farm.co.uk.", "Write to [email]."),
    ("Call me on +30 691 234 5678.", "Call me on [phone]."),
    ("Phone 0047 412 34 567", "Phone [phone]"),
    ("my number: (210) 123-4567", "my number: [phone]"),
    ("Ring 412 34 567 after lunch", "Ring [phone] after lunch"),
    ("mob. 41234567", "mob. [phone]"),
    ("τηλ. 6912345678", "τηλ. [phone]"),
    ("κινητό: 69 1234 5678", "κινητό: [phone]"),
    ("tlf 412 34 567", "tlf [phone]"),
    ("6912345678 is my mobile", "[phone] is my mobile"),
    ("IBAN GR16 0110 1250 0000 0001 2300 695 please", "IBAN [iban] please"),
    ("iban no9386011117947", "iban [iban]"),
    ("card 4111 1111 1111 1111 exp 12/27", "card [card] exp 12/27"),
    ("card 4111-1111-1111-1111", "card [card]"),
    ("reset at https://abparts.example.com/reset?token=9f8e7d6c5b4a", "reset at [link]"),
    ("see https://files.example.com/s/Ab3dE6gH9jK2mN5pQ8 now", "see [link] now"),
    ("https://user:pw@abparts.example.com/x", "[link]"),
    ("ABParts user 3f2c9a1e-8b7d-4c2a-9e1f-0a2b3c4d5e6f wrote", "ABParts user [id] wrote"),
    ("password: hunter22.", "password: [secret]."),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abc", "Authorization: Bearer [secret]"),
    ("Hi, my name is Carmen Ruiz and the rotor is stuck", "Hi, my name is [name] and the rotor is stuck"),
    ("με λένε Γιώργο, η αντλία", "με λένε [name], η αντλία"),
    # Known names: whole words, any case, with or without accents, longest first.
    ("NIKOS PAPADOPOULOS here", "[name] here"),
    ("thanks nikos!", "thanks [name]!"),
    ("Níkos checked it", "[name] checked it"),
    ("ο ΝΙΚΟΣ και ο Νικος", "ο [name] και ο [name]"),
    ("user nikos.p logged in", "user [name] logged in"),
    # Machine identifiers: the serial number also with other separators.
    ("Serial AB40-2023-0117 on Kvitholmen Rig 1", "Serial [machine] on [machine]"),
    ("serial ab40 2023 0117, or AB4020230117", "serial [machine], or [machine]"),
    ("We are at Kvitholmen site in nordfjord", "We are at [machine] in [machine]"),
]

KEPT = [
    "Pressure is 180 bar at 1 180 h.",
    "Pressure 165–180 bar, 2 400 rpm, 12 500 h, 25 l/min",
    "Replace seal HP-SEAL-22 and kit AB-4021-17, filter AB-HF-2210.",
    "Fault code P-206, then E-17 and P-227.",
    "Ticket AB-20261124-0003 on 2026-11-24 and 24.11.2026 at 14:30.",
    "Serial AB31-2019-0042 of another machine",  # not this machine's: serial numbers are not contact data
    "part 3500-1200-45 and order 1234567890",
    "Check the pin connector and the token bucket; the O-ring 12345678 is fine.",
    "Hours went from 960 to 1 040 to 1 120 in a month.",
    "Version 4.0.12, IP 192.168.1.10, 1.250.000 cycles",
    "The operator and the pump: AutoBoss V4.0 and V3.1B.",
    "Nikolaos and Papadopoulou are other people",  # names that merely start the same
    "The manual is at https://autoboss.example/manuals/v4",
    "Adım 3: filtreyi kontrol edin",  # Turkish "step", not "my name"
    "",
]


@pytest.mark.parametrize(("text", "expected"), REMOVED, ids=[e for _, e in REMOVED])
def test_personal_data_is_replaced(text, expected):
    assert redact_text(text, known_names=NAMES, machine_identifiers=MACHINE) == expected


@pytest.mark.parametrize("text", KEPT)
def test_technical_content_is_kept_verbatim(text):
    assert redact_text(text, known_names=NAMES, machine_identifiers=MACHINE) == text


def test_without_known_names_only_patterns_apply():
    text = "Nikos: pressure 180 bar, call +47 412 34 567"
    assert redact_text(text) == "Nikos: pressure 180 bar, call [phone]"


def test_generic_account_names_and_short_names_do_not_eat_words():
    text = "The operator told support the pump stopped; Al replaced the seal."
    assert redact_text(text, known_names=["operator", "support", "pump", "Al", ""]) == text


def test_invalid_checksums_are_not_taken_for_iban_or_card():
    # Same shapes as an IBAN and a card number, wrong check digits: codes or counters, kept.
    text = "GR17 0110 1250 0000 0001 2300 695 and 4111 1111 1111 1112"
    assert redact_text(text) == text


def test_long_inputs_do_not_backtrack():
    text = ("1" * 5000 + "x ") + ("12 " * 3000) + "+" * 1000 + ("a." * 3000) + "@"
    started = time.perf_counter()
    redact_text(text, known_names=NAMES, machine_identifiers=MACHINE)
    assert time.perf_counter() - started < 1.0


# -- the typed tokens, counts and regions ---------------------------------------------------------


def test_counts_by_kind_without_values():
    result = redact("Mail a.b@example.com or c.d@example.com, card 4111 1111 1111 1111", language="en")
    assert result.text == "Mail [email] or [email], card [card]"
    assert dict(result.found) == {"email": 2, "card": 1}
    assert result.changed
    assert not redact("Pressure 180 bar", language="en").changed


def test_redacting_twice_changes_nothing():
    once = redact_text("με λένε Γιώργο, τηλ. 6912345678, IBAN GR16 0110 1250 0000 0001 2300 695", language="el")
    assert redact_text(once, language="el") == once


@pytest.mark.parametrize(
    ("countries", "language", "expected"),
    [
        (["NO"], "ar", ("NO", "SA", "AE")),  # an Arabic-speaking operator in Norway
        (["UK"], "en", ("GB", "US")),  # ABParts writes "UK"
        (["KSA", ""], "en", ("SA", "GB", "US")),
        ([], "nb", ("NO",)),
        ([], None, ("GB", "US", "GR", "CY", "SA", "AE", "ES", "TR", "NO")),
    ],
)
def test_phone_regions_put_the_operators_countries_first(countries, language, expected):
    assert phone_regions(language=language, countries=countries) == expected


def test_a_national_number_is_read_with_the_operators_country():
    text = "ring meg på 412 34 567"
    assert redact_text(text, regions=phone_regions(language="ar", countries=["NO"])) == "ring meg på [phone]"
    # An 8-digit number without a phone word is not taken for a phone of a country not the operator's.
    assert redact_text("counter 41234567 units", regions=("ES",)) == "counter 41234567 units"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Thanks,\nLars Berg", "Thanks,\n[name]"),
        ("el", "Ονομάζομαι Ελένη Κάρρα και το V4.0 δείχνει E-117", "Ονομάζομαι [name] και το V4.0 δείχνει E-117"),
        ("ar", "مرحبا، اسمي أحمد الراشد والمضخة لا تعمل", "مرحبا، اسمي [name] والمضخة لا تعمل"),
        ("es", "Un saludo,\nCarmen de la Rosa", "Un saludo,\n[name]"),
        ("tr", "Merhaba, benim adım Mehmet Yılmaz; E-117 var", "Merhaba, benim adım [name]; E-117 var"),
        ("nb", "Hei, jeg heter Kari Nordmann og pumpa stopper", "Hei, jeg heter [name] og pumpa stopper"),
        ("en", "Thanks, the pump runs again at 180 bar", "Thanks, the pump runs again at 180 bar"),
        ("tr", "3. Adım: Filtreyi kontrol edin", "3. Adım: Filtreyi kontrol edin"),
        ("en", "Regards,\nAutoBoss V4.0 team", "Regards,\nAutoBoss V4.0 team"),
    ],
)
def test_names_after_a_cue_in_six_languages(language, text, expected):
    assert redact_text(text, language=language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("جوالي ٠٥٥١٢٣٤٥٦٧", "جوالي [phone]"),  # Arabic-Indic digits
        ("Mi DNI es 12345678Z", "Mi DNI es [national_id]"),
        ("TC kimlik numaram 10000000146", "TC kimlik numaram [national_id]"),
        ("Kontonummer 1234.56.78903", "Kontonummer [account]"),
        ("account no. 31926819, sort code 20-45-67", "account no. [account], sort code 20-45-67"),
        ("La contraseña del portátil es Xk29#pq", "La contraseña del portátil es [secret]"),
        ("Ο κωδικός σφάλματος είναι P-227", "Ο κωδικός σφάλματος είναι P-227"),
        ("the password is wrong again", "the password is wrong again"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked", "token [secret] leaked"),
        ("order 4111111111111111 for the filters", "order 4111111111111111 for the filters"),
        ("4875743662042 numaralı kart iki kez çekildi", "[card] numaralı kart iki kez çekildi"),
        ("S/N 41234567 and serial number 41234568", "S/N 41234567 and serial number 41234568"),
    ],
)
def test_other_kinds_and_their_look_alikes(text, expected):
    assert redact_text(text, language="en", regions=("NO", "ES", "TR", "SA")) == expected
