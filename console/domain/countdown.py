"""Durations as text: wall-clock time, business time in business days, spans for sentences.

The words around them (left, over, the clock's name) are ``console.domain.wording``'s.
"""

from __future__ import annotations

import math
from datetime import timedelta

MINUS = "\N{MINUS SIGN}"


def format_span(delta: timedelta) -> str:
    """A length for sentences: ``15 min``, ``4 h 15 min``, ``17 h``, ``2 d 3 h 30 min``."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 1_440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes or not (days or hours) else "")
    text = " ".join(p for p in parts if p)
    return f"{MINUS}{text}" if delta < timedelta(0) else text


def whole_seconds(delta: timedelta) -> int:
    """Whole seconds of ``delta``'s size: truncated when ahead, rounded up when over."""
    total = delta.total_seconds()
    return int(total) if total >= 0 else math.ceil(-total)


def _hms(seconds: int) -> str:
    hours, rest = divmod(seconds, 3_600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} m"
    return f"{minutes} m {secs:02d} s"


def format_wall(delta: timedelta) -> str:
    """Wall-clock time, its size only: ``2 d 19 h``, ``3 h 05 m``, ``12 m 09 s``."""
    seconds = whole_seconds(delta)
    days, rest = divmod(seconds, 86_400)
    if days:
        return f"{days} d {rest // 3_600} h"
    return _hms(rest)


def format_business(delta: timedelta, day: timedelta | None) -> str:
    """Business time, its size only, in business days of ``day`` open time: ``1 bd 2 h 30 m``."""
    seconds = whole_seconds(delta)
    day_seconds = int(day.total_seconds()) if day else 0
    if day_seconds and seconds >= day_seconds:
        days, rest = divmod(seconds, day_seconds)
        hours, rest = divmod(rest, 3_600)
        return f"{days} bd {hours} h {rest // 60:02d} m"
    return _hms(seconds)
