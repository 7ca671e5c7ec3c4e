"""Email intake (DESIGN §11): what each received message becomes, written once.

:meth:`MailIntake.take` reads what the decision needs (has this mailbox seen the message,
which support-list contacts have the sender's address, which incident a reply refers to,
how much the sender sent lately), lets :func:`console.domain.mail.decide` say what the
message is, then writes it: a new incident, a message on an incident's timeline, a delivery
event, a held message for the Inbox, or only a ledger row. The ledger row is written in the
same transaction as the incident or event, so a message is in the ledger exactly when what
it became is in the database; the unique (mailbox, message) key and the name-based incident
id make a second import of the same message, even racing on another process, a duplicate
rather than a second incident. The caller flags or moves the message on the server only
after :meth:`take` returned.

The incident's received instant is the server's INTERNALDATE; a message from a file has
none, so its ``Date:`` header is used, never later than the import, and the incident says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from console.domain.events import Channel, EventKind
from console.domain.ids import workstation_code
from console.domain.mail import (
    Decision,
    MailMessage,
    Sender,
    Thread,
    Verdict,
    decide,
    report_items,
    subject_tags,
)
from console.domain.records import IncidentSummary, Status
from console.services.incidents import IncidentService, MailOrigin, NewIncident
from console.services.policy import latest_policy
from console.services.ports import Clock, HeldMail, LedgerEntry, Store, Transaction
from console.services.validation import ValidationError

__all__ = ["IntakeResult", "MailIntake", "MailSource"]

_TITLE_MAX = 500
_NO_SUBJECT = "(no subject)"
_HELD = frozenset({Verdict.HELD_UNKNOWN, Verdict.HELD_AMBIGUOUS, Verdict.HELD_RATE_LIMITED})


@dataclass(frozen=True, slots=True)
class MailSource:
    """Where a message was read: a mailbox (its UIDVALIDITY, UID and INTERNALDATE), or a
    file (``received_at`` None: its Date: header is used)."""

    mailbox: str
    uidvalidity: int = 0
    uid: int = 0
    received_at: datetime | None = None
    from_file: bool = False

    def ledger_id(self, message: MailMessage) -> str:
        """The message's key in this mailbox's ledger: its Message-ID (else its bytes'
        hash); for a file, the hash of its bytes with its Message-ID (DESIGN §11)."""
        if not self.from_file:
            return message.ledger_id
        key = f"sha256:{message.sha256}"
        return f"{message.message_id} {key}" if message.message_id else key


@dataclass(frozen=True, slots=True)
class IntakeResult:
    verdict: Verdict
    number: str = ""  # the incident it went to, or was about
    customer: str = ""  # the customer's name, for "created"
    linked: str = ""  # the resolved incident a late reply was about
    address: str = ""  # the sender, or the recipient a bounce names
    incident_id: str = ""

    def line(self) -> str:
        """The ``mail import`` line (DESIGN §11)."""
        v = self.verdict
        if v is Verdict.CREATED:
            return f"created {self.number} {self.customer}"
        if v is Verdict.CREATED_LINKED:
            return f"created {self.number} {self.customer} linked {self.linked}"
        if v in (Verdict.REOPENED, Verdict.THREADED):
            return f"{v.value} {self.number}"
        if v is Verdict.DELIVERY:
            return f"delivery {self.number} {self.address}".rstrip()
        if v is Verdict.BOUNCE:
            return f"bounce {self.address}".rstrip()
        if v in _HELD:
            kind = v.value.removeprefix("held-")
            return f"held {kind} {self.address}".rstrip()
        return f"ignored {v.value.removeprefix('ignored-')}"


class MailIntake:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        incidents: IncidentService,
        *,
        reopen_days: int | None = None,
        rate_limit: int | None = None,
        rate_window: timedelta | None = None,
        parse: Callable[[bytes], MailMessage] | None = None,
    ) -> None:
        """``parse`` reads kept raw bytes again (the Inbox shows and accepts held mail).

        The reopen window and the sender limit are the current policy's (``[mail]``), read
        with each message; the keyword arguments override them (benchmarks, tests)."""
        self._parse = parse
        self._store = store
        self._clock = clock
        self._incidents = incidents
        self._reopen_days = reopen_days
        self._rate_limit = rate_limit
        self._rate_window = rate_window

    def take(self, message: MailMessage, source: MailSource) -> IntakeResult:
        """Decide what ``message`` is and write it; safe to call again for the same one."""
        now = self._clock.now()
        received = source.received_at or min(message.date or now, now)
        with self._store.read() as tx:
            decision = self._decide(tx, message, source, received)
            thread = decision.thread
            thread_summary = tx.incidents.summary(thread.incident_id) if thread else None
            customer_name = ""
            if decision.sender is not None:
                customer = tx.customers.get(decision.sender.customer_id)
                customer_name = customer.name if customer else ""
        try:
            return self._write(
                message, source, received, now, decision, thread_summary, customer_name
            )
        except ValidationError as error:
            if self._seen(source.mailbox, source.ledger_id(message)):
                return IntakeResult(Verdict.IGNORED_DUPLICATE)
            # The incident it would open or change refused it (a contact removed a moment
            # ago, an incident that cannot take it): an agent looks at it in the Inbox.
            held = Decision(Verdict.HELD_UNKNOWN, why=f"could not be filed: {error}")
            return self._write(message, source, received, now, held, None, "")
        except Exception:
            # Another process imported the same message at the same moment: its ledger row
            # (and the incident's name-based id) made this write fail, and nothing was saved.
            if self._seen(source.mailbox, source.ledger_id(message)):
                return IntakeResult(Verdict.IGNORED_DUPLICATE)
            raise

    # -- the Inbox --------------------------------------------------------------------------

    def held(self) -> list[HeldMail]:
        """Messages waiting for an agent, oldest first."""
        with self._store.read() as tx:
            return tx.mail.held()

    def held_mark(self) -> tuple[int, int]:
        """A cheap mark of the Inbox (count, newest id): another program held or decided mail
        when it changes."""
        with self._store.read() as tx:
            return tx.mail.held_mark()

    def held_message(self, held_id: int) -> MailMessage:
        """A held message as it came (parsed again from its kept raw bytes)."""
        from_raw = self._held_raw(held_id)
        return from_raw[1]

    def accept(self, held_id: int, customer_id: str, contact_id: str, by: str) -> IntakeResult:
        """Open the incident a held message reports, for this customer and contact (an agent
        chose them, adding the sender to the support list first where needed)."""
        held, message = self._held_raw(held_id)
        if held.status != "held":
            raise ValidationError.single("held", f"This message was already {held.status}.")
        now = self._clock.now()
        origin = MailOrigin(
            mailbox=held.mailbox,
            ledger_id=held.ledger_id,
            received_at=held.received_at,
            mailbox_code=workstation_code(f"mail:{held.mailbox}"),
        )

        def settle(tx: Transaction, summary: IncidentSummary) -> None:
            tx.mail.decide(held_id, "accepted", by, now)
            tx.mail.settle(held.mailbox, held.ledger_id, Verdict.CREATED.value, summary.id)
            tx.mail.remember(message.message_id, summary.id, "in", now)

        source = MailSource(held.mailbox, received_at=held.received_at)
        summary = self._incidents.open_from_mail(
            self._report(message, Sender(customer_id, contact_id)),
            origin,
            settle,
            mail=self._mail_data(message, source, held.received_at),
            text=message.text,
        )
        with self._store.read() as tx:
            customer = tx.customers.get(customer_id)
        name = customer.name if customer else ""
        return IntakeResult(
            Verdict.CREATED, summary.number, name, address=held.sender, incident_id=summary.id
        )

    def reject(self, held_id: int, by: str) -> None:
        """Leave a held message out for good (it stays in the ledger, with its raw bytes)."""
        with self._store.transaction() as tx:
            held = tx.mail.held_one(held_id)
            if held is None:
                raise ValidationError.single("held", "This message is no longer in the Inbox.")
            if held.status != "held":
                raise ValidationError.single("held", f"This message was already {held.status}.")
            tx.mail.decide(held_id, "rejected", by, self._clock.now())

    def _held_raw(self, held_id: int) -> tuple[HeldMail, MailMessage]:
        with self._store.read() as tx:
            held = tx.mail.held_one(held_id)
            raw = tx.mail.raw(held.sha256) if held is not None else None
        if held is None or raw is None:
            raise ValidationError.single("held", "This message is no longer in the Inbox.")
        if self._parse is None:
            raise ValueError("this intake was built without a parser: it cannot re-read mail")
        return held, self._parse(raw)

    # -- deciding ---------------------------------------------------------------------------

    def _decide(
        self, tx: Transaction, message: MailMessage, source: MailSource, received: datetime
    ) -> Decision:
        mail = tx.mail
        duplicate = mail.seen(source.mailbox, source.ledger_id(message))
        senders = [Sender(c, k) for c, k in mail.contacts_with_email(message.from_address)]
        thread = self._thread(tx, message, senders)
        _, policy = latest_policy(tx)
        limit = self._rate_limit or policy.sender_limit
        since = received - (self._rate_window or policy.sender_limit_window)
        rate_limited = (
            bool(message.from_address) and mail.received_from(message.from_address, since) >= limit
        )
        return decide(
            message,
            duplicate=duplicate,
            senders=senders,
            thread=thread,
            rate_limited=rate_limited,
            received_at=received,
            reopen_days=self._reopen_days or policy.reopen_days,
        )

    @staticmethod
    def _thread(tx: Transaction, message: MailMessage, senders: list[Sender]) -> Thread | None:
        ids = list(message.referenced_ids())
        if message.bounced_message_id:
            ids.insert(0, message.bounced_message_id)
        incident_id = tx.mail.incident_of(ids)
        if incident_id:
            found = tx.incidents.summary(incident_id)
            if found is not None:
                return Thread(found.id, found.customer_id, _resolved_at(found))
        listed = {s.customer_id for s in senders}
        for number in subject_tags(message.subject):
            tagged = tx.incidents.by_number(number)
            # A tag counts only from that customer's own contacts: a guessed number must not
            # put one customer's mail on another's incident.
            if tagged is not None and tagged.customer_id in listed:
                return Thread(tagged.id, tagged.customer_id, _resolved_at(tagged), by_tag=True)
        return None

    def _seen(self, mailbox: str, ledger_id: str) -> bool:
        with self._store.read() as tx:
            return tx.mail.seen(mailbox, ledger_id)

    # -- writing ----------------------------------------------------------------------------

    def _write(
        self,
        message: MailMessage,
        source: MailSource,
        received: datetime,
        now: datetime,
        decision: Decision,
        thread: IncidentSummary | None,
        customer_name: str,
    ) -> IntakeResult:
        verdict = decision.verdict
        if verdict is Verdict.IGNORED_DUPLICATE:
            return IntakeResult(verdict)
        origin = MailOrigin(
            mailbox=source.mailbox,
            ledger_id=source.ledger_id(message),
            received_at=received,
            mailbox_code=workstation_code(f"mail:{source.mailbox}"),
        )

        def ledger(tx: Transaction, incident: IncidentSummary | None, detail: str = "") -> None:
            tx.mail.record(
                LedgerEntry(
                    mailbox=source.mailbox,
                    ledger_id=source.ledger_id(message),
                    uidvalidity=source.uidvalidity,
                    uid=source.uid,
                    sha256=message.sha256,
                    verdict=verdict.value,
                    incident_id=incident.id if incident else "",
                    sender=message.from_address,
                    received_at=received,
                    imported_at=now,
                    detail=detail or decision.why,
                ),
                message.raw,
            )
            if incident is not None:
                tx.mail.remember(message.message_id, incident.id, "in", now)

        if verdict in (Verdict.CREATED, Verdict.CREATED_LINKED):
            assert decision.sender is not None
            report = self._report(message, decision.sender)
            mail = self._mail_data(message, source, received)
            if verdict is Verdict.CREATED_LINKED and thread is not None:
                mail["linked_to"] = {"id": thread.id, "number": thread.number}
            summary = self._incidents.open_from_mail(
                report, origin, ledger, mail=mail, text=message.text
            )
            linked = thread.number if (verdict is Verdict.CREATED_LINKED and thread) else ""
            return IntakeResult(
                verdict, summary.number, customer_name, linked, message.from_address, summary.id
            )
        if verdict in (Verdict.THREADED, Verdict.REOPENED, Verdict.DELIVERY):
            assert thread is not None
            if verdict is Verdict.DELIVERY:
                kind, data = EventKind.DELIVERY, self._delivery_data(message, source)
            else:
                kind, data = EventKind.CUSTOMER_MESSAGE, self._message_data(message, source)
            replied = kind is EventKind.CUSTOMER_MESSAGE
            files = [(a.filename, a.data) for a in message.attachments] if replied else []
            summary = self._incidents.add_from_mail(
                thread.id, kind, data, origin, ledger, files=files
            )
            address = ", ".join(message.failed_recipients) or message.from_address
            return IntakeResult(
                verdict,
                summary.number,
                address=address if verdict is Verdict.DELIVERY else "",
                incident_id=summary.id,
            )
        with self._store.transaction() as tx:
            ledger(tx, None)
            if verdict in _HELD:
                tx.mail.hold(
                    HeldMail(
                        id=0,
                        mailbox=source.mailbox,
                        ledger_id=source.ledger_id(message),
                        sha256=message.sha256,
                        sender=message.from_address,
                        sender_name=message.from_name,
                        subject=message.subject,
                        received_at=received,
                        verdict=verdict.value,
                        why=decision.why,
                        status="held",
                    )
                )
        if verdict is Verdict.BOUNCE:
            return IntakeResult(verdict, address=", ".join(message.failed_recipients))
        return IntakeResult(verdict, address=message.from_address)

    @staticmethod
    def _report(message: MailMessage, sender: Sender) -> NewIncident:
        items = report_items(message.text)
        title = " ".join(message.subject.split())[:_TITLE_MAX] or _NO_SUBJECT
        files = [(a.filename, a.data) for a in message.attachments]
        files.append(("message.eml", message.raw))  # the raw message, always kept
        return NewIncident(
            customer_id=sender.customer_id,
            contact_id=sender.contact_id,
            title=title,
            channel=Channel.EMAIL,
            affected=items.get("affected", ""),
            impact=items.get("impact", ""),
            steps=items.get("steps", ""),
            error_message=items.get("error_message", ""),
            attachments=files,
        )

    @staticmethod
    def _mail_data(message: MailMessage, source: MailSource, received: datetime) -> dict[str, Any]:
        data: dict[str, Any] = {
            "sender": message.from_address,
            "sender_name": message.from_name,
            "subject": message.subject,
            "message_id": message.message_id,
            "mailbox": source.mailbox,
        }
        if source.received_at is None:
            data["received_from"] = "date-header"  # a file: no server receipt time
        if message.problems:
            data["problems"] = list(message.problems)
        return data

    @staticmethod
    def _message_data(message: MailMessage, source: MailSource) -> dict[str, Any]:
        return {
            "text": message.text,
            "subject": message.subject,
            "sender": message.from_address,
            "message_id": message.message_id,
            "mailbox": source.mailbox,
        }

    @staticmethod
    def _delivery_data(message: MailMessage, source: MailSource) -> dict[str, Any]:
        bounce = message.is_report or bool(message.failed_recipients)
        return {
            "verdict": "bounce" if bounce else "auto-reply",
            "sender": message.from_address,
            "subject": message.subject,
            "recipients": list(message.failed_recipients),
            # which mail of ours it is about: the bounced one, else the one an auto-reply answers
            "about": message.bounced_message_id or next(iter(message.in_reply_to), ""),
            "message_id": message.message_id,
            "mailbox": source.mailbox,
        }


def _resolved_at(summary: IncidentSummary) -> datetime | None:
    if summary.status in (Status.RESOLVED, Status.EXCLUDED):
        return summary.resolved_at or summary.updated_at
    return None
