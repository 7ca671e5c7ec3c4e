"""Countdown text for queue cells and tiles: wall time left, and business time left."""

from __future__ import annotations

from datetime import timedelta

MINUS = "\N{MINUS SIGN}"


def format_duration(delta: timedelta) -> str:
    """``2 d 19 h``, ``3 h 05 m``, ``12 m 09 s``; negative values get a minus sign.

    Truncates toward zero, so a countdown never claims more time than is left.
    """
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes:02d} m"
    else:
        text = f"{minutes} m {secs:02d} s"
    return f"{MINUS}{text}" if delta < timedelta(0) and seconds else text


def format_countdown(delta: timedelta, business: timedelta | None = None) -> str:
    """Wall-clock time left (negative when breached: counting up), then business time left.

    >>> format_countdown(timedelta(days=2, hours=19, minutes=40), timedelta(hours=4, minutes=15))
    '2 d 19 h (4 h 15 m business)'
    """
    text = format_duration(delta)
    if business is not None:
        text += f" ({format_duration(business)} business)"
    return text


def format_span(delta: timedelta) -> str:
    """A length for sentences: ``15 min``, ``4 h 15 min``, ``17 h``, ``2 d 3 h 30 min``."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 1_440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes or not (days or hours) else "")
    text = " ".join(p for p in parts if p)
    return f"{MINUS}{text}" if delta < timedelta(0) else text
