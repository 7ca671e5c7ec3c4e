"""Sync with a shared PostgreSQL server (DESIGN §6): settings, credentials, status, the loop.

The sync engine itself lives in ``db.sync``; this module holds what the rest of the app
needs from it without knowing SQL or psycopg: the :class:`SyncBackend` and
:class:`SyncSession` ports, the :class:`SyncService` use case (configure, test, status,
conflicts), and :class:`SyncRunner`, the Qt-free loop a worker thread runs. Passwords live
in the operating system's keyring (``keyring``), never in a file; the other settings are
kept in the database, so each database syncs with the team it was configured for.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from console.domain.ids import HybridLogicalClock, workstation_code
from console.domain.records import Agent, Role
from console.services.incidents import IncidentService
from console.services.ports import Clock, Transaction
from console.services.validation import Errors, ValidationError

log = logging.getLogger(__name__)

TEAM_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")
KEYRING_SERVICE = "support-console-sync"


class TlsMode(StrEnum):
    """libpq's ``sslmode`` values the settings offer."""

    DISABLE = "disable"
    PREFER = "prefer"
    REQUIRE = "require"
    VERIFY_FULL = "verify-full"


@dataclass(frozen=True, slots=True)
class SyncSettings:
    url: str
    tls_mode: TlsMode
    team: str
    user: str

    def as_dict(self) -> dict[str, str]:
        return {
            "url": self.url,
            "tls_mode": self.tls_mode.value,
            "team": self.team,
            "user": self.user,
        }

    @classmethod
    def from_dict(cls, values: dict[str, str]) -> SyncSettings:
        return cls(
            url=values.get("url", ""),
            tls_mode=TlsMode(values.get("tls_mode") or TlsMode.PREFER),
            team=values.get("team", ""),
            user=values.get("user", ""),
        )

    @property
    def server_label(self) -> str:
        """``host:port/db`` (or the socket folder) for messages; never a password."""
        parts = urlsplit(self.url)
        where = parts.hostname or "local socket"
        port = f":{parts.port}" if parts.port else ""
        return f"{where}{port}{parts.path or ''}"


@dataclass(frozen=True, slots=True)
class SyncTarget:
    """Settings plus the password: what a backend needs to connect."""

    settings: SyncSettings
    password: str | None = field(default=None, repr=False)


class SyncError(Exception):
    """A sync failure said in words for the status bar; the next round may succeed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SyncUnavailable(SyncError):  # noqa: N818 (names are the API)
    """The server cannot be reached (network, server down, restarting): retry soon."""


class SyncRefused(SyncError):  # noqa: N818 (names are the API)
    """The server answered but refused (password, permissions, no schema): fix settings."""


class CredentialsUnavailable(SyncError):  # noqa: N818 (names are the API)
    """No safe keyring to keep the password in."""


class SyncState(StrEnum):
    OFF = "off"  # not configured
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class SyncStatus:
    state: SyncState = SyncState.OFF
    pending: int = 0  # local changes the server has not acknowledged yet
    last_sync: datetime | None = None
    last_error: str = ""
    conflicts: int = 0
    server: str = ""

    @property
    def online(self) -> bool:
        return self.state is SyncState.ONLINE


@dataclass(frozen=True, slots=True)
class SyncRound:
    """What one sync round did."""

    pushed: int = 0
    pulled: int = 0
    incident_ids: tuple[str, ...] = ()  # incidents whose timeline changed
    entities: tuple[str, ...] = ()  # record tables that changed (customers, contacts…)


@dataclass(frozen=True, slots=True)
class SyncConflict:
    """Two edits of one field that did not see each other: the lower clock's value lost."""

    entity: str
    row_id: str
    label: str  # what the record is, in words: 'customer "Northwind Freight"'
    field: str
    lost_value: Any
    lost_by: str  # workstation code, and the agent where known
    won_value: Any
    won_by: str
    noticed_at: datetime

    def describe(self) -> str:
        return (
            f"{self.label}: {self.field.replace('_', ' ')} {_shown(self.lost_value)} "
            f"({self.lost_by}) was overwritten by {_shown(self.won_value)} ({self.won_by})."
        )


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"«{value}»"


