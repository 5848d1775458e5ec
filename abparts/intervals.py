"""Service intervals read from the manuals in the knowledge base ("every 500 h: replace the filter").

Preventive-maintenance suggestions compare a machine's hours with these intervals, so the intervals
come from the same manuals the assistant cites, never from a hard-coded table. A line counts as an
interval when it says so explicitly ("every 1 000 operating hours", "1000-hour service", "κάθε 500
ώρες", "cada 500 horas", "her 500 saatte bir", "hver 500. driftstime", "كل 500 ساعة") or when it is a
row / list line of a maintenance schedule that starts with an hours value ("500 h | Replace ...").

The result is cached per machine model in this process and rebuilt when the set of ready documents
changes (a fingerprint query per call: count, newest id, newest change of ready documents).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count, Max, Q

from knowledge.ingestion.chunking import PATH_SEPARATOR
from knowledge.models import Chunk, Document, DocumentStatus

# Shorter intervals are daily/weekly operator checks (or not intervals at all: "after 2 hours").
MIN_INTERVAL_HOURS = 10
MAX_INTERVAL_HOURS = 100_000
MAX_TASK_CHARS = 300

# 1000, 1 000 (space, no-break, thin, narrow no-break), 1,000, 1.000, 1'000, ١٬٠٠٠ (Arabic separator).
_NUMBER = r"(?<![\w.,])(?P<num>\d{1,3}(?:[ \u00a0\u2009\u202f.,'\u066c]\d{3}(?!\d))+|\d{1,6})"
# The unit, in the six languages: h/hr/hrs/hour/hours, ώρα/ώρες/ωρών, hora/horas, saat/saatlik/saatinde,
# time/timer/driftstimer, ساعة/ساعات.
_UNIT = r"(?:h(?:ours?|rs?)?|[ωώ]ρ(?:ες|ών|ων|α)|horas?|saat\w*|(?:drifts)?tim(?:er|ers|e)|ساع(?:ة|ات|ه))"
_QUALIFIER = r"(?:(?:operating|running|engine|machine|service|çalışma)\s+)?"
_HOURS = _NUMBER + r"\s*(?:-\s*|\.\s*)?" + _QUALIFIER + _UNIT
_END = r"(?![^\W\d_])"  # not followed by a letter ("500 h" but not "500 high")
_EVERY = r"(?:every|each|κάθε|ανά|cada|her|hver|hvert|كل)"
_SERVICE = (
    r"(?:service|servicing|maintenance|inspection|overhaul|σέρβις|συντήρηση[ςσ]?|επιθεώρηση|servicio|"
    r"mantenimiento|revisi[oó]n|inspecci[oó]n|bak[ıi]m[ıi]?|servis|vedlikehold|ettersyn|صيانة|خدمة)"
)

_EXPLICIT = [
    # every 500 h / cada 500 horas / κάθε 500 ώρες / her 500 saatte bir / hver 500. driftstime / كل 500 ساعة
    re.compile(_EVERY + r"\s+" + _HOURS + _END, re.IGNORECASE),
    # 1000-hour service / 500 h service / 500 saatlik bakım / 500-timersservice
    re.compile(_HOURS + r"[\s-]*" + _SERVICE, re.IGNORECASE),
    # servicio de 500 horas / σέρβις 500 ωρών / service at 500 h / صيانة 500 ساعة
    re.compile(_SERVICE + r"\s+(?:(?:de|of|at|των|ved)\s+(?:las\s+|los\s+)?)?" + _HOURS + _END, re.IGNORECASE),
]
# A schedule row/line that starts with the hours value: "500 h | Replace ...", "- 500 h: grease ...".
_LEADING = re.compile(r"^(?:" + _EVERY + r"\s+)?" + _HOURS + _END, re.IGNORECASE)
_ANYWHERE = re.compile(_HOURS + _END, re.IGNORECASE)
_INTERVAL_CELL_CHARS = 40
_BULLET = re.compile(r"^\s*(?:[-•*–·]|\d{1,2}[.)])\s+")
# A chunk is part of a maintenance schedule when its heading or text says so.
_SCHEDULE_CONTEXT = re.compile(
    r"maint|servic|interval|schedule|συντήρησ|σέρβις|διαστήμ|mantenimiento|intervalo|revisi|bakım|aralı|"
    r"vedlikehold|intervall|ettersyn|صيانة|جدول",
    re.IGNORECASE,
)
# What PostgreSQL filters on before anything is loaded: a digit followed by an hours unit.
_SQL_PREFILTER = r"[0-9٠-٩]\s*[-.]?\s*(operating |running |çalışma )?(h|ώρ|ωρ|hora|saat|drifts|tim|ساع)"


@dataclass(frozen=True)
class ServiceInterval:
    """One interval a manual gives, with where it says so (for a citation)."""

    hours: int
    task: str  # the schedule row or line, trimmed
    document_id: int
    document_title: str
    page: int
    language: str
    chunk_id: int
    schedule: bool = True  # a row/line of a maintenance schedule (False: a sentence that mentions it)


class IntervalLine(NamedTuple):
    hours: int
    task: str
    schedule: bool  # a table row, a list line or a section under an interval heading; False for prose


def _hours_value(raw: str) -> int | None:
    digits = re.sub(r"[ \u00a0\u2009\u202f.,'\u066c]", "", raw)
    try:
        value = int(digits)  # int() reads Arabic-Indic digits too
    except ValueError:
        return None
    return value if MIN_INTERVAL_HOURS <= value <= MAX_INTERVAL_HOURS else None


def _clean_line(line: str) -> str:
    text = _BULLET.sub("", line).strip().strip("|").strip()
    text = re.sub(r"\s+", " ", text)
    return text[:MAX_TASK_CHARS]


def _schedule_row_hours(line: str) -> int | None:
    """The hours of a maintenance-schedule row ("500 h | Replace ...") or list line ("- 500 h: ...")."""
    if "|" in line:
        # Any short cell holding an hours value ("Every 12 months or 500 h"); long cells are task
        # text, where "after 2 hours" is not an interval.
        for cell in line.split("|"):
            cell = cell.strip()
            match = _ANYWHERE.search(cell) if len(cell) <= _INTERVAL_CELL_CHARS else None
            value = _hours_value(match.group("num")) if match else None
            if value:
                return value
        return None
    if _BULLET.match(line):
        match = _LEADING.match(_BULLET.sub("", line))
        return _hours_value(match.group("num")) if match else None
    return None


def intervals_in_text(text: str, *, section: str = "") -> list[IntervalLine]:
    """(hours, task, schedule) for every service-interval line of a chunk's text (see the module docstring)."""
    found: list[IntervalLine] = []
    schedule = bool(_SCHEDULE_CONTEXT.search(section) or _SCHEDULE_CONTEXT.search(text))
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        value = next(
            (v for pattern in _EXPLICIT for m in pattern.finditer(line) if (v := _hours_value(m.group("num")))), None
        )
        if value is None and schedule:
            value = _schedule_row_hours(line)
        if value:
            entry = IntervalLine(value, _clean_line(line), "|" in line or bool(_BULLET.match(line)))
            if entry not in found:
                found.append(entry)
    # A heading that is itself the interval ("Every 500 hours") applies to the section's text.
    heading = section.split(PATH_SEPARATOR)[-1].strip() if section else ""
    if heading and not found:
        for pattern in [*_EXPLICIT, _LEADING]:
            match = pattern.search(heading)
            value = _hours_value(match.group("num")) if match else None
            if value:
                lines = [_clean_line(line) for line in text.splitlines() if line.strip()]
                found.append(IntervalLine(value, _clean_line(f"{heading}: {'; '.join(lines)}"), True))
                break
    return found


