"""Reading the configured mailboxes into intake, 24 hours a day (``main.py mail watch``, and
the console's own background reader).

For each mailbox: take a lock so only one process reads it at a time, connect, read every
message above the UID it had reached (under the same UIDVALIDITY; a new one starts again,
the ledger still refusing what it already has), hand each to :class:`MailIntake`, and only
once that returned flag or move it on the server and move the mark on. A crash anywhere
loses nothing: a message not yet flagged is read again and found in the ledger. Messages are
flagged (or moved) fifty at a time, each batch only after all of its messages are filed. Between
checks it waits in IDLE where the server offers it, else polls.

Given an :class:`~mail.outbox_sender.OutboxSender`, it also sends the mail outbox (DESIGN §10:
"``mail watch`` also sends the mail outbox"), in a thread of its own, even when no mailbox is
set up but an SMTP account is.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from console.domain.mail import Mailbox, Verdict
from console.services.mail_intake import MailIntake, MailSource
from console.services.ports import Clock, Store
from mail.imap import AfterImport, ImapMailbox, ImapSettings, MailboxError
from mail.outbox_sender import OutboxSender
from mail.parse import parse

__all__ = ["MailWatcher", "MailboxStatus", "imap_settings"]

log = logging.getLogger(__name__)

POLL_SECONDS = 60.0  # without IDLE, how often a mailbox is checked
IDLE_SECONDS = 25 * 60.0  # IDLE is renewed before servers drop it (RFC 2177: 29 minutes)
RETRY_SECONDS = (5.0, 15.0, 60.0, 300.0)  # after a failure, waits growing to five minutes
FINISH_BATCH = 50  # messages filed in one commit, then flagged or moved on the server together
BATCH_SECONDS = 0.25  # nor longer than this: the console's own writes wait for the commit


@dataclass(frozen=True)
class MailboxStatus:
    """How a mailbox's last check went, for the status bar and the log."""

    mailbox_id: str
    name: str
    checked_at: datetime | None
    error: str = ""  # words; "" when the check went well
    imported: int = 0  # messages handled in that check
    lines: tuple[str, ...] = field(default=())  # their ``mail import`` lines
    incident_ids: tuple[str, ...] = field(default=())  # the incidents they opened or changed


def imap_settings(mailbox: Mailbox) -> ImapSettings:
    return ImapSettings(
        name=mailbox.name,
        host=mailbox.host,
        port=mailbox.port,
        username=mailbox.username,
        folder=mailbox.folder,
        after=AfterImport(mailbox.after),
        move_to=mailbox.move_to,
        ca_file=mailbox.ca_file,
        starttls=mailbox.starttls,
    )


