# ruff: noqa: E501 - the corpus lines are data: one message per line reads better than wrapped strings.
"""Writes redaction_corpus.jsonl: operator messages in the six languages, labelled with the personal
data they carry ("pii": kind and value) and the technical strings that must survive ("keep").

Run `python core/tests/data/make_redaction_corpus.py` after changing it; the output is committed and
the generator is deterministic (fixed seed), so a diff of the .jsonl shows what changed.

The messages are written the way operators write to support (greetings, a fault, a reading, a way to
call back), and the values are fake but valid in format: phone numbers that `phonenumbers` accepts
for their region, Luhn-valid card numbers, IBANs with correct check digits, national identity numbers
with correct check digits. Look-alikes (part numbers, fault codes, serials, readings, dates, firmware)
are mixed into the same messages and also make up messages of their own.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import phonenumbers
from stdnum import iban, luhn
from stdnum.es import dni
from stdnum.gr import amka
from stdnum.no import fodselsnummer, kontonr
from stdnum.tr import tckimlik

OUT = Path(__file__).with_name("redaction_corpus.jsonl")
rng = random.Random(20260413)

REGIONS = {"en": ("GB", "US"), "el": ("GR",), "ar": ("SA", "AE"), "es": ("ES",), "tr": ("TR",), "nb": ("NO",)}
NAMES = {
    "en": ["Lars Berg", "John Miller", "Sarah Collins", "David Hughes", "Emma Wright", "Tom Baker"],
    "el": ["Γιώργος Παπαδάκης", "Νίκος Παπαδόπουλος", "Ελένη Κάρρα", "Μαρία Ιωάννου", "Κώστας Δημητρίου"],
    "ar": ["أحمد الراشد", "محمد العتيبي", "خالد المنصوري", "سارة القحطاني", "عمر الشمري"],
    "es": ["Carmen Ruiz", "Javier Moreno", "Lucía Fernández", "Pablo García", "Marta Sánchez"],
    "tr": ["Mehmet Yılmaz", "Ayşe Demir", "Mustafa Kaya", "Elif Şahin", "Emre Çelik"],
    "nb": ["Kari Nordmann", "Ola Hansen", "Ingrid Johansen", "Bjørn Olsen", "Sigrid Larsen"],
}
LATIN = {
    "el": ["giorgos.papadakis", "n.papadopoulos", "eleni.karra", "m.ioannou"],
    "ar": ["ahmed.rashid", "m.alotaibi", "khaled.m", "omar.shammari"],
}
DOMAINS = ["seafarm.gr", "nordfjordsalmon.no", "aegean-aqua.com", "gmail.com", "outlook.com", "fish-co.com.tr"]

PARTS = ["AB-HF-2210", "AB4-2210", "AB31-PS-1120", "AB40-BD-0300", "AB-NZ-0415", "HP-SEAL-22", "AB-OR-0021"]
CODES = ["E-117", "P-227", "E-04", "P-206", "E-17", "F-12", "A-301"]
SERIALS = ["AB40-2023-0117", "AB31-2019-0042", "AB40-2024-0311", "AB31-2020-0158"]
FIRMWARE = ["V3.1B", "V4.0", "V2.8", "4.0.12", "3.2.7", "V4.1.3"]


def pick(values):
    return rng.choice(values)


def phone(lang: str, international: bool) -> str:
    region = pick(REGIONS[lang])
    for _ in range(1000):
        kind = pick([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
        example = phonenumbers.example_number_for_type(region, kind)
        national = str(example.national_number)
        keep = max(2, len(national) - 6)
        candidate = national[:keep] + "".join(rng.choice("0123456789") for _ in range(len(national) - keep))
        number = phonenumbers.parse(candidate, region)
        if phonenumbers.is_valid_number(number):
            break
    if international:
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return rng.choice([formatted, formatted, formatted.replace("+", "00", 1), formatted.replace(" ", "")])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def email(lang: str) -> str:
    if lang in LATIN:
        user = pick(LATIN[lang])
    else:
        user = pick(NAMES[lang]).lower().replace(" ", pick([".", "_", ""]))
        user = user.translate(str.maketrans("ıışçğüöøåéíá", "iiscguooaeia"))
    return f"{user}@{pick(DOMAINS)}"


def card() -> str:
    prefix, length = pick([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16), ("4", 13)])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    number = body + luhn.calc_check_digit(body)
    style = rng.randrange(3)
    if style == 0 or length != 16:
        return number
    groups = [number[i : i + 4] for i in range(0, 16, 4)]
    return (" " if style == 1 else "-").join(groups)


IBAN_BBAN = {"GR": 23, "ES": 20, "NO": 11, "TR": 22, "SA": 20, "AE": 19, "DE": 18}


def make_iban(country: str) -> str:
    # Some countries check digits inside the account number too (Spain, Norway): draw until valid.
    while True:
        value = _iban_candidate(country)
        if iban.is_valid(value):
            return iban.format(value) if rng.random() < 0.7 else value


def _iban_candidate(country: str) -> str:
    if country == "GB":
        bban = "NWBK" + "".join(rng.choice("0123456789") for _ in range(14))
    else:
        bban = "".join(rng.choice("0123456789") for _ in range(IBAN_BBAN[country]))
        if country == "TR":
            bban = bban[:5] + "0" + bban[6:]
    return country + iban.calc_check_digits(country + "00" + bban) + bban


IBAN_COUNTRY = {"en": ("GB", "DE"), "el": ("GR",), "ar": ("SA", "AE"), "es": ("ES",), "tr": ("TR",), "nb": ("NO",)}


def account_no() -> str:
    while True:
        digits = "".join(rng.choice("0123456789") for _ in range(11))
        if kontonr.is_valid(digits):
            return (
                f"{digits[:4]}.{digits[4:6]}.{digits[6:]}"
                if rng.random() < 0.5
                else f"{digits[:4]} {digits[4:6]} {digits[6:]}"
            )


def national_id(lang: str) -> str:
    if lang == "tr":
        base = str(rng.randrange(1, 10)) + "".join(rng.choice("0123456789") for _ in range(8))
        return base + tckimlik.calc_check_digits(base)
    if lang == "es":
        number = "".join(rng.choice("0123456789") for _ in range(8))
        return number + dni.calc_check_digit(number)
    if lang == "nb":
        while True:
            base = f"{rng.randrange(1, 29):02d}{rng.randrange(1, 13):02d}{rng.randrange(60, 99):02d}{rng.randrange(0, 499):03d}"
            try:
                first = fodselsnummer.calc_check_digit1(base)
                value = base + first + fodselsnummer.calc_check_digit2(base + first)
            except Exception:  # a check digit of 10 has no number: try another
                continue
            if fodselsnummer.is_valid(value):
                return value
    while True:  # el: AMKA
        base = f"{rng.randrange(1, 29):02d}{rng.randrange(1, 13):02d}{rng.randrange(50, 99):02d}" + "".join(
            rng.choice("0123456789") for _ in range(4)
        )
        for digit in "0123456789":
            if amka.is_valid(base + digit):
                return base + digit


def secret() -> str:
    letters = "abcdefghkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    core = "".join(rng.choice(letters) for _ in range(rng.randrange(5, 9)))
    return core + str(rng.randrange(10, 999)) + pick(["", "!", "#", ""])


def pin() -> str:
    return "".join(rng.choice("0123456789") for _ in range(4))


def looks() -> dict[str, str]:
    """One set of technical values: the look-alikes a message may carry."""
    bar = pick(["180 bar", "165 bar", "210 bar", "95 bar", "2 500 psi", "140 bar"])
    return {
        "part": pick(PARTS),
        "code": pick(CODES),
        "code2": pick(CODES),
        "serial": pick(SERIALS),
        "fw": pick(FIRMWARE),
        "bar": bar,
        "hours": pick(["1200", "1 180", "3 450", "860", "12 500", "2400"]),
        "date": pick(["12.03.2024", "2024-03-12", "03/04/2025", "28.02.2026", "2025-11-24"]),
        "nm": pick(["45 Nm", "120 Nm", "25 Nm", "80 Nm"]),
        "temp": pick(["65 °C", "72 °C", "58°C"]),
        "rpm": pick(["2 400 rpm", "1800 rpm", "1450 rpm"]),
        "order": "".join(rng.choice("0123456789") for _ in range(10)),
        "sn": "".join(rng.choice("0123456789") for _ in range(8)),
        "time": pick(["14:30", "08:15", "16:45"]),
    }


# Templates: "{pii:kind}" is replaced by a generated value of that kind and labelled; "{name}" is a
# name after a cue; the technical fields come from looks() and are labelled to keep.
TEMPLATES = {
    "en": [
        "Hi, my name is {name}. The pump on {serial} stops at {bar} with {code}, please call me on {phone_intl}.",
        "Pressure drops from {bar} after {hours} h. You can reach me at {email} or {phone_nat}.",
        "Ordered {part} last week, card {card} was charged twice. Can you check? Order {order}.",
        "Please refund to IBAN {iban}, the seal kit {part} was the wrong one for {fw}.",
        "Torque on the nozzle head is {nm}, firmware {fw}, still {code}. Call {phone_intl} after {time}.",
        "Login for the service laptop: password: {secret}. Error {code} since {date}.",
        "The wifi password is {secret}, the controller shows {code2} and {temp}.",
        "Machine {serial} shows {code} at {hours} h, oil at {temp}.\nThanks,\n{name}",
        "This is {name} from the Nordfjord site, {rpm} and {bar}, alarm {code}. Mobile {phone_nat}.",
        "Send the invoice for {part} to {email}, account no. {account_gb}, sort code 20-45-67.",
        "Serial no. {sn}, {hours} h on the counter, replaced {part} on {date}, torque {nm}.",
        "{code} again after the update to {fw}. Regards,\n{name}",
        "My SSN is {ssn}, the warranty form for {serial} asks for it. Fault {code}.",
        "Used card {card} for {part}; machine at {hours} h, {bar}.",
    ],
    "el": [
        "Γεια σας, με λένε {name}. Η αντλία στο {serial} σταματά στα {bar} με {code}, τηλ. {phone_nat}.",
        "Η πίεση πέφτει από {bar} μετά από {hours} ώρες. Email: {email}, κινητό {phone_intl}.",
        "Παρήγγειλα το {part} και η κάρτα {card} χρεώθηκε δύο φορές. Παραγγελία {order}.",
        "Επιστροφή χρημάτων στο IBAN {iban} παρακαλώ, το {part} δεν ταιριάζει στο {fw}.",
        "Ροπή στο ακροφύσιο {nm}, firmware {fw}, ακόμα {code}. Καλέστε με στο {phone_nat} μετά τις {time}.",
        "Ο κωδικός πρόσβασης του tablet είναι {secret}, σφάλμα {code} από {date}.",
        "Το μηχάνημα {serial} δείχνει {code} στις {hours} ώρες, λάδι {temp}.\nΕυχαριστώ,\n{name}",
        "Ονομάζομαι {name}, {rpm} και {bar}, συναγερμός {code2}. Το κινητό μου {phone_nat}.",
        "ΑΜΚΑ {national_id} για τη φόρμα εγγύησης του {serial}. Σφάλμα {code}.",
        "Σειριακός αριθμός {sn}, {hours} ώρες στον μετρητή, άλλαξα το {part} στις {date}, ροπή {nm}.",
        "Στείλτε το τιμολόγιο για το {part} στο {email}. Φιλικά,\n{name}",
        "Πληρωμή με κάρτα {card}, μηχάνημα στις {hours} ώρες και {bar}.",
    ],
    "ar": [
        "مرحبا، اسمي {name}. المضخة في {serial} تتوقف عند {bar} مع {code}، اتصل بي على {phone_intl}.",
        "الضغط ينخفض من {bar} بعد {hours} ساعة. بريدي {email} وجوالي {phone_nat}.",
        "طلبت {part} وتم خصم البطاقة {card} مرتين. رقم الطلب {order}.",
        "أرجو إعادة المبلغ إلى الآيبان {iban}، القطعة {part} لا تناسب {fw}.",
        "عزم الدوران على الفوهة {nm}، البرنامج {fw}، وما زال الخطأ {code}. رقمي {phone_intl}.",
        "كلمة المرور للجهاز اللوحي: {secret}، الخطأ {code} منذ {date}.",
        "الآلة {serial} تعرض {code} عند {hours} ساعة، الزيت {temp}.\nمع تحياتي،\n{name}",
        "أنا اسمي {name}، {rpm} و{bar}، إنذار {code2}. هاتف {phone_nat}.",
        "الرقم التسلسلي {sn}، {hours} ساعة على العداد، غيرت {part} بتاريخ {date}، العزم {nm}.",
        "أرسلوا الفاتورة الخاصة بـ {part} إلى {email}. شكرا،\n{name}",
        "دفعت بالبطاقة {card}، الآلة عند {hours} ساعة و{bar}.",
        "رقم الحساب {account_gb} لتحويل مبلغ الضمان، الآلة {serial}.",
    ],
    "es": [
        "Hola, me llamo {name}. La bomba del {serial} se para a {bar} con {code}, llámame al {phone_nat}.",
        "La presión baja de {bar} después de {hours} horas. Mi correo es {email}, móvil {phone_intl}.",
        "Pedí el {part} y la tarjeta {card} se cobró dos veces. Pedido {order}.",
        "Devolución al IBAN {iban} por favor, el {part} no sirve para la {fw}.",
        "Par de apriete de la boquilla {nm}, firmware {fw}, sigue el {code}. Teléfono {phone_intl} a partir de las {time}.",
        "La contraseña del portátil es {secret}, error {code} desde el {date}.",
        "La máquina {serial} marca {code} a las {hours} horas, aceite a {temp}.\nUn saludo,\n{name}",
        "Soy {name}, de la granja de Galicia: {rpm} y {bar}, alarma {code2}. Mi número {phone_nat}.",
        "Mi DNI es {national_id}, lo pide la garantía del {serial}. Fallo {code}.",
        "Número de serie {sn}, {hours} horas en el contador, cambié el {part} el {date}, par {nm}.",
        "Enviad la factura del {part} a {email}. Gracias,\n{name}",
        "Pagué con la tarjeta {card}, la máquina tiene {hours} horas y {bar}.",
    ],
    "tr": [
        "Merhaba, benim adım {name}. {serial} üzerindeki pompa {bar} basınçta {code} ile duruyor, tel: {phone_nat}.",
        "Basınç {hours} saatten sonra {bar} değerinden düşüyor. E-posta {email}, cep {phone_intl}.",
        "{part} sipariş ettim, {card} numaralı kart iki kez çekildi. Sipariş {order}.",
        "Lütfen ücreti IBAN {iban} hesabına iade edin, {part} {fw} için uygun değil.",
        "Meme sıkma torku {nm}, yazılım {fw}, hâlâ {code}. {time} sonrası {phone_intl} numaradan arayın.",
        "Tabletin şifresi: {secret}, {date} tarihinden beri {code} hatası.",
        "{serial} makinesi {hours} saatte {code} gösteriyor, yağ {temp}.\nSaygılarımla,\n{name}",
        "Ben Ege çiftliğinden, adım {name}; {rpm} ve {bar}, alarm {code2}. Numaram {phone_nat}.",
        "TC kimlik numaram {national_id}, {serial} garanti formu için. Arıza {code}.",
        "Seri no {sn}, sayaçta {hours} saat, {date} tarihinde {part} değiştirdim, tork {nm}.",
        "{part} faturasını {email} adresine gönderin. Teşekkürler,\n{name}",
        "Kartla ödedim: {card}. Makine {hours} saatte ve {bar}.",
    ],
    "nb": [
        "Hei, jeg heter {name}. Pumpa på {serial} stopper på {bar} med {code}, ring meg på {phone_nat}.",
        "Trykket faller fra {bar} etter {hours} timer. E-post {email}, mobil {phone_intl}.",
        "Bestilte {part}, og kortet {card} ble belastet to ganger. Ordre {order}.",
        "Refunder til IBAN {iban}, takk. {part} passer ikke til {fw}.",
        "Tiltrekkingsmoment på dysen er {nm}, firmware {fw}, fortsatt {code}. Ring {phone_intl} etter {time}.",
        "Passordet til nettbrettet er {secret}, feilkode {code} siden {date}.",
        "Maskin {serial} viser {code} ved {hours} timer, olje {temp}.\nMed vennlig hilsen\n{name}",
        "Dette er {name} fra anlegget i Nordfjord: {rpm} og {bar}, alarm {code2}. Tlf {phone_nat}.",
        "Fødselsnummeret mitt er {national_id}, garantiskjemaet for {serial} spør om det. Feil {code}.",
        "Serienummer {sn}, {hours} timer på telleren, byttet {part} {date}, moment {nm}.",
        "Send fakturaen for {part} til {email}. Kontonummer {account}.\nHilsen {name}",
        "Betalte med kort {card}, maskinen har {hours} timer og {bar}.",
    ],
}

# Messages without personal data: readings, codes and parts in the operator's words.
PLAIN = {
    "en": [
        "{code} on {serial} at {hours} h, pressure {bar}, firmware {fw}.",
        "Changed {part} on {date} at {time}, torque {nm}, running {rpm}.",
        "Order {order} for {part}: when will it arrive? Machine {fw}, {hours} h.",
        "S/N {sn}: {code} then {code2}, oil {temp}, {bar}.",
    ],
    "el": [
        "{code} στο {serial} στις {hours} ώρες, πίεση {bar}, έκδοση {fw}.",
        "Άλλαξα το {part} στις {date} {time}, ροπή {nm}, {rpm}.",
        "Παραγγελία {order} για {part}: πότε θα έρθει; Μηχάνημα {fw}, {hours} ώρες.",
        "S/N {sn}: {code} και μετά {code2}, λάδι {temp}, {bar}.",
    ],
    "ar": [
        "{code} في {serial} عند {hours} ساعة، الضغط {bar}، الإصدار {fw}.",
        "غيرت {part} بتاريخ {date} الساعة {time}، العزم {nm}، {rpm}.",
        "الطلب {order} للقطعة {part}: متى يصل؟ الآلة {fw}، {hours} ساعة.",
        "الرقم التسلسلي {sn}: {code} ثم {code2}، الزيت {temp}، {bar}.",
    ],
    "es": [
        "{code} en la {serial} a las {hours} horas, presión {bar}, versión {fw}.",
        "Cambié el {part} el {date} a las {time}, par {nm}, {rpm}.",
        "Pedido {order} del {part}: ¿cuándo llega? Máquina {fw}, {hours} horas.",
        "Nº de serie {sn}: {code} y luego {code2}, aceite {temp}, {bar}.",
    ],
    "tr": [
        "{serial} üzerinde {hours} saatte {code}, basınç {bar}, sürüm {fw}.",
        "{date} {time} tarihinde {part} değiştirdim, tork {nm}, {rpm}.",
        "{part} için sipariş {order}: ne zaman gelir? Makine {fw}, {hours} saat.",
        "Seri no {sn}: {code} sonra {code2}, yağ {temp}, {bar}.",
    ],
    "nb": [
        "{code} på {serial} ved {hours} timer, trykk {bar}, versjon {fw}.",
        "Byttet {part} {date} kl. {time}, moment {nm}, {rpm}.",
        "Ordre {order} på {part}: når kommer den? Maskin {fw}, {hours} timer.",
        "Serienummer {sn}: {code} og så {code2}, olje {temp}, {bar}.",
    ],
}

# Written by hand, one by one, as operators write: (language, text, [(kind, value)], [kept]).
HAND = [
    (
        "en",
        "Hi, I'm Tom Baker, the V4.0 shows E-117 after 1 180 h. Call me back on 07911 123456.",
        [("name", "Tom Baker"), ("phone", "07911 123456")],
        ["V4.0", "E-117", "1 180 h"],
    ),
    (
        "en",
        "my email is t.baker@seafarm.co.uk - pressure only 165 bar since the firmware update to V3.1B",
        [("email", "t.baker@seafarm.co.uk")],
        ["165 bar", "V3.1B"],
    ),
    (
        "en",
        "Filter AB-HF-2210 and nozzle set AB-NZ-0415 ordered on 2025-03-14, torque 45 Nm, still P-227.",
        [],
        ["AB-HF-2210", "AB-NZ-0415", "2025-03-14", "45 Nm", "P-227"],
    ),
    ("en", "Our office number is +1 202 555 0143, ask for the site manager.", [("phone", "+1 202 555 0143")], []),
    (
        "en",
        "api key for the telemetry box: sk-live-9fQ2kLm7Xc4Rt8Vb1Nz5 (please don't share)",
        [("secret", "sk-live-9fQ2kLm7Xc4Rt8Vb1Nz5")],
        [],
    ),
    (
        "en",
        "Machine AB31-2019-0042, 12 500 h, 2 400 rpm, oil 72 °C, 25 l/min, 24 V at the sensor.",
        [],
        ["AB31-2019-0042", "12 500 h", "2 400 rpm", "72 °C", "25 l/min", "24 V"],
    ),
    (
        "en",
        "Cheers,\nDavid Hughes\nSite lead, +44 7911 654321",
        [("name", "David Hughes"), ("phone", "+44 7911 654321")],
        [],
    ),
    (
        "en",
        "Between 08:30 and 17:00 on 03/04/2025 the V2.8 threw E-04 twice.",
        [],
        ["08:30", "17:00", "03/04/2025", "V2.8", "E-04"],
    ),
    (
        "el",
        "Καλησπέρα, είμαι ο Κώστας Δημητρίου από την Αίγινα, το V4.0 βγάζει E-117 στις 2 400 ώρες.",
        [("name", "Κώστας Δημητρίου")],
        ["V4.0", "E-117", "2 400 ώρες"],
    ),
    (
        "el",
        "Το email μου: k.dimitriou@aegean-aqua.com, τηλέφωνο 210 323 4567.",
        [("email", "k.dimitriou@aegean-aqua.com"), ("phone", "210 323 4567")],
        [],
    ),
    (
        "el",
        "Άλλαξα φίλτρο AB-HF-2210 στις 12/03/2025, ροπή 45 Nm, πίεση 180 bar, έκδοση V3.1B.",
        [],
        ["AB-HF-2210", "12/03/2025", "45 Nm", "180 bar", "V3.1B"],
    ),
    ("el", "Ο κωδικός σφάλματος είναι P-227 και μετά E-04.", [], ["P-227", "E-04"]),
    (
        "el",
        "Στείλτε τα χρήματα στο GR67 0810 0010 0000 0012 3456 789 παρακαλώ.",
        [("iban", "GR67 0810 0010 0000 0012 3456 789")],
        [],
    ),
    ("el", "Με εκτίμηση,\nΜαρία Ιωάννου", [("name", "Μαρία Ιωάννου")], []),
    (
        "ar",
        "السلام عليكم، اسمي خالد المنصوري، الماكينة V4.0 تعطي الخطأ E-117 عند 1500 ساعة.",
        [("name", "خالد المنصوري")],
        ["V4.0", "E-117", "1500 ساعة"],
    ),
    (
        "ar",
        "جوالي ٠٥٥١٢٣٤٥٦٧ والبريد khaled.m@outlook.com",
        [("phone", "٠٥٥١٢٣٤٥٦٧"), ("email", "khaled.m@outlook.com")],
        [],
    ),
    (
        "ar",
        "الضغط 180 bar والعزم 45 Nm بعد تركيب القطعة AB31-PS-1120 بتاريخ 2025-01-20.",
        [],
        ["180 bar", "45 Nm", "AB31-PS-1120", "2025-01-20"],
    ),
    ("ar", "اتصل على +971 50 123 4567 بعد الساعة 16:00", [("phone", "+971 50 123 4567")], ["16:00"]),
    ("ar", "الإصدار V3.1B والخطأ P-227 ما زال يظهر.", [], ["V3.1B", "P-227"]),
    (
        "es",
        "Buenas, soy Pablo García, la V3.1B da P-227 a 1 180 horas. Mi móvil: 612 34 56 78.",
        [("name", "Pablo García"), ("phone", "612 34 56 78")],
        ["V3.1B", "P-227", "1 180 horas"],
    ),
    (
        "es",
        "Escribidme a pablo.garcia@gmail.com, el pedido AB-20261124-0003 sigue sin llegar.",
        [("email", "pablo.garcia@gmail.com")],
        ["AB-20261124-0003"],
    ),
    (
        "es",
        "Presión 165–180 bar, 2 400 rpm, par de apriete 45 Nm, firmware 4.0.12.",
        [],
        ["165–180 bar", "2 400 rpm", "45 Nm", "4.0.12"],
    ),
    (
        "es",
        "La cuenta para el reembolso: ES91 2100 0418 4502 0005 1332",
        [("iban", "ES91 2100 0418 4502 0005 1332")],
        [],
    ),
    ("es", "Atentamente,\nMarta Sánchez\nAcuicultura del Norte", [("name", "Marta Sánchez")], []),
    (
        "tr",
        "Merhaba, adım Emre Çelik. V4.0 makinesi 3 450 saatte E-117 veriyor.",
        [("name", "Emre Çelik")],
        ["V4.0", "3 450 saat", "E-117"],
    ),
    (
        "tr",
        "Cep numaram 0532 123 45 67, e-posta emre.celik@fish-co.com.tr",
        [("phone", "0532 123 45 67"), ("email", "emre.celik@fish-co.com.tr")],
        [],
    ),
    (
        "tr",
        "AB-OR-0021 contası 28.02.2026 tarihinde değişti, tork 25 Nm, basınç 95 bar.",
        [],
        ["AB-OR-0021", "28.02.2026", "25 Nm", "95 bar"],
    ),
    ("tr", "Wi-Fi şifresi Balik2024! ama bağlanmıyor, hata F-12.", [("secret", "Balik2024!")], ["F-12"]),
    ("tr", "İyi çalışmalar,\nAyşe Demir", [("name", "Ayşe Demir")], []),
    (
        "nb",
        "Hei, dette er Ola Hansen på Kvitholmen. V3.1B gir P-206 etter 12 500 timer.",
        [("name", "Ola Hansen")],
        ["V3.1B", "P-206", "12 500 timer"],
    ),
    (
        "nb",
        "Ring meg på 412 34 567 eller send e-post til ola.hansen@nordfjordsalmon.no",
        [("phone", "412 34 567"), ("email", "ola.hansen@nordfjordsalmon.no")],
        [],
    ),
    (
        "nb",
        "Byttet AB40-BD-0300 den 14.03.2025, moment 80 Nm, trykk 140 bar, olje 58°C.",
        [],
        ["AB40-BD-0300", "14.03.2025", "80 Nm", "140 bar", "58°C"],
    ),
    ("nb", "Kontonummer 1503 12 34566 for refusjon.", [("account", "1503 12 34566")], []),
    ("nb", "Mvh\nSigrid Larsen", [("name", "Sigrid Larsen")], []),
]

_KEEP_FIELDS = {
    "part": "{part}", "code": "{code}", "code2": "{code2}", "serial": "{serial}", "fw": "{fw}", "bar": "{bar}",
    "hours": "{hours}", "date": "{date}", "nm": "{nm}", "temp": "{temp}", "rpm": "{rpm}", "order": "{order}",
    "sn": "{sn}", "time": "{time}",
}  # fmt: skip


def fill(template: str, lang: str) -> dict:
    values = looks()
    pii = []

    def add(kind: str, value: str) -> str:
        pii.append({"kind": kind, "value": value})
        return value

    generators = {
        "name": lambda: add("name", pick(NAMES[lang])),
        "phone_intl": lambda: add("phone", phone(lang, True)),
        "phone_nat": lambda: add("phone", phone(lang, False)),
        "email": lambda: add("email", email(lang)),
        "card": lambda: add("card", card()),
        "iban": lambda: add("iban", make_iban(pick(IBAN_COUNTRY[lang]))),
        "secret": lambda: add("secret", secret()),
        "account": lambda: add("account", account_no()),
        "account_gb": lambda: add("account", "".join(rng.choice("0123456789") for _ in range(8))),
        "national_id": lambda: add("national_id", national_id(lang)),
        "ssn": lambda: add(
            "national_id", f"{rng.randrange(100, 665)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"
        ),
    }
    text = template
    for key, make in generators.items():
        while "{" + key + "}" in text:
            text = text.replace("{" + key + "}", make(), 1)
    keep = []
    for key, placeholder in _KEEP_FIELDS.items():
        if placeholder in text:
            text = text.replace(placeholder, values[key])
            keep.append(values[key])
    return {"lang": lang, "text": text, "pii": pii, "keep": keep}


def main() -> None:
    lines = []
    for lang, templates in TEMPLATES.items():
        for _ in range(3):
            lines += [fill(template, lang) for template in templates]
        for _ in range(4):
            lines += [fill(template, lang) for template in PLAIN[lang]]
    for lang, text, pii, keep in HAND:
        lines.append(
            {"lang": lang, "text": text, "pii": [{"kind": k, "value": v} for k, v in pii], "keep": keep, "hand": True}
        )
    with OUT.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(lines)} lines, {sum(len(line['pii']) for line in lines)} PII values -> {OUT}")


if __name__ == "__main__":
    main()
