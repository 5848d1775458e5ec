"""The pgvector version of the database, read once per process (issue 11, hole 4).

pgvector 0.5 brings HNSW indexes, the documented minimum. Iterative index scans
(`hnsw.iterative_scan`, which keeps a filtered HNSW scan going until enough rows pass) came in 0.8,
and an older pgvector rejects the setting outright, so search asks for them only when the installed
version has them (knowledge/search.py) and the system check says what an older one costs
(core/checks.py).
"""

from __future__ import annotations

import re

from django.db import connections

MINIMUM_VERSION = (0, 5, 0)
ITERATIVE_SCAN_VERSION = (0, 8, 0)

# alias -> installed version. Only a found version is kept: an extension created later (migrations
# of a fresh database) is seen on the next call.
_versions: dict[str, tuple[int, ...]] = {}


def parse_version(text: str) -> tuple[int, ...]:
    """ "0.8.0" -> (0, 8, 0); a suffix ("0.5.1-dev") is ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def pgvector_version(using: str = "default") -> tuple[int, ...] | None:
    """The installed `vector` extension's version in database `using`, None when not installed."""
    version = _versions.get(using)
    if version is None:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        if row is None:
            return None
        version = _versions[using] = parse_version(row[0])
    return version


def supports_iterative_scan(using: str = "default") -> bool:
    version = pgvector_version(using)
    return version is not None and version >= ITERATIVE_SCAN_VERSION
