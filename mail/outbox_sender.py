"""Sending the mail outbox (DESIGN §11 "Out"): one pass takes the mail that is due and hands
it to the sending account's SMTP server, one connection per account.

Each mail is claimed (:meth:`OutboxService.claim`) just before it is handed over, and what the
server said is recorded right after: 250 → :meth:`~OutboxService.sent` (``MAIL_SENT`` at that
instant: the answer counts then); 4xx or a broken connection → :meth:`~OutboxService.deferred`
(back-off); 5xx → :meth:`~OutboxService.failed` with the server's words. A sender killed at
any point loses nothing: a mail not claimed is still queued; one claimed but not recorded is
taken again once its lease runs out, under the same Message-ID; one recorded as sent is never
taken again. The bytes sent are the queued ones, never recomposed.

A copy of each mail sent goes to the IMAP Sent folder when the account names one; a copy that
fails never fails the mail — the pass says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from console.domain.mail import Mailbox
from console.domain.outbound import OutboxEntry, OutboxState, SmtpAccount
from console.services.outbox import OutboxService
from console.services.ports import Clock, Store
from console.services.validation import ValidationError
from mail.imap import AfterImport, ImapMailbox, ImapSettings, MailboxError
from mail.smtp import TIMEOUT, SmtpConnection, SmtpError

__all__ = ["OutboxPass", "OutboxSender", "SendOutcome", "copy_to_sent"]

log = logging.getLogger(__name__)

PASS_LIMIT = 200  # mails taken in one pass; the next pass takes the rest
_STOP_CHECK = 0.25  # how soon a resting sender notices it is asked to stop
IDLE_SECONDS = 15.0  # between passes when nothing is due (new mail is seen this soon)

Passwords = Callable[[SmtpAccount | Mailbox], str | None]
#: Copies sent mail to an IMAP folder: (the mailbox, the folder, the bytes) → error words
CopyToSent = Callable[[Mailbox, str, Sequence[bytes]], str]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What became of one mail in a pass."""

    entry_id: str
    incident_id: str
    number: str
    recipient: str
    state: OutboxState  # SENT, DEFERRED or FAILED
    words: str = ""  # the server's (or the connection's) words
    refused: tuple[str, ...] = ()

    def line(self) -> str:
        """``sent INC-… ADDRESS``, ``deferred INC-… ADDRESS: words``, ``failed …: words``."""
        head = f"{self.state.value} {self.number or self.entry_id} {self.recipient}"
        if self.state is OutboxState.SENT:
            if self.refused:
                return f"{head} (refused: {', '.join(self.refused)})"
            return head
        return f"{head}: {self.words}" if self.words else head


@dataclass(frozen=True, slots=True)
class OutboxPass:
    """How one pass went: each mail's outcome, and what could not be done at all."""

    at: datetime
    outcomes: tuple[SendOutcome, ...] = ()
    problems: tuple[str, ...] = ()  # words: no account, a Sent copy that failed, …
    waiting: int = 0  # mail still waiting after the pass
    more: bool = False  # more was due than one pass takes

    @property
    def sent(self) -> int:
        return sum(1 for o in self.outcomes if o.state is OutboxState.SENT)

    @property
    def deferred(self) -> int:
        return sum(1 for o in self.outcomes if o.state is OutboxState.DEFERRED)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.state is OutboxState.FAILED)

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(o.line() for o in self.outcomes)

    @property
    def incident_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.incident_id for o in self.outcomes))


