"""What an SLA clock looks like at an instant (DESIGN §3); ``clocks.evaluate`` builds these.

A ``Clock`` holds the instants fixed by the events (start, at-risk, deadline, stop) and the
state they imply at ``now``. ``at(now)`` re-derives the state with a few calendar calls, so a
ticker can move clocks forward without replaying events.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from console.domain.calendar import BusinessCalendar
from console.domain.policy import ClockKind, Target, WindowSpec
from console.domain.records import Status

_ZERO = timedelta(0)
INSTANT = timedelta(microseconds=1)  # "the instant after": the smallest step a datetime takes


class ClockType(StrEnum):
    FIRST_RESPONSE = "first_response"
    STATUS_UPDATE = "status_update"
    ESCALATION_1 = "escalation_1"
    ESCALATION_2 = "escalation_2"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ClockType.FIRST_RESPONSE: "First response",
    ClockType.STATUS_UPDATE: "Status update",
    ClockType.ESCALATION_1: "Escalation 1 response",
    ClockType.ESCALATION_2: "Escalation 2 response",
}


class ClockState(StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"  # remaining time at or below the policy threshold
    BREACHED = "breached"  # past the deadline, still open: counting up
    MET = "met"  # stopped at or before the deadline
    MISSED = "missed"  # stopped after the deadline (responded late)
    PAUSED = "paused"  # calendar closed now, or waiting on the customer
    NOT_APPLICABLE = "not_applicable"


class PauseReason(StrEnum):
    CLOSED = "closed"  # the clock's calendar is closed now; resumes at ``resumes_at``
    WAITING = "waiting_on_customer"  # frozen until the customer answers


# Stop reasons that are a response to the customer (see ``_Replay`` in ``clocks``).
ANSWERS = frozenset(
    {"responded", "after the first response", "after the status update", "after the response"}
)


@dataclass(frozen=True, slots=True)
class PastDue:
    """A status-update due time that is decided: an update went out, or it passed unmet."""

    deadline: datetime
    priority: str
    counted_at: datetime | None  # the update or response that stopped it, if any
    met: bool


@dataclass(frozen=True, slots=True)
class Terms:
    """What a customer bought: the plan and the window its business-hours clocks follow."""

    plan: str
    calendar: BusinessCalendar = field(repr=False)
    window_name: str = ""

    @classmethod
    def of(cls, plan: str, window: WindowSpec) -> Terms:
        return cls(plan=plan, calendar=window.calendar(), window_name=window.name)


@dataclass(frozen=True, slots=True)
class Clock:
    """One SLA clock: the instants fixed by the events, and its state at ``now``."""

    kind: ClockType
    state: ClockState
    now: datetime
    target: Target | None = None
    calendar: BusinessCalendar | None = field(default=None, repr=False)
    plan_name: str = ""
    window_name: str = ""  # the customer's window (its zone is shown even for 24×7 clocks)
    window_zone: str = ""
    duration: timedelta = _ZERO  # the target as open time on the clock's calendar
    threshold: timedelta = _ZERO  # at risk when this much (or less) remains
    started_at: datetime | None = None
    start_reason: str = ""  # completes "started …", e.g. "when the incident was received"
    first_started_at: datetime | None = None  # before any restart
    missed_before: datetime | None = None  # an earlier deadline missed before a restart
    missed_priority: str = ""  # the priority whose target set ``missed_before``
    deadline: datetime | None = None  # None while frozen waiting on the customer
    at_risk_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_reason: str = ""  # "responded", "status update", "resolved", "excluded"
    # An answer by email counts when the mail server accepted it (``stopped_at``); this is
    # when the agent sent it. None for an answer that counted when it was recorded.
    sent_at: datetime | None = None
    # A live clock with an emailed answer still in the outbox: when the agent sent it.
    queued_at: datetime | None = None
    waits: tuple[tuple[datetime, datetime | None], ...] = ()
    frozen_remaining: timedelta | None = None  # remaining open time while waiting
    note: str = ""  # why a clock is not applicable
    # derived from now:
    wall_remaining: timedelta | None = None  # deadline - now; negative when breached
    business_remaining: timedelta | None = None  # open time left on business-hours clocks
    resumes_at: datetime | None = None
    pause_reason: PauseReason | None = None

    @property
    def is_business(self) -> bool:
        return self.target is not None and self.target.clock is ClockKind.BUSINESS

    @property
    def is_live(self) -> bool:
        """Started, not stopped: its state still changes with time."""
        return self.stopped_at is None and self.started_at is not None and self.target is not None

    @property
    def at_risk(self) -> bool:
        """Within the at-risk threshold (also true while paused or breached)."""
        return self.is_live and self.at_risk_at is not None and self.now >= self.at_risk_at

    @property
    def answered(self) -> bool:
        """Stopped by a response to the customer (not by resolving or excluding)."""
        return self.stopped_at is not None and self.stop_reason in ANSWERS

    @property
    def margin(self) -> timedelta | None:
        """For a stopped clock: how early (positive) or late (negative) it stopped."""
        if self.stopped_at is None or self.deadline is None:
            return None
        return self.deadline - self.stopped_at

    def at(self, now: datetime) -> Clock:
        """This clock's state at another instant (no events in between)."""
        check_aware(now)
        if not self.is_live or self.calendar is None or self.target is None:
            return replace(self, now=now)
        state, wall, business, resumes, pause = derive_state(
            now,
            self.target,
            self.calendar,
            deadline=self.deadline,
            at_risk_at=self.at_risk_at,
            frozen=self.frozen_remaining,
        )
        return replace(
            self,
            now=now,
            state=state,
            wall_remaining=wall,
            business_remaining=business,
            resumes_at=resumes,
            pause_reason=pause,
        )

    def next_transition_at(self, now: datetime) -> datetime | None:
        """The next instant after ``now`` at which this clock's reading changes.

        At risk starts at ``at_risk_at``; breached starts the instant after the deadline (a
        response at the deadline itself still meets); a business-hours clock also changes
        at each opening and closing of its window, before the deadline (it pauses and
        resumes) and after it (business time over counts only while open).
        """
        if not self.is_live or self.deadline is None or self.calendar is None:
            return None
        candidates = [
            t for t in (self.at_risk_at, self.deadline + INSTANT) if t is not None and t > now
        ]
        if self.is_business:
            cal = self.calendar
            edge = cal.next_close(now) if cal.is_open(now) else cal.next_open(now)
            if edge is not None and edge > now:
                candidates.append(edge)
        return min(candidates, default=None)


