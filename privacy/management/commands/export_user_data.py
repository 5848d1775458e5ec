"""manage.py export_user_data <user> [--output FILE]: everything stored about one user, as JSON."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from privacy.selectors import user_export_json, user_for_reference


class Command(BaseCommand):
    help = "Write everything stored about a user (username or ABParts user id) as one JSON document."

    def add_arguments(self, parser):
        parser.add_argument("user", help="A username, or the ABParts user id of an operator.")
        parser.add_argument("--output", "-o", help="Write to this file (default: standard output).")

    def handle(self, *args, user, output, **options):
        found = user_for_reference(user)
        if found is None:
            raise CommandError(f"no user {user!r}")
        if output:
            with open(output, "w", encoding="utf-8") as out:
                out.writelines(user_export_json(user=found))
            self.stderr.write(f"exported user {found.pk} to {output}")
        else:
            for piece in user_export_json(user=found):
                self.stdout.write(piece, ending="")