def who(workstation_id: str, author: str = "") -> str:
    """'workstation ABCDE, Sofia Alvarez': the code also starts that workstation's numbers."""
    code = f"workstation {workstation_code(workstation_id)}" if workstation_id else "unknown"
    return f"{code}, {author}" if author else code


class SyncSession(Protocol):
    """A live connection to the server (used by one thread)."""

    def sync_once(self) -> SyncRound:
        """Push every pending change, then pull everything new (idempotent, resumable)."""
        ...

    def has_local_changes(self) -> bool: ...

    def wait_for_news(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for the server's notice of a push; True if any."""
        ...

    def close(self) -> None: ...


class SyncBackend(Protocol):
    def load_settings(self) -> dict[str, str] | None: ...
    def save_settings(self, values: dict[str, str] | None) -> None: ...
    def enable(self) -> None:
        """Start queueing local writes (and queue what is already there, once)."""
        ...

    def pending_count(self) -> int: ...
    def last_sync(self) -> datetime | None: ...
    def conflicts(self, limit: int) -> list[SyncConflict]: ...
    def conflict_count(self) -> int: ...
    def check(self, target: SyncTarget) -> str:
        """Connect once and describe the server in words; raises :class:`SyncError`."""
        ...

    def connect(self, target: SyncTarget) -> SyncSession: ...


class Credentials(Protocol):
    def get(self, settings: SyncSettings) -> str | None: ...
    def set(self, settings: SyncSettings, password: str) -> None: ...
    def delete(self, settings: SyncSettings) -> None: ...


class KeyringCredentials:
    """The password in the operating system's keyring; refuses plain-text keyrings."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    @staticmethod
    def _key(settings: SyncSettings) -> str:
        return f"{settings.user}@{settings.url}"

    def _keyring(self) -> Any:
        import keyring  # noqa: PLC0415 (its backend discovery is slow; only when needed)
        from keyring.backends import fail  # noqa: PLC0415

        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        if isinstance(backend, fail.Keyring) or "plaintext" in name.lower():
            raise CredentialsUnavailable(
                "No secure system keyring is available, so the sync password cannot be kept "
                "safely. Install or unlock your desktop's keyring and try again."
            )
        return keyring

    def get(self, settings: SyncSettings) -> str | None:
        try:
            value = self._keyring().get_password(self._service, self._key(settings))
        except CredentialsUnavailable:
            return None
        return str(value) if value is not None else None

    def set(self, settings: SyncSettings, password: str) -> None:
        keyring = self._keyring()
        try:
            keyring.set_password(self._service, self._key(settings), password)
        except Exception as exc:  # keyring raises backend-specific errors
            raise CredentialsUnavailable(
                f"The keyring refused to store the sync password ({exc})."
            ) from exc

    def delete(self, settings: SyncSettings) -> None:
        import keyring.errors  # noqa: PLC0415

        with suppress(CredentialsUnavailable, keyring.errors.PasswordDeleteError):
            self._keyring().delete_password(self._service, self._key(settings))


def validate_settings(settings: SyncSettings) -> SyncSettings:
    """Clean the settings or raise :class:`ValidationError` with one message per field."""
    errors = Errors()
    url = settings.url.strip()
    parts = urlsplit(url)
    if not url:
        errors.add("url", "Enter the server's address, e.g. postgresql://sync.example.com/support.")
    elif parts.scheme not in ("postgresql", "postgres"):
        errors.add("url", "The address must start with postgresql://.")
    elif parts.password:
        errors.add("url", "Leave the password out of the address: enter it below.")
    try:
        tls = TlsMode(settings.tls_mode)
    except ValueError:
        tls = TlsMode.PREFER
        errors.add("tls_mode", "Choose disable, prefer, require or verify-full.")
    team = settings.team.strip()
    if not TEAM_PATTERN.match(team):
        errors.add(
            "team",
            "A team name is 1 to 40 lower-case letters, digits or underscores (e.g. support_eu).",
        )
    user = settings.user.strip()
    if not user:
        errors.add("user", "Enter the user name the server knows you by.")
    errors.raise_if_any()
    return SyncSettings(url=url, tls_mode=tls, team=team, user=user)


class SyncService:
    """Sync settings and status for the screens; sessions for the worker thread."""

    def __init__(
        self,
        backend: SyncBackend,
        credentials: Credentials | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._backend = backend
        self._credentials = credentials or KeyringCredentials()
        self._lock = threading.Lock()
        self._state = SyncState.OFF if backend.load_settings() is None else SyncState.CONNECTING
        self._error = ""
        self._wall = wall

    # -- settings ---------------------------------------------------------------------------

    def settings(self) -> SyncSettings | None:
        values = self._backend.load_settings()
        return SyncSettings.from_dict(values) if values else None

    def has_password(self, settings: SyncSettings) -> bool:
        return self._credentials.get(settings) is not None

    def configure(self, settings: SyncSettings, password: str | None = None) -> SyncSettings:
        """Save the settings (password to the keyring; None keeps the stored one)."""
        clean = validate_settings(settings)
        if password:
            try:
                self._credentials.set(clean, password)
            except CredentialsUnavailable as exc:
                raise ValidationError.single("password", exc.message) from exc
        old = self.settings()
        if old is not None and (old.url, old.user) != (clean.url, clean.user) and password:
            self._credentials.delete(old)
        self._backend.save_settings(clean.as_dict())
        self._backend.enable()
        with self._lock:
            self._state, self._error = SyncState.CONNECTING, ""
        return clean

    def disable(self) -> None:
        """Stop syncing this database (local writes stay queued for when it is turned on)."""
        self._backend.save_settings(None)
        with self._lock:
            self._state, self._error = SyncState.OFF, ""

    def test_connection(self, settings: SyncSettings, password: str | None = None) -> str:
        """Connect once with these settings; returns what the server said, in words."""
        clean = validate_settings(settings)
        secret = password if password else self._credentials.get(clean)
        return self._backend.check(SyncTarget(clean, secret))

    # -- the worker's side ------------------------------------------------------------------

    def open_session(self) -> SyncSession:
        settings = self.settings()
        if settings is None:
            raise SyncRefused("Sync is not set up: choose a server in the sync settings.")
        return self._backend.connect(SyncTarget(settings, self._credentials.get(settings)))

    def record_success(self) -> None:
        with self._lock:
            self._state, self._error = SyncState.ONLINE, ""

    def record_failure(self, error: BaseException) -> None:
        message = getattr(error, "message", "") or str(error) or type(error).__name__
        with self._lock:
            self._state, self._error = SyncState.OFFLINE, message

    def status(self) -> SyncStatus:
        """The status now (reads the database: call it off the GUI thread)."""
        settings = self.settings()
        with self._lock:
            state = SyncState.OFF if settings is None else self._state
            error = self._error if settings is not None else ""
        return SyncStatus(
            state=state,
            pending=self._backend.pending_count(),
            last_sync=self._backend.last_sync(),
            last_error=error,
            conflicts=self._backend.conflict_count(),
            server=f"{settings.server_label} · team {settings.team}" if settings else "",
        )

    def conflicts(self, limit: int = 200) -> list[SyncConflict]:
        """Edits that lost to a concurrent edit, newest first."""
        return self._backend.conflicts(limit)


class SyncRunner:
    """The sync loop a worker thread runs: push local changes as they appear, pull on the
    server's notice (LISTEN/NOTIFY) or every ``poll_interval`` seconds, reconnect with
    back-off while the server is away. Callbacks run on the loop's thread.
    """

    def __init__(
        self,
        service: SyncService,
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        on_pulled: Callable[[SyncRound], None] | None = None,
        poll_interval: float = 30.0,
        tick: float = 0.025,
        retry_min: float = 1.0,
        retry_max: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._service = service
        self._on_status = on_status or (lambda status: None)
        self._on_pulled = on_pulled or (lambda round_: None)
        self._poll = poll_interval
        self._tick = tick
        self._retry = (retry_min, retry_max)
        self._now = monotonic
        self._stop = threading.Event()
        self._wake = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def wake(self) -> None:
        """Sync now (e.g. a "sync now" button), without waiting for the poll."""
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        session: SyncSession | None = None
        delay = self._retry[0]
        next_poll = 0.0
        self._report()
        while not self._stop.is_set():
            if session is None:
                try:
                    session = self._service.open_session()
                except Exception as exc:
                    self._failed(exc)
                    self._stop.wait(delay)
                    delay = min(delay * 2, self._retry[1])
                    continue
                delay, next_poll = self._retry[0], 0.0
            try:
                woken = self._wake.is_set()
                if woken or self._now() >= next_poll or session.has_local_changes():
                    self._wake.clear()
                    result = session.sync_once()
                    next_poll = self._now() + self._poll
                    self._service.record_success()
                    self._report()
                    if result.incident_ids or result.entities:
                        self._on_pulled(result)
                if session.wait_for_news(self._tick):
                    next_poll = 0.0
            except Exception as exc:
                session.close()
                session = None
                self._failed(exc)
                self._stop.wait(delay)
                delay = min(delay * 2, self._retry[1])
        if session is not None:
            session.close()

    def _failed(self, error: BaseException) -> None:
        if not isinstance(error, SyncError):
            log.warning("sync round failed", exc_info=error)
        self._service.record_failure(error)
        self._report()

    def _report(self) -> None:
        try:
            status = self._service.status()
        except Exception:  # the database itself is unavailable: say so, keep going
            log.warning("cannot read the sync status", exc_info=True)
            return
        self._on_status(status)


# --------------------------------------------------------------------------------------------
# Projections after a pull


class _InTransaction:
    """A Store whose every transaction is one already open (the pull's own)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def transaction(self) -> AbstractContextManager[Transaction]:
        return nullcontext(self._tx)

    def read(self) -> AbstractContextManager[Transaction]:
        return nullcontext(self._tx)


_SYNC_ACTOR = Agent(id="", name="sync", role=Role.AGENT)


def projection_rebuilder(
    clock: Clock, workstation_id: str, hlc: HybridLogicalClock
) -> Callable[[Transaction, Sequence[str]], list[str]]:
    """The callback the sync engine calls, inside one of its write transactions, with the
    incidents whose events a pull changed; it re-projects them exactly as
    :class:`IncidentService` does and returns those it could not (no opening event yet, or
    their policy version is missing).
    """

    def rebuild(tx: Transaction, incident_ids: Sequence[str]) -> list[str]:
        service = IncidentService(_InTransaction(tx), clock, _SYNC_ACTOR, workstation_id, hlc)
        failed = []
        for incident_id in incident_ids:
            try:
                service.rebuild_projection(incident_id)
            except (ValidationError, LookupError, ValueError) as exc:
                log.info("incident %s not projected yet: %s", incident_id, exc)
                failed.append(incident_id)
        return failed

    return rebuild


__all__ = [
    "CredentialsUnavailable",
    "KeyringCredentials",
    "SyncBackend",
    "SyncConflict",
    "SyncError",
    "SyncRefused",
    "SyncRound",
    "SyncRunner",
    "SyncService",
    "SyncSession",
    "SyncSettings",
    "SyncState",
    "SyncStatus",
    "SyncTarget",
    "SyncUnavailable",
    "TlsMode",
    "validate_settings",
    "who",
]
