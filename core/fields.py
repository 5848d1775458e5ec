"""Model fields whose values are stored encrypted (core/encryption.py says how and why).

An encrypted column holds a Fernet token (text); Python code sees the plain value. It cannot be
searched, filtered or ordered by in SQL, so only free text people typed is encrypted; ids, numbers,
statuses and dates stay clear (docs/privacy.md lists the fields).
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from . import encryption


class EncryptedMixin:
    """Marks the fields `manage.py rotate_encryption_key` re-encrypts."""

    encrypted = True


class EncryptedTextField(EncryptedMixin, models.TextField):
    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encryption.encrypt(value)

    def from_db_value(self, value, expression, connection):
        return None if value is None else encryption.decrypt(value)


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """JSON (a list or dict) stored as one encrypted token; Python sees the parsed value."""

    def get_prep_value(self, value):
        if value is None:
            return None
        return encryption.encrypt(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(encryption.decrypt(value))

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder, ensure_ascii=False)

    def formfield(self, **kwargs):
        from django.forms import JSONField

        return JSONField(**{"encoder": DjangoJSONEncoder, **kwargs})


def encrypted_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]
