"""The words around personal data, in the six languages: what announces a phone number, a password or
a name, and what announces a code, a part number or a reading (which must be kept).

Hand-written lists: no library knows which words an aquaculture operator puts before a phone number
in Turkish, or that "κωδικός" is both a password and a fault code in Greek.
"""

from __future__ import annotations

import re

# Default phone regions per language (ISO 3166 alpha-2), used with the operator's own countries.
LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("GB", "US"),
    "el": ("GR", "CY"),
    "ar": ("SA", "AE"),
    "es": ("ES",),
    "tr": ("TR",),
    "nb": ("NO",),
}
# ABParts writes some countries in its own way ("UK", "KSA").
COUNTRY_ALIASES = {"UK": "GB", "KSA": "SA", "UAE": "AE", "EL": "GR"}

# Words right before a number that make it a phone number.
PHONE_CUES = (
    "tel", "tél", "phone", "mobile", "mob", "cell", "call", "ring", "reach me", "whatsapp", "viber", "sms", "fax",
    "hotline", "my number", "reach me",
    "τηλ", "κινητ", "τηλέφων", "καλέστε", "πάρτε", "πάρε", "αριθμό μου",
    "teléfono", "telefono", "móvil", "movil", "llam", "mi número", "mi numero",
    "telefon", "numaram", "numaramı", "cep", "ara", "gsm",
    "tlf", "mobil", "nummeret mitt", "ring meg", "ring",
    "هاتف", "جوال", "الجوال", "اتصل", "اتصال", "رقمي", "موبايل", "واتساب",
)  # fmt: skip

# Words right before a number that make it a code, a part, an order or a reading: never a phone,
# card or account number even when the digits would pass the checks.
CODE_CUES = (
    "part", "p/n", "pn", "art", "item", "ref", "serial", "s/n", "sn", "code", "order", "ticket", "error", "fault",
    "alarm", "firmware", "fw", "version", "model", "batch", "lot", "invoice", "counter", "hour meter", "reading",
    "σειριακ", "κωδ", "ανταλλακτικ", "παραγγελ", "σφάλμα", "βλάβη", "έκδοση", "μοντέλο", "μετρητ",
    "serie", "pieza", "referencia", "pedido", "código", "codigo", "error", "fallo", "versión", "contador",
    "seri", "parça", "sipariş", "kod", "hata", "arıza", "sürüm", "sayaç",
    "serienummer", "delenummer", "delenr", "ordre", "feilkode", "kode", "feil", "alarm", "teller", "versjon",
    "التسلسلي", "القطعة", "قطعة", "الطلب", "طلب", "رمز", "كود", "خطأ", "عطل", "الإصدار", "العداد",
)  # fmt: skip

# A number followed by one of these is a reading ("1 180 h", "45 Nm", "12 500 000 h").
_UNITS = (
    r"bar|psi|mpa|kpa|h|hrs?|hours?|ώρες|ωρ|timer|t|saat|horas?|ساعة|ساعات|بار|rpm|u/min|mm|cm|m|km|kg|g|l|lt|"
    r"l/min|lpm|°c?|º|%|v|hz|kw|w|nm|min|mins|sec|€|eur|nok|usd|tl|pcs|stk|adet|τεμ"
)
UNIT_AFTER_RE = re.compile(rf"(?i)^[\s\u00a0\u202f]?(?:{_UNITS})(?![^\W\d_])")

