"""Erasure requests in the admin: read-only, for the privacy officer following one up."""

from __future__ import annotations

from django.contrib import admin

from .models import ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "source", "status", "progress", "step", "requested_at", "finished_at"]
    list_filter = ["status", "source"]
    readonly_fields = [f.name for f in ErasureRequest._meta.fields]

    # The record of a right honoured: nobody edits or deletes it by hand (erase_user_data --request
    # carries a stuck one out).
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
