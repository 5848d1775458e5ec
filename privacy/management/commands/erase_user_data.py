"""manage.py erase_user_data <user> | --request <id>: carry out an erasure now, in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from privacy.models import ErasureStatus
from privacy.selectors import user_for_reference
from privacy.services import erasure_request_create, erasure_retry, erasure_run


class Command(BaseCommand):
    help = (
        "Erase a user's conversations, messages, feedback, fix cards and runs, and anonymise their tickets "
        "(the account itself stays). Runs here, not in the worker; repeating it is harmless."
    )

    def add_arguments(self, parser):
        parser.add_argument("user", nargs="?", help="A username, or the ABParts user id of an operator.")
        parser.add_argument("--request", help="Carry out this queued or failed erasure request (its id).")

    def handle(self, *args, user, request, **options):
        if request:
            erasure_retry(request_id=request)  # a failed one goes back to the queue first
            erasure = erasure_run(request_id=request)
        else:
            found = user_for_reference(user) if user else None
            if found is None:
                raise CommandError(f"no user {user!r}" if user else "give a user or --request <id>")
            erasure, _ = erasure_request_create(user=found, source="command", enqueue=False)
            erasure = erasure_run(request_id=erasure.pk)
        if erasure.status != ErasureStatus.DONE:
            raise CommandError(f"erasure {erasure.pk} is {erasure.status} ({erasure.error or erasure.step})")
        removed = {kind: n for kind, n in sorted(erasure.counts.items()) if n}
        if removed:
            details = ", ".join(f"{kind} {n}" for kind, n in removed.items())
            self.stdout.write(f"erasure {erasure.pk} done: {details}")
        else:
            self.stdout.write(f"erasure {erasure.pk} done: nothing left to erase (already erased)")
