"""The escalation ladder (DESIGN §2): who to contact next, on the vendor's side and the customer's.

Vendor side: the assigned agent, then the Escalation 1 contacts, then the Escalation 2
contacts, each level in the order the lead keeps it. Customer side: the support list in
order, with the Customer Success Manager first where the customer has one. The rung to
contact next is marked: on the vendor side the first contact of the level the incident has
reached (or may now be escalated to); on the customer side the first person on the ladder.

Pure functions of records and clocks, so the panel and the tests read the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from console.domain.clock_model import Clock, IncidentClocks
from console.domain.events import Side
from console.domain.policy import EscalationLevel
from console.domain.records import Agent, Customer, EscalationContact


@dataclass(frozen=True, slots=True)
class Rung:
    """One person on a ladder, with why they are on it."""

    side: Side
    name: str
    role: str
    reason: str  # "Assigned agent", "Escalation 1", "Support list, 2nd"
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    level: int = 0  # vendor side: 0 for the agent, else the escalation level
    is_next: bool = False

    @property
    def email(self) -> str:
        return self.emails[0] if self.emails else ""

    @property
    def phone(self) -> str:
        return self.phones[0] if self.phones else ""


@dataclass(frozen=True, slots=True)
class Ladder:
    vendor: tuple[Rung, ...]
    customer: tuple[Rung, ...]
    gaps: tuple[str, ...] = ()  # what is missing from the ladder, in sentences

    def next_rungs(self, side: Side) -> tuple[Rung, ...]:
        return tuple(
            r for r in (self.vendor if side is Side.VENDOR else self.customer) if r.is_next
        )


@dataclass(frozen=True, slots=True)
class Standing:
    """Where an incident stands on the escalation path at ``clocks.now``."""

    level: int  # the level the customer has escalated to (0, 1 or 2)
    eligible_level: int | None  # a higher level the customer may escalate to now
    eligible_since: datetime | None  # since when the shown level was earned
    escalated_at: datetime | None  # when the customer escalated to ``level``
    response: Clock | None  # the live response clock the vendor must beat now

    @property
    def contact_level(self) -> int:
        """The vendor level to contact next: the one reached, or the one now earned."""
        return max(self.level, self.eligible_level or 0)

    @property
    def label(self) -> str:
        if self.level and self.eligible_level:
            return f"Escalation {self.level} · Escalation {self.eligible_level} eligible"
        if self.level:
            return f"Escalation {self.level}"
        return f"Eligible for Escalation {self.eligible_level}"

    @property
    def short_label(self) -> str:
        if self.level and self.eligible_level:
            return f"At E{self.level}, eligible for E{self.eligible_level}"
        if self.level:
            return f"At E{self.level}"
        return f"Eligible for E{self.eligible_level}"


def standing(clocks: IncidentClocks) -> Standing | None:
    """The incident's escalation standing, or None when it is neither eligible nor escalated."""
    level, eligible = clocks.escalation_level, clocks.eligible_level
    if not level and eligible is None:
        return None
    since = clocks.eligible_since
    if eligible is None:  # at a level, nothing more earned: since when that level was earned
        watched = clocks.first_response if level == 1 else clocks.escalation_1
        since = watched.missed_before or watched.deadline
    escalation = {1: clocks.escalation_1, 2: clocks.escalation_2}.get(level)
    watched_now = escalation if escalation is not None else clocks.first_response
    return Standing(
        level=level,
        eligible_level=eligible,
        eligible_since=since,
        escalated_at=escalation.started_at if escalation is not None else None,
        response=watched_now if watched_now.is_live else None,
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def vendor_ladder(
    assignee: Agent | None,
    contacts: Iterable[EscalationContact],
    levels: Sequence[EscalationLevel],
    contact_level: int = 0,
) -> tuple[tuple[Rung, ...], tuple[str, ...]]:
    """The vendor's rungs (agent, then each level's contacts in order) and the gaps."""
    rungs: list[Rung] = []
    gaps: list[str] = []
    if assignee is not None:
        rungs.append(
            Rung(
                side=Side.VENDOR,
                name=assignee.name,
                role="",
                reason="Assigned agent",
                emails=(assignee.email,) if assignee.email else (),
                level=0,
            )
        )
    else:
        gaps.append("No agent is assigned to this incident.")
    by_level: dict[int, list[EscalationContact]] = {}
    for contact in contacts:
        by_level.setdefault(contact.level, []).append(contact)
    for level in sorted(levels, key=lambda lv: lv.level):
        people = by_level.get(level.level, [])
        if not people:
            gaps.append(
                f"No Escalation {level.level} contact ({level.role.lower()}) is set: "
                "a lead adds one in the policy settings."
            )
        for person in people:
            rungs.append(
                Rung(
                    side=Side.VENDOR,
                    name=person.name,
                    role=person.role or level.role,
                    reason=f"Escalation {level.level}",
                    emails=(person.email,) if person.email else (),
                    phones=(person.phone,) if person.phone else (),
                    level=level.level,
                )
            )
    return _mark_vendor_next(rungs, contact_level), tuple(gaps)


def customer_ladder(customer: Customer | None) -> tuple[tuple[Rung, ...], tuple[str, ...]]:
    """The customer's rungs: the CSM first where assigned, then the support list in order."""
    if customer is None:
        return (), ("The customer of this incident no longer exists.",)
    rungs: list[Rung] = []
    if customer.csm_name:
        rungs.append(
            Rung(
                side=Side.CUSTOMER,
                name=customer.csm_name,
                role="Customer Success Manager",
                reason="primary contact for every incident",
                emails=(customer.csm_email,) if customer.csm_email else (),
                phones=(customer.csm_phone,) if customer.csm_phone else (),
            )
        )
    for position, contact in enumerate(customer.contacts, start=1):
        rungs.append(
            Rung(
                side=Side.CUSTOMER,
                name=contact.name,
                role=contact.role,
                reason=f"Support list, {_ordinal(position)}",
                emails=tuple(contact.emails),
                phones=tuple(contact.phones),
            )
        )
    gaps = () if customer.contacts else (f"{customer.name} has no one on its support list.",)
    marked = tuple(replace(r, is_next=i == 0) for i, r in enumerate(rungs))
    return marked, gaps


def ladder(
    *,
    customer: Customer | None,
    assignee: Agent | None,
    contacts: Iterable[EscalationContact],
    levels: Sequence[EscalationLevel],
    contact_level: int,
) -> Ladder:
    vendor, vendor_gaps = vendor_ladder(assignee, contacts, levels, contact_level)
    people, customer_gaps = customer_ladder(customer)
    return Ladder(vendor=vendor, customer=people, gaps=(*vendor_gaps, *customer_gaps))


def _mark_vendor_next(rungs: list[Rung], contact_level: int) -> tuple[Rung, ...]:
    """Mark every contact of ``contact_level`` (they are peers); when that level has nobody,
    the nearest level above that has someone, else the nearest below."""
    levels = sorted({r.level for r in rungs})
    above = [lv for lv in levels if lv >= contact_level]
    below = [lv for lv in levels if lv < contact_level]
    chosen = above[0] if above else below[-1] if below else None
    return tuple(replace(r, is_next=r.level == chosen) for r in rungs)
