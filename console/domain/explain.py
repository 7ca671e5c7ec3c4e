"""Plain sentences that explain a clock (DESIGN §3): why this target, which calendar, when.

An agent or a customer must be able to check a deadline by hand from these sentences alone,
so every instant is given with its zone abbreviation, and the deadline in three zones.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from console.domain.clock_model import Clock, ClockState, ClockType, PauseReason
from console.domain.countdown import format_business, format_span, format_wall
from console.domain.policy import ClockKind

_SHOWN_CLOSED_PERIODS = 3
_STOPS = {
    "responded": "responded",
    "after the status update": "the next status update went out",
    "after the response": "the next response went out",
    "resolved": "the incident was resolved",
    "excluded": "the incident was excluded",
}


def when(at: datetime, zone: tzinfo) -> str:
    """``Fri 12 Jun 2026 16:20 PDT``: local time with the zone's abbreviation."""
    local = at.astimezone(zone)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


def explain(clock: Clock, agent_zone: str | tzinfo) -> list[str]:
    """Sentences explaining ``clock``: target and why, calendar, start, skips, deadline, outcome."""
    agent = ZoneInfo(agent_zone) if isinstance(agent_zone, str) else agent_zone
    target, started = clock.target, clock.started_at
    if target is None or started is None or clock.calendar is None:
        reason = clock.note or "this clock has not started"
        return [f"{clock.kind.label}: not applicable, {reason}."]
    window = ZoneInfo(clock.window_zone) if clock.window_zone else clock.calendar.zone
    lines = [_target(clock), _calendar(clock)]
    lines.append(_start(clock, window))
    lines += _waits(clock, window)
    lines.append(_closed(clock, window))
    lines.append(_deadline(clock, window, agent))
    if clock.at_risk_at is not None and clock.stopped_at is None:
        threshold, duration = format_span(clock.threshold), format_span(clock.duration)
        if clock.threshold >= clock.duration:
            lines.append(
                f"At risk from the start ({when(clock.at_risk_at, window)}): the policy's "
                f"at-risk threshold, {threshold}, is as long as the whole {duration} target, "
                "so this clock is never on track (Support policy → Thresholds)."
            )
        else:
            lines.append(
                f"At risk from {when(clock.at_risk_at, window)}, when "
                f"{threshold} or less is left of {duration}."
            )
    lines.append(_outcome(clock, window))
    if clock.queued_at is not None and clock.is_live:
        lines.append(
            f"An answer sent by email at {when(clock.queued_at, window)} waits in the outbox: "
            "it counts when the mail server accepts it."
        )
    return lines


def _target(clock: Clock) -> str:
    assert clock.target is not None
    target = clock.target
    span = target.span.describe()
    if target.span.business_days:
        span += f" ({format_span(clock.duration)} of open time)"
    if target.clock is ClockKind.WALL:
        where = "on the 24×7 wall clock"
    else:
        where = f"in the {clock.window_name or 'customer'} window's business hours"
    plan = clock.plan_name or target.plan
    source = f"the {plan} plan's target for a {target.priority} incident"
    if clock.kind is ClockType.FIRST_RESPONSE:
        text = f"Target: a first response within {span} {where}, {source}."
    elif clock.kind is ClockType.STATUS_UPDATE:
        text = f"Target: a status update every {span} {where}, the {plan} plan's cadence "
        text += f"for {target.priority}"
        text += (
            f" (on the same clock as its {target.priority} target)."
            if (target.clock_from_target)
            else "."
        )
    else:
        level = 1 if clock.kind is ClockType.ESCALATION_1 else 2
        text = (
            f"Target: a response within {span} {where} after Escalation {level}, "
            f"the same target as the first response ({source})."
        )
    if target.assumed:
        text += " This value is assumed: the published policy does not state it."
    return text


def _calendar(clock: Clock) -> str:
    assert clock.calendar is not None and clock.target is not None
    if clock.target.clock is ClockKind.WALL:
        return "Calendar: the wall clock, 24 hours a day, 7 days a week; holidays do not apply."
    name = f"the {clock.window_name} window" if clock.window_name else "the customer's window"
    return f"Calendar: {name}, {clock.calendar.describe()}."


def _start(clock: Clock, window: tzinfo) -> str:
    assert clock.started_at is not None
    started = when(clock.started_at, window)
    first = clock.first_started_at
    if first is not None and first != clock.started_at:
        text = f"Restarted at {started} {clock.start_reason} (first started {when(first, window)})."
    else:
        text = f"Started at {started} {clock.start_reason}."
    if clock.missed_before is not None:
        text += f" An earlier deadline, {when(clock.missed_before, window)}, was already missed."
    return text


