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
import os
import re
import select
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from console.domain.ids import HybridLogicalClock, workstation_code
from console.domain.records import Agent, Role
from console.services.incidents import IncidentService
from console.services.ports import Clock, Transaction
from console.services.validation import Errors, ValidationError

log = logging.getLogger(__name__)

TEAM_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")
KEYRING_SERVICE = "support-console-sync"
SHOWN_SET_ASIDE = 5  # changes set aside that the status lists by name


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
    ca_file: str = ""  # the authority that signs the server's certificate; "": the system's
    # True when a password found in the stored address was left out (see from_dict)
    scrubbed: bool = field(default=False, compare=False)

    def as_dict(self) -> dict[str, str]:
        return {
            "url": self.url,
            "tls_mode": self.tls_mode.value,
            "team": self.team,
            "user": self.user,
            "ca_file": self.ca_file,
        }

    @classmethod
    def from_dict(cls, values: dict[str, str]) -> SyncSettings:
        """Stored settings; a password an older version let into the address is left out
        (it is never used, shown or logged), and an unknown TLS mode reads as verify-full."""
        url = values.get("url", "")
        clean = without_secrets(url)
        try:
            tls = TlsMode(values.get("tls_mode") or TlsMode.VERIFY_FULL)
        except ValueError:
            tls = TlsMode.VERIFY_FULL
        return cls(
            url=clean,
            tls_mode=tls,
            team=values.get("team", ""),
            user=values.get("user", ""),
            ca_file=values.get("ca_file", ""),
            scrubbed=clean != url,
        )

    @property
    def server_label(self) -> str:
        """``host:port/db`` (or the socket folder) for messages; never a password."""
        return server_label(self.url)

    def __repr__(self) -> str:  # the address only as host:port/db, whatever it holds
        return (
            f"SyncSettings(url={self.server_label!r}, tls_mode={self.tls_mode.value!r}, "
            f"team={self.team!r}, user={self.user!r}, ca_file={self.ca_file!r})"
        )


# libpq connection options that carry a secret (or name a file of secrets)
_SECRET_OPTIONS = frozenset({"password", "passfile", "sslpassword"})
_SECRET_ASSIGNMENT = re.compile(r"(?:^|[\s&?;/,])\s*(password|passfile|sslpassword)\s*=", re.I)


def url_secrets(url: str) -> list[str]:
    """What in ``url`` is a password: 'a password after the user name', 'password=' …"""
    found: list[str] = []
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme in ("postgresql", "postgres"):
        if parts.password is not None and parts.password != "":
            found.append("a password after the user name")
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key.strip().lower() in _SECRET_OPTIONS:
                found.append(f"{key.strip().lower()}=")
            elif _SECRET_ASSIGNMENT.search(value):  # a conninfo inside an option's value
                found.append(f"a password inside {key.strip().lower()}=")
        if _SECRET_ASSIGNMENT.search(unquote(parts.path)):
            found.append("a password inside the database name")
    else:  # key=value connection text ("host=… password=…")
        found.extend(f"{m.group(1).lower()}=" for m in _SECRET_ASSIGNMENT.finditer(text))
    return list(dict.fromkeys(found))


def without_secrets(url: str) -> str:
    """``url`` with every password (user info, ``password=``, ``passfile=``…) left out."""
    if not url_secrets(url):
        return url
    parts = urlsplit(url.strip())
    if parts.scheme not in ("postgresql", "postgres"):
        return ""  # connection text with a password in it: nothing of it is kept
    netloc = parts.netloc.rpartition("@")
    hosts = netloc[2]
    user = netloc[0].partition(":")[0] if netloc[1] else ""
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.strip().lower() not in _SECRET_OPTIONS and not _SECRET_ASSIGNMENT.search(value)
    ]
    path = "" if _SECRET_ASSIGNMENT.search(unquote(parts.path)) else parts.path
    return urlunsplit(
        (parts.scheme, f"{user}@{hosts}" if user else hosts, path, urlencode(query), "")
    )


