"""Admin building blocks shared by the apps (nothing is registered here)."""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """For rows only the product writes (chunks, runs, statistics, e-mail logs): staff look, never edit.

    Works on ModelAdmin and on inlines (whose permission hooks also take `obj`).
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
