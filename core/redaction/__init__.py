"""Removing personal data from free text before it is stored, logged, embedded, sent to an LLM, put in
an e-mail or published (SPEC §3.8). The one redaction module of the project: every app calls `redact`.

What goes, with the typed, language-neutral token that replaces it:

* `[email]` e-mail addresses; `[link]` URLs that carry a token or credentials (a plain manual URL stays);
* `[phone]` phone numbers, found by `phonenumbers`' matcher with the operator's regions (see
  `phone_regions`); `[card]` payment card numbers (Luhn); `[iban]` IBANs (`python-stdnum`);
* `[account]` bank account numbers after an account word or in Norway's 4.2.5 format (`python-stdnum`);
  `[national_id]` national identity numbers that pass their checksums (NO, TR, GR, ES, US);
* `[secret]` passwords, PINs, tokens and API keys (after their keyword, or by a vendor's token shape);
  `[id]` UUIDs (ABParts user, machine and organisation ids);
* `[name]` a person's name after a cue ("my name is", "με λένε", "me llamo", "benim adım", "jeg heter",
  "اسمي", a sign-off at the end of a line) and names the caller knows; `[machine]` the identifiers of
  the machine the caller names (its serial number, name, site).

What stays: part numbers (AB4-2210, AB-HF-2210), error codes (E-117, P-227), serial numbers of
machines the caller did not name, readings with units (180 bar, 1 200 h, 45 Nm), dates, times,
firmware versions (V3.1B, 4.0.12), ticket numbers. Numbers are judged by checksum, shape and the words
before and after them, never removed wholesale; see `numbers.py` and `vocabulary.py`.

Presidio was considered and not used (docs/decisions/0010-redaction.md).
"""

from __future__ import annotations

from .engine import KINDS, Redaction, phone_regions, redact, redact_recorded, redact_text

__all__ = ["KINDS", "Redaction", "phone_regions", "redact", "redact_recorded", "redact_text"]