def server_label(url: str) -> str:
    """``host:port/db`` of a postgresql:// address, for messages: never a user or password."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("postgresql", "postgres"):
        return "the sync server"
    hosts = parts.netloc.rpartition("@")[2] or "local socket"
    return f"{hosts}{parts.path or ''}"


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
    quarantined: int = 0  # changes set aside: refused by the server, or unmergeable here
    server: str = ""
    set_aside: tuple[str, ...] = ()  # the latest of those, each in words
    member: str = ""  # the login the server knows this workstation by (once connected)
    role: str = ""  # that member's app role on the server: agent, lead or admin

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

    @property
    def identity(self) -> tuple[str, str]:
        """(member, app role) as the server knows the signed-in login."""
        ...

    def wait_for_news(self, timeout: float, waker: Waker) -> bool:
        """Block up to ``timeout`` seconds for the server's notice of a push (True) or until
        ``waker`` is woken (False, the wake-up left for the caller to take)."""
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
    def quarantine_count(self) -> int:
        """Changes set aside (refused at push, or impossible to merge at pull)."""
        ...

    def set_aside(self, limit: int) -> list[str]:
        """The latest ``limit`` changes set aside, newest first, each in words."""
        ...

    def check(self, target: SyncTarget) -> str:
        """Connect once and describe the server in words; raises :class:`SyncError`."""
        ...

    def connect(self, target: SyncTarget) -> SyncSession: ...
    def on_local_write(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` after each local write commits; returns how to stop."""
        ...


class Credentials(Protocol):
    def get(self, settings: SyncSettings) -> str | None: ...
    def set(self, settings: SyncSettings, password: str) -> None: ...
    def delete(self, settings: SyncSettings) -> None: ...


class KeyringCredentials:
    """The password in the operating system's keyring; refuses plain-text keyrings.

    keyring's default is often a *chainer* that tries every backend it found, plain-text
    files among them; only the chain's secure members are ever asked to keep or give the
    password, and without one the password is refused in words.
    """

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    @staticmethod
    def _key(settings: SyncSettings) -> str:
        return f"{settings.user}@{settings.url}"

    def _backends(self) -> list[Any]:
        import keyring  # noqa: PLC0415 (its backend discovery is slow; only when needed)

        secure = secure_backends(keyring.get_keyring())
        if not secure:
            raise CredentialsUnavailable(
                "No secure system keyring is available (only a plain-text or disabled one), "
                "so the sync password cannot be kept safely. Install or unlock your desktop's "
                "keyring and try again."
            )
        return secure

    def get(self, settings: SyncSettings) -> str | None:
        try:
            backends = self._backends()
        except CredentialsUnavailable:
            return None
        return read_secret(backends, self._service, self._key(settings))

    def set(self, settings: SyncSettings, password: str) -> None:
        keep_secret(
            self._backends(),
            self._service,
            self._key(settings),
            password,
            what="sync password",
            refused=CredentialsUnavailable,
        )

    def delete(self, settings: SyncSettings) -> None:
        with suppress(CredentialsUnavailable):
            for backend in self._backends():
                with suppress(Exception):  # not there, or read-only: nothing to delete
                    backend.delete_password(self._service, self._key(settings))


# Keyring backends that keep passwords in a plain (or merely obfuscated) file, or nowhere.
_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt.file")
_INSECURE_WORDS = ("plaintext", "plain_text", "unencrypted", "insecure")


def secure_backends(backend: Any) -> list[Any]:
    """The secure keyrings behind ``backend``: itself, or a chainer's secure members."""
    from keyring.backends.chainer import ChainerBackend  # noqa: PLC0415

    if isinstance(backend, ChainerBackend):
        return [found for member in backend.backends for found in secure_backends(member)]
    kind = type(backend)
    module, name = kind.__module__.lower(), kind.__name__.lower()
    if module.startswith(_INSECURE_MODULES) or any(
        word in f"{module}.{name}" for word in _INSECURE_WORDS
    ):
        return []
    try:
        if float(backend.priority) <= 0:  # keyring's own word for "do not use"
            return []
    except Exception:  # a backend that cannot say is not trusted
        return []
    return [backend]


def read_secret(backends: list[Any], service: str, key: str) -> str | None:
    """The secret the first of ``backends`` (secure keyrings) holds; one that cannot be read
    is skipped and logged."""
    for backend in backends:
        try:
            value = backend.get_password(service, key)
        except Exception:  # keyring raises backend-specific errors
            log.info("keyring %s could not be read", type(backend).__name__, exc_info=True)
            continue
        if value is not None:
            return str(value)
    return None


