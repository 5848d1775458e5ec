"""Serializers of the machine API (SPEC §4.1): plain output shapes of abparts.context's dataclasses."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

_STATUS_HELP = "active | inactive | maintenance | decommissioned"


class HoursOutputSerializer(serializers.Serializer):
    value = serializers.FloatField(help_text="Operating hours of the newest machine_hours reading.")
    recorded_date = serializers.DateTimeField()


class OrganizationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class MachineListOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    model_type = serializers.CharField(help_text="V4.0 | V3.1B")
    serial_number = serializers.CharField()
    status = serializers.CharField(help_text=_STATUS_HELP)
    location = serializers.CharField(allow_null=True)
    organization = serializers.SerializerMethodField()
    hours = serializers.SerializerMethodField()

    @extend_schema_field(OrganizationOutputSerializer)
    def get_organization(self, machine) -> dict:
        organization = machine.customer_organization
        return OrganizationOutputSerializer({"id": organization.id, "name": organization.name}).data

    @extend_schema_field(HoursOutputSerializer(allow_null=True))
    def get_hours(self, machine) -> dict | None:
        if machine.latest_hours is None:
            return None
        return HoursOutputSerializer({"value": machine.latest_hours, "recorded_date": machine.latest_hours_date}).data


class MachineDetailsOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    model_type = serializers.CharField(help_text="V4.0 | V3.1B")
    serial_number = serializers.CharField()
    status = serializers.CharField(help_text=_STATUS_HELP)
    location = serializers.CharField(allow_blank=True)
    purchase_date = serializers.DateTimeField(allow_null=True)
    warranty_expiry_date = serializers.DateTimeField(allow_null=True)
    under_warranty = serializers.BooleanField()
    last_maintenance_date = serializers.DateTimeField(allow_null=True)
    next_maintenance_date = serializers.DateTimeField(allow_null=True)
    organization_id = serializers.UUIDField()
    organization_name = serializers.CharField()


class PartUsedOutputSerializer(serializers.Serializer):
    part_number = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.FloatField()


class MaintenanceOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    date = serializers.DateTimeField()
    type = serializers.CharField(
        help_text="scheduled | unscheduled | repair | inspection | cleaning | calibration | other"
    )
    description = serializers.CharField(allow_blank=True)
    hours_at_service = serializers.FloatField(allow_null=True, help_text="Estimated from the hours history.")
    parts = PartUsedOutputSerializer(many=True)


class PartUsageOutputSerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    part_number = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.FloatField()
    notes = serializers.CharField(allow_blank=True)


class ServiceTaskOutputSerializer(serializers.Serializer):
    """A manual's line for a service interval, with its citation."""

    task = serializers.CharField()
    document_id = serializers.IntegerField()
    document_title = serializers.CharField()
    page = serializers.IntegerField()
    language = serializers.CharField()
    chunk_id = serializers.IntegerField()


class SuggestionOutputSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="overdue | due_soon")
    interval_hours = serializers.IntegerField()
    due_at_hours = serializers.IntegerField()
    current_hours = serializers.FloatField()
    hours_overdue = serializers.FloatField(allow_null=True)
    hours_until_due = serializers.FloatField(allow_null=True)
    last_service_date = serializers.DateTimeField(allow_null=True)
    tasks = ServiceTaskOutputSerializer(many=True)


class MachineContextOutputSerializer(serializers.Serializer):
    machine = MachineDetailsOutputSerializer()
    hours = HoursOutputSerializer(allow_null=True)
    maintenance = MaintenanceOutputSerializer(many=True)
    recent_part_usage = PartUsageOutputSerializer(many=True)
    suggestions = SuggestionOutputSerializer(many=True)
