"""SQLAlchemy 2 typed models. Rows never leave db/: repositories map them to frozen records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as sortable UTC text with microseconds; naive ones refused."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # fromisoformat reads this fixed layout about ten times faster than strptime.
        return datetime.fromisoformat(value).replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Per-database facts: the workstation id, the incident number sequence."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Synced:
    """Columns every merged record carries: its last writer's clock and a delete flag."""

    hlc: Mapped[str] = mapped_column(String(64), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class AgentRow(Synced, Base):
    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(320), default="")


class AgentCredentialRow(Base):
    """Local to this database (not synced): whether an agent may sign in here, and the KDF
    hash of a lead's or admin's passphrase ('' when none is set). Never the passphrase."""

    __tablename__ = "agent_credentials"
    agent_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    passphrase_hash: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AgentAuditRow(Base):
    """Append-only (triggers refuse UPDATE and DELETE): who changed whose access, and when."""

    __tablename__ = "agent_audit"
    __table_args__ = (
        Index("ix_agent_audit_agent", "agent_id", "id"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[str] = mapped_column(String(36))  # '' for the database's first start
    actor_name: Mapped[str] = mapped_column(String(200))
    agent_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)


class WindowRow(Synced, Base):
    __tablename__ = "support_windows"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(500))
    zone: Mapped[str] = mapped_column(String(64))
    holidays: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of ISO dates
    holiday_country: Mapped[str] = mapped_column(String(8), default="")
    holiday_subdivision: Mapped[str] = mapped_column(String(16), default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class CustomerRow(Synced, Base):
    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    plan: Mapped[str] = mapped_column(String(32))
    window_id: Mapped[str] = mapped_column(ForeignKey("support_windows.id"))
    csm_name: Mapped[str] = mapped_column(String(200), default="")
    csm_email: Mapped[str] = mapped_column(String(320), default="")
    csm_phone: Mapped[str] = mapped_column(String(40), default="")
    list_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ContactRow(Synced, Base):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_customer_rank", "customer_id", "rank"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    emails: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    phones: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, E.164
    rank: Mapped[str] = mapped_column(String(64))


class EscalationContactRow(Synced, Base):
    __tablename__ = "escalation_contacts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    rank: Mapped[str] = mapped_column(String(64))


class SavedViewRow(Synced, Base):
    """A named set of queue filters: an agent's own, or shared with the team (``shared``)."""

    __tablename__ = "saved_views"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    owner_id: Mapped[str] = mapped_column(String(36), default="")  # the agent who made it
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    filter: Mapped[str] = mapped_column(Text, default="{}")  # ViewFilter.to_json()


class PolicyVersionRow(Base):
    """Policy versions are never edited: each save adds one."""

    __tablename__ = "policy_versions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    author: Mapped[str] = mapped_column(String(200), default="")


class EventRow(Base):
    """Append-only: rows are inserted, never updated or deleted (0004's triggers refuse both)."""

    __tablename__ = "incident_events"
    __table_args__ = (
        Index("ix_events_incident_at", "incident_id", "at"),
        Index("ix_events_hlc", "hlc"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    author: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[str] = mapped_column(String(36), default="")
    hlc: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON object


class IncidentRow(Base):
    """The projection of an incident's events, rebuilt at will; ``pk`` is the search rowid."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_deadline", "status", "next_deadline"),
        Index("ix_incidents_opened", "opened_at"),
        Index("ix_incidents_customer", "customer_id", "opened_at"),
        # A customer's past incidents, most recently resolved first (migration 0007).
        Index("ix_incidents_customer_resolved", "customer_id", "resolved_at"),
        # Covers the attainment report in its group order, so it never touches the table
        # itself nor sorts (migration 0003).
        Index(
            "ix_incidents_attainment",
            "outcome_month",
            "outcome_priority",
            "plan",
            "excluded",
            "first_response_met",
            "outcome_due",
        ),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(500))
    priority: Mapped[str] = mapped_column(String(8))
    proposed_priority: Mapped[str] = mapped_column(String(8), default="")
    status: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM" in UTC, for reports
    policy_version: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str] = mapped_column(String(32), default="")
    assignee_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    first_response_due: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The first response's outcome as of the last event (True met, False missed, None not
    # decided), the deadline that decides it, the priority that set that deadline and the
    # deadline's month ("YYYY-MM" in UTC): attainment groups and counts by these.
    first_response_met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    outcome_due: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    outcome_priority: Mapped[str] = mapped_column(String(8), default="")
    outcome_month: Mapped[str] = mapped_column(String(7), default="")
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AttachmentRow(Base):
    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(36), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    author: Mapped[str] = mapped_column(String(200), default="")


# Full-text index over incident text (title, report, notes, updates); rowid = incidents.pk.
# It is a virtual table, so it lives in the migrations (0001, with prefixes since 0012), not
# in this metadata. Its two- and three-letter prefixes keep short searches fast.
FTS_TABLE = "incident_fts"
FTS_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "number, title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
)


# --------------------------------------------------------------------------------------------
# Sync (DESIGN §6). Triggers made by migration 0002 queue every local write to a synced table
# in ``sync_outbox`` and keep ``sync_field_clocks``, in the writer's own transaction; the sync
# engine (``db.sync``) pushes the outbox and merges pulled changes with capture switched off.


class SyncCaptureRow(Base):
    """One row (id 1): whether local writes are queued, and whether a pull is being applied."""

    __tablename__ = "sync_capture"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    applying: Mapped[bool] = mapped_column(Boolean, default=False)


class SyncOutboxRow(Base):
    """A local change not yet acknowledged by the server; ``seq`` is never reused."""

    __tablename__ = "sync_outbox"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 (SQLAlchemy's own shape)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(36))
    hlc: Mapped[str] = mapped_column(String(64), default="")
    fields: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON; None: read the row
    bases: Mapped[str] = mapped_column(Text, default="{}")  # JSON: field → clock seen before


class SyncFieldClockRow(Base):
    """The clock of the write each field of a synced record holds, and the clock it replaced."""

    __tablename__ = "sync_field_clocks"
    __table_args__ = (Index("ix_field_clocks_hlc", "hlc"),)
    entity: Mapped[str] = mapped_column(String(32), primary_key=True)
    row_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    hlc: Mapped[str] = mapped_column(String(64))
    base: Mapped[str] = mapped_column(String(64), default="")


class SyncConflictRow(Base):
    """Two writes to one field that did not see each other: which value lost, and to whom."""

    __tablename__ = "sync_conflicts"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 (SQLAlchemy's own shape)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(64))
    lost_value: Mapped[str] = mapped_column(Text)  # JSON
    lost_hlc: Mapped[str] = mapped_column(String(64))
    lost_author: Mapped[str] = mapped_column(String(200), default="")
    won_value: Mapped[str] = mapped_column(Text)  # JSON
    won_hlc: Mapped[str] = mapped_column(String(64))
    won_author: Mapped[str] = mapped_column(String(200), default="")
    noticed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lost_member: Mapped[str] = mapped_column(String(64), default="")  # server logins, if known
    won_member: Mapped[str] = mapped_column(String(64), default="")


class SyncStashRow(Base):
    """A pulled change that cannot be applied yet (its row is incomplete); retried each pull."""

    __tablename__ = "sync_stash"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(36))
    change: Mapped[str] = mapped_column(Text)  # JSON


class SyncDirtyRow(Base):
    """An incident whose projection could not be rebuilt after a pull; retried each pull."""

    __tablename__ = "sync_dirty"
    incident_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class SyncQuarantineRow(Base):
    """A change set aside instead of merged (or refused by the server), and why in words."""

    __tablename__ = "sync_quarantine"
    __table_args__ = (
        Index("ix_sync_quarantine_seq", "seq", unique=True),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: refused at push
    change_id: Mapped[str] = mapped_column(String(64), default="")
    entity: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str] = mapped_column(String(64))
    member: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text)
    change: Mapped[str] = mapped_column(Text)  # JSON, as it came
    noticed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SyncEventMemberRow(Base):
    """The server login that pushed a pulled event (the server's ``session_user``)."""

    __tablename__ = "sync_event_members"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member: Mapped[str] = mapped_column(String(64))


# -- email intake (DESIGN §11): local to this database, not synced ------------------------


class MailLedgerRow(Base):
    """Every message intake looked at, once per mailbox: what it was and what it became.

    ``ledger_id`` is the Message-ID, else ``sha256:<hash of the raw bytes>``; ``uid`` and
    ``uidvalidity`` are the IMAP server's (0 for a file), so a mailbox is read on from its
    last UID and a message seen again under a new UIDVALIDITY is still not imported twice."""

    __tablename__ = "mail_ledger"
    __table_args__ = (
        Index("ix_mail_ledger_message", "mailbox", "ledger_id", unique=True),
        Index("ix_mail_ledger_uid", "mailbox", "uidvalidity", "uid"),
        Index("ix_mail_ledger_sender", "sender", "received_at"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    ledger_id: Mapped[str] = mapped_column(String(1000))
    uidvalidity: Mapped[int] = mapped_column(Integer, default=0)
    uid: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(32))
    incident_id: Mapped[str] = mapped_column(String(36), default="")
    sender: Mapped[str] = mapped_column(String(320), default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    detail: Mapped[str] = mapped_column(Text, default="")


class MailRawRow(Base):
    """The raw bytes of every message intake kept, by their hash (DESIGN §11)."""

    __tablename__ = "mail_raw"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class MailMessageIdRow(Base):
    """A Message-ID the console recorded (received, or later sent) and its incident: what
    replies are threaded by."""

    __tablename__ = "mail_message_ids"
    message_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(36))
    direction: Mapped[str] = mapped_column(String(8))  # "in" | "out"
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MailHeldRow(Base):
    """A message waiting in the Inbox for an agent: an unknown or ambiguous sender, or one
    held by the rate limit. ``status``: held, accepted or rejected."""

    __tablename__ = "mail_held"
    __table_args__ = (
        Index("ix_mail_held_message", "mailbox", "ledger_id", unique=True),
        Index("ix_mail_held_status", "status", "received_at"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    ledger_id: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(320), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    verdict: Mapped[str] = mapped_column(String(32))
    why: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="held")
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SmtpAccountRow(Base):
    """An SMTP server the outbox sends through; its password lives in the keyring."""

    __tablename__ = "mail_smtp_accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=587)
    security: Mapped[str] = mapped_column(String(16), default="starttls")
    username: Mapped[str] = mapped_column(String(320), default="")
    from_address: Mapped[str] = mapped_column(String(320), default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    ca_file: Mapped[str] = mapped_column(Text, default="")
    sent_mailbox_id: Mapped[str] = mapped_column(String(36), default="")
    sent_folder: Mapped[str] = mapped_column(String(200), default="Sent")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class OutboxRow(Base):
    """One outbound mail: its composed bytes and how its sending went (migration 0010)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_due", "state", "next_attempt_at"),
        Index("ix_mail_outbox_incident", "incident_id", "queued_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(1000), unique=True)
    incident_id: Mapped[str] = mapped_column(String(36))
    event_id: Mapped[str] = mapped_column(String(36), default="")
    purpose: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(36), default="")
    mail: Mapped[str] = mapped_column(Text)  # JSON
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    refused: Mapped[str] = mapped_column(Text, default="[]")  # JSON list


class MailboxRow(Base):
    """An IMAP mailbox intake reads; its password lives in the keyring."""

    __tablename__ = "mail_mailboxes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=993)
    username: Mapped[str] = mapped_column(String(320), default="")
    folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    after: Mapped[str] = mapped_column(String(8), default="seen")
    move_to: Mapped[str] = mapped_column(String(200), default="")
    ca_file: Mapped[str] = mapped_column(Text, default="")
    starttls: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # How far intake has read: the highest UID handled under this UIDVALIDITY (a new
    # UIDVALIDITY starts again from 0; the ledger still knows every message by its id).
    uidvalidity: Mapped[int] = mapped_column(Integer, default=0)
    last_uid: Mapped[int] = mapped_column(Integer, default=0)


class MailTemplateRow(Synced, Base):
    """The team's own version of a mail template (its key is the id: "first_response"); a
    delete (its ``deleted`` flag) brings the shipped default back. Lead-only under sync."""

    __tablename__ = "mail_templates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the template's key
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[str] = mapped_column(String(32), default="")  # UtcDateTime's text
    author: Mapped[str] = mapped_column(String(200), default="")
