"""Mail as the console reads it, and what each message is (DESIGN §11). Pure: no IMAP, no
parsing library, no database.

:class:`MailMessage` is one received message as the parser in ``mail/`` leaves it: addresses
lower-cased, Message-IDs without angle brackets, text already decoded, the raw bytes kept for
the incident. :func:`decide` says what the message is from facts the intake use case looks
up (who the sender is, which incident a reply refers to); it never looks anything up itself.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "AFTER_IMPORT",
    "INCIDENT_TAG",
    "MAIL_NAMESPACE",
    "Decision",
    "MailAttachment",
    "MailMessage",
    "Mailbox",
    "Sender",
    "Thread",
    "Verdict",
    "decide",
    "is_automatic",
    "is_bulk",
    "mail_event_id",
    "mail_incident_id",
    "mail_incident_number",
    "subject_tags",
]

#: ``[INC-43CET-00001]`` or ``[INC-43CET-7KQ3ZX2A]`` anywhere in a subject.
INCIDENT_TAG = re.compile(r"\[(INC-[0-9A-Z]{5}-[0-9A-Z]{5,8})\]", re.IGNORECASE)

#: The namespace of the name-based ids of what mail creates: two workstations importing the
#: same message from the same mailbox make the same incident, with the same events.
MAIL_NAMESPACE = uuid.UUID("5b0c7f4e-3f1d-5a8e-9a53-6d2f1c0b9e71")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


#: What intake does with a message on the server once its incident is committed.
AFTER_IMPORT = ("leave", "seen", "move")


@dataclass(frozen=True, slots=True)
class Mailbox:
    """An IMAP mailbox intake reads (its password is in the keyring, never here)."""

    id: str
    name: str  # how the console names it, e.g. "support@vendor.example"; also the ledger's
    host: str
    port: int = 993
    username: str = ""
    folder: str = "INBOX"
    after: str = "seen"  # one of AFTER_IMPORT
    move_to: str = ""  # the folder for "move"
    ca_file: str = ""  # a CA certificate (PEM) to trust beside the system's
    starttls: bool = False  # port 143 and STARTTLS instead of TLS from the start
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class MailAttachment:
    """A file the message carried: an attachment, or an inline image (``content_id``)."""

    filename: str
    content_type: str
    data: bytes
    content_id: str = ""  # without angle brackets; set for inline ``cid:`` parts


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One received message, parsed. Every text field is already decoded and safe to show
    as plain text; nothing here is trusted (any header may be forged)."""

    raw: bytes
    message_id: str  # "" when the message has none (the ledger uses the raw bytes' hash)
    from_address: str  # lower-cased; "" when missing or unreadable
    from_name: str
    subject: str
    date: datetime | None  # the Date: header, aware; None when missing or unreadable
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    in_reply_to: tuple[str, ...] = ()  # Message-IDs, without angle brackets
    references: tuple[str, ...] = ()
    text: str = ""  # the body as plain text (HTML converted)
    html: str = ""  # the HTML body as sent, when there was one (never rendered as is)
    attachments: tuple[MailAttachment, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names, first value
    return_path: str | None = None  # None: no Return-Path header; "": the null path "<>"
    is_report: bool = False  # multipart/report (a delivery status notification)
    failed_recipients: tuple[str, ...] = ()  # from a DSN or a plain-text bounce
    bounced_message_id: str = ""  # the Message-ID of the mail a report is about
    problems: tuple[str, ...] = ()  # what the parser had to guess or repair, in words

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def ledger_id(self) -> str:
        """What identifies the message in a mailbox: its Message-ID, else its bytes' hash."""
        return self.message_id or f"sha256:{self.sha256}"

    def referenced_ids(self) -> tuple[str, ...]:
        """In-Reply-To first, then References newest first, each once."""
        seen: list[str] = []
        for mid in (*self.in_reply_to, *reversed(self.references)):
            if mid and mid not in seen:
                seen.append(mid)
        return tuple(seen)


def _header(message: MailMessage, name: str) -> str:
    return message.headers.get(name, "").strip().lower()


def is_automatic(message: MailMessage) -> bool:
    """An auto-reply (RFC 3834 and what vendors send instead): never an incident."""
    auto = _header(message, "auto-submitted")
    if auto and auto != "no":
        return True
    if any(_header(message, h) for h in ("x-autoreply", "x-autorespond")):
        return True
    if _header(message, "x-auto-response-suppress") in ("all", "oof", "autoreply"):
        return True
    return message.return_path == ""


def is_bulk(message: MailMessage) -> bool:
    """Bulk or list mail: ``Precedence: bulk/list/junk``, or a mailing list's headers."""
    if _header(message, "precedence") in ("bulk", "list", "junk"):
        return True
    return bool(_header(message, "list-id") or _header(message, "list-unsubscribe"))


def subject_tags(subject: str) -> tuple[str, ...]:
    """The incident numbers tagged in a subject, upper-cased, in order."""
    return tuple(dict.fromkeys(tag.upper() for tag in INCIDENT_TAG.findall(subject)))


def mail_incident_id(mailbox: str, ledger_id: str) -> str:
    """The incident a message opens, the same on every workstation (DESIGN §5)."""
    return str(uuid.uuid5(MAIL_NAMESPACE, f"incident\n{mailbox}\n{ledger_id}"))


def mail_event_id(mailbox: str, ledger_id: str, what: str) -> str:
    """An event a message adds (``what``: "opened", "message", "reopened"…), the same on
    every workstation."""
    return str(uuid.uuid5(MAIL_NAMESPACE, f"event\n{mailbox}\n{ledger_id}\n{what}"))


def mail_incident_number(incident_id: str, mailbox_code: str) -> str:
    """``INC-<mailbox code>-<8 letters>``, derived from the incident's id: unique without a
    counter, so two workstations give the same incident the same number."""
    digest = hashlib.sha256(incident_id.encode()).digest()
    value = int.from_bytes(digest[:5], "big")  # 40 bits: eight base-32 letters
    letters = "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(8)))
    return f"INC-{mailbox_code}-{letters}"


# -- deciding -----------------------------------------------------------------------------


class Verdict(StrEnum):
    """What a message is; the values are the ``mail import`` words (DESIGN §11)."""

    CREATED = "created"
    CREATED_LINKED = "created-linked"  # a late reply to a resolved incident: a new one
    REOPENED = "reopened"
    THREADED = "threaded"
    DELIVERY = "delivery"  # a bounce or auto-reply about mail of an incident
    BOUNCE = "bounce"  # a delivery report about mail the console cannot find
    HELD_UNKNOWN = "held-unknown-sender"
    HELD_AMBIGUOUS = "held-ambiguous-sender"
    HELD_RATE_LIMITED = "held-rate-limited"
    IGNORED_AUTO = "ignored-auto-reply"
    IGNORED_BULK = "ignored-bulk"
    IGNORED_DUPLICATE = "ignored-duplicate"


@dataclass(frozen=True, slots=True)
class Sender:
    """A support-list contact whose address sent the message."""

    customer_id: str
    contact_id: str


@dataclass(frozen=True, slots=True)
class Thread:
    """An incident the message refers to, as the intake found it."""

    incident_id: str
    customer_id: str
    resolved_at: datetime | None  # None while open
    by_tag: bool = False  # found by an ``[INC-…]`` subject tag, not by a Message-ID


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    sender: Sender | None = None
    thread: Thread | None = None
    why: str = ""  # in words, for the Inbox and the mail log


def decide(
    message: MailMessage,
    *,
    duplicate: bool,
    senders: Sequence[Sender],
    thread: Thread | None,
    rate_limited: bool,
    received_at: datetime,
    reopen_days: int,
) -> Decision:
    """What ``message`` is, given what the intake found.

    ``senders``: the support-list contacts with the sender's address (one customer's, or
    several customers'). ``thread``: the incident a Message-ID it refers to was recorded on,
    or else the one its subject tags, when that incident's customer lists the sender.
    ``reopen_days``: how long after resolving a reply reopens instead of opening a new one.
    """
    if duplicate:
        return Decision(Verdict.IGNORED_DUPLICATE, why="already imported from this mailbox")
    if message.is_report or message.failed_recipients:
        if thread is not None and not thread.by_tag:
            return Decision(Verdict.DELIVERY, thread=thread, why="a delivery report")
        return Decision(Verdict.BOUNCE, why="a delivery report about mail not found here")
    if is_automatic(message):
        if thread is not None and not thread.by_tag:
            return Decision(Verdict.DELIVERY, thread=thread, why="an automatic reply")
        return Decision(Verdict.IGNORED_AUTO, why="an automatic reply")
    if is_bulk(message):
        return Decision(Verdict.IGNORED_BULK, why="bulk or list mail")
    if rate_limited:
        return Decision(Verdict.HELD_RATE_LIMITED, why="too many messages from this sender")
    customers = {s.customer_id for s in senders}
    if thread is not None:
        listed = next((s for s in senders if s.customer_id == thread.customer_id), None)
        if thread.by_tag and listed is None:
            thread = None  # a tag counts only from that customer's own contacts
        elif thread.resolved_at is None:
            return Decision(Verdict.THREADED, sender=listed, thread=thread)
        elif (received_at - thread.resolved_at).days < reopen_days:
            return Decision(Verdict.REOPENED, sender=listed, thread=thread)
        elif listed is not None:
            return Decision(Verdict.CREATED_LINKED, sender=listed, thread=thread)
    if not senders:
        return Decision(Verdict.HELD_UNKNOWN, why="the sender is on no customer's support list")
    if len(customers) > 1:
        return Decision(
            Verdict.HELD_AMBIGUOUS, why="the sender is on more than one customer's support list"
        )
    return Decision(Verdict.CREATED, sender=senders[0])


# -- the report a mail states ------------------------------------------------------------

#: Labels a customer writes before a report item, and the item they fill.
_LABELS: tuple[tuple[str, str], ...] = (
    ("affected", r"affected|what is affected|affected (?:service|services|component|components)"),
    ("impact", r"impact|impact on users|business impact"),
    ("steps", r"steps|steps to reproduce|how to reproduce|reproduction steps"),
    ("error_message", r"error|error message|error text|exact error(?: message)?"),
)
_LABEL_LINE = re.compile(
    r"^\s*(?P<label>" + "|".join(f"(?:{p})" for _, p in _LABELS) + r")\s*:\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_ITEM_MAX = 5000


def report_items(text: str) -> dict[str, str]:
    """The labelled report items a mail's body states ("Impact: …", "Steps to reproduce:"
    and the lines under it, up to a blank line or the next label). The first of each wins;
    quoted lines (a reply's "> …") are not the customer's report."""
    found: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None and current not in found:
            value = "\n".join(lines).strip()
            if value:
                found[current] = value[:_ITEM_MAX]

    for line in text.splitlines():
        if line.lstrip().startswith(">"):
            close()
            current, lines = None, []
            continue
        match = _LABEL_LINE.match(line)
        if match:
            close()
            label = match.group("label").lower()
            current = next(key for key, pattern in _LABELS if re.fullmatch(pattern, label))
            lines = [match.group("rest")] if match.group("rest").strip() else []
        elif current is not None:
            if not line.strip():
                if lines:
                    close()
                    current, lines = None, []
            else:
                lines.append(line.rstrip())
    close()
    return found
