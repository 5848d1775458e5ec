"""manage.py purge_expired [--dry-run]: the retention purge the nightly beat task runs."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from privacy.services import retention_purge


class Command(BaseCommand):
    help = "Delete conversations past PRIVACY_RETENTION_DAYS for their status (never one with an open ticket)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args, dry_run, **options):
        report = retention_purge(dry_run=dry_run)
        days = ", ".join(f"{status} {n} d" for status, n in settings.PRIVACY_RETENTION_DAYS.items())
        verb = "would delete" if dry_run else "deleted"
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(report.counts.items())) or "nothing"
        self.stdout.write(f"retention ({days}): {verb} {counts}")
        self.stdout.write(f"kept for open tickets: {report.kept_for_open_tickets} conversation(s)")
