"""The labelled redaction corpus (core/tests/data/redaction_corpus.jsonl, made by
make_redaction_corpus.py): PII recall must be at least 0.98 and every look-alike (part numbers, fault
codes, serials, readings, dates, firmware) must survive verbatim. The figures are printed
(`pytest -s`) and quoted in docs/privacy.md."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from core.redaction import phone_regions, redact
from core.text.languages import LANGUAGES

CORPUS = Path(__file__).parent / "data" / "redaction_corpus.jsonl"
MIN_RECALL = 0.98


def _lines() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _removed(value: str, redacted: str) -> bool:
    """Gone entirely: not the value, nor (for numbers) its last six digits, nor any word of a name."""
    if value in redacted:
        return False
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7:
        return digits[-6:] not in re.sub(r"\D", "", redacted)
    if not digits:
        return not any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", redacted) for word in value.split())
    return True


def test_corpus_is_large_and_covers_six_languages():
    lines = _lines()
    assert len(lines) >= 300
    per_language = Counter(line["lang"] for line in lines)
    assert set(per_language) == set(LANGUAGES)
    assert min(per_language.values()) >= 40
    kinds = Counter(item["kind"] for line in lines for item in line["pii"])
    assert {"email", "phone", "card", "iban", "account", "national_id", "secret", "name"} <= set(kinds)
    assert sum(1 for line in lines if not line["pii"]) >= 60  # look-alike-only messages


def test_recall_and_look_alike_preservation():
    pii = found = kind_right = keep = kept = untouched_lines = changed_lines = 0
    misses: list[str] = []
    lost: list[str] = []
    per_language: dict[str, list[int]] = {code: [0, 0] for code in LANGUAGES}
    for line in _lines():
        result = redact(line["text"], regions=phone_regions(language=line["lang"]))
        for item in line["pii"]:
            pii += 1
            per_language[line["lang"]][1] += 1
            if _removed(item["value"], result.text):
                found += 1
                per_language[line["lang"]][0] += 1
            else:
                misses.append(f"{item['kind']} {item['value']!r} in {result.text!r}")
        expected_kinds = Counter(item["kind"] for item in line["pii"])
        kind_right += sum(min(count, result.found.get(kind, 0)) for kind, count in expected_kinds.items())
        for value in line["keep"]:
            keep += 1
            if value in result.text:
                kept += 1
            else:
                lost.append(f"{value!r} in {result.text!r}")
        if not line["pii"]:
            untouched_lines += 1
            if result.text != line["text"]:
                changed_lines += 1
                lost.append(f"changed a line without PII: {result.text!r}")
    recall = found / pii
    preservation = kept / keep
    print(
        f"\nredaction corpus: {pii} PII values, recall {recall:.3f} (right kind {kind_right / pii:.3f}); "
        f"{keep} look-alikes, preservation {preservation:.3f}; "
        f"{changed_lines} of {untouched_lines} lines without PII changed"
    )
    print("per language recall: " + ", ".join(f"{c} {f}/{n}" for c, (f, n) in per_language.items()))
    for miss in misses:
        print("missed:", miss)
    assert recall >= MIN_RECALL, misses
    assert preservation == 1.0 and changed_lines == 0, lost
