"""The escalation ladder (DESIGN §2): who to contact next, on the vendor's side and the customer's.

Vendor side: the assigned agent, then the Escalation 1 contacts, then the Escalation 2
contacts, each level in the order the lead keeps it. Customer side: the support list in
order, with the Customer Success Manager first where the customer has one. The rung to
contact next is marked: on the vendor side the first contact of the level the incident has
reached (or may now be escalated to); on the customer side the first person on the ladder.

Pure functions of records and clocks, so the panel and the tests read the same answer.
The standing words its response through ``console.domain.wording``, like every screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo

from console.domain import wording
from console.domain.clock_model import Clock, ClockState, IncidentClocks
from console.domain.events import Side
from console.domain.explain import when
from console.domain.outcomes import Outcome, outcomes
from console.domain.policy import EscalationLevel
from console.domain.reading import Reading, read
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
    """Where an incident stands on the escalation path at ``clocks.now``.

    ``reading`` is the live reading of the response clock the level reached turns on (the
    first response before any escalation), or, once that clock has stopped, a reading with
    no clock whose state says how the response went: met ("responded") or missed
    ("responded late"). A late response keeps the right to escalate, but it is not urgent.
    """

    level: int  # the level the customer has escalated to (0, 1 or 2)
    eligible_level: int | None  # a higher level the customer may escalate to now
    eligible_since: datetime | None  # since when ``eligible_level`` was earned
    escalated_at: datetime | None  # when the customer's escalation to ``level`` was recorded
    response: Clock  # the response clock of ``level`` (live or stopped)
    reading: Reading  # how that response stands (see the class docstring)

    @property
    def contact_level(self) -> int:
        """The vendor level to contact next: the one reached, or the one now earned."""
        return max(self.level, self.eligible_level or 0)

    @property
    def may_escalate(self) -> bool:
        return self.eligible_level is not None

    @property
    def since(self) -> datetime | None:
        """What the panel counts from: since the next level was earned, else since the level
        reached was recorded (at Escalation 2 there is nothing higher to earn)."""
        return self.eligible_since if self.eligible_level is not None else self.escalated_at

    @property
    def urgent(self) -> bool:
        """The response clock runs and is breached or at risk: the vendor must act now."""
        return self.reading.is_live and self.reading.state in _URGENT

    @property
    def responded_late(self) -> bool:
        return not self.reading.is_live and self.reading.state is ClockState.MISSED

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

    def response_words(self, zone: tzinfo) -> str:
        """The response in the one wording: ``Escalation 2 response · on track · 51 m 00 s``
        while it runs, ``First response · responded late`` once it stopped."""
        if self.reading.is_live:
            return wording.line(self.reading, zone)
        return f"{self.response.kind.label} · {wording.countdown(self.reading, zone)}"

    def response_lines(self, zone: tzinfo) -> tuple[str, str]:
        """The same words on two lines, for a table cell: the clock and its state
        (``wording.headline``), then its countdown; once stopped, one line."""
        if self.reading.is_live:
            return wording.headline(self.reading), wording.countdown(self.reading, zone)
        return self.response_words(zone), ""

    def response_sentences(self, zone: tzinfo) -> list[str]:
        """The response words, then when it is due, or that a late answer keeps the right."""
        lines = [self.response_words(zone)]
        if self.reading.deadline is not None:
            lines.append(f"Due {when(self.reading.deadline, zone)}.")
        if self.responded_late:
            lines.append("Answered after its deadline: the customer may still escalate.")
        return lines

    def since_sentences(self, now: datetime, zone: tzinfo) -> list[str]:
        """When the level was recorded and since when the next one may be asked for."""
        lines = []
        if self.level and self.escalated_at is not None:
            ago = wording.format_wall(max(now - self.escalated_at, _ZERO))
            lines.append(
                f"Escalation {self.level} recorded {when(self.escalated_at, zone)} ({ago} ago)."
            )
        if self.eligible_level is not None and self.eligible_since is not None:
            ago = wording.format_wall(max(now - self.eligible_since, _ZERO))
            lines.append(
                f"Eligible for Escalation {self.eligible_level} since "
                f"{when(self.eligible_since, zone)} ({ago} ago)."
            )
        return lines

    def advanced(self, now: datetime) -> Standing:
        """The same standing at a later ``now`` before the clocks' next change: arithmetic."""
        return replace(self, reading=self.reading.advanced(now))


_URGENT = (ClockState.BREACHED, ClockState.AT_RISK)
_ZERO = timedelta(0)


def response_clock(clocks: IncidentClocks) -> Clock:
    """The response clock the level reached turns on: the first response before any
    escalation, else the clock of that level."""
    return {1: clocks.escalation_1, 2: clocks.escalation_2}.get(
        clocks.escalation_level, clocks.first_response
    )


def response_reading(clocks: IncidentClocks) -> Reading:
    """How the response of the level reached stands (see :class:`Standing`).

    While that clock runs it is the incident's one live reading (``read``): the clock the
    agent must act on next. Once it stopped, the live reading has moved to the status-update
    clock, which is no escalation urgency; the outcome says how the response went.
    """
    reading = read(clocks)
    watched = response_clock(clocks)
    if watched.is_live:
        return reading  # ``IncidentClocks.current`` is this clock while it runs
    outcome = next((o for o in outcomes(clocks) if o.clock is watched.kind), None)
    met = outcome is not None and outcome.outcome is Outcome.MET
    state = ClockState.MET if met else ClockState.MISSED
    return Reading(clocks.now, clocks.priority, clocks.escalation_level, None, state)


def standing(clocks: IncidentClocks) -> Standing | None:
    """The incident's escalation standing, or None when it is neither eligible nor escalated."""
    level, eligible = clocks.escalation_level, clocks.eligible_level
    if not level and eligible is None:
        return None
    response = response_clock(clocks)
    return Standing(
        level=level,
        eligible_level=eligible,
        eligible_since=clocks.eligible_since if eligible is not None else None,
        escalated_at=response.started_at if level else None,
        response=response,
        reading=response_reading(clocks),
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
