"""Talking to the sync server: its three functions over psycopg, and LISTEN for its notices.

:class:`PgTransport` connects lazily and reconnects after any failure, so a server restart
costs one failed round. Every psycopg failure comes out as a :class:`SyncError` said in words
(:class:`SyncUnavailable` for "try again soon", :class:`SyncRefused` for "fix the settings").
"""

from __future__ import annotations

import json
import select
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from console.services.sync import (
    SyncError,
    SyncRefused,
    SyncSettings,
    SyncUnavailable,
    TlsMode,
    Waker,
)

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
    fields: Any  # a JSON object from a well-behaved client; anything from a hostile one
    bases: Any
    member: str = ""  # the server login that pushed it (session_user): who really wrote it
    member_role: str | None = None  # that member's app role then; None: pushed before v2


@dataclass(frozen=True, slots=True)
class Refusal:
    """A change the server would not store, and why (in words)."""

    change_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class PushReply:
    received: int
    inserted: int
    last: str  # the id of the last change the server received: which request this answers
    seq: int
    refused: tuple[Refusal, ...] = ()


@dataclass(frozen=True, slots=True)
class ServerInfo:
    server_id: str
    version: int
    last_seq: int
    channel: str = ""  # the team's LISTEN channel (only members learn its name)
    role: str = "agent"  # the caller's app role in the team: agent, lead or admin
    member: str = ""  # the caller as the server knows them


class Transport(Protocol):
    def hello(self, team: str) -> ServerInfo: ...
    def push(
        self, team: str, workstation: str, author: str, changes: list[dict[str, Any]]
    ) -> PushReply: ...
    def pull(self, team: str, cursor: int, limit: int) -> list[RemoteChange]: ...
    def close(self) -> None: ...


def tls_options(mode: TlsMode, ca_file: str = "") -> dict[str, str]:
    """libpq options for a TLS mode: ``verify-full`` checks the server's certificate against
    ``ca_file`` or the system's trusted authorities; a weaker mode, chosen on purpose, at
    least never hands the password to a server that asks for it in clear text (SCRAM only),
    and ``require`` also makes the server prove it is the far end of the encrypted
    connection (channel binding), so an impostor with its own certificate cannot relay."""
    if mode is TlsMode.VERIFY_FULL:
        return {"sslmode": mode.value, "sslrootcert": ca_file or "system"}
    options = {"sslmode": mode.value, "require_auth": "scram-sha-256"}
    if mode is TlsMode.REQUIRE:
        options["channel_binding"] = "require"
    return options


_SECRET_OPTIONS = ("password", "passfile", "sslpassword")


def conninfo(settings: SyncSettings, password: str | None) -> str:
    """A libpq connection string: the URL plus user, password and TLS mode. The URL's own
    TLS options are overridden, and any password in it is dropped (the keyring's is used)."""
    params: dict[str, Any] = {
        key: value
        for key, value in psycopg.conninfo.conninfo_to_dict(settings.url).items()
        if key not in _SECRET_OPTIONS
    }
    params.update(
        user=settings.user,
        connect_timeout=CONNECT_TIMEOUT_S,
        application_name="support-console-sync",
        **tls_options(settings.tls_mode, settings.ca_file),
    )
    if password:
        params["password"] = password
    return psycopg.conninfo.make_conninfo("", **params)


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
                f"The sync server at {place} does not let this user sync: ask a team admin "
                "to run 'python main.py sync member add USER --role agent --team TEAM' for you."
            )
        return SyncRefused(f"The sync server at {place} refused: {text}.")
    if isinstance(error, (pg_errors.UndefinedFunction, pg_errors.InvalidSchemaName)):
        return SyncRefused(
            f"The server at {place} has no Support Console sync schema yet: run "
            "'python main.py sync init-server --url …' against it once."
        )
    if isinstance(error, pg_errors.InvalidParameterValue):
        return SyncRefused(f"The sync server at {place} refused the request: {text}.")
    if isinstance(error, pg_errors.LockNotAvailable):  # another member's push held the team
        return SyncUnavailable(f"The sync server at {place} is busy ({text}); trying again soon.")
    refused = _refused_for_safety(text, place)
    if refused is not None:
        return refused
    if isinstance(error, psycopg.OperationalError):
        return SyncUnavailable(f"Cannot reach the sync server at {place}: {text}.")
    if isinstance(error, psycopg.Error):
        return SyncUnavailable(f"The sync server at {place} failed: {text}.")
    return SyncUnavailable(f"Talking to the sync server at {place} failed: {text}.")