def keep_secret(
    backends: list[Any],
    service: str,
    key: str,
    secret: str,
    *,
    what: str,
    refused: Callable[[str], Exception],
) -> None:
    """Store ``secret`` in the first of ``backends`` that takes it, or raise ``refused`` with
    words naming ``what`` ("sync password")."""
    for backend in backends:
        try:
            backend.set_password(service, key, secret)
        except NotImplementedError:
            continue
        except Exception as exc:  # keyring raises backend-specific errors
            raise refused(f"The keyring refused to store the {what} ({exc}).") from exc
        return
    raise refused(f"No secure keyring would store the {what}.")


def validate_settings(settings: SyncSettings) -> SyncSettings:
    """Clean the settings or raise :class:`ValidationError` with one message per field."""
    errors = Errors()
    url = settings.url.strip()
    parts = urlsplit(url)
    secrets = url_secrets(url)
    if not url:
        errors.add("url", "Enter the server's address, e.g. postgresql://sync.example.com/support.")
    elif secrets:
        errors.add(
            "url",
            f"Leave the password out of the address (it holds {', '.join(secrets)}): enter "
            "the password in its own field below, where it goes to your keyring.",
        )
    elif parts.scheme not in ("postgresql", "postgres"):
        errors.add("url", "The address must start with postgresql://.")
    try:
        tls = TlsMode(settings.tls_mode)
    except ValueError:
        tls = TlsMode.VERIFY_FULL
        errors.add("tls_mode", "Choose disable, prefer, require or verify-full.")
    ca_file = settings.ca_file.strip()
    if ca_file:
        problem = _unreadable(ca_file)
        if problem:
            errors.add("ca_file", problem)
        else:
            ca_file = str(Path(ca_file).expanduser().resolve())
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
    return SyncSettings(url=url, tls_mode=tls, team=team, user=user, ca_file=ca_file)


def _unreadable(name: str) -> str:
    """Why the certificate file ``name`` cannot be used, or "" if it can be read."""
    path = Path(name).expanduser()
    if not path.exists():
        return f"There is no file {path}: choose the certificate authority's file again."
    if not path.is_file():
        return f"{path} is a folder: choose the certificate authority's file in it."
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        return f"The certificate file {path} cannot be read ({exc.strerror or exc})."
    return ""


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
        self._identity = ("", "")
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

    def on_local_write(self, callback: Callable[[], None]) -> Callable[[], None]:
        return self._backend.on_local_write(callback)

    def record_success(self, identity: tuple[str, str] = ("", "")) -> None:
        with self._lock:
            self._state, self._error = SyncState.ONLINE, ""
            if identity[0]:
                self._identity = identity

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
            member, role = self._identity if settings is not None else ("", "")
        quarantined = self._backend.quarantine_count()
        return SyncStatus(
            state=state,
            pending=self._backend.pending_count(),
            last_sync=self._backend.last_sync(),
            last_error=error,
            conflicts=self._backend.conflict_count(),
            quarantined=quarantined,
            set_aside=tuple(self._backend.set_aside(SHOWN_SET_ASIDE)) if quarantined else (),
            member=member,
            role=role,
            server=f"{settings.server_label} · team {settings.team}" if settings else "",
        )

    def conflicts(self, limit: int = 200) -> list[SyncConflict]:
        """Edits that lost to a concurrent edit, newest first."""
        return self._backend.conflicts(limit)


class Waker:
    """A wake-up any thread can give and ``select`` can wait on (a self-pipe): the sync loop
    sleeps on it and on the server's socket at once, so a local commit wakes it at once."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def fileno(self) -> int:
        return self._read

    def wake(self) -> None:
        with suppress(BlockingIOError, OSError):  # full: a wake-up is already waiting
            os.write(self._write, b"\0")

    def consume(self) -> bool:
        """Take every wake-up given so far; True if there was any."""
        woken = False
        while True:
            try:
                chunk = os.read(self._read, 4096)
            except (BlockingIOError, OSError):
                return woken
            if not chunk:
                return woken
            woken = True

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a wake-up (without taking it)."""
        ready, _, _ = select.select([self._read], [], [], max(0.0, timeout))
        return bool(ready)

    def close(self) -> None:
        for fd in (self._read, self._write):
            with suppress(OSError):
                os.close(fd)


_SLACK = 1e-6  # rounding: a token 0.9999999 full is full (else the wait could never end)


