"""Which language a reply is written in.

Order (SPEC §3.2): the language the client asked for explicitly > the operator's preferred
language (ABParts profile) > the detected language of the message > English.
"""

from __future__ import annotations

from core.text.detect import detect_language
from core.text.languages import LANGUAGES as SUPPORTED
from core.text.languages import normalize_language


def resolve_reply_language(*, explicit: str | None, preferred: str | None, text: str) -> str:
    for candidate in (explicit, preferred):
        code = normalize_language(candidate)
        if code in SUPPORTED:
            return code
    return detect_message_language(text) or "en"


def detect_message_language(text: str) -> str | None:
    code = detect_language(text or "")
    return code if code in SUPPORTED else None
