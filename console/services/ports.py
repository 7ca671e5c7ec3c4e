"""What the use cases need from the outside world. db/ implements these; tests may too."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from console.domain.events import IncidentEvent
from console.domain.mail import Mailbox
from console.domain.outbound import OutboundMail, OutboxEntry, OutboxState, SmtpAccount
from console.domain.outcomes import Outcome
from console.domain.records import (
    Agent,
    Attachment,
    Contact,
    Customer,
    EscalationContact,
    IncidentSummary,
    PolicyVersion,
    SupportWindow,
)
from console.domain.templates import StoredTemplate
from console.domain.views import SavedView


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware."""
        ...


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """What history review and the queue narrow by; None or an empty tuple means any."""

    text: str = ""
    statuses: tuple[str, ...] = ()
    customer_ids: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()
    assignee_id: str | None = None
    unassigned: bool = False
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    # The first response's outcome (``outcomes.first_response``) at the reader's ``now``:
    # MET, MISSED or PENDING leave excluded incidents out; None means any.
    outcome: Outcome | None = None
    excluded: bool | None = None
    window_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AttainmentRow:
    """First responses whose deadline fell in ``month``, set by ``priority``, on ``plan``."""

    priority: str  # the priority whose target set the deadline
    plan: str
    month: str  # "YYYY-MM" of the deadline, in UTC
    met: int
    missed: int
    pending: int = 0  # no response yet, deadline still ahead
    excluded: int = 0  # excluded incidents: counted apart, never in met or missed


class IncidentRepository(Protocol):
    def append(
        self, events: Sequence[IncidentEvent], summary: IncidentSummary, search_text: str
    ) -> None:
        """Add events (ignoring ones already present) and store the new projection."""
        ...

    def events(self, incident_id: str) -> list[IncidentEvent]: ...
    def pushed_by(self, incident_id: str) -> dict[str, str]:
        """Event id → the team server login that pushed it, for events pulled by sync."""
        ...

    def summary(self, incident_id: str) -> IncidentSummary | None: ...
    def by_number(self, number: str) -> IncidentSummary | None: ...
    def open_incidents(self) -> list[IncidentSummary]: ...
    def changed_since(
        self, mark: int, limit: int = 500, *, besides: str = ""
    ) -> tuple[int, list[str]]:
        """Incidents with events written after ``mark`` by a workstation other than
        ``besides`` (the mail reader writes as its own), and the mark to ask from next
        time; ``mark`` -1 only gives the current mark."""
        ...

    def for_customer(
        self, customer_id: str, *, active: bool, limit: int, offset: int = 0
    ) -> list[IncidentSummary]:
        """A page of one customer's incidents: open ones (``active``) newest opened first,
        past ones (resolved or excluded) most recently resolved first."""
        ...

    def find(
        self,
        flt: IncidentFilter,
        *,
        limit: int,
        offset: int = 0,
        now: datetime | None = None,
    ) -> list[IncidentSummary]:
        """A page of incidents, newest first; an outcome filter is judged at ``now``
        (required with one: ``ValueError`` without)."""
        ...

    def count(self, flt: IncidentFilter, now: datetime | None = None) -> int: ...
    def attainment(self, flt: IncidentFilter, now: datetime) -> list[AttainmentRow]:
        """First-response outcomes at ``now`` by deadline-setting priority, plan and month."""
        ...

    def all_ids(self) -> Iterator[str]:
        """Every incident that has events, whether or not its projection exists."""
        ...


class CustomerRepository(Protocol):
    def get(self, customer_id: str) -> Customer | None: ...
    def list(self) -> list[Customer]: ...
    def save(self, customer: Customer, hlc: str) -> None:
        """Insert or update the customer's own fields (not its contacts)."""
        ...

    def save_contact(self, contact: Contact, hlc: str) -> None: ...
    def delete_contact(self, contact_id: str, hlc: str) -> None: ...
    def restore_contact(self, contact_id: str, rank: str, hlc: str) -> None:
        """Clear a contact's deleted flag and give it ``rank``; its other fields stay."""
        ...

    def contact(self, contact_id: str, *, include_deleted: bool = False) -> Contact | None:
        """A contact by id; ``include_deleted`` for history (who reported an old incident)."""
        ...


class WindowRepository(Protocol):
    def get(self, window_id: str) -> SupportWindow | None: ...
    def list(self) -> list[SupportWindow]: ...
    def save(self, window: SupportWindow, hlc: str) -> None: ...


