"""Admin: the local mirrors of ABParts users (read-only; ABParts is the source of truth)."""

from __future__ import annotations

from django.contrib import admin

from .models import ABPartsAccount


@admin.register(ABPartsAccount)
class ABPartsAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "abparts_user_id", "organization_id", "role", "preferred_language", "synced_at"]
    list_filter = ["role", "preferred_language"]
    search_fields = ["user__username", "user__first_name", "abparts_user_id", "organization_id"]
    readonly_fields = ["user", "abparts_user_id", "organization_id", "role", "preferred_language", "synced_at"]

    def has_add_permission(self, request) -> bool:
        return False  # created when an ABParts user first signs in (or by seed_demo)

    def has_change_permission(self, request, obj=None) -> bool:
        return False
