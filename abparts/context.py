"""What the assistant knows about one machine: frozen dataclasses, and the maintenance suggestions.

Built by abparts.selectors.machine_context from ABParts' tables (read-only) and the manuals' service
intervals (abparts.intervals). Plain data: rendering it (prompt facts, API JSON) is the caller's job.
"""

from __future__ import annotations

import math
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .intervals import ServiceInterval

# Intervals below this are operator routines (daily/weekly checks) that ABParts never records as
# maintenance; suggesting them would always say "overdue".
MIN_SUGGESTION_INTERVAL_HOURS = 100
# "due soon" = within this share of the interval before the next service point.
DUE_SOON_SHARE = 0.10
# A service done up to this share of the interval before the point counts for it (a 1 000 h service
# done at 960 h is that service, not a missed one).
EARLY_SERVICE_SHARE = 0.10
# Maintenance records that are not a service (cleaning the rig) do not reset an interval.
NON_SERVICE_TYPES = frozenset({"cleaning"})
MAX_TASKS_PER_SUGGESTION = 5


@dataclass(frozen=True)
class MachineDetails:
    id: uuid.UUID
    name: str
    model_type: str  # "V4.0" | "V3.1B"
    serial_number: str
    status: str  # active | inactive | maintenance | decommissioned
    location: str
    purchase_date: datetime | None
    warranty_expiry_date: datetime | None
    under_warranty: bool
    last_maintenance_date: datetime | None
    next_maintenance_date: datetime | None
    organization_id: uuid.UUID
    organization_name: str


@dataclass(frozen=True)
class HoursReading:
    value: float
    recorded_date: datetime


@dataclass(frozen=True)
class PartUsed:
    part_number: str
    name: str
    quantity: float


@dataclass(frozen=True)
class MaintenanceRecord:
    id: uuid.UUID
    date: datetime
    type: str  # scheduled | unscheduled | repair | inspection | cleaning | calibration | other
    description: str
    hours_at_service: float | None  # from the hours history around `date`; None when not derivable
    parts: tuple[PartUsed, ...]


@dataclass(frozen=True)
class PartUsageRecord:
    date: datetime
    part_number: str
    name: str
    quantity: float
    notes: str


@dataclass(frozen=True)
class MaintenanceSuggestion:
    """A service the manuals call for at `interval_hours`, compared with the machine's hours."""

    status: str  # "overdue" | "due_soon"
    interval_hours: int
    due_at_hours: int  # the service point: overdue = the one passed, due_soon = the next one
    current_hours: float
    hours_overdue: float | None  # overdue: hours since due_at_hours; else None
    hours_until_due: float | None  # due_soon: hours left until due_at_hours; else None
    last_service_date: datetime | None  # newest service record counted (any, when none counts)
    tasks: tuple[ServiceInterval, ...]  # what the manuals say to do, each with its citation


@dataclass(frozen=True)
class MachineContext:
    machine: MachineDetails
    hours: HoursReading | None  # the newest machine_hours row
    maintenance: tuple[MaintenanceRecord, ...]  # newest first
    recent_part_usage: tuple[PartUsageRecord, ...]  # newest first
    suggestions: tuple[MaintenanceSuggestion, ...]  # overdue first, then due soon


class HoursHistory:
    """A machine's hours readings, to estimate the hours at a past date (linear between readings)."""

    def __init__(self, readings: Sequence[tuple[datetime, float]]):
        ordered = sorted(readings)
        self.dates = [date for date, _ in ordered]
        self.values = [value for _, value in ordered]

    def hours_at(self, when: datetime) -> float | None:
        """Estimated hours at `when`; None before the first reading (not derivable)."""
        if not self.dates or when < self.dates[0]:
            return None
        index = bisect_right(self.dates, when)
        if index >= len(self.dates):
            return self.values[-1]  # after the newest reading: at least that (the best we know)
        before_date, before = self.dates[index - 1], self.values[index - 1]
        after_date, after = self.dates[index], self.values[index]
        span = (after_date - before_date).total_seconds()
        if span <= 0:
            return before
        return before + (after - before) * (when - before_date).total_seconds() / span


def maintenance_suggestions(
    *,
    current_hours: float | None,
    history: HoursHistory,
    services: Sequence[tuple[datetime, str]],
    intervals: Sequence[ServiceInterval],
    language: str | None = None,
) -> tuple[MaintenanceSuggestion, ...]:
    """Overdue and due-soon services for a machine at `current_hours`.

    For each interval H of the manuals: the last service point P = floor(hours / H) * H. It is
    overdue when no service record (`services`: (date, maintenance_type)) falls after the machine
    passed P - EARLY_SERVICE_SHARE * H (compared in hours where the history allows, else by date);
    due soon when the next point P + H is within DUE_SOON_SHARE * H. Otherwise nothing is said.
    """
    if current_hours is None:
        return ()
    by_hours: dict[int, list[ServiceInterval]] = {}
    for interval in intervals:
        if interval.hours >= MIN_SUGGESTION_INTERVAL_HOURS:
            by_hours.setdefault(interval.hours, []).append(interval)
    counted = sorted(((date, kind) for date, kind in services if kind not in NON_SERVICE_TYPES), reverse=True)
    suggestions: list[MaintenanceSuggestion] = []
    for every, found in by_hours.items():
        point = math.floor(current_hours / every) * every
        tasks = _tasks(found, language)
        if point >= every:
            threshold = point - EARLY_SERVICE_SHARE * every
            done = next((date for date, _ in counted if _counts(date, threshold, history)), None)
            if done is None:
                suggestions.append(
                    MaintenanceSuggestion(
                        status="overdue",
                        interval_hours=every,
                        due_at_hours=point,
                        current_hours=current_hours,
                        hours_overdue=round(current_hours - point, 2),
                        hours_until_due=None,
                        last_service_date=counted[0][0] if counted else None,
                        tasks=tasks,
                    )
                )
                continue
        next_point = point + every
        if next_point - current_hours <= DUE_SOON_SHARE * every:
            suggestions.append(
                MaintenanceSuggestion(
                    status="due_soon",
                    interval_hours=every,
                    due_at_hours=next_point,
                    current_hours=current_hours,
                    hours_overdue=None,
                    hours_until_due=round(next_point - current_hours, 2),
                    last_service_date=counted[0][0] if counted else None,
                    tasks=tasks,
                )
            )
    suggestions.sort(
        key=lambda s: (
            s.status != "overdue",
            -(s.hours_overdue or 0) if s.status == "overdue" else s.hours_until_due,
            -s.interval_hours,
        )
    )
    return tuple(suggestions)


def _counts(service_date: datetime, threshold_hours: float, history: HoursHistory) -> bool:
    """Whether a service on `service_date` happened at or after `threshold_hours`."""
    hours = history.hours_at(service_date)
    # Before the first reading nothing says the machine had reached the threshold yet: not counted.
    return hours is not None and hours >= threshold_hours


def _tasks(found: list[ServiceInterval], language: str | None) -> tuple[ServiceInterval, ...]:
    """The manuals' tasks for one interval, in the asked language when a manual has it, else English.

    Schedule rows come before sentences that merely mention the interval ("part of the 1 000-hour service").
    """
    found = [interval for interval in found if interval.schedule] or found
    for wanted in (language, "en"):
        chosen = [interval for interval in found if wanted and interval.language == wanted]
        if chosen:
            break
    else:
        chosen = found
    unique: list[ServiceInterval] = []
    seen: set[str] = set()
    for interval in chosen:
        key = interval.task.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(interval)
    return tuple(unique[:MAX_TASKS_PER_SUGGESTION])