class PolicyRepository(Protocol):
    def latest(self) -> PolicyVersion | None: ...
    def get(self, version: int) -> PolicyVersion | None: ...
    def list(self) -> list[PolicyVersion]: ...
    def add(self, version: PolicyVersion) -> None: ...


@dataclass(frozen=True, slots=True)
class AgentAccess:
    """Whether an agent may sign in here, and their passphrase's KDF hash ('' for none).

    Local to this database, never synced; the hash is never the passphrase.
    """

    agent_id: str
    passphrase_hash: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class AgentChange:
    """One recorded change to who may do what: added, role, deactivated, passphrase."""

    at: datetime
    actor_id: str  # '' for the database's first start (no one signed in yet)
    actor_name: str
    agent_id: str
    action: str
    detail: str


class AgentRepository(Protocol):
    def get(self, agent_id: str) -> Agent | None: ...
    def list(self) -> list[Agent]: ...
    def save(self, agent: Agent, hlc: str) -> None: ...
    def access(self, agent_id: str) -> AgentAccess:
        """The agent's local access; active with no passphrase when none is recorded."""
        ...

    def set_access(self, access: AgentAccess, at: datetime) -> None: ...
    def record_change(self, change: AgentChange) -> None:
        """Append to the record of role changes (append-only in the database itself)."""
        ...

    def changes(self, agent_id: str | None = None) -> tuple[AgentChange, ...]:
        """Recorded changes, oldest first; one agent's, or everyone's."""
        ...


class EscalationContactRepository(Protocol):
    def list(self, level: int | None = None) -> list[EscalationContact]: ...
    def save(self, contact: EscalationContact, hlc: str) -> None: ...
    def delete(self, contact_id: str, hlc: str) -> None: ...


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One message intake looked at (DESIGN §11): where from, what it was, what it became."""

    mailbox: str
    ledger_id: str  # the Message-ID, else "sha256:<hash>"
    uidvalidity: int  # the IMAP server's; 0 for a file
    uid: int
    sha256: str
    verdict: str  # a ``Verdict`` value
    incident_id: str  # "" when it became none
    sender: str
    received_at: datetime
    imported_at: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class HeldMail:
    """A message waiting in the Inbox for an agent to accept or reject."""

    id: int
    mailbox: str
    ledger_id: str
    sha256: str
    sender: str
    sender_name: str
    subject: str
    received_at: datetime
    verdict: str
    why: str
    status: str  # held | accepted | rejected


class MailRepository(Protocol):
    def seen(self, mailbox: str, ledger_id: str) -> bool:
        """Whether this message was already looked at from this mailbox."""
        ...

    def last_uid(self, mailbox: str, uidvalidity: int) -> int:
        """The highest UID recorded for the mailbox under this UIDVALIDITY (0: none)."""
        ...

    def record(self, entry: LedgerEntry, raw: bytes) -> None:
        """Add the ledger row and keep the raw bytes (once per hash)."""
        ...

    def raw(self, sha256: str) -> bytes | None: ...
    def incident_of(self, message_ids: Sequence[str]) -> str | None:
        """The incident of the first of ``message_ids`` the console recorded, if any."""
        ...

    def remember(self, message_id: str, incident_id: str, direction: str, at: datetime) -> None:
        """Record a Message-ID (received "in" or sent "out") as its incident's."""
        ...

    def received_from(self, sender: str, since: datetime) -> int:
        """How many messages from ``sender`` the ledger recorded since ``since``."""
        ...

    def contacts_with_email(self, address: str) -> list[tuple[str, str]]:
        """(customer id, contact id) of every support-list contact with this address."""
        ...

    def hold(self, held: HeldMail) -> None: ...
    def held(self, status: str = "held") -> list[HeldMail]: ...
    def held_mark(self) -> tuple[int, int]:
        """How many messages are held, and the newest one's id: changes when the Inbox does."""
        ...

    def held_one(self, held_id: int) -> HeldMail | None: ...
    def decide(self, held_id: int, status: str, by: str, at: datetime) -> None: ...
    def settle(self, mailbox: str, ledger_id: str, verdict: str, incident_id: str) -> None:
        """What a held message finally became (an agent accepted it)."""
        ...

    def mailboxes(self) -> list[Mailbox]: ...
    def mailbox(self, mailbox_id: str) -> Mailbox | None: ...
    def save_mailbox(self, mailbox: Mailbox) -> None:
        """Add or replace (by id); how far it was read is kept unless the server changed."""
        ...

    def delete_mailbox(self, mailbox_id: str) -> None: ...
    def read_mark(self, mailbox_id: str) -> tuple[int, int]:
        """(UIDVALIDITY, last UID) intake has read the mailbox to; (0, 0) at first."""
        ...

    def set_read_mark(self, mailbox_id: str, uidvalidity: int, uid: int) -> None: ...


