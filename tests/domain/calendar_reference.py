"""A brute-force business calendar to check ``console.domain.calendar`` against.

It shares no code with the product: it walks real time one UTC minute at a time, converts
each minute to the zone's wall clock with zoneinfo and looks the wall time up in the weekly
schedule and the holiday list. With whole-minute offsets and transitions (every zone since
the 1970s) a UTC minute is either wholly open or wholly closed, so answers for inputs on
minute boundaries are exact.

``ReferenceCalendar.add`` can take coarser steps for long targets (the benchmark uses
15 minutes): a block of ``grid`` minutes is treated as one when the schedule's boundaries
and the zone's offset are multiples of the grid and the offset does not change inside the
block; otherwise that block is walked minute by minute. That keeps it exact, only faster.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# A schedule is a list of (weekday 0=Mon, start minute, end minute); end is in
# (start, start + 1440] and goes past 1440 for an overnight range owned by its start day.
Schedule = list[tuple[int, int, int]]


def schedule_text(ranges: Schedule) -> str:
    """The hours grammar for ``ranges``, one group per range."""

    def hhmm(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    groups = []
    for day, start, end in ranges:
        shown = end if end <= 1440 else end - 1440
        groups.append(f"{DAY_NAMES[day]} {hhmm(start)}-{hhmm(shown)}")
    return "; ".join(groups)


class ReferenceCalendar:
    def __init__(self, ranges: Schedule, zone: ZoneInfo, holidays: Iterable[date] = ()) -> None:
        self.zone = zone
        self.holidays = frozenset(holidays)
        self.ranges = list(ranges)
        self._own = [bytearray(1440) for _ in range(7)]
        self._spill = [bytearray(1440) for _ in range(7)]  # after midnight, owned by day before
        for day, start, end in ranges:
            for minute in range(start, end):
                if minute < 1440:
                    self._own[day][minute] = 1
                else:
                    self._spill[day][minute - 1440] = 1

    def minute_is_open(self, minute: datetime) -> bool:
        """Whether the UTC minute starting at ``minute`` is open."""
        local = minute.astimezone(self.zone)
        if local.second or local.microsecond:
            raise ValueError(f"offset at {minute} is not a whole number of minutes")
        of_day = local.hour * 60 + local.minute
        today = local.date()
        if today not in self.holidays and self._own[today.weekday()][of_day]:
            return True
        yesterday = today - timedelta(days=1)
        return yesterday not in self.holidays and bool(self._spill[yesterday.weekday()][of_day])

    def window(self, start: datetime, days: int) -> Window:
        start = start.astimezone(UTC)
        if start.second or start.microsecond:
            raise ValueError("the window must start on a whole minute")
        flags = bytearray(self.minute_is_open(start + k * MINUTE) for k in range(days * 1440))
        return Window(start, bytes(flags))

    def add(self, start: datetime, duration: timedelta, grid: int = 1) -> datetime:
        """The earliest instant with ``duration`` of open time after ``start`` (a whole minute)."""
        t = start.astimezone(UTC)
        if t.second or t.microsecond:
            raise ValueError("start must be on a whole minute")
        left = duration
        coarse = grid > 1 and all(s % grid == 0 and e % grid == 0 for _, s, e in self.ranges)
        while left > timedelta(0):
            step = 1
            if coarse and _minute_number(t) % grid == 0 and self._uniform(t, grid):
                step = grid
            span = step * MINUTE
            if self.minute_is_open(t):
                if left <= span:
                    return t + left
                left -= span
            t += span
        return t

    def _uniform(self, t: datetime, grid: int) -> bool:
        first = t.astimezone(self.zone).utcoffset()
        last = (t + (grid - 1) * MINUTE).astimezone(self.zone).utcoffset()
        assert first is not None
        return first == last and first % timedelta(minutes=grid) == timedelta(0)


@dataclass(frozen=True)
class Window:
    """Open flags for consecutive UTC minutes from ``start``; answers on minute boundaries."""

    start: datetime
    flags: bytes

    def at(self, index: int) -> datetime:
        return self.start + index * MINUTE

    def open_minutes(self) -> int:
        return self.flags.count(1)

    def add(self, index: int, duration: timedelta) -> datetime | None:
        """Reference ``add`` from minute ``index``; None when the window is too short."""
        whole, part = divmod(duration, MINUTE)
        if whole == 0 and not part:
            return self.at(index)
        needed = whole + (1 if part else 0)  # the open minute the deadline falls in
        position = index - 1
        for _ in range(needed):
            position = self.flags.find(1, position + 1)
            if position < 0:
                return None
        return self.at(position) + (part if part else MINUTE)

    def elapsed(self, a: int, b: int) -> timedelta:
        return self.flags.count(1, a, b) * MINUTE

    def next_open(self, index: int) -> datetime | None:
        found = self.flags.find(1, index)
        return None if found < 0 else self.at(found)


def _minute_number(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1, tzinfo=UTC)) // MINUTE)


@lru_cache(maxsize=64)
def offset_changes(zone_name: str, year: int) -> tuple[datetime, ...]:
    """UTC instants (to the hour) when the zone's offset changes during ``year``."""
    zone = ZoneInfo(zone_name)
    t = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    changes = []
    previous = t.astimezone(zone).utcoffset()
    while t < end:
        t += step
        offset = t.astimezone(zone).utcoffset()
        if offset != previous:
            changes.append(t)
            previous = offset
    return tuple(changes)
