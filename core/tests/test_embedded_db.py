from __future__ import annotations

import numpy as np
import psutil
import psycopg
import pytest
from pgvector.psycopg import register_vector

from config.embedded_db import ensure_embedded_database, stop_embedded_database


def _postgres_processes_for(pgdata: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if pgdata in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def test_embedded_database_boots_from_nothing_with_pgvector(tmp_path):
    var_dir = tmp_path / "var"
    url = ensure_embedded_database(var_dir, cleanup=False)
    try:
        assert (var_dir / "pgdata" / "PG_VERSION").read_text().strip() == "18"
        conninfo = url.replace("postgres://", "postgresql://", 1)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            register_vector(conn)
            version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
            assert version is not None and tuple(int(x) for x in version[0].split(".")[:2]) >= (0, 5)
            conn.execute("CREATE TABLE items (id int PRIMARY KEY, embedding vector(384))")
            vector = np.linspace(-1, 1, 384, dtype=np.float32)
            conn.execute("INSERT INTO items VALUES (1, %s)", (vector,))
            stored = conn.execute("SELECT embedding FROM items WHERE id = 1").fetchone()[0]
            np.testing.assert_allclose(stored.to_numpy(), vector, rtol=1e-6)
            distance = conn.execute("SELECT embedding <=> %s FROM items", (vector,)).fetchone()[0]
            assert distance == pytest.approx(0.0, abs=1e-6)

        # Idempotent: a second call joins the running server instead of failing.
        assert ensure_embedded_database(var_dir, cleanup=False) == url
    finally:
        stop_embedded_database(var_dir)
    assert _postgres_processes_for(str(var_dir / "pgdata")) == []


def test_embedded_database_survives_restart(tmp_path):
    var_dir = tmp_path / "var"
    url = ensure_embedded_database(var_dir, cleanup=False).replace("postgres://", "postgresql://", 1)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (note text)")
            conn.execute("INSERT INTO kept VALUES ('still here')")
        stop_embedded_database(var_dir)
        ensure_embedded_database(var_dir, cleanup=False)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT note FROM kept").fetchone()[0] == "still here"
    finally:
        stop_embedded_database(var_dir)


@pytest.mark.django_db
def test_project_database_has_pgvector():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT '[1,2,3]'::vector(3) <-> '[1,2,4]'::vector(3)")
        assert cursor.fetchone()[0] == pytest.approx(1.0)
