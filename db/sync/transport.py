"""Talking to the sync server: its three functions over psycopg, and LISTEN for its notices.

:class:`PgTransport` connects lazily and reconnects after any failure, so a server restart
costs one failed round. Every psycopg failure comes out as a :class:`SyncError` said in words
(:class:`SyncUnavailable` for "try again soon", :class:`SyncRefused` for "fix the settings").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from console.services.sync import SyncError, SyncRefused, SyncSettings, SyncUnavailable, TlsMode

CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True, slots=True)
class RemoteChange:
    """One row of the server's change log."""

    seq: int
    workstation: str
    author: str
    entity: str
    row_id: str
    hlc: str
    fields: dict[str, Any]
    bases: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PushReply:
    received: int
    inserted: int
    last: str  # the id of the last change the server received: which request this answers
    seq: int


@dataclass(frozen=True, slots=True)
class ServerInfo:
    server_id: str
    version: int
    last_seq: int


class Transport(Protocol):
    def hello(self, team: str) -> ServerInfo: ...
    def push(
        self, team: str, workstation: str, author: str, changes: list[dict[str, Any]]
    ) -> PushReply: ...
    def pull(self, team: str, cursor: int, limit: int) -> list[RemoteChange]: ...
    def close(self) -> None: ...


def conninfo(settings: SyncSettings, password: str | None) -> str:
    """A libpq connection string: the URL plus user, password and TLS mode."""
    extra: dict[str, Any] = {
        "user": settings.user,
        "sslmode": settings.tls_mode.value,
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": "support-console-sync",
    }
    if password:
        extra["password"] = password
    if settings.tls_mode is TlsMode.VERIFY_FULL and "sslrootcert" not in settings.url:
        extra["sslrootcert"] = "system"  # the operating system's trusted authorities
    return psycopg.conninfo.make_conninfo(settings.url, **extra)


def where(info: str) -> str:
    """``host:port`` (or the socket folder) of a connection string, for messages."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(info)
    except psycopg.ProgrammingError:
        return "the sync server"
    host = str(params.get("host") or "the local socket")
    return f"{host}:{params['port']}" if params.get("port") else host


def translate(error: BaseException, info: str) -> SyncError:
    """A psycopg failure in words."""
    place = where(info)
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, pg_errors.InvalidPassword) or "password authentication failed" in text:
        return SyncRefused(f"The sync server at {place} refused the user name or password.")
    if isinstance(error, pg_errors.InsufficientPrivilege):
        if "permission denied" in text:
            return SyncRefused(
                f"The sync server at {place} does not let this user sync: ask its "
                "administrator to run 'sync init-server --member TEAM:USER' for you."
            )
        return SyncRefused(f"The sync server at {place} refused: {text}.")
    if isinstance(error, (pg_errors.UndefinedFunction, pg_errors.InvalidSchemaName)):
        return SyncRefused(
            f"The server at {place} has no Support Console sync schema yet: run "
            "'python main.py sync init-server --url …' against it once."
        )
    if isinstance(error, pg_errors.InvalidParameterValue):
        return SyncRefused(f"The sync server at {place} refused the request: {text}.")
    if "SSL" in text or "certificate" in text:
        return SyncRefused(f"A secure (TLS) connection to {place} failed: {text}.")
    if isinstance(error, psycopg.OperationalError):
        return SyncUnavailable(f"Cannot reach the sync server at {place}: {text}.")
    if isinstance(error, psycopg.Error):
        return SyncUnavailable(f"The sync server at {place} failed: {text}.")
    return SyncUnavailable(f"Talking to the sync server at {place} failed: {text}.")


class PgTransport:
    """Push and pull over one lazily (re)opened connection; used by one thread."""

    def __init__(self, info: str) -> None:
        self._info = info
        self._connection: psycopg.Connection | None = None

    @property
    def info(self) -> str:
        return self._info

    def _open(self) -> psycopg.Connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._info, autocommit=True)
        return self._connection

    @contextmanager
    def _calling(self) -> Iterator[psycopg.Connection]:
        try:
            yield self._open()
        except psycopg.Error as error:
            self.close()
            raise translate(error, self._info) from error

    def hello(self, team: str) -> ServerInfo:
        with self._calling() as connection:
            row = connection.execute("SELECT console_sync.hello(%s)", (team,)).fetchone()
        assert row is not None
        data = row[0]
        return ServerInfo(str(data["server_id"]), int(data["version"]), int(data["last_seq"]))

    def push(
        self, team: str, workstation: str, author: str, changes: list[dict[str, Any]]
    ) -> PushReply:
        payload = json.dumps(changes, ensure_ascii=False, separators=(",", ":"))
        with self._calling() as connection:
            row = connection.execute(
                "SELECT console_sync.push(%s, %s, %s::jsonb, %s)",
                (team, workstation, payload, author),
            ).fetchone()
        assert row is not None
        data = row[0]
        return PushReply(
            int(data["received"]), int(data["inserted"]), str(data["last"] or ""), int(data["seq"])
        )

    def pull(self, team: str, cursor: int, limit: int) -> list[RemoteChange]:
        with self._calling() as connection:
            rows = connection.execute(
                "SELECT seq, workstation, author, entity, row_id, hlc, fields, bases"
                " FROM console_sync.pull(%s, %s, %s)",
                (team, cursor, limit),
            ).fetchall()
        return [RemoteChange(*row) for row in rows]

    def close(self) -> None:
        if self._connection is not None:
            with suppress(psycopg.Error):
                self._connection.close()
            self._connection = None


class Listener:
    """``LISTEN sync_<team>`` on a connection of its own; ``wait`` returns on a notice."""

    def __init__(self, info: str, team: str) -> None:
        self._info = info
        self._team = team
        self._connection: psycopg.Connection | None = None

    def open(self) -> None:
        try:
            self._connection = psycopg.connect(self._info, autocommit=True)
            self._connection.execute(
                sql.SQL("LISTEN {}").format(sql.Identifier(f"sync_{self._team}"))
            )
        except psycopg.Error as error:
            self.close()
            raise translate(error, self._info) from error

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True if the server announced a push meanwhile."""
        if self._connection is None:
            self.open()
        assert self._connection is not None
        heard = False
        try:
            for _ in self._connection.notifies(timeout=timeout, stop_after=1):
                heard = True
            while heard:  # drain what else arrived, without waiting
                if not list(self._connection.notifies(timeout=0, stop_after=100)):
                    break
        except psycopg.Error as error:
            self.close()
            raise translate(error, self._info) from error
        return heard

    def close(self) -> None:
        if self._connection is not None:
            with suppress(psycopg.Error):
                self._connection.close()
            self._connection = None
