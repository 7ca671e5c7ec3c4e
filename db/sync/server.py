"""The sync server's schema: SQL migrations in ``server/NNNN_name.sql`` and a version table.

``init_server(conninfo)`` applies the pending migrations in one transaction, under an advisory
lock so two administrators running it at once do not collide; a server whose schema is newer
than these files is refused untouched. ``add_member`` lets a database role sync a team.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from console.services.sync import SyncRefused

SCHEMA = "console_sync"
MIGRATIONS = Path(__file__).resolve().parent / "server"
_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>\w+)\.sql$")
_INIT_LOCK = 0x5C5C_0001  # pg_advisory_xact_lock key while migrating


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path


@dataclass(frozen=True, slots=True)
class InitResult:
    before: int  # the schema version found (0: none)
    after: int
    applied: tuple[str, ...]


def migrations() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path.name}: server migrations are named NNNN_name.sql")
        found.append(Migration(int(match["version"]), match["name"], path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"server migrations must be numbered 1, 2, 3…; found {versions}")
    return found


def latest_version() -> int:
    return len(migrations())


def current_version(connection: psycopg.Connection) -> int:
    exists = connection.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.schema_version",)
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = connection.execute(f"SELECT COALESCE(max(version), 0) FROM {SCHEMA}.schema_version")
    value = row.fetchone()
    return int(value[0]) if value else 0


def init_server(conninfo: str) -> InitResult:
    """Bring the server's schema to the latest version; returns what was done."""
    known = migrations()
    with psycopg.connect(conninfo, autocommit=False) as connection, connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_INIT_LOCK,))
        before = current_version(connection)
        if before > len(known):
            raise SyncRefused(
                f"The sync server's schema is version {before}, newer than this Support "
                f"Console knows ({len(known)}); it was left untouched. Update the console."
            )
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_version ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        connection.execute(f"REVOKE ALL ON {SCHEMA}.schema_version FROM PUBLIC")
        applied = []
        for migration in known[before:]:
            connection.execute(migration.path.read_text(encoding="utf-8").encode())
            connection.execute(
                f"INSERT INTO {SCHEMA}.schema_version (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            applied.append(f"{migration.version:04d}_{migration.name}")
    return InitResult(before=before, after=len(known), applied=tuple(applied))


def add_member(conninfo: str, team: str, role: str) -> None:
    """Let the database role ``role`` push and pull for ``team``."""
    with psycopg.connect(conninfo, autocommit=False) as connection, connection.transaction():
        connection.execute(
            f"INSERT INTO {SCHEMA}.members (team, member) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (team, role),
        )
        connection.execute(sql.SQL("GRANT console_sync_client TO {}").format(sql.Identifier(role)))
