"""One live reading of an incident (DESIGN §3): the clock to act on next and how it stands.

Every screen shows this value and nothing else decides it: the queue row, the detail header,
the escalation panel, the wallboard tile and the notification. ``read`` does the calendar
work once; ``Reading.advanced`` then moves the countdown to a later instant with plain
arithmetic, which holds until ``next_change_at`` (the next at-risk start, breach, window
opening or closing). A ticker re-reads an incident only at that instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from console.domain.clock_model import Clock, ClockState, ClockType, IncidentClocks, PauseReason

__all__ = ["Reading", "read", "read_clock"]

_ZERO = timedelta(0)
# Wallboard order within a priority: breached, then at risk, then the rest (DESIGN §7).
_URGENCY = {
    ClockState.BREACHED: 0,
    ClockState.AT_RISK: 1,
    ClockState.RUNNING: 2,
    ClockState.PAUSED: 3,
    ClockState.MISSED: 4,
    ClockState.MET: 5,
    ClockState.NOT_APPLICABLE: 6,
}


@dataclass(frozen=True, slots=True)
class Reading:
    """How an incident stands at ``now``, for the one clock the agent must act on next."""

    now: datetime
    priority: str
    escalation_level: int
    clock: Clock | None  # None when no clock runs (responded, resolved, excluded)
    state: ClockState
    deadline: datetime | None = None
    wall: timedelta | None = None  # time left; negative when over
    business: timedelta | None = None  # open time left (negative: over), business clocks
    business_day: timedelta | None = None  # one business day of the clock's window
    business_running: bool = False  # open time passes now (the window is open)
    pause_reason: PauseReason | None = None
    resumes_at: datetime | None = None  # when a window-closed pause ends
    frozen: timedelta | None = None  # time left while waiting on the customer
    next_change_at: datetime | None = None  # when the state or the trend changes next

    @property
    def kind(self) -> ClockType | None:
        return self.clock.kind if self.clock is not None else None

    @property
    def is_live(self) -> bool:
        return self.clock is not None

    @property
    def urgency(self) -> int:
        """0 for breached, 1 at risk, 2 on track, then paused and stopped states."""
        return _URGENCY[self.state]

    def advanced(self, now: datetime) -> Reading:
        """The same reading at a later ``now`` before ``next_change_at``: arithmetic only."""
        if now <= self.now or self.clock is None:
            return self
        step = now - self.now
        wall = self.wall - step if self.wall is not None else None
        business = self.business
        if business is not None and self.business_running:
            business -= step
        # The constructor, not ``dataclasses.replace``: the queue calls this for every
        # visible row on every tick.
        return Reading(
            now,
            self.priority,
            self.escalation_level,
            self.clock,
            self.state,
            self.deadline,
            wall,
            business,
            self.business_day,
            self.business_running,
            self.pause_reason,
            self.resumes_at,
            self.frozen,
            self.next_change_at,
        )


def read(clocks: IncidentClocks) -> Reading:
    """The live reading of ``clocks`` at ``clocks.now``: the clock to act on next."""
    clock = clocks.current
    if clock is None:
        first = clocks.first_response.state
        state = first if first in (ClockState.MET, ClockState.MISSED) else ClockState.NOT_APPLICABLE
        return Reading(clocks.now, clocks.priority, clocks.escalation_level, None, state)
    return read_clock(clocks, clock)


def read_clock(clocks: IncidentClocks, clock: Clock) -> Reading:
    """The reading of one live ``clock`` of ``clocks`` (the detail's cards show each one)."""
    now = clocks.now
    running = False
    day = None
    if clock.is_business and clock.calendar is not None:
        day = clock.calendar.business_day()
        running = clock.deadline is not None and clock.calendar.is_open(now)
    return Reading(
        now=now,
        priority=clocks.priority,
        escalation_level=clocks.escalation_level,
        clock=clock,
        state=clock.state,
        deadline=clock.deadline,
        wall=clock.wall_remaining,
        business=clock.business_remaining,
        business_day=day,
        business_running=running,
        pause_reason=clock.pause_reason,
        resumes_at=clock.resumes_at,
        frozen=clock.frozen_remaining,
        next_change_at=clocks.next_transition_at(now),
    )