def _refused_for_safety(text: str, place: str) -> SyncRefused | None:
    """TLS, certificate and password-safety refusals (libpq's words) in the user's words."""
    said = text.lower()
    if "authentication method requirement" in said:
        if "cleartext password" in said or "hashed password" in said:
            return SyncRefused(
                f"The server at {place} asked for the password in a way that could reveal it "
                "(in clear text or as an old MD5 hash); the console refused to send it. "
                "Someone may be impersonating the server: check the address, or ask its "
                "administrator to use scram-sha-256 passwords."
            )
        if "did not complete authentication" in said:
            return SyncRefused(
                f"The server at {place} let the console in without checking a password, so "
                "it could not prove it is the real server; refused. Ask its administrator "
                "to use scram-sha-256 passwords, or choose Verify with its certificate."
            )
        return SyncRefused(
            f"The server at {place} would not check the password with SCRAM, the only way "
            f"the console accepts without a verified certificate; refused ({text})."
        )
    if "channel binding" in said:
        return SyncRefused(
            f"The server at {place} could not prove it is the far end of this encrypted "
            "connection (SCRAM channel binding); refused. Someone may be relaying the "
            "connection, or a pooler in front of the server does not support channel "
            "binding: choose Verify with the server's certificate authority."
        )
    if "does not support ssl" in said or "ssl was required" in said:
        return SyncRefused(
            f"A secure (TLS) connection to {place} failed: the server, or something in "
            "between, would not encrypt the connection, so nothing was sent."
        )
    if "certificate verify failed" in said or "self-signed" in said or "self signed" in said:
        return SyncRefused(
            f"A secure (TLS) connection to {place} failed: its certificate is not signed by "
            "an authority this computer trusts (or by the authority file chosen), so nothing "
            "was sent. Someone may be impersonating the server; if your organisation runs "
            "its own certificate authority, choose its file in the sync settings."
        )
    if "does not match host name" in said or ("not match" in said and "certificate" in said):
        return SyncRefused(
            f"A secure (TLS) connection to {place} failed: the server's certificate is made "
            "out to another name, so nothing was sent. Use the address the certificate names."
        )
    if "root certificate" in said:
        return SyncRefused(
            f"A secure (TLS) connection to {place} failed: the certificate authority file "
            f"cannot be used ({text})."
        )
    if "ssl" in said or "certificate" in said or "tls" in said:
        return SyncRefused(f"A secure (TLS) connection to {place} failed: {text}.")
    return None


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
        return ServerInfo(
            str(data["server_id"]),
            int(data["version"]),
            int(data["last_seq"]),
            channel=str(data.get("channel") or ""),
            role=str(data.get("role") or "agent"),
            member=str(data.get("member") or ""),
        )

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
        refused = tuple(
            Refusal(str(item.get("id") or ""), str(item.get("reason") or "refused"))
            for item in data.get("refused") or ()
            if isinstance(item, dict)
        )
        return PushReply(
            int(data["received"]),
            int(data["inserted"]),
            str(data["last"] or ""),
            int(data["seq"]),
            refused,
        )

    def pull(self, team: str, cursor: int, limit: int) -> list[RemoteChange]:
        with self._calling() as connection:
            rows = connection.execute(
                "SELECT seq, workstation, author, entity, row_id, hlc, fields, bases,"
                " member, member_role FROM console_sync.pull(%s, %s, %s)",
                (team, cursor, limit),
            ).fetchall()
        return [RemoteChange(*row) for row in rows]

    def close(self) -> None:
        if self._connection is not None:
            with suppress(psycopg.Error):
                self._connection.close()
            self._connection = None


class Listener:
    """``LISTEN`` on the team's channel, on a connection of its own.

    The channel's name comes from the server's ``hello`` (members only learn it), and its
    notices carry nothing: they only say "something was pushed". ``wait`` sleeps on this
    connection's socket and on a :class:`Waker` together.
    """

    def __init__(self, info: str, channel: str) -> None:
        self._info = info
        self._channel = channel
        self._connection: psycopg.Connection | None = None

    def open(self) -> None:
        try:
            self._connection = psycopg.connect(self._info, autocommit=True)
            self._connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        except psycopg.Error as error:
            self.close()
            raise translate(error, self._info) from error

    def wait(self, timeout: float, waker: Waker | None = None) -> bool:
        """Block up to ``timeout`` seconds; True if the server announced a push meanwhile,
        False on time-out or when ``waker`` was woken (its wake-up is left for its owner)."""
        if self._connection is None:
            self.open()
        assert self._connection is not None
        watched: list[Any] = [self._connection.fileno()]
        if waker is not None:
            watched.append(waker)
        try:
            if not self._drain():
                ready, _, _ = select.select(watched, [], [], max(0.0, timeout))
                if self._connection.fileno() not in ready:
                    return False
                return self._drain()
        except (psycopg.Error, OSError, ValueError) as error:
            self.close()
            raise translate(error, self._info) from error
        return True

    def _drain(self) -> bool:
        """Take every notice already received, without waiting; True if any."""
        assert self._connection is not None
        heard = False
        while list(self._connection.notifies(timeout=0, stop_after=100)):
            heard = True
        return heard

    def close(self) -> None:
        if self._connection is not None:
            with suppress(psycopg.Error):
                self._connection.close()
            self._connection = None
