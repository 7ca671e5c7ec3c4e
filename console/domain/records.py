"""Frozen records the services and screens pass around; the store maps rows to these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def may_edit_policy(self) -> bool:
        return self in (Role.LEAD, Role.ADMIN)


class Status(StrEnum):
    """Where an incident stands; derived from its events."""

    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    EXCLUDED = "excluded"
    RESOLVED = "resolved"


# The statuses of an open incident: its clocks may run, it is on the queue.
ACTIVE = (Status.OPEN, Status.WAITING_ON_CUSTOMER)


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str
    role: Role
    email: str = ""


@dataclass(frozen=True, slots=True)
class SupportWindow:
    """A named support window: the calendar a customer's business-hours clocks follow."""

    id: str
    name: str
    hours: str
    zone: str
    holidays: tuple[date, ...] = ()
    holiday_country: str = ""
    holiday_subdivision: str = ""
    builtin: bool = False


@dataclass(frozen=True, slots=True)
class Contact:
    """One person on a customer's support list; ``rank`` is a fractional-index key."""

    id: str
    customer_id: str
    name: str
    role: str
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    rank: str = ""


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    plan: str
    window_id: str
    csm_name: str = ""
    csm_email: str = ""
    csm_phone: str = ""
    list_confirmed_at: datetime | None = None
    contacts: tuple[Contact, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class EscalationContact:
    """A vendor-side person to contact at an escalation level."""

    id: str
    level: int
    name: str
    role: str
    email: str = ""
    phone: str = ""
    rank: str = ""


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    id: str
    version: int
    text: str
    created_at: datetime
    author: str


@dataclass(frozen=True, slots=True)
class Attachment:
    id: str
    incident_id: str
    filename: str
    size: int
    sha256: str
    added_at: datetime
    author: str = ""


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """The projection of an incident's events: what lists and queries read."""

    id: str
    number: str
    customer_id: str
    title: str
    priority: str
    proposed_priority: str
    status: Status
    channel: str
    opened_at: datetime
    policy_version: int
    plan: str = ""  # the plan that governed the incident when it was opened
    assignee_id: str | None = None
    escalation_level: int = 0
    next_deadline: datetime | None = None  # of the clock to act on next (the live reading)
    first_response_due: datetime | None = None  # of the clock running now (after restarts)
    first_response_at: datetime | None = None
    # The first response's outcome as of the last event (``outcomes.first_response``): True
    # met, False missed, None pending (or excluded, or not applicable). A pending one turns
    # missed once ``outcome_due`` has passed: ``projection.outcome_at`` says which at ``now``.
    first_response_met: bool | None = None
    outcome_due: datetime | None = None  # the deadline that decides it (a missed one stays)
    outcome_priority: str = ""  # the priority whose target set ``outcome_due``
    excluded: bool = False
    resolved_at: datetime | None = None
    updated_at: datetime | None = None