def _fingerprint() -> tuple:
    ready = Document.objects.filter(status=DocumentStatus.READY).aggregate(
        count=Count("id"), newest=Max("id"), changed=Max("updated_at")
    )
    return (ready["count"], ready["newest"], ready["changed"])


def _load(machine_model: str) -> tuple[ServiceInterval, ...]:
    chunks = (
        Chunk.objects.filter(document__status=DocumentStatus.READY)
        .filter(Q(machine_models__contains=[machine_model]) | Q(machine_models=[]))
        .filter(Q(text__iregex=_SQL_PREFILTER) | Q(section__iregex=_SQL_PREFILTER))
        .select_related("document")
        .only("id", "text", "section", "page_start", "language", "document__id", "document__title")
        .order_by("document_id", "ordinal")
    )
    intervals: list[ServiceInterval] = []
    for chunk in chunks:
        for hours, task, schedule in intervals_in_text(chunk.text, section=chunk.section):
            intervals.append(
                ServiceInterval(
                    hours=hours,
                    task=task,
                    document_id=chunk.document.id,
                    document_title=chunk.document.title,
                    page=chunk.page_start,
                    language=chunk.language,
                    chunk_id=chunk.id,
                    schedule=schedule,
                )
            )
    return tuple(intervals)


_cache: dict[str, tuple[tuple, tuple[ServiceInterval, ...]]] = {}
_lock = threading.Lock()


def service_intervals(*, machine_model: str) -> tuple[ServiceInterval, ...]:
    """The service intervals the ready manuals give for `machine_model` (or for every model)."""
    fingerprint = _fingerprint()
    with _lock:
        cached = _cache.get(machine_model)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    intervals = _load(machine_model)
    with _lock:
        _cache[machine_model] = (fingerprint, intervals)
    return intervals


def service_intervals_forget() -> None:
    """Drop the cache (tests; the fingerprint normally makes this unnecessary)."""
    with _lock:
        _cache.clear()
