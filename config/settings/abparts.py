"""The read-only ABParts database alias (abparts/, docs/abparts.md).

ABParts' own tables (machines, hours, maintenance, parts...) are read through a second database
alias, `abparts`; abparts.routers.ABPartsRouter sends the app's unmanaged models there and never
migrates anything on it.

* ABPARTS_DATABASE_URL set: ABParts' PostgreSQL (production: the database ABParts itself uses).
* unset (the embedded default, CI, development): the same database as `default`, schema `abparts`
  (search_path), which `manage.py seed_demo` creates and fills with demo data.

Either way the connection is read-only (default_transaction_read_only) and every statement is
bounded, so a slow ABParts query cannot hold a chat turn. base.py adds the alias to DATABASES with
`abparts_database(DATABASES["default"])`.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import environ

from .environment import env

# ABParts' PostgreSQL, read-only. Unset: schema ABPARTS_SCHEMA of the default database (seed_demo).
ABPARTS_DATABASE_URL = env.str("ABPARTS_DATABASE_URL", default="")
# Upper bound of one ABParts query (ms), and of connecting to ABParts' server (s).
ABPARTS_DB_STATEMENT_TIMEOUT_MS = env.int("ABPARTS_DB_STATEMENT_TIMEOUT_MS", default=5000)
ABPARTS_DB_CONNECT_TIMEOUT = env.int("ABPARTS_DB_CONNECT_TIMEOUT", default=3)
# The schema holding the ABParts tables inside the default database when ABPARTS_DATABASE_URL is
# unset. seed_demo writes there (through `default`); it never writes to a separate ABParts database.
ABPARTS_SCHEMA = "abparts"
ABPARTS_DATABASE_ALIAS = "abparts"


def abparts_database(
    default: dict[str, Any],
    *,
    url: str = ABPARTS_DATABASE_URL,
    schema: str = ABPARTS_SCHEMA,
    statement_timeout_ms: int = ABPARTS_DB_STATEMENT_TIMEOUT_MS,
    connect_timeout: int = ABPARTS_DB_CONNECT_TIMEOUT,
) -> dict[str, Any]:
    """The DATABASES entry of the `abparts` alias, derived from the default one when `url` is empty."""
    if url:
        database = environ.Env.db_url_config(url)
        options = database.setdefault("OPTIONS", {})
        if not database.get("HOST") and options.get("host"):  # a socket directory given as ?host=
            database["HOST"] = options.pop("host")
        flags = [options.pop("options")] if options.get("options") else []
    else:
        database = deepcopy(default)
        database.pop("TEST", None)
        options = database.setdefault("OPTIONS", {})
        options.pop("options", None)  # default's own flags (its statement_timeout) are replaced below
        flags = [f"-c search_path={schema}"]
    flags += [
        # Enforced by the server for every transaction of this connection: nothing we run on this
        # alias can write, whatever the database role would allow.
        "-c default_transaction_read_only=on",
        f"-c statement_timeout={int(statement_timeout_ms)}",
    ]
    options["options"] = " ".join(flags)
    options.setdefault("connect_timeout", int(connect_timeout))
    database.setdefault("CONN_MAX_AGE", default.get("CONN_MAX_AGE", 60))
    database["CONN_HEALTH_CHECKS"] = True
    # Tests never touch a real ABParts database: the alias reads the default test database (its
    # `abparts` schema, created by the abparts test fixtures with seed_demo's DDL), through its own
    # read-only connection. See docs/decisions/0005-abparts-database-alias.md.
    database["TEST"] = {"MIRROR": "default"}
    return database