class SavedViewRepository(Protocol):
    def list(self) -> list[SavedView]:
        """Every saved view not deleted, whoever made it and whether shared or not."""
        ...

    def get(self, view_id: str) -> SavedView | None:
        """A saved view by id; None when there is none or it was deleted."""
        ...

    def save(self, view: SavedView, hlc: str) -> None: ...
    def delete(self, view_id: str, hlc: str) -> None: ...


class TemplateRepository(Protocol):
    """The team's own versions of the mail templates (a synced, lead-only record)."""

    def list(self) -> list[StoredTemplate]: ...
    def get(self, key: str) -> StoredTemplate | None: ...
    def save(self, template: StoredTemplate, hlc: str) -> None: ...
    def delete(self, key: str, hlc: str) -> None: ...


class AttachmentRepository(Protocol):
    def add(self, attachment: Attachment, content: bytes) -> None: ...
    def list(self, incident_id: str) -> list[Attachment]: ...
    def content(self, attachment_id: str) -> bytes: ...
    def read(self, incident_id: str, attachment_id: str) -> tuple[Attachment, bytes] | None:
        """One of the incident's attachments and its bytes as stored, not checked.

        None when the incident has no attachment with that id.
        """
        ...


class MetaRepository(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...
    def next_sequence(self, name: str) -> int:
        """Increment and return a named counter, inside the current transaction."""
        ...

    def highest_stamp(self) -> str:
        """The highest clock stamp any stored row carries ('' if none)."""
        ...


class OutboxRepository(Protocol):
    """The mail outbox and the SMTP accounts it sends through (local to this database)."""

    def add(self, entry_id: str, mail: OutboundMail, raw: bytes, at: datetime) -> None: ...
    def get(self, entry_id: str, *, raw: bool = False) -> OutboxEntry | None: ...
    def entries(
        self,
        *,
        incident_id: str | None = None,
        states: Sequence[OutboxState] | None = None,
        limit: int = 500,
    ) -> list[OutboxEntry]:
        """Newest first, each with its incident's number."""
        ...

    def due(self, now: datetime, limit: int, stale_before: datetime) -> list[OutboxEntry]:
        """Mail to try now (with its bytes), oldest first, and any left ``sending`` since
        before ``stale_before``."""
        ...

    def claim(
        self, entry_id: str, expected: OutboxState, last_attempt: datetime | None, at: datetime
    ) -> bool:
        """Mark it ``sending`` (one more attempt) if still as read."""
        ...

    def settle(
        self,
        entry_id: str,
        state: OutboxState,
        *,
        error: str = "",
        next_attempt_at: datetime | None = None,
        sent_at: datetime | None = None,
        refused: Sequence[str] = (),
        only_from: Sequence[OutboxState] | None = None,
    ) -> bool: ...
    def waiting_count(self) -> int: ...
    def outbox_mark(self) -> tuple[int, ...]: ...
    def accounts(self) -> list[SmtpAccount]: ...
    def account(self, account_id: str) -> SmtpAccount | None: ...
    def save_account(self, account: SmtpAccount) -> None: ...
    def delete_account(self, account_id: str) -> None: ...


class Transaction(Protocol):
    """One unit of work: everything done through it commits or rolls back together."""

    @property
    def incidents(self) -> IncidentRepository: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def windows(self) -> WindowRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def agents(self) -> AgentRepository: ...
    @property
    def escalation_contacts(self) -> EscalationContactRepository: ...
    @property
    def attachments(self) -> AttachmentRepository: ...
    @property
    def saved_views(self) -> SavedViewRepository: ...
    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def mail(self) -> MailRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def meta(self) -> MetaRepository: ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A write transaction (takes the write lock up front)."""
        ...

    def read(self) -> AbstractContextManager[Transaction]:
        """A read-only snapshot."""
        ...