# "password: hunter22", "şifre=abc123"; the value must follow a separator.
SECRET_KEYS = (
    "password", "passwd", "pwd", "passcode", "pin", "pin code", "token", "api key", "api-key", "apikey", "secret",
    "access code", "login", "wifi password", "wi-fi password",
    "κωδικός πρόσβασης", "κωδικός", "συνθηματικό",
    "contraseña", "clave", "código de acceso",
    "şifre", "şifrem", "şifresi", "şifreniz", "parola", "parolam", "parolası",
    "passord", "passordet", "pinkode",
    "كلمة المرور", "كلمة السر", "الرقم السري", "رمز الدخول",
)  # fmt: skip
# Keys that are no everyday word: "password hunter22", "şifrem 1234abc" need no separator.
SECRET_KEYS_ALONE = (
    "password", "passwd", "passcode", "contraseña", "şifre", "şifrem", "şifresi", "parola", "parolam", "passord",
    "passordet",
)  # fmt: skip
# "my password is Hunter22": the value follows a verb, so it must look like a password (a digit,
# a symbol or mixed case) — "the password is wrong" keeps its last word.
SECRET_VERBS = ("is", "es", "είναι", "er", "هي", "هو", "olarak")

# Words that announce a payment card (in Turkish after the number: "... numaralı kart").
CARD_CUES = ("card", "visa", "mastercard", "amex", "κάρτα", "tarjeta", "kart", "kortet", "kort", "بطاقة", "البطاقة")

# Words after which an account (bank) number follows.
ACCOUNT_CUES = (
    "account", "acct", "a/c", "sort code", "bank", "λογαριασμ", "cuenta", "hesap", "konto", "kontonummer",
    "حساب", "الحساب",
)  # fmt: skip

# Phrases after which a person's name follows. Matched case-insensitively at a word boundary.
NAME_INTROS = (
    "my name is", "name is", "i am", "i'm", "i’m", "this is", "name:", "signed",
    "με λένε", "ονομάζομαι", "το όνομά μου είναι", "όνομα:", "είμαι ο", "είμαι η",
    "me llamo", "mi nombre es", "soy", "nombre:", "habla",
    "benim adım", "adım", "ismim", "isim:", "ad soyad:", "adı soyadı:",
    "jeg heter", "mitt navn er", "navnet mitt er", "navn:", "dette er",
    "اسمي", "أنا اسمي", "انا اسمي", "الاسم:", "إسمي",
)  # fmt: skip
# Sign-offs: the name comes after them at the end of the message or of a line.
NAME_SIGNOFFS = (
    "regards", "best regards", "kind regards", "best", "thanks", "thank you", "cheers", "br", "sincerely",
    "ευχαριστώ", "φιλικά", "με εκτίμηση", "χαιρετισμούς", "ευχαριστώ πολύ",
    "saludos", "un saludo", "atentamente", "gracias", "muchas gracias",
    "saygılarımla", "teşekkürler", "iyi çalışmalar", "selamlar", "teşekkür ederim",
    "hilsen", "mvh", "med vennlig hilsen", "vennlig hilsen", "takk",
    "شكرا", "شكراً", "تحياتي", "مع تحياتي", "مع خالص التحية", "مع الشكر", "وشكرا",
)  # fmt: skip

# Capitalised words that follow a name cue but are not names: product words, sentence starters,
# words that announce the problem. Folded (lower case, no accents).
NOT_NAMES = frozenset(
    """
    autoboss abparts oraseas bossaqua nordfjord aegean v4 v3 the a an it i we my our your this that here there
    pump machine rig boat engine filter nozzle hose valve motor operator technician support team service
    not still having calling writing back new from with at on in again also sure sorry glad happy urgent
    el la los las un una mi yo que de del bomba maquina equipo
    o η οι το τα ο ενας μια απο με στο στη αντλια μηχανη
    ve bir bu su ben biz pompa makine
    og en et ei jeg vi det den pumpa pumpe maskin maskinen
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Arabic has no capitals: after a cue, these words end the name (and, in, the pump...).
ARABIC_NOT_NAMES = frozenset(
    """
    و في من على عن مع هذا هذه عندي لدي المضخة الماكينة الآلة الجهاز الضغط الفلتر الفني المشغل من فريق شركة
    أعمل اعمل مشكلة عندنا لا لم
    """.split()  # noqa: SIM905
)
