"""Run a benchmark against its own database on the embedded server (or DATABASE_URL's server).

Benchmarks never touch the product's data: each uses a database named autoboss_bench_<name>.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent


def setup(name: str, *, migrate: bool = True) -> None:
    import warnings

    # platformdirs complains when XDG_RUNTIME_DIR is unset (containers, CI); irrelevant here.
    warnings.filterwarnings("ignore", module="platformdirs")
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    database = f"autoboss_bench_{name}"
    if not os.environ.get("DATABASE_URL"):
        import psycopg

        from config.embedded_db import ensure_embedded_database

        var_dir = Path(os.environ.get("VAR_DIR", REPO / "var"))
        url = ensure_embedded_database(var_dir)
        socket_dir = url.split("host=", 1)[1]
        admin = f"postgresql://postgres@/postgres?host={socket_dir}"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
                conn.execute(f'CREATE DATABASE "{database}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@/{database}?host={quote(socket_dir, safe='/')}"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
