"""`manage.py healthcheck`: the readiness checks, exit code 0 when ready, 1 otherwise.

Usable as a Docker HEALTHCHECK. Spends no LLM tokens and sends no task.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand

from core.health import ping_worker, run_readiness_checks


class Command(BaseCommand):
    help = "Check database, migrations, pgvector, cache, broker and worker heartbeat; exit 1 if not ready."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--skip", action="append", default=[], help="skip a check by name (repeatable)")
        parser.add_argument(
            "--ping-worker",
            type=float,
            metavar="SECONDS",
            help="also send a ping task through the broker and wait this long for a worker to answer",
        )

    def handle(self, *args, **options):
        ok, checks = run_readiness_checks(skip=frozenset(options["skip"]))
        if options["ping_worker"]:
            result = ping_worker(timeout=options["ping_worker"])
            checks["worker_ping"] = asdict(result)
            ok = ok and result.ok
        if options["json"]:
            self.stdout.write(json.dumps({"status": "ok" if ok else "fail", "checks": checks}))
        else:
            for name, result in checks.items():
                mark = "ok  " if result["ok"] else "FAIL"
                detail = f" ({result['detail']})" if result["detail"] else ""
                self.stdout.write(f"{mark} {name:<11} {result['ms']:>7.1f} ms{detail}")
        if not ok:
            raise SystemExit(1)
