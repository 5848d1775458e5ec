"""Who may change knowledge: superusers and staff in the "Knowledge editors" group."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

KNOWLEDGE_EDITORS_GROUP = "Knowledge editors"


def is_knowledge_editor(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name=KNOWLEDGE_EDITORS_GROUP).exists()


class IsKnowledgeEditor(BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_knowledge_editor(request.user)


class IsStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)