class OutboxSender:
    def __init__(
        self,
        store: Store,
        outbox: OutboxService,
        clock: Clock,
        passwords: Passwords,
        *,
        copy: CopyToSent | None = None,
        timeout: float = TIMEOUT,
        limit: int = PASS_LIMIT,
        on_pass: Callable[[OutboxPass], None] | None = None,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._clock = clock
        self._passwords = passwords
        self._copy = copy if copy is not None else _copier(passwords)
        self._timeout = timeout
        self._limit = limit
        self._on_pass = on_pass
        self._idle = idle_seconds
        self._wake = threading.Event()

    def wanted(self) -> bool:
        """Whether there is an account to send through (else nothing to do)."""
        return self._outbox.accounts.sending() is not None

    # -- one pass ----------------------------------------------------------------------------

    def send_once(self, stop: threading.Event | None = None) -> OutboxPass:
        """Send what is due now, once. Never raises for what the server, the network or the
        database did: the pass says it in words. ``stop`` ends it between two mails."""
        try:
            result = self._pass(stop)
        except Exception as error:  # the database (locked, full): said, and tried again
            log.warning("the outbox could not be sent", exc_info=True)
            message = getattr(error, "message", "") or str(error) or type(error).__name__
            result = OutboxPass(self._clock.now(), problems=(f"the outbox failed: {message}",))
        if self._on_pass is not None:
            self._on_pass(result)
        return result

    def _pass(self, stop: threading.Event | None) -> OutboxPass:
        at = self._clock.now()
        due = self._outbox.due(self._limit)
        if not due:
            return OutboxPass(at, waiting=self._outbox.waiting_count())
        with self._store.read() as tx:
            accounts = {a.id: a for a in tx.outbox.accounts()}
            mailboxes = {m.id: m for m in tx.mail.mailboxes()}
            numbers: dict[str, str] = {}
            for entry in due:
                incident = entry.mail.incident_id
                if incident not in numbers:
                    summary = tx.incidents.summary(incident)
                    numbers[incident] = summary.number if summary is not None else ""
        due = [replace(e, number=e.number or numbers.get(e.mail.incident_id, "")) for e in due]
        fallback = next((a for a in accounts.values() if a.enabled), None)
        groups: dict[str, tuple[SmtpAccount, list[OutboxEntry]]] = {}
        problems: list[str] = []
        for entry in due:
            account = accounts.get(entry.mail.account_id)
            if account is None or not account.enabled:
                account = fallback
            if account is None:
                problems.append(
                    "No server to send mail through: a lead sets one up in Settings → Mail…."
                )
                break
            groups.setdefault(account.id, (account, []))[1].append(entry)
        outcomes: list[SendOutcome] = []
        for account, entries in groups.values():
            if stop is not None and stop.is_set():
                break
            sent_raw = self._send_account(account, entries, outcomes, stop)
            mailbox = mailboxes.get(account.sent_mailbox_id)
            if sent_raw and account.sent_mailbox_id:
                problem = (
                    self._copy(mailbox, account.sent_folder, sent_raw)
                    if mailbox is not None
                    else "the mailbox for copies of sent mail was removed"
                )
                if problem:
                    problems.append(f"Sent mail was not copied to {account.sent_folder}: {problem}")
        return OutboxPass(
            at,
            tuple(outcomes),
            tuple(dict.fromkeys(problems)),
            self._outbox.waiting_count(),
            more=len(due) >= self._limit,
        )

    def _send_account(
        self,
        account: SmtpAccount,
        entries: list[OutboxEntry],
        outcomes: list[SendOutcome],
        stop: threading.Event | None,
    ) -> list[bytes]:
        password = self._passwords(account) if account.username else ""
        if account.username and not password:
            self._defer_all(account, entries, _no_password(account), outcomes)
            return []
        sent: list[bytes] = []
        try:
            connection = SmtpConnection(account, password, self._timeout).__enter__()
        except SmtpError as error:
            self._defer_all(account, entries, str(error), outcomes)
            return []
        try:
            for entry in entries:
                if stop is not None and stop.is_set():
                    break
                if not self._outbox.claim(entry):
                    continue  # another sender has it, or it was withdrawn
                outcome, lost = self._send_one(connection, account, entry)
                if outcome is not None:
                    outcomes.append(outcome)
                    if outcome.state is OutboxState.SENT:
                        sent.append(entry.raw)
                if lost:
                    break  # the connection is gone: the rest wait for the next pass
        finally:
            connection.close()
        return sent

    def _send_one(
        self, connection: SmtpConnection, account: SmtpAccount, entry: OutboxEntry
    ) -> tuple[SendOutcome | None, bool]:
        """What became of the mail (None: it changed meanwhile), and whether the connection
        broke."""
        mail = entry.mail
        to = _shown(entry)
        try:
            accepted = connection.send(account.from_address, mail.recipients, entry.raw)
        except SmtpError as error:
            words = str(error)
            try:
                if error.temporary:
                    state = self._outbox.deferred(entry, words)
                else:
                    self._outbox.failed(entry, words)
                    state = OutboxState.FAILED
            except ValidationError:  # withdrawn meanwhile: nothing more to say
                return None, error.connection_lost
            outcome = SendOutcome(entry.id, mail.incident_id, entry.number, to, state, words)
            return outcome, error.connection_lost
        refused = tuple(accepted.refused)
        self._outbox.sent(entry, accepted.reply, refused)
        state = OutboxState.SENT
        outcome = SendOutcome(
            entry.id, mail.incident_id, entry.number, to, state, accepted.reply, refused
        )
        return outcome, False

    def _defer_all(
        self,
        account: SmtpAccount,
        entries: list[OutboxEntry],
        words: str,
        outcomes: list[SendOutcome],
    ) -> None:
        """The server cannot be reached (or signed in to): every due mail of the account
        waits, visibly, with the words."""
        for entry in entries:
            if not self._outbox.claim(entry):
                continue
            try:
                state = self._outbox.deferred(entry, words)
            except ValidationError:
                continue
            outcomes.append(
                SendOutcome(
                    entry.id, entry.mail.incident_id, entry.number, _shown(entry), state, words
                )
            )

    # -- for ever ----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Send until ``stop`` is set: a pass, then another at once if more was due, else a
        wait of ``idle_seconds``."""
        while not stop.is_set():
            result = self.send_once(stop)
            if result.more and not result.problems and result.outcomes:
                continue
            self._rest(stop)

    def wake(self) -> None:
        """Send now rather than at the end of the idle wait (an agent just queued a mail)."""
        self._wake.set()

    def _rest(self, stop: threading.Event) -> None:
        deadline = time.monotonic() + self._idle
        while not stop.is_set() and not self._wake.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._wake.wait(min(_STOP_CHECK, left))
        self._wake.clear()


def _shown(entry: OutboxEntry) -> str:
    mail = entry.mail
    return mail.to[0] if mail.to else ", ".join(mail.recipients)


def _no_password(account: SmtpAccount) -> str:
    from mail.passwords import credential_name  # noqa: PLC0415 (keyring only when needed)

    return (
        f"No password is stored for {account.username} on {account.host}: enter it in "
        "Settings → Mail…, or give 'mail watch' a systemd credential named "
        f"{credential_name(account)!r}."
    )


def _copier(passwords: Passwords) -> CopyToSent:
    def copy(mailbox: Mailbox, folder: str, raws: Sequence[bytes]) -> str:
        return copy_to_sent(mailbox, folder, raws, passwords(mailbox))

    return copy


def copy_to_sent(mailbox: Mailbox, folder: str, raws: Sequence[bytes], password: str | None) -> str:
    """Append each mail to ``folder`` of ``mailbox`` over one connection: "" when done,
    else what went wrong in words."""
    if password is None:
        return f"no password is stored for {mailbox.username} on {mailbox.host}"
    settings = ImapSettings(
        name=mailbox.name,
        host=mailbox.host,
        port=mailbox.port,
        username=mailbox.username,
        folder=folder,
        after=AfterImport.LEAVE,
        ca_file=mailbox.ca_file,
        starttls=mailbox.starttls,
    )
    try:
        with ImapMailbox(settings, password) as box:
            for raw in raws:
                box.append(folder, raw)
    except MailboxError as error:
        return str(error)
    return ""
