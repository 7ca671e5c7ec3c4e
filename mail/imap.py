"""Reading an IMAP mailbox for intake (DESIGN §11), trusting nothing the server says.

One ``ImapMailbox`` is one verified-TLS connection with the folder selected. Fetching never
marks mail seen (``BODY.PEEK[]``); ``finish`` flags or moves a message only after its incident
is committed. Every failure reaches the caller as a ``MailboxError`` whose text is words for
the status bar or the settings dialog, naming the host and what to check.

A hostile or broken server cannot hang or exhaust us: every socket read has a timeout, every
command a wall-clock deadline (a watchdog closes the socket), and every command a byte budget,
so a literal larger than announced, or an endless stream of responses, ends the connection.
Messages larger than ``MAX_MESSAGE_BYTES`` are not fetched; they are listed in ``skipped``.
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient import exceptions as imap_errors
from imapclient.imap4 import IMAP4WithTimeout
from imapclient.tls import IMAP4_TLS

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
MAX_BATCH_BYTES = 64 * 1024 * 1024  # bodies fetched in one UID FETCH
COMMAND_BUDGET = 8 * 1024 * 1024  # what any other command may send back
MIN_RATE = 256 * 1024  # bytes/s a big fetch may take no longer than (on top of the timeout)
MAX_UID = 2**32 - 1

_T = TypeVar("_T")


class AfterImport(StrEnum):
    LEAVE = "leave"
    SEEN = "seen"
    MOVE = "move"


@dataclass(frozen=True)
class ImapSettings:
    name: str  # the mailbox's label, e.g. "support@vendor.example"
    host: str
    port: int = 993
    username: str = ""
    folder: str = "INBOX"
    after: AfterImport = AfterImport.SEEN
    move_to: str = ""  # the folder for AfterImport.MOVE
    ca_file: str = ""  # an extra CA (PEM) to trust; default: the system's
    starttls: bool = False  # port 143 with STARTTLS instead of implicit TLS
    timeout: float = 30.0


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    uidvalidity: int
    internaldate: datetime  # aware, UTC: the server's INTERNALDATE
    raw: bytes


@dataclass(frozen=True)
class SkippedMail:
    """A message intake did not fetch, and why (it stays on the server untouched)."""

    uid: int
    uidvalidity: int
    size: int
    reason: str


class MailboxError(Exception):
    """A mailbox could not be read; ``str()`` is words for people, never a traceback."""


class _ReadGuard:
    """A byte budget for the command in flight; reads are checked before they allocate.

    It also knows the connection's imaplib object from before the first byte is read, so the
    watchdog can close a socket even while the greeting is still trickling in.
    """

    def __init__(self) -> None:
        self.budget = COMMAND_BUDGET
        self.used = 0
        self.overrun = False
        self.imap: imaplib.IMAP4 | None = None

    def arm(self, budget: int) -> None:
        self.budget, self.used, self.overrun = budget, 0, False

    def take(self, size: int) -> None:
        if size < 0 or self.used + size > self.budget:
            self.overrun = True
            raise imaplib.IMAP4.abort(f"more than {self.budget} bytes in one answer")
        self.used += size

    def close_socket(self) -> None:
        sock = getattr(self.imap, "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                # The plain socket call: it unblocks a read in another thread, TLS or not.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _GuardedTLS(IMAP4_TLS):
    def __init__(
        self, guard: _ReadGuard, host: str, port: int, context: ssl.SSLContext, timeout: float
    ) -> None:
        self.guard = guard
        guard.imap = self
        super().__init__(host, port, context, timeout)

    def read(self, size: int) -> bytes:
        self.guard.take(size)
        return super().read(size)

    def readline(self) -> bytes:
        line = super().readline()
        self.guard.take(len(line))
        return line


class _GuardedPlain(IMAP4WithTimeout):  # only ever used to say STARTTLS
    def __init__(self, guard: _ReadGuard, host: str, port: int, timeout: float) -> None:
        self.guard = guard
        guard.imap = self
        super().__init__(host, port, timeout)

    def read(self, size: int) -> bytes:
        self.guard.take(size)
        return super().read(size)

    def readline(self) -> bytes:
        line = super().readline()
        self.guard.take(len(line))
        return line


class _Client(IMAPClient):
    def __init__(self, guard: _ReadGuard, *args: Any, **kwargs: Any) -> None:
        self._guard = guard
        super().__init__(*args, **kwargs)

    def _create_IMAP4(self) -> imaplib.IMAP4:
        timeout = float(self._timeout.connect)
        if self.ssl:
            return _GuardedTLS(self._guard, self.host, self.port, self.ssl_context, timeout)
        return _GuardedPlain(self._guard, self.host, self.port, timeout)


def _plain(text: object, limit: int = 120) -> str:
    """Server text made safe to show: printable, one line, short."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    words = "".join(ch if ch.isprintable() else " " for ch in str(text)).split()
    joined = " ".join(words)
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


