"""Reads of ABParts machine data, scoped to what the requesting identity may see.

Visibility (ABParts' own rule, shared/reference/abparts.md): a user sees the machines of their own
organization (`machines.customer_organization_id`); `super_admin` sees all; an identity without an
ABParts organization (a plain Django login, a demo token of a user without an ABPartsAccount) sees
none.

Errors of ABParts' database (unreachable, tables missing) surface as abparts.db.ABPartsUnavailable
from the functions that evaluate (`machine_get_for_identity`, `machine_context`,
`machines_list_for_identity`); `machines_visible_to` returns a lazy queryset, so whoever evaluates it
should do so inside `abparts_reading()`.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from .context import (
    HoursHistory,
    HoursReading,
    MachineContext,
    MachineDetails,
    MaintenanceRecord,
    PartUsageRecord,
    PartUsed,
    maintenance_suggestions,
)
from .db import ABPartsUnavailable, abparts_reading
from .intervals import service_intervals
from .models import (
    ABPartsAccount,
    ABPartsRole,
    ABPartsUser,
    Machine,
    MachineHours,
    MachineMaintenance,
    MaintenancePartUsage,
    PartUsage,
)

if TYPE_CHECKING:
    from core.identity import AuthenticatedIdentity

# How much history is read: readings to place services on the hours axis, service records to find
# the last service of each interval, records / part usages shown.
HOURS_HISTORY_LIMIT = 1000
SERVICE_HISTORY_LIMIT = 50
MAINTENANCE_SHOWN = 5
PART_USAGE_SHOWN = 10


@dataclass(frozen=True)
class MachineScope:
    """Whose machines may be read, as machines_visible_to needs it: hashable, so it can key a cache."""

    organization_id: uuid.UUID | None
    role: str | None


def machine_scope_for_user(*, user_id: int) -> MachineScope | None:
    """What the local user `user_id` may see now, from their ABPartsAccount; None without one (nothing).

    For work done for an operator after their request was authorized (a chat turn, a ticket's
    snapshot): the account holds the organization and role of their latest token (written on every
    authenticated request that changes them, assistant/auth/abparts.py). One query on our database.
    """
    row = ABPartsAccount.objects.filter(user_id=user_id).values_list("organization_id", "role").first()
    return MachineScope(organization_id=row[0], role=row[1]) if row is not None else None


def machines_visible_to(*, identity: AuthenticatedIdentity | MachineScope | None) -> QuerySet[Machine]:
    """The machines `identity` may see (own organization; all for super_admin; none without one)."""
    machines = Machine.objects.select_related("customer_organization").order_by("customer_organization__name", "name")
    if identity is None:
        return machines.none()
    if identity.role == ABPartsRole.SUPER_ADMIN:
        return machines
    if identity.organization_id is None:
        return machines.none()
    return machines.filter(customer_organization_id=identity.organization_id)


def machines_list_for_identity(*, identity: AuthenticatedIdentity | None) -> list[Machine]:
    """Visible machines, each annotated with `latest_hours` / `latest_hours_date` (None when no reading).

    One query. Raises ABPartsUnavailable.
    """
    newest = MachineHours.objects.filter(machine_id=OuterRef("pk")).order_by("-recorded_date")
    machines = machines_visible_to(identity=identity).annotate(
        latest_hours=Subquery(newest.values("hours_value")[:1]),
        latest_hours_date=Subquery(newest.values("recorded_date")[:1]),
    )
    with abparts_reading():
        return list(machines)


def machine_get_for_identity(
    *, identity: AuthenticatedIdentity | MachineScope | None, machine_id: uuid.UUID | str
) -> Machine:
    """The machine if `identity` may see it; Http404 otherwise (the same as for an unknown id).

    Raises ABPartsUnavailable when ABParts' database cannot be read.
    """
    try:
        machine_uuid = machine_id if isinstance(machine_id, uuid.UUID) else uuid.UUID(str(machine_id))
    except ValueError:
        raise Http404("No such machine.") from None
    with abparts_reading():
        machine = machines_visible_to(identity=identity).filter(pk=machine_uuid).first()
    if machine is None:
        raise Http404("No such machine.")
    return machine


def machine_context(*, machine: Machine, language: str | None = None) -> MachineContext:
    """Everything known about `machine`: details, hours, maintenance, parts, suggestions.

    `machine` comes from machine_get_for_identity (visibility is checked there). `language` picks the
    manuals' task texts for the suggestions when a manual in that language gives them (else English).
    Four queries on ABParts' database, one or two on ours (service intervals, cached). Raises
    ABPartsUnavailable.
    """
    parts_used = MaintenancePartUsage.objects.select_related("part").order_by("part__part_number")
    with abparts_reading():
        readings = [
            (date, float(value))
            for date, value in MachineHours.objects.filter(machine_id=machine.id)
            .order_by("-recorded_date")
            .values_list("recorded_date", "hours_value")[:HOURS_HISTORY_LIMIT]
        ]
        records = list(
            MachineMaintenance.objects.filter(machine_id=machine.id)
            .order_by("-maintenance_date")
            .prefetch_related(Prefetch("parts_used", queryset=parts_used))[:SERVICE_HISTORY_LIMIT]
        )
        usages = list(
            PartUsage.objects.filter(machine_id=machine.id)
            .select_related("part")
            .order_by("-usage_date")[:PART_USAGE_SHOWN]
        )
    history = HoursHistory(readings)
    hours = HoursReading(value=readings[0][1], recorded_date=readings[0][0]) if readings else None
    suggestions = maintenance_suggestions(
        current_hours=hours.value if hours else None,
        history=history,
        services=[(record.maintenance_date, record.maintenance_type) for record in records],
        intervals=service_intervals(machine_model=machine.model_type) if hours else (),
        language=language,
    )
    return MachineContext(
        machine=_details(machine),
        hours=hours,
        maintenance=tuple(_maintenance(record, history) for record in records[:MAINTENANCE_SHOWN]),
        recent_part_usage=tuple(
            PartUsageRecord(
                date=usage.usage_date,
                part_number=usage.part.part_number,
                name=usage.part.name,
                quantity=float(usage.quantity),
                notes=usage.notes or "",
            )
            for usage in usages
        ),
        suggestions=suggestions,
    )


def _details(machine: Machine) -> MachineDetails:
    organization = machine.customer_organization
    expiry = machine.warranty_expiry_date
    return MachineDetails(
        id=machine.id,
        name=machine.name,
        model_type=machine.model_type,
        serial_number=machine.serial_number,
        status=machine.status,
        location=machine.location or "",
        purchase_date=machine.purchase_date,
        warranty_expiry_date=expiry,
        under_warranty=expiry is not None and expiry > timezone.now(),
        last_maintenance_date=machine.last_maintenance_date,
        next_maintenance_date=machine.next_maintenance_date,
        organization_id=organization.id,
        organization_name=organization.name,
    )


def _maintenance(record: MachineMaintenance, history: HoursHistory) -> MaintenanceRecord:
    hours = history.hours_at(record.maintenance_date)
    return MaintenanceRecord(
        id=record.id,
        date=record.maintenance_date,
        type=record.maintenance_type,
        description=record.description or "",
        hours_at_service=round(hours, 1) if hours is not None else None,
        parts=tuple(
            PartUsed(part_number=used.part.part_number, name=used.part.name, quantity=float(used.quantity))
            for used in record.parts_used.all()
        ),
    )


def abparts_user_preferred_language(*, abparts_user_id: uuid.UUID) -> str | None:
    """ABParts' preferred_language of a user as ABParts stores it (`no` = Bokmål), None without a row.

    One query by primary key. Raises ABPartsUnavailable.
    """
    with abparts_reading():
        return ABPartsUser.objects.filter(pk=abparts_user_id).values_list("preferred_language", flat=True).first()


@dataclass(frozen=True)
class OperatorPrivacyHints:
    """What redaction needs to know about an operator: the countries whose phone formats they use
    (their own and their organization's, as ABParts writes them) and their full name."""

    countries: tuple[str, ...] = ()
    full_name: str = ""


# Read on every operator message: a country or a name rarely changes, and a turn's round trips are
# pinned (assistant/tests/test_turn_queries.py), so the hints live in this process for a while.
_HINTS_SECONDS = 15 * 60
_HINTS_MAX_USERS = 10_000
_hints: dict[int, tuple[float, OperatorPrivacyHints]] = {}
_hints_lock = threading.Lock()


def operator_privacy_hints(*, user_id: int) -> OperatorPrivacyHints:
    """The redaction hints of a local user; empty for a user without an ABParts account or when ABParts
    cannot be read (redaction then falls back to the language's regions). Kept per process for
    15 minutes; a miss costs one query on our database and one on ABParts'."""
    now = time.monotonic()
    with _hints_lock:
        cached = _hints.get(user_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    account = ABPartsAccount.objects.filter(user_id=user_id).values_list("abparts_user_id", flat=True).first()
    hints = OperatorPrivacyHints()
    if account is not None:
        try:
            with abparts_reading():
                row = (
                    ABPartsUser.objects.filter(pk=account)
                    .values_list("preferred_country", "organization__country", "name")
                    .first()
                )
        except ABPartsUnavailable:
            return hints  # not kept: the next message tries again
        if row is not None:
            countries = tuple(dict.fromkeys(code.strip().upper() for code in row[:2] if code and code.strip()))
            hints = OperatorPrivacyHints(countries=countries, full_name=(row[2] or "").strip())
    with _hints_lock:
        if len(_hints) >= _HINTS_MAX_USERS:
            _hints.clear()
        _hints[user_id] = (now + _HINTS_SECONDS, hints)
    return hints


def operator_privacy_hints_forget() -> None:
    """Drop the kept hints (tests that change an operator's ABParts row)."""
    with _hints_lock:
        _hints.clear()
