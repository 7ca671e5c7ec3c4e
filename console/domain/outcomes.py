"""Outcomes (DESIGN §3): each clock of each incident is met, missed, pending, excluded or not
applicable at ``now``, and this module is the only place that says which.

Attainment, History's filters, the CSV, the PDF, the reporting command, the wallboard counts
and the escalation panel all take outcomes from here (the SQL attainment query restates
:func:`first_response` for speed; a property test keeps the two equal).

- Met needs a response to the customer at or before the deadline.
- A deadline that passed without a response is missed, whatever happens later: a priority
  change after it restarts the clock but keeps the miss, and resolving without a response
  misses it (at the resolve instant when the deadline was still ahead).
- Pending: no response yet and the deadline still ahead (a response at the deadline meets).
- Excluded: the incident was excluded; it leaves attainment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from console.domain.clock_model import Clock, ClockState, ClockType, IncidentClocks
from console.domain.records import Status

__all__ = ["ClockOutcome", "Outcome", "first_response", "outcomes"]


class Outcome(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"
    EXCLUDED = "excluded"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class ClockOutcome:
    """One clock's (or one status-update due time's) outcome at ``now``."""

    clock: ClockType
    outcome: Outcome
    deadline: datetime | None  # the deadline that decides the outcome
    priority: str  # the priority whose target set that deadline
    counted_at: datetime | None  # the response that met it (or came late), if any

    @property
    def month(self) -> str:
        """``YYYY-MM`` of the deadline in UTC: the month attainment counts it in."""
        return self.deadline.astimezone(UTC).strftime("%Y-%m") if self.deadline else ""


def _response(clock: Clock, status: Status, now: datetime) -> ClockOutcome:
    """The outcome of a response clock (first response, Escalation 1 or 2)."""
    kind = clock.kind
    priority = clock.target.priority if clock.target is not None else ""
    counted = clock.stopped_at if clock.answered else None
    if clock.target is None or clock.started_at is None:
        return ClockOutcome(kind, Outcome.NOT_APPLICABLE, None, "", None)
    if status is Status.EXCLUDED:
        return ClockOutcome(
            kind, Outcome.EXCLUDED, clock.missed_before or clock.deadline, priority, counted
        )
    if clock.missed_before is not None:
        missed_priority = clock.missed_priority or priority
        return ClockOutcome(kind, Outcome.MISSED, clock.missed_before, missed_priority, counted)
    if clock.state is ClockState.MET:
        return ClockOutcome(kind, Outcome.MET, clock.deadline, priority, counted)
    if clock.state is ClockState.MISSED:
        return ClockOutcome(kind, Outcome.MISSED, clock.deadline, priority, counted)
    if clock.deadline is not None and now > clock.deadline:
        return ClockOutcome(kind, Outcome.MISSED, clock.deadline, priority, None)
    return ClockOutcome(kind, Outcome.PENDING, clock.deadline, priority, None)


def first_response(clocks: IncidentClocks) -> ClockOutcome:
    """The first response's outcome: what attainment counts."""
    return _response(clocks.first_response, clocks.status, clocks.now)


def outcomes(clocks: IncidentClocks) -> tuple[ClockOutcome, ...]:
    """Every clock's outcome, status updates one per due time, in report order."""
    now, status = clocks.now, clocks.status
    rows = [first_response(clocks)]
    kind = ClockType.STATUS_UPDATE
    for due in clocks.past_updates:
        outcome = Outcome.MET if due.met else Outcome.MISSED
        if status is Status.EXCLUDED:
            outcome = Outcome.EXCLUDED
        rows.append(ClockOutcome(kind, outcome, due.deadline, due.priority, due.counted_at))
    update = clocks.status_update
    if update.is_live and update.target is not None:
        priority = update.target.priority
        if update.deadline is not None and now > update.deadline:
            rows.append(ClockOutcome(kind, Outcome.MISSED, update.deadline, priority, None))
        else:
            rows.append(ClockOutcome(kind, Outcome.PENDING, update.deadline, priority, None))
    elif status is Status.EXCLUDED and update.target is not None:
        rows.append(
            ClockOutcome(kind, Outcome.EXCLUDED, update.deadline, update.target.priority, None)
        )
    elif not clocks.past_updates:
        rows.append(ClockOutcome(kind, Outcome.NOT_APPLICABLE, None, "", None))
    rows.append(_response(clocks.escalation_1, status, now))
    rows.append(_response(clocks.escalation_2, status, now))
    return tuple(rows)
