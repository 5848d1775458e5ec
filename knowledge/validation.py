"""Machine-model names: validation of what staff type, and narrowing per section."""

from __future__ import annotations

import re

# AutoBoss generations are named like V4.0, V3.1B, V5.0. "all" (or nothing) means every model.
_MODEL = re.compile(r"^V\d{1,2}\.\d{1,2}[A-Z]?$")
_MENTION = re.compile(r"\bV\s?(\d{1,2}\.\d{1,2}[A-Z]?)\b", re.IGNORECASE)


class MachineModelsError(ValueError):
    pass


def clean_machine_models(values: list[str] | str) -> list[str]:
    """Normalise ["v4.0", "V3.1b"] -> ["V3.1B", "V4.0"]; [] or ["all"] -> [] (every model)."""
    if isinstance(values, str):
        values = [v for v in re.split(r"[,\s]+", values) if v]
    cleaned = set()
    for value in values:
        candidate = str(value).strip().upper()
        if candidate in {"ALL", "*", ""}:
            return []
        if not candidate.startswith("V"):
            candidate = "V" + candidate
        if not _MODEL.match(candidate):
            raise MachineModelsError(f"{value!r} is not a machine model (expected e.g. V4.0 or V3.1B, or 'all').")
        cleaned.add(candidate)
    return sorted(cleaned)


def narrow_machine_models(document_models: list[str], section: str, text: str) -> list[str]:
    """The models a chunk applies to.

    A section heading that names models ("Pump service (V3.1B)") narrows a general document to
    those; otherwise the chunk inherits the document's models. Only the heading counts: body text
    often compares models ("unlike the V3.1B...") without being about them.
    """
    mentioned = sorted({"V" + m.upper() for m in _MENTION.findall(section or "")})
    if not mentioned:
        return list(document_models)
    if document_models:
        narrowed = [m for m in mentioned if m in document_models]
        return narrowed or list(document_models)
    return mentioned
