"""ABParts' tables for the embedded default (DDL) and a small, current demo data set.

`schema_create` builds the tables we read with ABParts' column types, keys and unique constraints in
a schema of their own (the `abparts` alias reads it through search_path). `demo_data_load` upserts a
fixed demo data set: fixed uuids, dates relative to today, so running it again (or on a later day)
leaves one consistent, current data set. Both take a *writable* connection: the default alias with
schema-qualified names, never the read-only `abparts` alias. The test fixtures use the very same
functions (abparts/tests/fixtures.py), so tests read exactly what seed_demo creates.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# --- DDL ------------------------------------------------------------------------------------------
# ABParts keeps these columns as PostgreSQL enums (SQLAlchemy Enum); created here the same way so
# that reads behave as they do against the real database.
_ENUMS = {
    "organizationtype": ("oraseas_ee", "bossaqua", "customer", "supplier"),
    "userrole": ("user", "admin", "super_admin"),
    "userstatus": ("active", "inactive", "pending_invitation", "locked"),
    "machinestatus": ("active", "inactive", "maintenance", "decommissioned"),
    "maintenancetype": ("scheduled", "unscheduled", "repair", "inspection", "cleaning", "calibration", "other"),
    "parttype": ("consumable", "bulk_material"),
}

_TABLES = """
CREATE TABLE IF NOT EXISTS {s}.organizations (
    id uuid PRIMARY KEY,
    name varchar(255) NOT NULL UNIQUE,
    organization_type {s}.organizationtype NOT NULL,
    parent_organization_id uuid REFERENCES {s}.organizations (id),
    country varchar(3),
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.users (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES {s}.organizations (id),
    username varchar(255) NOT NULL UNIQUE,
    email varchar(255) NOT NULL UNIQUE,
    name varchar(255),
    role {s}.userrole NOT NULL,
    user_status {s}.userstatus NOT NULL DEFAULT 'active',
    preferred_language varchar(5) DEFAULT 'en',
    preferred_country varchar(3),
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.machines (
    id uuid PRIMARY KEY,
    customer_organization_id uuid NOT NULL REFERENCES {s}.organizations (id),
    model_type varchar(10) NOT NULL,
    name varchar(255) NOT NULL,
    serial_number varchar(255) NOT NULL UNIQUE,
    purchase_date timestamptz,
    warranty_expiry_date timestamptz,
    status {s}.machinestatus NOT NULL DEFAULT 'active',
    last_maintenance_date timestamptz,
    next_maintenance_date timestamptz,
    location varchar(255),
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.machine_hours (
    id uuid PRIMARY KEY,
    machine_id uuid NOT NULL REFERENCES {s}.machines (id),
    recorded_by_user_id uuid NOT NULL REFERENCES {s}.users (id),
    hours_value numeric(10, 2) NOT NULL,
    recorded_date timestamptz NOT NULL,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS machine_hours_machine_recorded ON {s}.machine_hours (machine_id, recorded_date DESC);
CREATE TABLE IF NOT EXISTS {s}.parts (
    id uuid PRIMARY KEY,
    part_number varchar(255) NOT NULL UNIQUE,
    name text NOT NULL,
    part_type {s}.parttype NOT NULL,
    is_proprietary boolean NOT NULL DEFAULT false,
    autoboss_version varchar(20),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.machine_maintenance (
    id uuid PRIMARY KEY,
    machine_id uuid NOT NULL REFERENCES {s}.machines (id),
    maintenance_date timestamptz NOT NULL,
    maintenance_type {s}.maintenancetype NOT NULL,
    performed_by_user_id uuid NOT NULL REFERENCES {s}.users (id),
    description text,
    hours_spent numeric(10, 2),
    cost numeric(10, 2),
    next_maintenance_date timestamptz,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS machine_maintenance_machine_date
    ON {s}.machine_maintenance (machine_id, maintenance_date DESC);
CREATE TABLE IF NOT EXISTS {s}.maintenance_part_usage (
    id uuid PRIMARY KEY,
    maintenance_id uuid NOT NULL REFERENCES {s}.machine_maintenance (id),
    part_id uuid NOT NULL REFERENCES {s}.parts (id),
    quantity numeric(10, 3) NOT NULL,
    warehouse_id uuid,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.part_usage (
    id uuid PRIMARY KEY,
    customer_organization_id uuid NOT NULL REFERENCES {s}.organizations (id),
    part_id uuid NOT NULL REFERENCES {s}.parts (id),
    usage_date timestamptz NOT NULL,
    quantity numeric(10, 3) NOT NULL,
    machine_id uuid REFERENCES {s}.machines (id),
    recorded_by_user_id uuid REFERENCES {s}.users (id),
    warehouse_id uuid,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""

# Children first: the order rows are deleted in (demo_data_clear).
TABLES = (
    "part_usage",
    "maintenance_part_usage",
    "machine_maintenance",
    "machine_hours",
    "machines",
    "parts",
    "users",
    "organizations",
)


def quoted_schema(connection, schema: str) -> str:
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
    return connection.ops.quote_name(schema)


def schema_create(connection, schema: str = "abparts") -> None:
    """Create the schema, ABParts' enum types and the tables we read (IF NOT EXISTS: safe to repeat)."""
    s = quoted_schema(connection, schema)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
        for name, labels in _ENUMS.items():
            values = ", ".join(f"'{label}'" for label in labels)
            # No CREATE TYPE IF NOT EXISTS in PostgreSQL: a DO block swallows "already exists".
            cursor.execute(
                f"DO $$ BEGIN CREATE TYPE {s}.{name} AS ENUM ({values}); "
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
        for statement in _TABLES.format(s=s).split(";"):
            if statement.strip():
                cursor.execute(statement)


def schema_exists(connection, schema: str = "abparts") -> bool:
    """Whether the schema holds the machines table (i.e. was created by schema_create)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{quoted_schema(connection, schema)}.machines"])
        return bool(cursor.fetchone()[0])


def demo_data_clear(connection, schema: str = "abparts") -> None:
    """Delete every row of the ABParts tables in `schema` (DELETE, not TRUNCATE: no exclusive lock)."""
    s = quoted_schema(connection, schema)
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {s}.{table}")


# --- the demo data --------------------------------------------------------------------------------
_NAMESPACE = uuid.UUID("5d0c7a4e-2f61-4b8e-9c1d-6a0b3e9f1c27")


def demo_uuid(key: str) -> uuid.UUID:
    """The fixed uuid of a demo row (uuid5 of its key): stable across runs and machines."""
    return uuid.uuid5(_NAMESPACE, key)


ORG_ORASEAS = demo_uuid("organization:oraseas")
ORG_NORDFJORD = demo_uuid("organization:nordfjord")
ORG_AEGEAN = demo_uuid("organization:aegean")

USER_SUPPORT = demo_uuid("user:eleni.support")  # super_admin, Oraseas EE
USER_LARS = demo_uuid("user:lars.berg")  # admin, Nordfjord, en
USER_KARI = demo_uuid("user:kari.nordmann")  # user, Nordfjord, `no` (Bokmål)
USER_AHMED = demo_uuid("user:ahmed.rashid")  # user, Nordfjord, ar
USER_GIORGOS = demo_uuid("user:giorgos.papadakis")  # admin, Aegean, el
USER_CARMEN = demo_uuid("user:carmen.ruiz")  # user, Aegean, es
USER_MEHMET = demo_uuid("user:mehmet.yilmaz")  # user, Aegean, tr

MACHINE_NORDFJORD_RIG1 = demo_uuid("machine:nordfjord-rig-1")  # V4.0, 1 180 h: 1 000 h service overdue
MACHINE_NORDFJORD_RIG2 = demo_uuid("machine:nordfjord-rig-2")  # V3.1B, 2 460 h: 500 h service due soon
MACHINE_AEGEAN_A = demo_uuid("machine:aegean-a")  # V4.0, 462 h, under warranty: 500 h service due soon
MACHINE_AEGEAN_B = demo_uuid("machine:aegean-b")  # V3.1B, 1 610 h, services up to date
MACHINE_AEGEAN_SPARE = demo_uuid("machine:aegean-spare")  # V4.0, inactive, warranty expired
MACHINE_ORASEAS_BENCH = demo_uuid("machine:oraseas-bench")  # V3.1B test bench, no hours recorded


@dataclass(frozen=True)
class DemoUser:
    id: uuid.UUID
    username: str
    name: str
    organization_id: uuid.UUID
    role: str
    preferred_language: str  # as ABParts stores it: `no` for Norwegian Bokmål
    preferred_country: str


DEMO_ORGANIZATIONS = (
    # id, name, type, parent, country
    (ORG_ORASEAS, "Oraseas EE", "oraseas_ee", None, "GR"),
    (ORG_NORDFJORD, "Nordfjord Salmon AS", "customer", ORG_ORASEAS, "NO"),
    (ORG_AEGEAN, "Aegean Aquaculture S.A.", "customer", ORG_ORASEAS, "GR"),
)

DEMO_USERS = (
    DemoUser(USER_SUPPORT, "eleni.support", "Eleni Karra", ORG_ORASEAS, "super_admin", "en", "GR"),
    DemoUser(USER_LARS, "lars.berg", "Lars Berg", ORG_NORDFJORD, "admin", "en", "NO"),
    DemoUser(USER_KARI, "kari.nordmann", "Kari Nordmann", ORG_NORDFJORD, "user", "no", "NO"),
    DemoUser(USER_AHMED, "ahmed.rashid", "Ahmed Al-Rashid", ORG_NORDFJORD, "user", "ar", "NO"),
    DemoUser(USER_GIORGOS, "giorgos.papadakis", "Giorgos Papadakis", ORG_AEGEAN, "admin", "el", "GR"),
    DemoUser(USER_CARMEN, "carmen.ruiz", "Carmen Ruiz", ORG_AEGEAN, "user", "es", "ES"),
    DemoUser(USER_MEHMET, "mehmet.yilmaz", "Mehmet Yılmaz", ORG_AEGEAN, "user", "tr", "TR"),
)

# key, part_number, name, part_type, is_proprietary, autoboss_version
DEMO_PARTS = (
    ("hydraulic-filter", "AB-HF-2210", "Hydraulic return filter element", "consumable", True, None),
    ("nozzle-set", "AB-NZ-0415", "High-pressure nozzle set (8 pcs)", "consumable", True, None),
    ("hydraulic-oil", "AB-OIL-HV46", "Hydraulic oil HV46 (litres)", "bulk_material", False, None),
    ("pump-seal-kit", "AB31-PS-1120", "High-pressure pump seal kit", "consumable", True, "V3.1B"),
    ("drive-belt", "AB31-DB-0550", "Pump drive belt", "consumable", False, "V3.1B"),
    ("hose-coupling", "AB-UH-1010", "Umbilical hose coupling", "consumable", True, None),
    ("o-ring-kit", "AB-OR-0021", "O-ring kit, hydraulic couplings", "consumable", False, None),
    ("brush-disc", "AB40-BD-0300", "Brush disc, cleaning head", "consumable", True, "V4.0"),
)


@dataclass(frozen=True)
class _Machine:
    id: uuid.UUID
    key: str
    organization_id: uuid.UUID
    model_type: str
    name: str
    serial_number: str
    status: str
    location: str
    purchased_days_ago: int
    warranty_days: int
    recorded_by: uuid.UUID
    hours: tuple[tuple[int, float], ...]  # (days ago, hours value), oldest first
    # (key, days ago, type, description, hours spent, cost, ((part key, quantity), ...))
    maintenance: tuple[tuple[str, int, str, str, float, float, tuple[tuple[str, float], ...]], ...] = ()


DEMO_MACHINES = (
    _Machine(
        MACHINE_NORDFJORD_RIG1, "nordfjord-rig-1", ORG_NORDFJORD, "V4.0", "Kvitholmen Rig 1", "AB40-2023-0117",
        "active", "Kvitholmen site, Nordfjord", 420, 730, USER_KARI,
        ((360, 120), (300, 310), (240, 495), (200, 560), (150, 720), (110, 850), (75, 960), (45, 1040), (20, 1120),
         (3, 1180)),
        (
            ("500h", 236, "scheduled", "500-hour service: return filter, nozzle set and hydraulic oil replaced.",
             5.5, 1240.0, (("hydraulic-filter", 1), ("nozzle-set", 1), ("hydraulic-oil", 20))),
            ("hose", 130, "repair", "Umbilical hose coupling leaking at the rig end; coupling and O-rings replaced.",
             2.0, 310.0, (("hose-coupling", 1), ("o-ring-kit", 1))),
            ("clean", 30, "cleaning", "Rig and brush heads cleaned after the net change.", 1.5, 0.0, ()),
        ),
    ),
    _Machine(
        MACHINE_NORDFJORD_RIG2, "nordfjord-rig-2", ORG_NORDFJORD, "V3.1B", "Hestneset Rig 2", "AB31-2019-0042",
        "maintenance", "Hestneset workshop, Nordfjord", 1900, 730, USER_AHMED,
        ((365, 1560), (300, 1740), (240, 1910), (180, 2050), (120, 2190), (60, 2330), (25, 2410), (4, 2460)),
        (
            ("2000h", 190, "scheduled", "2000-hour service: pump seal kit and drive belt replaced, oil changed.",
             7.0, 1890.0, (("pump-seal-kit", 1), ("drive-belt", 1), ("hydraulic-oil", 25))),
            ("2400h", 24, "scheduled", "Scheduled service: hydraulic return filter replaced; umbilical inspected.",
             3.0, 420.0, (("hydraulic-filter", 1),)),
        ),
    ),
    _Machine(
        MACHINE_AEGEAN_A, "aegean-a", ORG_AEGEAN, "V4.0", "Poros Unit A", "AB40-2024-0301",
        "active", "Poros, Saronic Gulf", 240, 730, USER_CARMEN,
        ((230, 12), (180, 110), (120, 240), (60, 350), (30, 410), (2, 462)),
        (
            ("warranty", 100, "inspection", "Warranty inspection: rotor bearings, camera and umbilical checked.",
             1.0, 0.0, ()),
        ),
    ),
    _Machine(
        MACHINE_AEGEAN_B, "aegean-b", ORG_AEGEAN, "V3.1B", "Chios Unit B", "AB31-2021-0088",
        "active", "Kardamyla bay, Chios", 1400, 730, USER_MEHMET,
        ((400, 700), (330, 860), (260, 1010), (200, 1150), (140, 1300), (80, 1490), (40, 1560), (6, 1610)),
        (
            ("1000h", 258, "scheduled", "1000-hour service: pump seal kit, drive belt, filter and oil replaced.",
             8.0, 2150.0, (("pump-seal-kit", 1), ("drive-belt", 1), ("hydraulic-filter", 1), ("hydraulic-oil", 25))),
            ("1500h", 75, "scheduled", "1500-hour service: hydraulic return filter and pump oil replaced.",
             3.5, 640.0, (("hydraulic-filter", 1), ("hydraulic-oil", 20))),
        ),
    ),
    _Machine(
        MACHINE_AEGEAN_SPARE, "aegean-spare", ORG_AEGEAN, "V4.0", "Spare unit", "AB40-2022-0215",
        "inactive", "Aegean Aquaculture store, Piraeus", 800, 730, USER_GIORGOS,
        ((500, 40), (420, 120), (380, 180)),
    ),
    _Machine(
        MACHINE_ORASEAS_BENCH, "oraseas-bench", ORG_ORASEAS, "V3.1B", "Workshop test bench", "AB31-2017-0003",
        "active", "Oraseas workshop, Thessaloniki", 2900, 730, USER_SUPPORT, (),
    ),
)  # fmt: skip

# (key, organization, part key, days ago, quantity, machine or None, recorded by, notes)
DEMO_PART_USAGE = (
    ("rig1-brushes", ORG_NORDFJORD, "brush-disc", 40, 4, MACHINE_NORDFJORD_RIG1, USER_KARI, "Worn brush discs"),
    ("rig1-oil", ORG_NORDFJORD, "hydraulic-oil", 12, 5, MACHINE_NORDFJORD_RIG1, USER_KARI, "Oil top-up"),
    ("rig2-orings", ORG_NORDFJORD, "o-ring-kit", 26, 1, MACHINE_NORDFJORD_RIG2, USER_AHMED, None),
    ("nordfjord-stock", ORG_NORDFJORD, "o-ring-kit", 90, 2, None, USER_LARS, "Workshop stock"),
    ("a-brushes", ORG_AEGEAN, "brush-disc", 15, 2, MACHINE_AEGEAN_A, USER_CARMEN, None),
    ("b-oil", ORG_AEGEAN, "hydraulic-oil", 50, 10, MACHINE_AEGEAN_B, USER_MEHMET, "Oil top-up after hose change"),
)


@dataclass(frozen=True)
class DemoSummary:
    organizations: int
    users: int
    machines: int
    machine_hours: int
    maintenance: int
    parts: int
    part_usage: int


def _at(today, days_ago: int, hour: int = 9) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=timezone.get_fixed_timezone(0))


def _upsert(cursor, table: str, columns: tuple[str, ...], rows: list[tuple], casts: dict[str, str]) -> None:
    if not rows:
        return
    placeholders = ", ".join(f"%s::{casts[c]}" if c in casts else "%s" for c in columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "id")
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) ON CONFLICT (id) DO UPDATE SET {updates}",
        rows,
    )


def demo_data_load(connection, schema: str = "abparts", *, today=None) -> DemoSummary:
    """Upsert the demo organizations, users, machines, hours, maintenance and parts (idempotent).

    Dates are relative to `today` (default: the current date), so the demo stays current.
    """
    today = today or timezone.now().date()
    s = quoted_schema(connection, schema)
    enum = {name: f"{s}.{name}" for name in _ENUMS}
    part_ids = {key: demo_uuid(f"part:{key}") for key, *_ in DEMO_PARTS}
    now = _at(today, 0, 0)

    organizations = [
        (oid, name, kind, parent, country, True) for oid, name, kind, parent, country in DEMO_ORGANIZATIONS
    ]
    users = [
        (u.id, u.organization_id, u.username, f"{u.username}@demo.abparts.example", u.name, u.role, "active",
         u.preferred_language, u.preferred_country, True, now - timedelta(days=400))
        for u in DEMO_USERS
    ]  # fmt: skip
    parts = [
        (part_ids[key], number, name, kind, proprietary, version)
        for key, number, name, kind, proprietary, version in DEMO_PARTS
    ]
    machines, hours, maintenance, maintenance_parts = [], [], [], []
    for m in DEMO_MACHINES:
        last_service = min((days for _, days, *_ in m.maintenance), default=None)
        machines.append(
            (
                m.id, m.organization_id, m.model_type, m.name, m.serial_number,
                _at(today, m.purchased_days_ago), _at(today, m.purchased_days_ago - m.warranty_days), m.status,
                _at(today, last_service) if last_service is not None else None,
                _at(today, last_service - 180) if last_service is not None else None,
                m.location, None, _at(today, m.purchased_days_ago), now,
            )
        )  # fmt: skip
        for days, value in m.hours:
            hours.append(
                (demo_uuid(f"hours:{m.key}:{days}"), m.id, m.recorded_by, Decimal(str(value)), _at(today, days, 17))
            )
        for key, days, kind, description, spent, cost, used in m.maintenance:
            record_id = demo_uuid(f"maintenance:{m.key}:{key}")
            maintenance.append(
                (record_id, m.id, _at(today, days, 10), kind, m.recorded_by, description,
                 Decimal(str(spent)), Decimal(str(cost)), _at(today, days - 180, 10))
            )  # fmt: skip
            for part_key, quantity in used:
                maintenance_parts.append(
                    (demo_uuid(f"maintenance-part:{m.key}:{key}:{part_key}"), record_id, part_ids[part_key],
                     Decimal(str(quantity)))
                )  # fmt: skip
    part_usage = [
        (demo_uuid(f"part-usage:{key}"), org, part_ids[part_key], _at(today, days, 14), Decimal(str(quantity)),
         machine, user, notes)
        for key, org, part_key, days, quantity, machine, user, notes in DEMO_PART_USAGE
    ]  # fmt: skip

    with connection.cursor() as cursor:
        _upsert(
            cursor, f"{s}.organizations",
            ("id", "name", "organization_type", "parent_organization_id", "country", "is_active"),
            organizations, {"organization_type": enum["organizationtype"]},
        )  # fmt: skip
        _upsert(
            cursor, f"{s}.users",
            ("id", "organization_id", "username", "email", "name", "role", "user_status", "preferred_language",
             "preferred_country", "is_active", "created_at"),
            users, {"role": enum["userrole"], "user_status": enum["userstatus"]},
        )  # fmt: skip
        _upsert(
            cursor, f"{s}.parts", ("id", "part_number", "name", "part_type", "is_proprietary", "autoboss_version"),
            parts, {"part_type": enum["parttype"]},
        )  # fmt: skip
        _upsert(
            cursor, f"{s}.machines",
            ("id", "customer_organization_id", "model_type", "name", "serial_number", "purchase_date",
             "warranty_expiry_date", "status", "last_maintenance_date", "next_maintenance_date", "location", "notes",
             "created_at", "updated_at"),
            machines, {"status": enum["machinestatus"]},
        )  # fmt: skip
        _upsert(
            cursor, f"{s}.machine_hours", ("id", "machine_id", "recorded_by_user_id", "hours_value", "recorded_date"),
            hours, {},
        )  # fmt: skip
        _upsert(
            cursor, f"{s}.machine_maintenance",
            ("id", "machine_id", "maintenance_date", "maintenance_type", "performed_by_user_id", "description",
             "hours_spent", "cost", "next_maintenance_date"),
            maintenance, {"maintenance_type": enum["maintenancetype"]},
        )  # fmt: skip
        _upsert(
            cursor, f"{s}.maintenance_part_usage", ("id", "maintenance_id", "part_id", "quantity"),
            maintenance_parts, {},
        )  # fmt: skip
        _upsert(
            cursor, f"{s}.part_usage",
            ("id", "customer_organization_id", "part_id", "usage_date", "quantity", "machine_id",
             "recorded_by_user_id", "notes"),
            part_usage, {},
        )  # fmt: skip
    return DemoSummary(
        organizations=len(organizations),
        users=len(users),
        machines=len(machines),
        machine_hours=len(hours),
        maintenance=len(maintenance),
        parts=len(parts),
        part_usage=len(part_usage),
    )
