"""Re-encrypt every encrypted column with the newest key in FIELD_ENCRYPTION_KEYS.

    FIELD_ENCRYPTION_KEYS=<new>,<old> manage.py rotate_encryption_key [--batch 500] [--dry-run]

Runs while the service runs: each batch is its own short transaction, rows are read and written
by primary key in order, and a value the newest key already decrypts is skipped, so an interrupted
run is simply started again. When it reports 0 left, the old key can be removed from the list.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core import encryption
from core.fields import encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt stored values with the newest FIELD_ENCRYPTION_KEYS key (resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be re-encrypted")

    def handle(self, *args, batch, dry_run, **options):
        total = 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            changed = _rotate_table(model._meta.db_table, [f.column for f in fields], batch, dry_run)
            total += changed
            self.stdout.write(
                f"{model._meta.label}: {changed} value(s) {'to re-encrypt' if dry_run else 're-encrypted'}"
            )
        self.stdout.write(self.style.SUCCESS(f"{'would re-encrypt' if dry_run else 're-encrypted'} {total} value(s)"))


def _rotate_table(table: str, columns: list[str], batch: int, dry_run: bool) -> int:
    quoted = ", ".join(f'"{c}"' for c in columns)
    changed, last = 0, None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            after = "" if last is None else "WHERE id > %s"
            params = [batch] if last is None else [last, batch]
            # FOR UPDATE: a turn writing the same row waits for this batch instead of being overwritten.
            cursor.execute(f'SELECT id, {quoted} FROM "{table}" {after} ORDER BY id LIMIT %s FOR UPDATE', params)
            rows = cursor.fetchall()
            if not rows:
                return changed
            for row in rows:
                stale = {c: v for c, v in zip(columns, row[1:], strict=True) if v and not encryption.is_current(v)}
                changed += len(stale)
                if stale and not dry_run:
                    assignments = ", ".join(f'"{c}" = %s' for c in stale)
                    values = [encryption.reencrypt(v) for v in stale.values()]
                    cursor.execute(f'UPDATE "{table}" SET {assignments} WHERE id = %s', [*values, row[0]])
            last = rows[-1][0]
