"""Incident events: the only truth about an incident.

Every clock, the projection and the timeline are derived from these. Events are
append-only and merge across workstations as a grow-only set, so nothing here is
ever updated in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class EventKind(StrEnum):
    """What happened to an incident. The values are stored; never rename them."""

    OPENED = "opened"  # data: priority, proposed_priority, channel, title, report fields
    REPORT_UPDATED = "report_updated"  # data: any report fields filled in later
    RESPONDED = "responded"  # data: text, channel, recipient
    STATUS_UPDATE = "status_update"  # data: text, channel ("status_page" | "email"), recipient
    PRIORITY_CHANGED = "priority_changed"  # data: priority, reason, side ("customer" | "vendor")
    ESCALATED = "escalated"  # data: level (1 | 2), reason
    EXCLUDED = "excluded"  # data: reason ("i" .. "iv"), text
    WAITING_ON_CUSTOMER = "waiting_on_customer"  # data: text
    RESUMED = "resumed"  # data: text
    ASSIGNED = "assigned"  # data: agent_id (None = unassigned), agent_name
    NOTE = "note"  # data: text
    RESOLVED = "resolved"  # data: text
    REOPENED = "reopened"  # data: reason
    # A message from the customer's side (an email reply): data: text, subject, sender,
    # message_id, mailbox, attachments. It moves no clock by itself; a reply that answers
    # a wait is followed by RESUMED, one to a resolved incident by REOPENED.
    CUSTOMER_MESSAGE = "customer_message"
    # Mail about our mail (a bounce, an out-of-office): data: sender, subject, recipients,
    # message_id, mailbox, verdict ("bounce" | "auto-reply"). Moves no clock.
    DELIVERY = "delivery"
    # The outbox (DESIGN §11): a RESPONDED or STATUS_UPDATE sent by email carries
    # data["mail"] (message_id, to, cc, subject) and counts only when the mail server accepts
    # it. MAIL_SENT (data: message_id, event_id, recipients, reply) is that acceptance, at the
    # instant the server said 250; MAIL_FAILED (data: message_id, event_id, recipients,
    # error) is a mail given up on: its response never counts.
    MAIL_SENT = "mail_sent"
    MAIL_FAILED = "mail_failed"


class Channel(StrEnum):
    """How an incident reached the vendor."""

    EMAIL = "email"
    WEB = "web"
    PHONE = "phone"


class UpdateChannel(StrEnum):
    """Where a status update goes (DESIGN §2)."""

    STATUS_PAGE = "status_page"
    EMAIL = "email"


class Side(StrEnum):
    """Who asked for a priority: the customer proposes, the vendor classifies."""

    CUSTOMER = "customer"
    VENDOR = "vendor"


# The seven items of an incident report (DESIGN §2), in the order the policy lists them.
REPORT_ITEMS: tuple[tuple[str, str], ...] = (
    ("affected", "the aspects of the service that are unavailable or not working"),
    ("impact", "the impact on users"),
    ("started_at", "when the incident started"),
    ("steps", "steps to reproduce"),
    ("attachments", "relevant log files or data"),
    ("error_message", "the exact wording of any error message"),
    ("vendor_ref", "the vendor's incident ID"),
)


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """One fact about an incident, as recorded on some workstation.

    ``at`` is when it happened (aware); ``hlc`` is the hybrid logical clock stamp that
    orders events from different workstations that share an instant.
    """

    id: str
    incident_id: str
    kind: EventKind
    at: datetime
    author: str = ""
    origin: str = ""
    hlc: str = ""
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"event {self.id}: time {self.at.isoformat()} has no time zone")
        if not isinstance(self.data, MappingProxyType):
            object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def sort_key(self) -> tuple[datetime, str, str]:
        return (self.at, self.hlc, self.id)


def ordered(events: Iterable[IncidentEvent]) -> list[IncidentEvent]:
    """Events in the one order every replica agrees on."""
    return sorted(events, key=IncidentEvent.sort_key)
