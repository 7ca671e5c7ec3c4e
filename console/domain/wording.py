"""The words of a live reading: one module, so a breach reads the same on every screen.

The queue cell, the detail header, the escalation panel, the wallboard tile, the
notification and the reports all phrase a :class:`~console.domain.reading.Reading` through
these functions; none of them words a clock on its own, and none reads a state back out of
these words (they ask the reading's typed ``state``).

Notation. Wall-clock time is ``2 d 19 h``, ``3 h 05 m`` or ``12 m 09 s`` (24-hour days).
Business time counts only while the customer's window is open and is given in business days
of that window: ``1 bd 2 h 30 m`` is one business day (8 h 30 m of open time for a
09:00–17:30 window) plus 2 h 30 m. Time left truncates, time over rounds up, so a countdown
never claims more time than is left and a breach never reads "0 m 00 s over".
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from console.domain.clock_model import ClockState, ClockType, PauseReason
from console.domain.countdown import MINUS, format_business, format_span, format_wall, whole_seconds
from console.domain.reading import Reading

__all__ = [
    "business_note",
    "clock_label",
    "countdown",
    "countdown_parts",
    "detail",
    "format_business",
    "format_wall",
    "headline",
    "line",
    "state_words",
]

_ZERO = timedelta(0)


def business_note(day: timedelta | None) -> str:
    """What ``bd`` means, for tooltips and the README."""
    length = f" ({format_span(day)} of open time)" if day else ""
    return (
        "Business time counts only while the customer's window is open; 1 bd is one business "
        f"day of that window{length}."
    )


def clock_label(kind: ClockType) -> str:
    return kind.label


def state_words(state: ClockState, pause: PauseReason | None = None) -> str:
    """``on track``, ``at risk``, ``breached``, ``paused, window closed`` …"""
    if state is ClockState.PAUSED:
        if pause is PauseReason.WAITING:
            return "paused, waiting on the customer"
        return "paused, window closed"
    return _STATES[state]


_STATES = {
    ClockState.RUNNING: "on track",
    ClockState.AT_RISK: "at risk",
    ClockState.BREACHED: "breached",
    ClockState.MET: "met",
    ClockState.MISSED: "missed",
    ClockState.PAUSED: "paused",
    ClockState.NOT_APPLICABLE: "not applicable",
}


def _when(at: datetime, now: datetime, zone: tzinfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%a %d %b %H:%M}" if at - now > timedelta(days=6) else f"{local:%a %H:%M}"


def countdown(reading: Reading, zone: tzinfo) -> str:
    """What a countdown cell or tile shows: time left or over, business time in brackets."""
    wall, business = countdown_parts(reading, zone)
    return f"{wall} ({business})" if business else wall


def countdown_parts(reading: Reading, zone: tzinfo) -> tuple[str, str]:
    """``countdown`` in its two parts, for a display that sets them on two lines: the wall
    time (or the pause) and the business time (``"45 m 00 s business"``; ``""`` if none)."""
    if reading.clock is None:
        if reading.state is ClockState.MET:
            return "responded", ""
        if reading.state is ClockState.MISSED:
            return "responded late", ""
        return "—", ""
    state = reading.state
    if state is ClockState.PAUSED and reading.pause_reason is PauseReason.WAITING:
        return "paused · waiting on customer", ""
    if state is ClockState.PAUSED and reading.resumes_at is not None:
        return f"paused · resumes {_when(reading.resumes_at, reading.now, zone)}", ""
    if reading.wall is None:
        return "—", ""
    wall = format_wall(reading.wall)
    business = reading.business
    if state is ClockState.BREACHED:
        if business is not None and business < _ZERO and whole_seconds(business):
            return f"{wall} over", f"{format_business(business, reading.business_day)} business"
        return f"{wall} over", ""
    if business is not None:
        return wall, f"{format_business(business, reading.business_day)} business"
    return wall, ""


def detail(reading: Reading) -> str:
    """The second line under a countdown: the state in words and which clock, e.g.
    ``breached · First response``; while paused, how much is left."""
    clock = reading.clock
    words = state_words(reading.state, reading.pause_reason)
    if clock is None:
        if reading.state is ClockState.MET:
            return "met · no clock running"
        if reading.state is ClockState.MISSED:
            return "missed · no clock running"
        return "no clock running"
    name = clock.kind.label
    if reading.state is ClockState.PAUSED:
        if reading.pause_reason is PauseReason.WAITING:
            left = format_business(reading.frozen or _ZERO, reading.business_day)
            if reading.business_day is None:
                left = format_wall(reading.frozen or _ZERO)
            return f"{left} left · {name}"
        if reading.business is not None:
            left = format_business(reading.business, reading.business_day)
            return f"window closed · {left} business left · {name}"
    return f"{words} · {name}"


def headline(reading: Reading) -> str:
    """The clock and its state: ``First response · breached``."""
    if reading.clock is None:
        return detail(reading).capitalize()
    return f"{reading.clock.kind.label} · {state_words(reading.state, reading.pause_reason)}"


def line(reading: Reading, zone: tzinfo) -> str:
    """One line for banners, notifications and tile captions:
    ``First response · breached · 1 h 29 m over``."""
    text = countdown(reading, zone)
    head = headline(reading)
    if reading.clock is None or text in ("—", ""):
        return head
    if reading.state is ClockState.PAUSED:
        return f"{reading.clock.kind.label} · {text}"
    return f"{head} · {text}"


def signed(delta: timedelta) -> str:
    """A wall duration with a minus sign when over, for compact tables."""
    text = format_wall(delta)
    return f"{MINUS}{text}" if delta < _ZERO and whole_seconds(delta) else text
