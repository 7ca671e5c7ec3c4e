"""The sync server's schema: SQL migrations in ``server/NNNN_name.sql`` and a version table,
and the team members' management.

``init_server(conninfo)`` applies the pending migrations in one transaction, under an advisory
lock so two administrators running it at once do not collide; a server whose schema is newer
than these files is refused untouched. Everything it creates belongs to ``console_sync_owner``,
a role nobody logs in as, and where it can it stops ordinary logins from creating temporary
objects in the database. ``add_member``, ``remove_member`` and ``list_members`` manage who may
sync a team, and as what (agent, lead or admin); the server itself checks that the caller is
an admin of the team or the database administrator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from console.services.sync import TEAM_PATTERN, SyncError, SyncRefused
from db.sync.transport import translate, where

SCHEMA = "console_sync"
OWNER_ROLE = "console_sync_owner"
CLIENT_ROLE = "console_sync_client"
APP_ROLES = ("agent", "lead", "admin")
MIGRATIONS = Path(__file__).resolve().parent / "server"
_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>\w+)\.sql$")
_INIT_LOCK = 0x5C5C_0001  # pg_advisory_xact_lock key while migrating
#: The first schema version with members' app roles and the management functions.
MEMBERS_VERSION = 2

T = TypeVar("T")


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
    #: Whether ordinary logins can no longer create temporary objects in the database.
    temporary_revoked: bool = False
    #: Why not, in words, when they still can.
    temporary_note: str = ""


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """One member of a team as the server knows them."""

    member: str  # the login role
    app_role: str  # agent, lead or admin
    workstations: tuple[str, ...]  # the workstation ids bound to this member
    last_push_at: datetime | None  # their last push from any of them (None: never)


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


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _flag(connection: psycopg.Connection, query: str, *params: object) -> bool:
    row = connection.execute(query, params or None).fetchone()
    return bool(row and row[0])


def _ensure_roles(connection: psycopg.Connection) -> None:
    """The owner and client roles exist, and the caller may hand objects to the owner."""
    for role in (OWNER_ROLE, CLIENT_ROLE):
        if not _flag(connection, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %s)", role):
            connection.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    if _flag(connection, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        return
    if not _flag(connection, "SELECT pg_has_role(current_user, %s, 'MEMBER')", OWNER_ROLE):
        connection.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(OWNER_ROLE)))
    # A schema's new owner must be allowed to create schemas in the database.
    connection.execute(
        sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
            sql.Identifier(_database(connection)), sql.Identifier(OWNER_ROLE)
        )
    )


def _database(connection: psycopg.Connection) -> str:
    row = connection.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


_PUBLIC_MAY_USE_TEMPORARY = """
SELECT EXISTS (
    SELECT FROM pg_database d,
         aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
    WHERE d.datname = current_database() AND a.grantee = 0 AND a.privilege_type = 'TEMPORARY'
)
"""


def _revoke_temporary(connection: psycopg.Connection) -> tuple[bool, str]:
    """Stop PUBLIC creating temporary objects in the database, if the caller may."""
    database = _database(connection)
    if not _flag(connection, _PUBLIC_MAY_USE_TEMPORARY):
        return True, ""
    try:
        with connection.transaction():
            connection.execute(
                sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(
                    sql.Identifier(database)
                )
            )
    except psycopg.Error as error:
        return False, f"could not revoke TEMPORARY on database {database}: {_first_line(error)}"
    if _flag(connection, _PUBLIC_MAY_USE_TEMPORARY):
        return False, (
            f"only the owner of database {database} or a superuser can stop every login "
            "creating temporary objects there (REVOKE TEMPORARY ON DATABASE "
            f"{database} FROM PUBLIC)"
        )
    return True, ""


def init_server(conninfo: str) -> InitResult:
    """Bring the server's schema to the latest version; returns what was done.

    Raises :class:`SyncRefused` (a newer schema, missing rights: nothing was changed) or
    another :class:`SyncError` (the server cannot be reached)."""
    known = migrations()
    place = where(conninfo)
    try:
        with psycopg.connect(conninfo, autocommit=False) as connection:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (_INIT_LOCK,))
                before = current_version(connection)
                if before > len(known):
                    raise SyncRefused(
                        f"The sync server's schema is version {before}, newer than this "
                        f"Support Console knows ({len(known)}); it was left untouched. "
                        "Update the console."
                    )
                applied = []
                if before < len(known):
                    _ensure_roles(connection)
                    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                    connection.execute(
                        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_version ("
                        " version integer PRIMARY KEY, name text NOT NULL,"
                        " applied_at timestamptz NOT NULL DEFAULT now())"
                    )
                    connection.execute(f"REVOKE ALL ON {SCHEMA}.schema_version FROM PUBLIC")
                    for migration in known[before:]:
                        connection.execute(migration.path.read_text(encoding="utf-8").encode())
                        connection.execute(
                            f"INSERT INTO {SCHEMA}.schema_version (version, name) VALUES (%s, %s)",
                            (migration.version, migration.name),
                        )
                        applied.append(f"{migration.version:04d}_{migration.name}")
            with connection.transaction():
                revoked, note = _revoke_temporary(connection)
    except SyncError:
        raise
    except psycopg.OperationalError as error:  # unreachable, password, TLS
        raise translate(error, conninfo) from error
    except psycopg.Error as error:  # e.g. the role may not create schemas or roles
        raise SyncRefused(
            f"{place}: the sync schema could not be created or upgraded "
            f"({_first_line(error)}); nothing was changed. Run this as the database's owner "
            "or an administrator."
        ) from error
    return InitResult(
        before=before,
        after=len(known),
        applied=tuple(applied),
        temporary_revoked=revoked,
        temporary_note=note,
    )


def missing_logins(conninfo: str, names: Sequence[str]) -> list[str]:
    """Which of ``names`` are not login roles on the server (read-only: changes nothing)."""
    if not names:
        return []
    try:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolname = ANY(%s)",
                (list(names),),
            ).fetchall()
    except psycopg.Error as error:
        raise translate(error, conninfo) from error
    found = {str(r[0]) for r in rows}
    return [n for n in names if n not in found]


#: Upgrading is initialising again: the pending migrations are applied, a newer schema refused.
upgrade_server = init_server


def check_member_request(team: str, member: str, app_role: str = "agent") -> None:
    """Refuse a bad team, login or app role in words before anything touches the server."""
    if not TEAM_PATTERN.match(team):
        raise SyncRefused(
            f'"{team}" is not a team name: a team name is 1 to 40 lower-case letters, digits '
            "or underscores (e.g. support_eu)."
        )
    if not member or len(member) > 63 or "\x00" in member:
        raise SyncRefused(f'"{member}" is not a login name: 1 to 63 characters.')
    if app_role not in APP_ROLES:
        raise SyncRefused(
            f'"{app_role}" is not an app role: a member is an agent, a lead or an admin.'
        )


_HAS_SCHEMA = "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'console_sync')"
_HAS_MEMBER_FUNCTIONS = """
SELECT EXISTS (
    SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'console_sync' AND p.proname = 'set_member'
)
"""


@contextmanager
def _managing(conninfo: str, doing: str) -> Iterator[psycopg.Connection]:
    """One transaction for a member-management call, its failures said in words."""
    place = where(conninfo)
    try:
        with (
            psycopg.connect(conninfo, autocommit=False) as connection,
            connection.transaction(),
        ):
            if not _flag(connection, _HAS_MEMBER_FUNCTIONS):
                if not _flag(connection, _HAS_SCHEMA):
                    raise SyncRefused(
                        f"The server at {place} has no Support Console sync schema yet: "
                        "run 'python main.py sync init-server --url …' against it once."
                    )
                raise SyncRefused(
                    f"{place}: the sync schema is older than version {MEMBERS_VERSION}, "
                    "which knows members' roles: run 'python main.py sync upgrade-server "
                    "--url …' first."
                )
            yield connection
    except SyncError:
        raise
    except psycopg.OperationalError as error:
        raise translate(error, conninfo) from error
    except (pg_errors.UndefinedFunction, pg_errors.InvalidSchemaName) as error:
        raise translate(error, conninfo) from error
    except psycopg.errors.InsufficientPrivilege as error:
        text = _first_line(error)
        if "permission denied" in text:
            text = "this user may not manage sync teams"
        raise SyncRefused(f"{place}: could not {doing}: {text}; nothing was changed.") from error
    except psycopg.Error as error:
        raise SyncRefused(
            f"{place}: could not {doing}: {_first_line(error)}; nothing was changed."
        ) from error


def _managed(conninfo: str, doing: str, call: Callable[[psycopg.Connection], T]) -> T:
    with _managing(conninfo, doing) as connection:
        return call(connection)


def add_member(conninfo: str, team: str, member: str, app_role: str = "agent") -> None:
    """Let the login role ``member`` sync ``team`` as ``app_role`` (or change their role)."""
    check_member_request(team, member, app_role)
    _managed(
        conninfo,
        f"make {member} {app_role} of team {team}",
        lambda c: c.execute(
            f"SELECT {SCHEMA}.set_member(%s, %s, %s)", (team, member, app_role)
        ).fetchall(),
    )


def remove_member(conninfo: str, team: str, member: str) -> None:
    """Stop the login role ``member`` syncing ``team``; the log keeps what they pushed."""
    check_member_request(team, member)
    _managed(
        conninfo,
        f"remove {member} from team {team}",
        lambda c: c.execute(f"SELECT {SCHEMA}.remove_member(%s, %s)", (team, member)).fetchall(),
    )


def list_members(conninfo: str, team: str) -> list[MemberInfo]:
    """The team's members, their app roles and workstations, by login name."""
    check_member_request(team, "-")
    rows = _managed(
        conninfo,
        f"list the members of team {team}",
        lambda c: c.execute(
            f"SELECT member, app_role, workstations, last_push_at FROM {SCHEMA}.members_of(%s)",
            (team,),
        ).fetchall(),
    )
    return [MemberInfo(str(m), str(r), tuple(w or ()), at) for m, r, w, at in rows]