class ImapMailbox:
    """One connection to one folder; use as a context manager."""

    def __init__(self, settings: ImapSettings, password: str) -> None:
        self.settings = settings
        self._password = password
        self._client: _Client | None = None
        self._uidvalidity = 0
        self._exists = 0
        self._expired = False
        self._guard = _ReadGuard()
        self.skipped: list[SkippedMail] = []

    # -- connection ----------------------------------------------------------------------

    @property
    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def __enter__(self) -> ImapMailbox:
        if self.settings.after is AfterImport.MOVE and not self.settings.move_to.strip():
            raise MailboxError(f"{self.settings.name}: choose the folder imported mail is moved to")
        try:
            self._open()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def _context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.settings.ca_file or None)
        except (OSError, ssl.SSLError, ValueError) as error:
            raise MailboxError(
                f"cannot read the CA file {self.settings.ca_file!r} for {self.settings.host}"
                f" ({_plain(error)}) — check the file is a PEM certificate"
            ) from None

    def _open(self) -> None:
        settings = self.settings
        context = self._context()
        deadline = settings.timeout * 3
        client = self._run(
            lambda: _Client(
                self._guard,
                settings.host,
                settings.port,
                ssl=not settings.starttls,
                ssl_context=context,
                timeout=settings.timeout,
            ),
            deadline,
            "connect",
        )
        self._client = client
        client.normalise_times = False
        if settings.starttls:
            self._call(lambda: client.starttls(context), "start TLS")
        try:
            self._call(lambda: client.login(settings.username, self._password), "log in")
        except MailboxError as error:
            if isinstance(error.__cause__, imap_errors.LoginError):
                raise MailboxError(
                    f"{settings.host} refused the login for {settings.username!r}"
                    " — check the user name and password"
                ) from None
            raise
        try:
            selected = self._call(
                lambda: client.select_folder(settings.folder, readonly=False), "open the folder"
            )
        except MailboxError as error:
            if isinstance(error.__cause__, imap_errors.IMAPClientError) and not isinstance(
                error.__cause__, imap_errors.IMAPClientAbortError
            ):
                raise MailboxError(
                    f"there is no folder {settings.folder!r} on {settings.host}"
                    f" for {settings.username!r} — check the folder name"
                ) from None
            raise
        self._uidvalidity = _number(selected.get(b"UIDVALIDITY"), 1, MAX_UID)
        self._exists = _number(selected.get(b"EXISTS", 0), 0, MAX_UID)
        if not self._uidvalidity:
            raise MailboxError(
                f"{settings.host} did not give the folder {settings.folder!r} a UIDVALIDITY"
                " — this server cannot be read safely"
            )

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            self._run(client.logout, self.settings.timeout, "log out")
        except MailboxError:
            with contextlib.suppress(Exception):
                client.shutdown()

    # -- every command goes through here ---------------------------------------------------

    def _call(
        self,
        command: Callable[[], _T],
        doing: str,
        budget: int = COMMAND_BUDGET,
        wait: float = 0.0,
    ) -> _T:
        self._connected()
        self._guard.arm(budget)
        seconds = self.settings.timeout * 2 + budget / MIN_RATE + wait
        return self._run(command, seconds, doing)

    def _connected(self) -> _Client:
        if self._client is None:
            raise MailboxError(f"{self.settings.name}: not connected to {self.settings.host}")
        return self._client

    def _run(self, command: Callable[[], _T], seconds: float, doing: str) -> _T:
        """Run ``command`` with a watchdog that closes the socket after ``seconds``."""
        self._expired = False
        if self._client is None:  # connecting: the guard has not read anything yet
            self._guard.arm(COMMAND_BUDGET)
        watchdog = threading.Timer(seconds, self._expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            return command()
        except MailboxError:
            raise
        except Exception as error:
            words = self._words(error, doing, seconds)
            # After anything but a plain NO/BAD the connection is in an unknown state.
            refused = isinstance(error, imap_errors.IMAPClientError) and not isinstance(
                error, imap_errors.IMAPClientAbortError
            )
            if self._client is not None and not (refused and not self._expired):
                client, self._client = self._client, None
                with contextlib.suppress(Exception):
                    client.shutdown()
            raise MailboxError(words) from error
        finally:
            watchdog.cancel()

    def _expire(self) -> None:
        self._expired = True
        self._guard.close_socket()

    def _words(self, error: Exception, doing: str, seconds: float) -> str:
        host, where = self.settings.host, self._where
        if self._expired:
            return (
                f"{host} took longer than {seconds:g} s to {doing}"
                " — check the server and the network, then try again"
            )
        if self._guard.overrun:
            return (
                f"{host} sent far more than it should while trying to {doing};"
                " the connection was closed — check the server"
            )
        if isinstance(error, ssl.SSLCertVerificationError):
            reason = _plain(error.verify_message or error.reason or error)
            return (
                f"the server's certificate is not trusted ({reason}) — check the host name"
                f" {host!r}, the server's certificate, or the CA file for this mailbox"
            )
        if isinstance(error, ssl.SSLError):
            mode = "STARTTLS" if self.settings.starttls else "implicit TLS (port 993)"
            return (
                f"TLS with {where} failed ({_plain(error.reason or error)}) — check the port"
                f" and whether the server expects {mode}"
            )
        if isinstance(error, TimeoutError):
            return (
                f"{where} did not answer within {self.settings.timeout:g} s"
                " — check the host, the port and the firewall"
            )
        if isinstance(error, ConnectionRefusedError):
            return f"{where} refused the connection — check the host and the port"
        if isinstance(error, socket.gaierror):
            return f"cannot find the host {host!r} — check its spelling and the network"
        if isinstance(error, OSError):
            return (
                f"cannot reach {where} ({_plain(error.strerror or error)})"
                " — check the host, the port and the network"
            )
        if isinstance(error, imap_errors.CapabilityError):
            return f"{host} cannot {doing} ({_plain(error)}) — check the mailbox settings"
        if isinstance(error, imap_errors.IMAPClientError):
            return f"{host} would not {doing}: {_plain(error)}"
        return f"{host} gave an answer that makes no sense while trying to {doing}"

    # -- reading -------------------------------------------------------------------------

    @property
    def uidvalidity(self) -> int:
        return self._uidvalidity

    @property
    def exists(self) -> int:
        return self._exists

    @property
    def supports_idle(self) -> bool:
        """Whether the server offers IDLE (else the caller polls)."""
        return self._has("IDLE")

    def _has(self, capability: str) -> bool:
        client = self._connected()
        return bool(self._call(lambda: client.has_capability(capability), "list capabilities"))

    def fetch_after(self, last_uid: int, batch: int = 200) -> Iterator[FetchedMail]:
        """Messages with a UID above ``last_uid``, oldest first; never marks them seen."""
        client = self._connected()
        batch = max(1, batch)
        found = self._call(lambda: client.search(["UID", f"{last_uid + 1}:*"]), "search")
        # "N:*" always matches the highest UID, even when that is below N.
        uids = sorted({uid for uid in found if isinstance(uid, int) and last_uid < uid <= MAX_UID})
        for start in range(0, len(uids), batch):
            chunk = uids[start : start + batch]
            for group, total in self._by_size(chunk):
                yield from self._bodies(group, total)

    def _by_size(self, uids: Sequence[int]) -> Iterator[tuple[list[int], int]]:
        client = self._connected()
        sized = self._call(lambda: client.fetch(uids, ["RFC822.SIZE"]), "list message sizes")
        group: list[int] = []
        total = 0
        for uid in uids:
            data = sized.get(uid)
            if not isinstance(data, dict) or b"RFC822.SIZE" not in data:
                continue  # expunged meanwhile
            size = _number(data[b"RFC822.SIZE"], 0, 2**63)
            if size > MAX_MESSAGE_BYTES:
                note = SkippedMail(uid, self._uidvalidity, size, "larger than 50 MiB")
                log.warning("%s: skipped UID %d (%d bytes)", self.settings.name, uid, size)
                self.skipped.append(note)
                continue
            if group and total + size > MAX_BATCH_BYTES:
                yield group, total
                group, total = [], 0
            group.append(uid)
            total += size
        if group:
            yield group, total

    def _bodies(self, uids: list[int], total: int) -> Iterator[FetchedMail]:
        client = self._connected()
        budget = COMMAND_BUDGET + total + 1024 * len(uids)
        fetched = self._call(
            lambda: client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"]), "fetch mail", budget
        )
        for uid in uids:
            data = fetched.get(uid)
            if not isinstance(data, dict):
                continue
            raw = data.get(b"BODY[]")
            when = data.get(b"INTERNALDATE")
            if not isinstance(raw, bytes):
                continue  # expunged meanwhile, or NIL
            if not isinstance(when, datetime) or when.tzinfo is None:
                raise MailboxError(
                    f"{self.settings.host} gave no usable arrival time for a message"
                    " — this server cannot be read safely"
                )
            yield FetchedMail(uid, self._uidvalidity, when.astimezone(UTC), raw)

    # -- after the incident is committed -------------------------------------------------

    def finish(self, uid: int) -> None:
        self.finish_many([uid])

    def finish_many(self, uids: Sequence[int]) -> None:
        """After their incidents are committed: flag or move these messages (one command for
        them all, not one round trip each)."""
        after = self.settings.after
        done = sorted(set(uids))
        if after is AfterImport.LEAVE or not done:
            return
        client = self._connected()
        if after is AfterImport.SEEN:
            self._call(lambda: client.add_flags(done, [b"\\Seen"], silent=True), "mark seen")
            return
        target = self.settings.move_to
        try:
            if self._has("MOVE"):
                self._call(lambda: client.move(done, target), f"move mail to {target!r}")
                return
            self._call(lambda: client.copy(done, target), f"copy mail to {target!r}")
        except MailboxError as error:
            if "TRYCREATE" in str(error) or "exist" in str(error).lower():
                raise MailboxError(
                    f"there is no folder {target!r} on {self.settings.host} to move mail to"
                    " — create it or change the mailbox settings"
                ) from None
            raise
        self._call(lambda: client.add_flags(done, [b"\\Deleted"], silent=True), "mark mail deleted")
        if self._has("UIDPLUS"):
            self._call(lambda: client.uid_expunge(done), "remove the moved mail")
        # Without UIDPLUS the copy stays marked \Deleted: a plain EXPUNGE would also remove
        # what someone else marked deleted, which is not ours to remove.

    # -- writing -------------------------------------------------------------------------

    def append(self, folder: str, raw: bytes) -> None:
        """Put a copy of a mail the console sent into ``folder`` (the Sent folder), seen."""
        client = self._connected()
        try:
            self._call(
                lambda: client.append(folder, raw, flags=[b"\\Seen"]),
                f"copy the sent mail to {folder!r}",
            )
        except MailboxError as error:
            if "TRYCREATE" in str(error) or "exist" in str(error).lower():
                raise MailboxError(
                    f"there is no folder {folder!r} on {self.settings.host} for sent mail"
                    " — create it or change the sending account's Sent folder"
                ) from None
            raise

    # -- waiting for mail ----------------------------------------------------------------

    def idle(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for new mail; False at once if the server has no IDLE."""
        client = self._connected()
        if not self._has("IDLE"):
            return False
        wait = max(0.0, seconds)
        self._call(client.idle, "wait for mail")
        arrived = False
        end = time.monotonic() + wait
        try:
            while not arrived:
                left = end - time.monotonic()
                if left <= 0:
                    break
                check = functools.partial(client.idle_check, timeout=left)
                responses = self._call(check, "wait for mail", wait=left)
                arrived = any(_is_arrival(response) for response in responses)
        finally:
            if self._client is not None:
                self._call(client.idle_done, "stop waiting for mail")
        return arrived

    def test(self) -> str:
        folder = _plain(self.settings.folder, 60)
        count = self._exists
        noun = "message" if count == 1 else "messages"
        return f"Connected: {count} {noun} in {folder}"


def _is_arrival(response: Any) -> bool:
    return (
        isinstance(response, tuple)
        and len(response) >= 2
        and isinstance(response[0], int)
        and response[1] in (b"EXISTS", b"RECENT")
    )


def _number(value: object, low: int, high: int) -> int:
    if isinstance(value, list | tuple) and value:
        value = value[0]
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    try:
        number = int(str(value))
    except ValueError:
        return 0
    return number if low <= number <= high else 0


def check_connection(settings: ImapSettings, password: str) -> str:
    """Connect, log in, open the folder and log out: words for the settings dialog."""
    with ImapMailbox(settings, password) as mailbox:
        return mailbox.test()
