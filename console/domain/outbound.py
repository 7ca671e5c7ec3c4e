"""Mail the console sends (DESIGN §11 "Out"): what one outbound mail is, how it is threaded
and addressed, its bytes, and how long a deferred one waits. Pure: no SMTP, no database.

Every outbound mail gets a Message-ID minted here and recorded on its incident before it is
sent; its subject starts with the incident's ``[INC-…]`` tag; it answers the customer's last
message (``In-Reply-To``/``References``); mail the console writes by itself (acknowledgements,
requests) says ``Auto-Submitted: auto-generated``, mail an agent typed does not. The bytes
are composed once, when the mail is queued, so a retry sends exactly what was queued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from enum import StrEnum

from console.domain.ids import new_id
from console.domain.mail import INCIDENT_TAG

__all__ = [
    "GIVE_UP_AFTER",
    "SECURITY",
    "OutboundMail",
    "OutboxEntry",
    "OutboxState",
    "Purpose",
    "SmtpAccount",
    "compose",
    "mint_message_id",
    "retry_delay",
    "thread_subject",
]

#: How an SMTP account's connection is secured: TLS from the first byte (port 465) or
#: STARTTLS on a plain connection (port 587). Never in the clear.
SECURITY = ("tls", "starttls")

#: A mail the server keeps deferring is given up on (failed) this long after it was queued.
GIVE_UP_AFTER = timedelta(days=2)
_DELAYS = (1, 2, 5, 10, 20, 30, 60)  # minutes before the 1st, 2nd, … retry; then hourly

_RE_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|fwd?|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")
# Headers unfolded up to RFC 5322's hard limit: the standard folder breaks a subject that
# starts with "[" right after "Subject:", and some clients then show a leading space.
# Subjects are at most 300 characters and References at most ten ids, so this never binds.
_POLICY = SMTP.clone(max_line_length=998)


class OutboxState(StrEnum):
    """Where an outbound mail is. The values are stored; never rename them."""

    QUEUED = "queued"  # waiting for its first attempt
    SENDING = "sending"  # an attempt is under way (or was, when the sender was killed)
    DEFERRED = "deferred"  # the server said "later" (4xx) or could not be reached
    SENT = "sent"  # the server accepted it (250)
    FAILED = "failed"  # refused for good (5xx), given up on, or withdrawn by an agent

    @property
    def waiting(self) -> bool:
        """Still to be sent: it shows in the Outbox as pending."""
        return self in (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.DEFERRED)


class Purpose(StrEnum):
    """Why the console sends a mail; automated ones say so in their headers."""

    RESPONSE = "response"
    STATUS_UPDATE = "status_update"
    MISSING_DETAILS = "missing_details"  # the request for missing report items
    ACKNOWLEDGEMENT = "acknowledgement"  # an escalation acknowledged
    NOTICE = "notice"  # an exclusion notice, not-on-the-support-list

    @property
    def automated(self) -> bool:
        return self in (Purpose.ACKNOWLEDGEMENT, Purpose.NOTICE)


@dataclass(frozen=True, slots=True)
class SmtpAccount:
    """An SMTP server the outbox sends through (its password is in the keyring, never here)."""

    id: str
    name: str  # how the console names it, e.g. "support@vendor.example"
    host: str
    port: int = 587
    security: str = "starttls"  # one of SECURITY
    username: str = ""  # "" to send without signing in (a relay that trusts the network)
    from_address: str = ""
    from_name: str = ""
    ca_file: str = ""  # a CA certificate (PEM) to trust beside the system's
    sent_mailbox_id: str = ""  # an IMAP mailbox whose Sent folder gets a copy ("" none)
    sent_folder: str = "Sent"
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class OutboundMail:
    """One mail as queued: addressed, threaded, with the text the agent (or a template)
    wrote. Message-IDs are without angle brackets, as the intake stores them."""

    message_id: str
    incident_id: str
    event_id: str  # the RESPONDED / STATUS_UPDATE event it carries ("" for none)
    purpose: Purpose
    from_address: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    text: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    account_id: str = ""

    @property
    def automated(self) -> bool:
        return self.purpose.automated

    @property
    def recipients(self) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for address in (*self.to, *self.cc):
            seen.setdefault(address.casefold(), address)
        return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outbound mail and how its sending went."""

    id: str
    mail: OutboundMail
    state: OutboxState
    queued_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    sent_at: datetime | None = None  # when the server accepted it
    last_error: str = ""  # the server's words (or the connection's), as last heard
    refused: tuple[str, ...] = ()  # recipients the server refused while accepting the rest
    number: str = ""  # the incident's number, for lists
    raw: bytes = field(default=b"", repr=False)


def mint_message_id(domain: str) -> str:
    """A Message-ID no other mail has: a fresh UUIDv7 at the sender's domain."""
    host = domain.strip().strip(".")
    if not host or not _DOMAIN.match(host):
        host = "support-console.invalid"
    return f"{new_id()}@{host}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


def thread_subject(number: str, title: str, last_subject: str = "") -> str:
    """``[INC-…] Re: <the customer's subject>`` when answering their mail, else
    ``[INC-…] <title>``: the tag first, once, whatever the customer's subject carried."""
    tag = f"[{number}]"
    base = INCIDENT_TAG.sub("", last_subject).strip() if last_subject else ""
    if base:
        base = "Re: " + _RE_PREFIX.sub("", base).strip()
        return f"{tag} {' '.join(base.split())}"[:300]
    return f"{tag} {' '.join(title.split())}".rstrip()[:300]


def compose(mail: OutboundMail, at: datetime) -> bytes:
    """The mail's bytes, as sent and as copied to the Sent folder (CRLF line ends)."""
    message = EmailMessage(policy=_POLICY)
    message["Message-ID"] = f"<{mail.message_id}>"
    message["Date"] = format_datetime(at)
    message["From"] = _address(mail.from_name, mail.from_address)
    message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    message["Subject"] = mail.subject
    if mail.in_reply_to:
        message["In-Reply-To"] = f"<{mail.in_reply_to}>"
    refs = [r for r in (*mail.references, mail.in_reply_to) if r]
    if refs:
        message["References"] = " ".join(f"<{r}>" for r in dict.fromkeys(refs))
    if mail.automated:  # RFC 3834: automatic mail; and no out-of-office back, please
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(mail.text)
    return message.as_bytes()


def _address(name: str, address: str) -> str:
    if not name:
        return address
    user, _, domain = address.rpartition("@")
    try:
        return str(Address(display_name=name, username=user, domain=domain))
    except (ValueError, IndexError):
        return address


def retry_delay(attempts: int, queued_at: datetime, now: datetime) -> timedelta | None:
    """How long a mail deferred ``attempts`` times waits before the next try, or None when
    it has waited long enough (:data:`GIVE_UP_AFTER`) and is given up on."""
    if now - queued_at >= GIVE_UP_AFTER:
        return None
    index = max(0, attempts - 1)
    minutes = _DELAYS[index] if index < len(_DELAYS) else _DELAYS[-1]
    return timedelta(minutes=minutes)