class _Bucket:
    """A token bucket: ``capacity`` actions at once, then ``rate`` a second."""

    def __init__(self, capacity: int, rate: float) -> None:
        self._capacity = float(capacity)
        self._rate = rate
        self._tokens = float(capacity)
        self._stamp: float | None = None

    def _refill(self, now: float) -> None:
        if self._stamp is not None:
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def ready(self, now: float) -> bool:
        self._refill(now)
        return self._tokens >= 1 - _SLACK

    def take(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1

    def when(self, now: float) -> float:
        """The instant the next action is allowed."""
        self._refill(now)
        if self._tokens >= 1 - _SLACK:
            return now
        return now + max((1 - self._tokens) / self._rate, _SLACK)


class SyncRunner:
    """The sync loop a worker thread runs. It sleeps until something happens: a local commit
    (the database's commit hook wakes it; then it pushes if anything is queued), the server's
    notice of another member's push (LISTEN/NOTIFY: acted on at once up to ``notice_burst``
    in a row, then at most ``notice_rate`` rounds a second however many notices arrive, so
    nobody can make it spin by flooding the channel), "sync now", or the slow
    ``poll_interval`` fallback. While the server is away it reconnects with back-off.
    Callbacks run on the loop's thread.
    """

    def __init__(
        self,
        service: SyncService,
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        on_pulled: Callable[[SyncRound], None] | None = None,
        poll_interval: float = 30.0,
        notice_burst: int = 10,
        notice_rate: float = 10.0,
        retry_min: float = 1.0,
        retry_max: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._service = service
        self._on_status = on_status or (lambda status: None)
        self._on_pulled = on_pulled or (lambda round_: None)
        self._poll = poll_interval
        self._notices = _Bucket(notice_burst, notice_rate)
        self._retry = (retry_min, retry_max)
        self._now = monotonic
        self._stop = threading.Event()
        self._asked = threading.Event()  # "sync now"
        self._waker = Waker()

    def stop(self) -> None:
        self._stop.set()
        self._waker.wake()

    def wake(self) -> None:
        """Sync now (e.g. a "sync now" button), without waiting for the poll."""
        self._asked.set()
        self._waker.wake()

    def local_change(self) -> None:
        """Something was committed locally: push it if it queued a change (any thread)."""
        self._waker.wake()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        unsubscribe = self._service.on_local_write(self.local_change)
        try:
            self._loop()
        finally:
            unsubscribe()
            self._waker.close()

    def _loop(self) -> None:
        session: SyncSession | None = None
        delay = self._retry[0]
        next_poll = 0.0
        news = False  # a notice not yet acted on
        self._report()
        while not self._stop.is_set():
            if session is None:
                try:
                    session = self._service.open_session()
                except Exception as exc:
                    self._failed(exc)
                    self._pause(delay)
                    delay = min(delay * 2, self._retry[1])
                    continue
                delay, next_poll = self._retry[0], 0.0
            try:
                local = self._waker.consume()
                now = self._now()
                due = self._asked.is_set() or now >= next_poll
                if not due and news and self._notices.ready(now):
                    self._notices.take(now)
                    due = True
                if due or (local and session.has_local_changes()):
                    self._asked.clear()
                    news = False
                    result = session.sync_once()
                    now = self._now()
                    next_poll = now + self._poll
                    self._service.record_success(session.identity)
                    self._report()
                    if result.incident_ids or result.entities:
                        self._on_pulled(result)
                if self._stop.is_set():
                    break
                until = min(next_poll, self._notices.when(self._now())) if news else next_poll
                if session.wait_for_news(max(0.0, until - self._now()), self._waker):
                    news = True
            except Exception as exc:
                session.close()
                session = None
                self._failed(exc)
                self._pause(delay)
                delay = min(delay * 2, self._retry[1])
        if session is not None:
            session.close()

    def _pause(self, seconds: float) -> None:
        """Wait out a back-off; a stop (or "sync now") ends it early."""
        deadline = self._now() + seconds
        while not self._stop.is_set() and not self._asked.is_set():
            left = deadline - self._now()
            if left <= 0 or not self._waker.wait(left):
                return
            self._waker.consume()  # a local commit: keep waiting out the back-off

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
    "Waker",
    "validate_settings",
    "who",
]
