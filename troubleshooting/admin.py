"""Admin: fix cards for expert review, troubleshooting runs (read-only), what the step order learned."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from core.admin import ReadOnlyAdminMixin

from .models import FixCard, RunStep, StepStat, TroubleshootingRun


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Runs and statistics are written by the chat only; staff look, they do not edit."""


class RunStepInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RunStep
    extra = 0
    can_delete = False
    fields = ["number", "manual_order", "instruction", "safety_warning", "outcome", "note", "success_estimate", "page"]
    readonly_fields = fields


@admin.register(TroubleshootingRun)
class TroubleshootingRunAdmin(ReadOnlyAdmin):
    list_display = ["procedure_title", "machine_model", "machine_id", "language", "status", "end_reason",
                    "failed_steps", "started_at"]  # fmt: skip
    list_filter = ["status", "end_reason", "machine_model", "language"]
    search_fields = ["procedure_title", "machine_id"]  # the symptom is encrypted (docs/privacy.md)
    date_hierarchy = "started_at"
    inlines = [RunStepInline]


@admin.register(StepStat)
class StepStatAdmin(ReadOnlyAdmin):
    list_display = ["step_key", "machine_model", "successes", "tries", "updated_at"]
    list_filter = ["machine_model"]
    search_fields = ["step_key"]


@admin.register(FixCard)
class FixCardAdmin(admin.ModelAdmin):
    list_display = ["title", "machine_model", "language", "status", "created_at", "reviewed_at"]
    list_filter = ["status", "machine_model", "language"]
    search_fields = ["title", "fix"]  # symptom and note are encrypted (docs/privacy.md)
    readonly_fields = ["run", "user", "machine_model", "language", "title", "symptom", "fix", "note", "created_at",
                       "reviewed_by", "reviewed_at"]  # fmt: skip
    fields = [*readonly_fields[:8], "status", "reviewed_by", "reviewed_at", "created_at"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request) -> bool:
        return False  # fix cards come from operators' resolved runs

    @admin.action(description="Approve selected fix cards")
    def approve(self, request, queryset):
        self._review(request, queryset, FixCard.Status.APPROVED)

    @admin.action(description="Reject selected fix cards")
    def reject(self, request, queryset):
        self._review(request, queryset, FixCard.Status.REJECTED)

    def _review(self, request, queryset, status: str) -> None:
        count = queryset.update(status=status, reviewed_by=request.user, reviewed_at=timezone.now())
        messages.success(request, f"{count} fix card(s) marked {status}.")

    def save_model(self, request, obj, form, change):
        if change and "status" in form.changed_data:
            obj.reviewed_by, obj.reviewed_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
