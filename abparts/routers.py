"""Database routing: ABParts' own tables are read through the read-only `abparts` alias.

The app's unmanaged models (organizations, users, machines, ...) live in ABParts' database; every
other model, including the app's own ABPartsAccount, lives in `default`. Nothing is ever migrated on
`abparts`: its tables belong to ABParts (or, in the embedded default, to `manage.py seed_demo`).
"""

from __future__ import annotations

from django.conf import settings


def is_abparts_model(model) -> bool:
    """An unmanaged model of this app: a table owned by ABParts."""
    meta = model._meta
    return meta.app_label == "abparts" and not meta.managed


class ABPartsRouter:
    @property
    def alias(self) -> str:
        return getattr(settings, "ABPARTS_DATABASE_ALIAS", "abparts")

    def db_for_read(self, model, **hints):
        return self.alias if is_abparts_model(model) else None

    def db_for_write(self, model, **hints):
        # Sent to the read-only alias on purpose: a write fails there (read-only transaction)
        # instead of landing in our own database.
        return self.alias if is_abparts_model(model) else None

    def allow_relation(self, obj1, obj2, **hints):
        # obj._meta, not type(obj)._meta: request.user is a SimpleLazyObject wrapping the real user.
        if is_abparts_model(obj1) != is_abparts_model(obj2):
            return False  # no relation crosses the two databases
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == self.alias:
            return False
        return None
