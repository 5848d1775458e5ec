"""`manage.py seed_demo`: the embedded default's demo: ABParts data, operators with tokens, manuals.

1. Creates the `abparts` schema in the default database (ABParts' tables, abparts/demo.py) and
   upserts the demo organizations, users, machines, hours, maintenance and parts. Refuses when
   ABPARTS_DATABASE_URL is set: a real ABParts database is never written.
2. Creates the local users and ABPartsAccount rows of the demo ABParts users and prints a demo
   bearer token for each (earlier tokens of these users are revoked: one live token per user).
3. Ingests the manuals listed in demo/manuals/manifest.json in this process, so the command ends
   with searchable manuals. Unchanged files are known by their content hash and skipped.

Running it again gives the same state (dates stay relative to today).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from abparts import services
from assistant.auth import get_token_backends
from assistant.auth.demo import DemoTokenBackend
from assistant.auth.services import demo_token_issue

LANGUAGE_NAMES = {"en": "English", "el": "Greek", "nb": "Norwegian", "es": "Spanish", "tr": "Turkish", "ar": "Arabic"}


class Command(BaseCommand):
    help = "Load the ABParts demo data, demo operators (with bearer tokens) and the sample manuals."

    def add_arguments(self, parser):
        parser.add_argument(
            "--manuals-dir",
            default=str(Path(settings.BASE_DIR) / "demo" / "manuals"),
            help="folder with manifest.json and the manuals it lists (default: demo/manuals)",
        )
        parser.add_argument("--no-manuals", action="store_true", help="skip the manuals (ABParts data and users only)")
        parser.add_argument("--no-tokens", action="store_true", help="do not issue (or revoke) demo tokens")

    def handle(self, *args, manuals_dir, no_manuals, no_tokens, **options):
        try:
            summary = services.demo_abparts_seed()
        except services.DemoSeedRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"ABParts demo data in schema '{settings.ABPARTS_SCHEMA}': {summary.organizations} organizations, "
            f"{summary.users} users, {summary.machines} machines, {summary.machine_hours} hours readings, "
            f"{summary.maintenance} maintenance records, {summary.parts} parts, {summary.part_usage} part usages."
        )
        accounts = services.demo_accounts_sync()
        if no_tokens:
            self.stdout.write(f"{len(accounts)} demo users (no tokens issued).")
        else:
            self._tokens(accounts)
        if not no_manuals:
            self._manuals(Path(manuals_dir))

    def _tokens(self, accounts) -> None:
        self.stdout.write("Demo users (Authorization: Bearer <token>):")
        for account in accounts:
            token = demo_token_issue(username=account.user.get_username(), name="seed_demo", revoke_all=True)
            person = account.demo_user
            language = LANGUAGE_NAMES.get(account.language, account.language or "-")
            self.stdout.write(
                f"  {person.username:<18} {person.role:<11} {account.organization_name:<24} {language:<9} {token}"
            )
        if not any(isinstance(backend, DemoTokenBackend) for backend in get_token_backends()):
            self.stderr.write(
                "Warning: no DemoTokenBackend in API_TOKEN_BACKENDS (DEMO_TOKENS_ENABLED is false): "
                "these tokens will not authenticate here."
            )

    def _manuals(self, manuals_dir: Path) -> None:
        if not (manuals_dir / "manifest.json").exists():
            self.stderr.write(f"No {manuals_dir / 'manifest.json'}: no manuals ingested.")
            return
        try:
            entries = services.demo_manifest_read(manuals_dir=manuals_dir)
        except services.ManifestError as exc:
            raise CommandError(str(exc)) from None
        outcomes = []
        for entry in entries:
            outcome = services.demo_manual_ingest(entry=entry)
            outcomes.append(outcome)
            name = entry.path.name
            if outcome.action in {"rejected", "failed"}:
                self.stderr.write(f"  {outcome.action.upper()} {name}: {outcome.detail}")
            else:
                self.stdout.write(
                    f"  manual {name}: {outcome.action} (document {outcome.document_id}, {outcome.status}, "
                    f"{outcome.seconds:.1f}s)"
                )
        failed = sum(outcome.action in {"rejected", "failed"} for outcome in outcomes)
        if failed:
            raise CommandError(f"{failed} of {len(entries)} manual(s) could not be ingested")
        ready = sum(outcome.status == "ready" for outcome in outcomes)
        self.stdout.write(
            f"{ready} manuals ready" + (f", {len(entries) - ready} still pending." if ready < len(entries) else ".")
        )
