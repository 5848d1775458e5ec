# ruff: noqa: DJ001 - ABParts' text columns are nullable; the unmanaged models say so rather than pretend.
"""ABParts' tables (read-only, unmanaged, `abparts` alias) and our own ABPartsAccount (default database).

The unmanaged models mirror the columns listed in shared/reference/abparts.md, nothing more: ABParts
owns the schema, and a column we do not read is a column that cannot break us when it changes. The
embedded default creates the same tables with abparts.demo.schema_create (`manage.py seed_demo`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.text.languages import LANGUAGE_CHOICES


class ABPartsRole(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"
    SUPER_ADMIN = "super_admin", "Super admin"


class MachineModelType(models.TextChoices):
    V4_0 = "V4.0", "AutoBoss V4.0"
    V3_1B = "V3.1B", "AutoBoss V3.1B"


class MachineStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    MAINTENANCE = "maintenance", "Maintenance"
    DECOMMISSIONED = "decommissioned", "Decommissioned"


class MaintenanceType(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    UNSCHEDULED = "unscheduled", "Unscheduled"
    REPAIR = "repair", "Repair"
    INSPECTION = "inspection", "Inspection"
    CLEANING = "cleaning", "Cleaning"
    CALIBRATION = "calibration", "Calibration"
    OTHER = "other", "Other"


# --- ABParts' tables (managed = False: never created, altered or written by us) --------------------
class Organization(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=255)
    organization_type = models.CharField(max_length=20)  # oraseas_ee | bossaqua | customer | supplier
    parent_organization = models.ForeignKey(
        "self", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="children"
    )
    country = models.CharField(max_length=3, null=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        managed = False
        db_table = "organizations"

    def __str__(self) -> str:
        return self.name


class ABPartsUser(models.Model):
    id = models.UUIDField(primary_key=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, db_constraint=False, related_name="users"
    )
    username = models.CharField(max_length=255)
    email = models.CharField(max_length=255)
    name = models.CharField(max_length=255, null=True)
    role = models.CharField(max_length=20, choices=ABPartsRole.choices)  # enum `userrole` in ABParts
    user_status = models.CharField(max_length=32)
    # ABParts writes `no` for Norwegian Bokmål; core.text.languages.normalize_language maps it.
    preferred_language = models.CharField(max_length=5, null=True)
    preferred_country = models.CharField(max_length=3, null=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "users"

    def __str__(self) -> str:
        return self.username


class Machine(models.Model):
    id = models.UUIDField(primary_key=True)
    customer_organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, db_constraint=False, related_name="machines"
    )
    model_type = models.CharField(max_length=10)  # V4.0 | V3.1B
    name = models.CharField(max_length=255)
    serial_number = models.CharField(max_length=255, unique=True)
    purchase_date = models.DateTimeField(null=True)
    warranty_expiry_date = models.DateTimeField(null=True)
    status = models.CharField(max_length=20, choices=MachineStatus.choices)
    last_maintenance_date = models.DateTimeField(null=True)
    next_maintenance_date = models.DateTimeField(null=True)
    location = models.CharField(max_length=255, null=True)
    notes = models.TextField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # No hours column: ABParts dropped it. Current hours = the newest machine_hours.recorded_date.

    class Meta:
        managed = False
        db_table = "machines"

    def __str__(self) -> str:
        return f"{self.name} ({self.model_type} {self.serial_number})"


class MachineHours(models.Model):
    id = models.UUIDField(primary_key=True)
    machine = models.ForeignKey(Machine, on_delete=models.DO_NOTHING, db_constraint=False, related_name="hours")
    recorded_by_user = models.ForeignKey(
        ABPartsUser, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    hours_value = models.DecimalField(max_digits=10, decimal_places=2)
    recorded_date = models.DateTimeField()
    notes = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "machine_hours"

    def __str__(self) -> str:
        return f"{self.machine_id}: {self.hours_value} h on {self.recorded_date:%Y-%m-%d}"


class Part(models.Model):
    id = models.UUIDField(primary_key=True)
    part_number = models.CharField(max_length=255, unique=True)
    name = models.TextField()
    part_type = models.CharField(max_length=20)  # consumable | bulk_material
    is_proprietary = models.BooleanField(default=False)
    autoboss_version = models.CharField(max_length=20, null=True)

    class Meta:
        managed = False
        db_table = "parts"

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"


class MachineMaintenance(models.Model):
    id = models.UUIDField(primary_key=True)
    machine = models.ForeignKey(
        Machine, on_delete=models.DO_NOTHING, db_constraint=False, related_name="maintenance_records"
    )
    maintenance_date = models.DateTimeField()
    maintenance_type = models.CharField(max_length=20, choices=MaintenanceType.choices)
    performed_by_user = models.ForeignKey(
        ABPartsUser, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    description = models.TextField(null=True)
    hours_spent = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    next_maintenance_date = models.DateTimeField(null=True)
    notes = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "machine_maintenance"

    def __str__(self) -> str:
        return f"{self.machine_id}: {self.maintenance_type} on {self.maintenance_date:%Y-%m-%d}"


class MaintenancePartUsage(models.Model):
    id = models.UUIDField(primary_key=True)
    maintenance = models.ForeignKey(
        MachineMaintenance, on_delete=models.DO_NOTHING, db_constraint=False, related_name="parts_used"
    )
    part = models.ForeignKey(Part, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    warehouse_id = models.UUIDField(null=True)
    notes = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "maintenance_part_usage"

    def __str__(self) -> str:
        return f"{self.maintenance_id}: {self.quantity} x {self.part_id}"


class PartUsage(models.Model):
    id = models.UUIDField(primary_key=True)
    customer_organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    part = models.ForeignKey(Part, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    usage_date = models.DateTimeField()
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    machine = models.ForeignKey(
        Machine, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="part_usage"
    )
    recorded_by_user = models.ForeignKey(
        ABPartsUser, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    warehouse_id = models.UUIDField(null=True)
    notes = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "part_usage"

    def __str__(self) -> str:
        return f"{self.customer_organization_id}: {self.quantity} x {self.part_id} on {self.usage_date:%Y-%m-%d}"


# --- ours (default database, migrated) -------------------------------------------------------------
class ABPartsAccount(models.Model):
    """What we know about the ABParts user behind a local user: organization, role, language.

    Written when an ABParts session token authenticates (assistant/auth/abparts.py) and by
    `manage.py seed_demo`; read by the demo token backend and the machine selectors. Holds uuids, not
    foreign keys: the ABParts rows live in another database.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="abparts_account")
    abparts_user_id = models.UUIDField(unique=True)
    organization_id = models.UUIDField(null=True, blank=True)
    role = models.CharField(max_length=20, choices=ABPartsRole.choices, default=ABPartsRole.USER)
    # One of our language codes (en, el, ar, es, tr, nb); "" when ABParts gave none we support.
    preferred_language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name = "ABParts account"

    def __str__(self) -> str:
        return f"{self.abparts_user_id} ({self.role})"