def _waits(clock: Clock, window: tzinfo) -> list[str]:
    lines = []
    for start, end in clock.waits:
        if end is None:
            left = format_span(clock.frozen_remaining) if clock.frozen_remaining else "no time"
            lines.append(
                f"Paused since {when(start, window)} while waiting on the customer; "
                f"{left} will be left when the customer answers."
            )
        else:
            lines.append(
                f"Paused while waiting on the customer from {when(start, window)} "
                f"to {when(end, window)}; the remaining time carried over."
            )
    return lines


def _closed(clock: Clock, window: tzinfo) -> str:
    assert clock.calendar is not None and clock.started_at is not None
    if clock.target is None or clock.target.clock is ClockKind.WALL:
        return "Closed periods: none, the 24×7 clock never stops."
    end, upto = (clock.deadline, "the deadline") if clock.deadline else (clock.now, "now")
    periods = clock.calendar.closed_periods(clock.started_at, end) if end > clock.started_at else []
    if not periods:
        return f"Closed periods: none between the start and {upto}; the window was open."
    shown = "; ".join(
        f"{when(a, window)} to {when(b, window)}" for a, b in periods[:_SHOWN_CLOSED_PERIODS]
    )
    count = len(periods)
    more = f", and {count - _SHOWN_CLOSED_PERIODS} more" if count > _SHOWN_CLOSED_PERIODS else ""
    noun = "period" if count == 1 else "periods"
    return f"Skipped {count} closed {noun}: {shown}{more}."


def _deadline(clock: Clock, window: tzinfo, agent: tzinfo) -> str:
    if clock.deadline is None:
        return "No deadline while waiting on the customer; it is set again on resuming."
    d = clock.deadline
    window_name = getattr(window, "key", str(window))
    agent_name = getattr(agent, "key", str(agent))
    return (
        f"Deadline: {when(d, window)} in the window's zone ({window_name}), "
        f"{when(d, agent)} in your zone ({agent_name}), {when(d, UTC)}."
    )


def _outcome(clock: Clock, window: tzinfo) -> str:
    state, margin = clock.state, clock.margin
    stopped = clock.stopped_at
    if state is ClockState.MET and stopped is not None:
        how = _STOPS.get(clock.stop_reason, clock.stop_reason)
        ahead = f", {format_span(margin)} before the deadline" if margin else ""
        if clock.sent_at is not None:
            return (
                f"Met: {how} by email, sent by the agent at {when(clock.sent_at, window)} and "
                f"accepted by the mail server at {when(stopped, window)}{ahead}."
            )
        return f"Met: {how} at {when(stopped, window)}{ahead}."
    if state is ClockState.MISSED and stopped is not None and not clock.answered:
        return (
            f"Missed: the incident was resolved at {when(stopped, window)} without a response "
            "to the customer; resolving is not a response."
        )
    if state is ClockState.MISSED and stopped is not None and margin is not None:
        how = _STOPS.get(clock.stop_reason, clock.stop_reason)
        late = format_span(-margin)
        if clock.sent_at is not None:
            return (
                f"Missed: {how} by email, sent by the agent at {when(clock.sent_at, window)} "
                f"but accepted by the mail server only at {when(stopped, window)}, {late} "
                "after the deadline."
            )
        return f"Missed: {how} at {when(stopped, window)}, {late} after the deadline."
    if state is ClockState.NOT_APPLICABLE:
        at = f" at {when(stopped, window)}" if stopped is not None else ""
        return f"Not applicable: stopped{at} because the incident was {clock.stop_reason}."
    if state is ClockState.BREACHED and clock.wall_remaining is not None:
        over = f"Breached by {format_wall(clock.wall_remaining)} (counting up)"
        if clock.business_remaining is not None and clock.calendar is not None:
            day = clock.calendar.business_day()
            over += f"; {format_business(clock.business_remaining, day)} of business time over"
        return f"{over}."
    if state is ClockState.PAUSED and clock.pause_reason is PauseReason.WAITING:
        return "Paused: waiting on the customer."
    left = format_wall(clock.wall_remaining) if clock.wall_remaining is not None else ""
    if clock.business_remaining is not None and clock.calendar is not None:
        day = clock.calendar.business_day()
        left += f" ({format_business(clock.business_remaining, day)} of business time; "
        left += f"1 bd is {format_span(day)} of open time)"
    if state is ClockState.PAUSED and clock.resumes_at is not None:
        return f"Paused: the window is closed now; it resumes at {when(clock.resumes_at, window)}."
    label = "At risk" if state is ClockState.AT_RISK else "Running"
    return f"{label}: {left} left."