class MailWatcher:
    def __init__(
        self,
        store: Store,
        intake: MailIntake,
        clock: Clock,
        passwords: Callable[[Mailbox], str | None],
        lock_dir: Path,
        *,
        on_status: Callable[[MailboxStatus], None] | None = None,
        poll_seconds: float = POLL_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
        sender: OutboxSender | None = None,
    ) -> None:
        self._store = store
        self._intake = intake
        self._clock = clock
        self._passwords = passwords
        self._lock_dir = lock_dir
        self._on_status = on_status
        self._poll = poll_seconds
        self._idle = idle_seconds
        self.sender = sender

    def wanted(self) -> bool:
        """Whether there is anything to do: a mailbox to read, or an outbox to send."""
        return bool(self.mailboxes()) or (self.sender is not None and self.sender.wanted())

    def mailboxes(self) -> list[Mailbox]:
        with self._store.read() as tx:
            return [m for m in tx.mail.mailboxes() if m.enabled]

    # -- one check ----------------------------------------------------------------------------

    def check(self, mailbox: Mailbox) -> MailboxStatus:
        """Read ``mailbox`` once: every new message into intake. Never raises for what the
        server, the network or the database did: the status says it in words."""
        try:
            with self._locked(mailbox) as held:
                if not held:
                    return self._status(
                        mailbox, "another program is reading this mailbox right now"
                    )
                password = self._passwords(mailbox)
                if password is None:
                    return self._status(mailbox, _no_password(mailbox))
                with ImapMailbox(imap_settings(mailbox), password) as box:
                    lines, ids = self._read(mailbox, box)
                    return self._status(mailbox, "", lines, ids)
        except MailboxError as error:
            return self._status(mailbox, str(error))
        except Exception as error:  # the database (locked, full): said, and tried again
            log.warning("mailbox %s could not be read", mailbox.name, exc_info=True)
            message = getattr(error, "message", "") or str(error) or type(error).__name__
            return self._status(mailbox, f"the database refused the mail: {message}")

    def _read(self, mailbox: Mailbox, box: ImapMailbox) -> tuple[list[str], list[str]]:
        validity = box.uidvalidity
        with self._store.read() as tx:
            marked_validity, marked = tx.mail.read_mark(mailbox.id)
            # The ledger has the UID of every message filed; the mark adds the duplicates
            # (filed under an earlier UID). A new UIDVALIDITY starts again from 0: the
            # ledger still refuses what it already has.
            last = max(
                tx.mail.last_uid(mailbox.name, validity),
                marked if marked_validity == validity else 0,
            )
        lines: list[str] = []
        ids: list[str] = []
        filed: list[int] = []
        with ExitStack() as batch:
            # Up to FINISH_BATCH messages, or BATCH_SECONDS of work, in one commit; each
            # message is a savepoint of it, so one that fails is undone alone.
            started = 0.0
            for fetched in box.fetch_after(last):
                if not filed:
                    batch.enter_context(self._store.transaction())
                    started = time.monotonic()
                source = MailSource(
                    mailbox.name, fetched.uidvalidity, fetched.uid, fetched.internaldate
                )
                result = self._intake.take(parse(fetched.raw), source)
                if result.verdict is Verdict.IGNORED_DUPLICATE:  # not in the ledger by this UID
                    with self._store.transaction() as tx:
                        tx.mail.set_read_mark(mailbox.id, fetched.uidvalidity, fetched.uid)
                filed.append(fetched.uid)
                lines.append(result.line())
                if result.incident_id:
                    ids.append(result.incident_id)
                if len(filed) >= FINISH_BATCH or time.monotonic() - started > BATCH_SECONDS:
                    batch.close()  # committed: only now are they flagged or moved
                    box.finish_many(filed)
                    filed = []
            batch.close()
            box.finish_many(filed)
        return lines, ids

    def _status(
        self,
        mailbox: Mailbox,
        error: str,
        lines: list[str] | None = None,
        ids: list[str] | None = None,
    ) -> MailboxStatus:
        found = lines or []
        status = MailboxStatus(
            mailbox.id,
            mailbox.name,
            self._clock.now(),
            error,
            len(found),
            tuple(found),
            tuple(ids or ()),
        )
        if self._on_status is not None:
            self._on_status(status)
        return status

    @contextmanager
    def _locked(self, mailbox: Mailbox) -> Iterator[bool]:
        """One reader per mailbox across processes: an exclusive lock on a file of its own."""
        self._lock_dir.mkdir(parents=True, exist_ok=True)
        path = self._lock_dir / f"mailbox-{mailbox.id}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- for ever ------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Check every enabled mailbox until ``stop`` is set: one thread each, IDLE or poll;
        and send the outbox in another, when there is a sender."""
        threads = [
            threading.Thread(target=self._watch, args=(m, stop), name=f"mail {m.name}", daemon=True)
            for m in self.mailboxes()
        ]
        if self.sender is not None:
            threads.append(
                threading.Thread(
                    target=self.sender.run, args=(stop,), name="mail outbox", daemon=True
                )
            )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _watch(self, mailbox: Mailbox, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            status = self.check(mailbox)
            if status.error:
                wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                stop.wait(wait)
                continue
            failures = 0
            if not self._wait_for_mail(mailbox, stop):
                stop.wait(self._poll)

    def _wait_for_mail(self, mailbox: Mailbox, stop: threading.Event) -> bool:
        """IDLE until something arrives (or the renewal time, or ``stop``); False when the
        server has no IDLE or the wait could not be made (the caller polls instead)."""
        password = self._passwords(mailbox)
        if password is None:
            return False
        try:
            with ImapMailbox(imap_settings(mailbox), password) as box:
                if not box.supports_idle:
                    return False
                waited = 0.0
                step = min(self._idle, 5.0)  # short IDLEs: ``stop`` is seen within seconds
                while not stop.is_set() and waited < self._idle:
                    if box.idle(step):
                        return True
                    waited += step
                return True
        except MailboxError:
            return False


def _no_password(mailbox: Mailbox) -> str:
    from mail.passwords import credential_name  # noqa: PLC0415 (keyring only when needed)

    return (
        f"no password is stored for {mailbox.username} on {mailbox.host}: enter it in "
        "Settings → Mail…, or give 'mail watch' a systemd credential named "
        f"{credential_name(mailbox)!r}"
    )
