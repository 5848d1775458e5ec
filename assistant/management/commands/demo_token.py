"""Print a bearer token for the API: `TOKEN=$(manage.py demo_token alice --create)`.

stdout carries only the token (one line), so scripts can capture it; notes and errors go to stderr.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from assistant.auth.demo import DemoTokenBackend
from assistant.auth.services import DemoTokenError, demo_token_issue


class Command(BaseCommand):
    help = "Issue a demo API bearer token for a user and print only the token on stdout."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--create", action="store_true", help="Create the user (no password) when missing.")
        parser.add_argument("--staff", action="store_true", help="Make the user staff (is_staff).")
        parser.add_argument("--name", default="demo_token", help="A label for the token (default: demo_token).")
        parser.add_argument("--expires-days", type=int, default=None, help="Expire the token after N days.")
        parser.add_argument(
            "--revoke-all", action="store_true", help="Revoke the user's earlier tokens before issuing this one."
        )

    def handle(self, *args, username, create, staff, name, expires_days, revoke_all, **options):
        try:
            token = demo_token_issue(
                username=username,
                create=create,
                staff=staff,
                name=name,
                expires_days=expires_days,
                revoke_all=revoke_all,
            )
        except DemoTokenError as exc:
            raise CommandError(str(exc)) from None
        if not _demo_backend_enabled():
            self.stderr.write(
                "Warning: no DemoTokenBackend in API_TOKEN_BACKENDS (DEMO_TOKENS_ENABLED is false): "
                "this token will not authenticate here."
            )
        self.stdout.write(token)


def _demo_backend_enabled() -> bool:
    for conf in (getattr(settings, "API_TOKEN_BACKENDS", None) or {}).values():
        try:
            if issubclass(import_string((conf or {}).get("BACKEND", "")), DemoTokenBackend):
                return True
        except ImportError:
            continue  # reported by core.E003
    return False