@dataclass(frozen=True, slots=True)
class IncidentClocks:
    """Every clock of one incident at ``now``, plus what the queue and escalations need."""

    now: datetime
    status: Status
    plan: str
    priority: str
    proposed_priority: str
    escalation_level: int
    eligible_level: int | None
    eligible_since: datetime | None
    first_response: Clock
    status_update: Clock
    escalation_1: Clock
    escalation_2: Clock
    responded_at: datetime | None = None
    excluded_reason: str = ""
    missed_updates: int = 0  # status-update intervals that ran past their deadline
    eligibility: tuple[tuple[int, datetime], ...] = field(default=(), repr=False)
    past_updates: tuple[PastDue, ...] = ()  # status-update due times already decided

    @property
    def clocks(self) -> tuple[Clock, Clock, Clock, Clock]:
        return (self.first_response, self.status_update, self.escalation_1, self.escalation_2)

    @property
    def live_clocks(self) -> tuple[Clock, ...]:
        return tuple(c for c in self.clocks if c.is_live)

    @property
    def next_deadline(self) -> datetime | None:
        """The earliest deadline of a clock still running (breached ones included)."""
        return min((c.deadline for c in self.live_clocks if c.deadline), default=None)

    @property
    def current(self) -> Clock | None:
        """The clock the agent must act on next (DESIGN §3, one live reading).

        Once escalated, the response clock of the level reached; else, after a response,
        the status-update clock; else the first response. A clock that has stopped hands
        over to the next one still live.
        """
        escalation = {1: self.escalation_1, 2: self.escalation_2}.get(self.escalation_level)
        for clock in (escalation, self.status_update, self.first_response):
            if clock is not None and clock.is_live:
                return clock
        return next(iter(self.live_clocks), None)

    def at(self, now: datetime) -> IncidentClocks:
        """The same incident's clocks at another instant (no events in between)."""
        check_aware(now)
        level, since = eligible_at(self.eligibility, now)
        return replace(
            self,
            now=now,
            eligible_level=level,
            eligible_since=since,
            first_response=self.first_response.at(now),
            status_update=self.status_update.at(now),
            escalation_1=self.escalation_1.at(now),
            escalation_2=self.escalation_2.at(now),
        )

    def next_transition_at(self, now: datetime | None = None) -> datetime | None:
        """The next instant after ``now`` at which any displayed state changes.

        Covers at-risk starts, breaches, calendar open/close edges of business-hours clocks
        and escalation eligibility; event-driven changes (a response) are not predictable.
        """
        now = self.now if now is None else now
        candidates = [c.next_transition_at(now) for c in self.clocks]
        candidates += [since + INSTANT for _, since in self.eligibility if since + INSTANT > now]
        return min((t for t in candidates if t is not None), default=None)


DerivedState = tuple[
    ClockState, timedelta | None, timedelta | None, datetime | None, PauseReason | None
]


def derive_state(
    now: datetime,
    target: Target,
    cal: BusinessCalendar,
    *,
    deadline: datetime | None,
    at_risk_at: datetime | None,
    frozen: timedelta | None,
) -> DerivedState:
    """State, wall and business remaining, resume instant and pause reason of a live clock."""
    business_clock = target.clock is ClockKind.BUSINESS
    if deadline is None:  # frozen while waiting on the customer
        return (
            ClockState.PAUSED,
            None,
            frozen if business_clock else None,
            None,
            PauseReason.WAITING,
        )
    business: timedelta | None = None
    if business_clock:
        business = cal.elapsed(now, deadline) if now < deadline else -cal.elapsed(deadline, now)
    if now > deadline:
        return ClockState.BREACHED, deadline - now, business, None, None
    if now == deadline:  # nothing left, but a response now still meets
        return ClockState.AT_RISK, _ZERO, business, None, None
    if business_clock and not cal.is_open(now):
        return ClockState.PAUSED, deadline - now, business, cal.next_open(now), PauseReason.CLOSED
    if at_risk_at is not None and now >= at_risk_at:
        return ClockState.AT_RISK, deadline - now, business, None, None
    return ClockState.RUNNING, deadline - now, business, None, None


def eligible_at(
    eligibility: tuple[tuple[int, datetime], ...], now: datetime
) -> tuple[int | None, datetime | None]:
    """The highest escalation level earned by ``now``, and since when.

    A level is earned the instant after the missed deadline ``at``: a response at the
    deadline itself still meets.
    """
    level, since = None, None
    for lv, at in eligibility:
        if at < now and (level is None or lv > level):
            level, since = lv, at
    return level, since


def check_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone")
