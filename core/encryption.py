"""Encryption at rest of what people typed (issue 13): MultiFernet with keys from the environment.

`FIELD_ENCRYPTION_KEYS` holds Fernet keys, newest first: the newest encrypts, every one decrypts,
so a new key is added in front, `manage.py rotate_encryption_key` re-encrypts the rows, and the old
key is dropped afterwards (docs/privacy.md, "Key rotation"). Production without a key is a startup
error (core.E008). The embedded default, which must run with nothing configured, generates one key
and keeps it in VAR_DIR/field-encryption.key (mode 0600) with a warning: whoever copies VAR_DIR
copies the key, which is acceptable for a laptop, not for a deployment.

Why our own small field and not django-fernet-encrypted-fields: that package derives its keys from
SECRET_KEY and a salt setting, so rotating SECRET_KEY (sessions, tokens) would make every stored
message unreadable, and it has no resumable re-encryption. docs/decisions/0010-field-encryption.md.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "field-encryption.key"
_lock = threading.Lock()


class EncryptionKeyError(RuntimeError):
    """No usable key: production without FIELD_ENCRYPTION_KEYS, or a malformed key."""


def configured_keys() -> list[str]:
    return [key.strip() for key in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if key.strip()]


@lru_cache(maxsize=1)
def _keys() -> tuple[Fernet, ...]:
    keys = configured_keys() or [_embedded_key()]
    try:
        return tuple(Fernet(key) for key in keys)
    except ValueError as exc:
        raise EncryptionKeyError(
            "FIELD_ENCRYPTION_KEYS holds a malformed key: each must be 32 url-safe base64-encoded bytes "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        ) from exc


def _embedded_key() -> str:
    if getattr(settings, "ENVIRONMENT", "local") == "production":
        raise EncryptionKeyError("FIELD_ENCRYPTION_KEYS is not set (production never generates a key).")
    path = Path(settings.VAR_DIR) / KEY_FILE_NAME
    with _lock:
        if not path.exists():
            key = Fernet.generate_key()
            # O_EXCL: two processes starting at once (gunicorn workers, the worker) keep one key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(key)
                logger.warning(
                    "FIELD_ENCRYPTION_KEYS is not set: generated a key in %s for this local instance; "
                    "set FIELD_ENCRYPTION_KEYS in any real deployment",
                    path,
                )
        return path.read_text().strip()


def forget_keys() -> None:
    """Read the keys again on next use (tests, and after the settings changed)."""
    _keys.cache_clear()


def encrypt(plaintext: str) -> str:
    return _keys()[0].encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return MultiFernet(list(_keys())).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise EncryptionKeyError(
            "A stored value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS (was a key removed "
            "before `manage.py rotate_encryption_key` finished?)."
        ) from exc


def is_current(token: str) -> bool:
    """Whether the newest key alone decrypts `token` (rotation skips it then: resumable)."""
    try:
        _keys()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    return MultiFernet(list(_keys())).rotate(token.encode()).decode()


# --- migrations -----------------------------------------------------------------------------------
_BATCH = 1000


def encrypt_existing_rows(table: str, *columns: str):
    """A RunPython operation that encrypts the plaintext already in `columns` of `table`.

    Runs after the AlterField that made the columns encrypted fields (their type is text by then).
    Raw SQL, because a historical model would try to decrypt the plaintext. In id order, in batches,
    skipping values that are already tokens: running it again, or after an interruption, is safe.
    """
    from django.db import migrations

    def forwards(apps, schema_editor):
        _convert(schema_editor.connection, table, columns, lambda value: None if _is_token(value) else encrypt(value))

    def backwards(apps, schema_editor):
        _convert(schema_editor.connection, table, columns, lambda value: decrypt(value) if _is_token(value) else None)

    return migrations.RunPython(forwards, backwards, elidable=False)


def _is_token(value: str) -> bool:
    try:
        MultiFernet(list(_keys())).decrypt(value.encode())
    except (InvalidToken, ValueError):
        return False
    return True


def _convert(connection, table: str, columns: tuple[str, ...], change) -> None:
    quoted = ", ".join(f'"{c}"' for c in columns)
    last = None  # keyset pagination on the primary key, whatever its type (integer or UUID)
    with connection.cursor() as cursor:
        while True:
            after = "" if last is None else "WHERE id > %s"
            params = [_BATCH] if last is None else [last, _BATCH]
            cursor.execute(f'SELECT id, {quoted} FROM "{table}" {after} ORDER BY id LIMIT %s', params)
            rows = cursor.fetchall()
            if not rows:
                return
            for row in rows:
                updates = {c: change(v) for c, v in zip(columns, row[1:], strict=True) if v is not None}
                updates = {c: v for c, v in updates.items() if v is not None}
                if updates:
                    assignments = ", ".join(f'"{c}" = %s' for c in updates)
                    cursor.execute(f'UPDATE "{table}" SET {assignments} WHERE id = %s', [*updates.values(), row[0]])
            last = rows[-1][0]
