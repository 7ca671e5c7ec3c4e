"""Business calendars: when an SLA clock runs, and where its deadline lands (DESIGN.md §4).

Business time is *real* elapsed time (a UTC difference) during which the zone's local wall
clock reads inside an open range on a day that is not a holiday. A local hour skipped by a DST
change is therefore never open, and a repeated one is open twice. An overnight range
(``Mon 22:00-06:00``) belongs to the day it starts on: a holiday Monday suppresses
Mon 22:00 to Tue 06:00, while Sun 22:00 to Mon 06:00 stays open.

All arithmetic is in integer microseconds counted from 0001-01-01 (a Monday), both for UTC
instants and for local wall-clock positions, so ``wall = utc + offset`` and results are exact.
Between two UTC-offset changes and holidays the open pattern repeats every week, so ``add``
and ``elapsed`` use a closed formula there (prefix sums over the weekly ranges) and only walk
range by range across a holiday; their cost does not grow with the length of the target.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, available_timezones

import holidays as holidays_lib

__all__ = ["BusinessCalendar", "installed_zone", "installed_zone_names", "zone_problem"]

_ONE_US = timedelta(microseconds=1)
_MINUTE = 60_000_000
_DAY = 1440 * _MINUTE
_WEEK = 7 * _DAY
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)  # a Monday: weekday of a count is (count // _DAY) % 7
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {name.lower(): index for index, name in enumerate(_DAY_NAMES)}
_ALWAYS_OPEN = frozenset({"24x7", "24×7", "24/7"})
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}")
_SPACED_PUNCTUATION = re.compile(r"\s*([-,])\s*")
_NEXT_OPEN_HORIZON = 10 * 366 * _DAY
_MIN_YEAR, _MAX_YEAR = 2, 9997

# (weekday 0-6, start minute, end minute <= 2880 for overnight ranges, group number)
_RawRange = tuple[int, int, int, int]
_DayRanges = tuple[tuple[int, int], ...]


# --- UTC offsets ---------------------------------------------------------------------------


class _ZoneOffsets:
    """A zone's UTC offset as sorted transitions, probed a few years at a time and cached.

    zoneinfo has no public transition list, so each year is probed every 12 hours and each
    change located to the second by bisection (tzdata transitions are whole seconds). Two
    changes less than 12 hours apart that cancel out would be missed; tzdata has none in
    the modern era.
    """

    __slots__ = ("_state", "_years", "_zone")
    _PROBE_S = 12 * 3600

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._years: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = {}
        # (first year, last year, covered from, covered until, transitions, offsets) where
        # offsets[i] holds on [transitions[i-1], transitions[i]).
        self._state: tuple[int, int, int, int, tuple[int, ...], tuple[int, ...]] = (
            0,
            -1,
            0,
            0,
            (),
            (0,),
        )

    def at(self, u: int) -> tuple[int, int]:
        """Offset in force at UTC count ``u`` and the next change after ``u``.

        The "next change" may be an artificial boundary at least a year ahead when the zone
        has no real change that soon; the offset simply continues past it.
        """
        _, _, lo, hi, trans, offs = self._state
        if u < lo or u + 366 * _DAY >= hi:
            _, _, lo, hi, trans, offs = self._cover(u)
        i = bisect_right(trans, u)
        return offs[i], (trans[i] if i < len(trans) else hi)

    def _cover(self, u: int) -> tuple[int, int, int, int, tuple[int, ...], tuple[int, ...]]:
        year = date.fromordinal(max(u // _DAY + 1, 1)).year
        if not _MIN_YEAR + 1 <= year <= _MAX_YEAR - 2:
            raise ValueError(f"instants outside the years {_MIN_YEAR + 1}-{_MAX_YEAR - 2}")
        first, last = self._state[:2]
        if last < first or year + 2 < first - 5 or year - 1 > last + 5:
            first, last = year - 1, year + 2  # nothing cached nearby: start afresh
        else:
            first, last = min(first, year - 1), max(last, year + 2)
        trans: list[int] = []
        offs = [self._year(first)[0]]
        for y in range(first, last + 1):
            start_offset, changes = self._year(y)
            if start_offset != offs[-1]:  # a change exactly at 1 January 00:00 UTC
                trans.append(_year_start(y))
                offs.append(start_offset)
            for at, offset in changes:
                trans.append(at)
                offs.append(offset)
        state = (first, last, _year_start(first), _year_start(last + 1), tuple(trans), tuple(offs))
        self._state = state  # one assignment: readers on other threads see old or new
        return state

    def _year(self, year: int) -> tuple[int, tuple[tuple[int, int], ...]]:
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._probe_year(year)
        return cached

    def _probe_year(self, year: int) -> tuple[int, tuple[tuple[int, int], ...]]:
        begin, end = _year_start(year) // 1_000_000, _year_start(year + 1) // 1_000_000
        offset = self._offset_at_second
        changes: list[tuple[int, int]] = []
        lo, lo_offset = begin, offset(begin)
        first_offset = lo_offset
        for probe in [*range(begin + self._PROBE_S, end, self._PROBE_S), end - 1]:
            probe_offset = offset(probe)
            while probe_offset != lo_offset:  # at least one change in (lo, probe]
                a, b = lo, probe
                while b - a > 1:
                    middle = (a + b) // 2
                    if offset(middle) == lo_offset:
                        a = middle
                    else:
                        b = middle
                lo, lo_offset = b, offset(b)
                changes.append((b * 1_000_000, lo_offset))
            lo, lo_offset = probe, probe_offset
        return first_offset, tuple(changes)

    def _offset_at_second(self, second: int) -> int:
        local = (_EPOCH + timedelta(seconds=second)).astimezone(self._zone)
        return local.utcoffset() // _ONE_US  # type: ignore[operator]


_OFFSETS: dict[ZoneInfo, _ZoneOffsets] = {}


def _offsets_for(zone: ZoneInfo) -> _ZoneOffsets:
    found = _OFFSETS.get(zone)
    if found is None:
        found = _OFFSETS.setdefault(zone, _ZoneOffsets(zone))
    return found


def _year_start(year: int) -> int:
    return (date(year, 1, 1).toordinal() - 1) * _DAY


# --- the hours grammar ---------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    raise ValueError(message)


def _parse_hours(text: str) -> tuple[_DayRanges, ...]:
    if not isinstance(text, str):
        raise TypeError(f"opening hours must be text, not {type(text).__name__}")
    raw: list[_RawRange] = []
    for number, original in enumerate(text.replace("–", "-").replace("—", "-").split(";"), 1):
        group = _SPACED_PUNCTUATION.sub(r"\1", original.strip())
        if not group:
            continue
        where = f'group {number} ("{original.strip()}")'
        if group.lower() in _ALWAYS_OPEN:
            raw.extend((day, 0, 1440, number) for day in range(7))
            continue
        parts = group.split()
        if len(parts) == 1:
            if parts[0][:1].isdigit():
                _fail(f'{where}: the days are missing; write e.g. "Mon-Fri {parts[0]}"')
            _fail(f'{where}: the time ranges are missing; write e.g. "{parts[0]} 09:00-17:30"')
        if len(parts) > 2:
            _fail(
                f"{where}: expected days then time ranges, e.g. "
                f'"Mon-Fri 09:00-12:00,13:00-17:30", but found {len(parts)} parts'
            )
        days = _parse_days(parts[0], number)
        for start, end in _parse_ranges(parts[1], number, where):
            raw.extend((day, start, end, number) for day in days)
    if not raw:
        _fail('the opening hours are empty; write e.g. "Mon-Fri 09:00-17:30" or "24x7"')
    _check_overlaps(raw)
    return _normalise(raw)


def _parse_days(token: str, number: int) -> list[int]:
    if "," in token:
        _fail(
            f'days "{token}" in group {number} must be one day ("Mon") or a span ("Mon-Fri"); '
            'put other days in a group of their own after ";"'
        )
    names = token.split("-")
    if len(names) > 2 or "" in names:
        _fail(f'days "{token}" in group {number} must be one day ("Mon") or a span ("Mon-Fri")')
    indexes = []
    for name in names:
        if name.lower() not in _DAY_INDEX:
            _fail(
                f'unknown day "{name}" in group {number}: use Mon, Tue, Wed, Thu, Fri, Sat or Sun'
            )
        indexes.append(_DAY_INDEX[name.lower()])
    first, last = indexes[0], indexes[-1]
    return [(first + k) % 7 for k in range((last - first) % 7 + 1)]  # a span may wrap: Fri-Mon


def _parse_ranges(token: str, number: int, where: str) -> list[tuple[int, int]]:
    ranges = []
    for item in token.split(","):
        if not item:
            _fail(f"{where}: a time range is missing between two commas")
        ends = item.split("-")
        if len(ends) != 2 or not all(ends):
            _fail(f'{where}: time range "{item}" must be HH:MM-HH:MM, e.g. 09:00-17:30')
        start, end = _parse_time(ends[0], where), _parse_time(ends[1], where)
        if start == 1440:
            _fail(f"range {item} in group {number} starts at 24:00; start it at 00:00 instead")
        if start == end:
            _fail(
                f"range {item} in group {number} is empty: it ends when it starts "
                "(write 00:00-24:00 for a whole day)"
            )
        ranges.append((start, end if end > start else end + 1440))  # earlier end: overnight
    return ranges


def _parse_time(text: str, where: str) -> int:
    if not _TIME.fullmatch(text):
        _fail(f'{where}: time "{text}" must be HH:MM, e.g. 09:00')
    hour, minute = int(text[:2]), int(text[3:])
    if hour > 24:
        _fail(f'{where}: time "{text}" has hour {hour}; hours go from 00 to 24')
    if minute > 59:
        _fail(f'{where}: time "{text}" has minute {minute}; minutes go from 00 to 59')
    if hour == 24 and minute:
        _fail(f'{where}: time "{text}" is past the end of the day; the latest time is 24:00')
    return hour * 60 + minute


def _check_overlaps(raw: list[_RawRange]) -> None:
    pieces: list[tuple[int, int, _RawRange]] = []
    for item in raw:
        day, start, end, _ = item
        a, b = day * 1440 + start, day * 1440 + end
        if b > 7 * 1440:  # Sunday overnight runs into next Monday
            pieces += [(a, 7 * 1440, item), (0, b - 7 * 1440, item)]
        else:
            pieces.append((a, b, item))
    pieces.sort()
    for (_, end, first), (start, _, second) in pairwise(pieces):
        if start < end:
            one, two = sorted((first, second), key=lambda r: (r[3], r[0], r[1]))
            _fail(f"ranges overlap: {_label(one)} and {_label(two)}")


def _label(item: _RawRange) -> str:
    day, start, end, number = item
    return f"{_DAY_NAMES[day]} {_format_range(start, end)} (group {number})"


def _normalise(raw: list[_RawRange]) -> tuple[_DayRanges, ...]:
    per_day: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for day, start, end, _ in raw:
        per_day[day].append((start, end))
    result = []
    for ranges in per_day:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(ranges):
            if merged and merged[-1][1] == start:
                first = merged[-1][0]
                if end - first < 1440 or (first, end) == (0, 1440):  # stays expressible
                    merged[-1] = (first, end)
                    continue
            merged.append((start, end))
        result.append(tuple(merged))
    return tuple(result)


def _format_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _format_range(start: int, end: int) -> str:
    return f"{_format_time(start)}-{_format_time(end if end <= 1440 else end - 1440)}"


def _format_hours(days: tuple[_DayRanges, ...]) -> str:
    if all(ranges == ((0, 1440),) for ranges in days):
        return "24x7"
    if all(ranges == days[0] for ranges in days):
        runs = [(0, 6)]
    else:
        first = next(d for d in range(7) if days[d] != days[d - 1])
        runs = []
        for k in range(7):
            day = (first + k) % 7
            if runs and days[day] == days[runs[-1][1]]:
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        runs.sort()
    groups = []
    for a, b in runs:
        if days[a]:
            span = _DAY_NAMES[a] if a == b else f"{_DAY_NAMES[a]}-{_DAY_NAMES[b]}"
            groups.append(f"{span} {','.join(_format_range(s, e) for s, e in days[a])}")
    return "; ".join(groups)


# --- zones ---------------------------------------------------------------------------------

ZONE_NAME_MAX = 255  # longer than any file name: no IANA name comes close (the longest is 32)
_ZONE_EXAMPLE = '"America/Los_Angeles"'


@cache
def installed_zone_names() -> frozenset[str]:
    """The IANA zone names this machine's tz database holds, read once.

    ``localtime`` is left out: it names whatever zone this one machine is set to, so a window
    in it would mean something else on every workstation it syncs to.
    """
    return frozenset(available_timezones()) - {"localtime"}


def zone_problem(name: str) -> str | None:
    """None for an installed IANA zone name, else what is wrong with it, in words.

    Never touches the file system: a folder (``Europe``), a path, an over-long name or a tz
    database file that is not a zone (``zone.tab``) is told apart by the name alone.
    """
    names = installed_zone_names()
    if name in names:
        return None
    if not name.strip():
        return f"the name is missing; use an IANA name such as {_ZONE_EXAMPLE}"
    if name == "localtime":
        return (
            "that is this machine's own setting, which other workstations do not share; "
            f"name the zone itself, such as {_ZONE_EXAMPLE}"
        )
    if len(name) > ZONE_NAME_MAX:
        return (
            f"the name is {len(name):,} characters long, and IANA names are at most "
            f"{ZONE_NAME_MAX}; use one such as {_ZONE_EXAMPLE}"
        )
    inside = sorted(z for z in names if z.startswith(name.rstrip("/") + "/"))
    if inside:
        return (
            "that is a region of the tz database, not a zone; name a place in it, "
            f'such as "{inside[0]}"'
        )
    same = sorted(z for z in names if z.casefold() == name.casefold())
    if same:
        return f'zone names are case-sensitive; did you mean "{same[0]}"?'
    return f"use an IANA name such as {_ZONE_EXAMPLE}"


def installed_zone(name: str) -> ZoneInfo:
    """The zone of an installed IANA name (trimmed); ValueError in words for anything else."""
    if not isinstance(name, str):
        raise TypeError(f"the time zone must be a name such as 'Europe/London', not {name!r}")
    key = name.strip()
    problem = zone_problem(key)
    if problem is not None:
        _fail(f"unknown time zone {_shown(key)}: {problem}")
    try:
        return ZoneInfo(key)
    except (KeyError, ValueError, OSError):  # a damaged tz database file
        _fail(f"the time zone {_shown(key)} cannot be read from this machine's tz database")


def _shown(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message: cut to ``limit`` characters, unprintable ones escaped."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in cut) + '"'


def _parse_zone(zone: str | ZoneInfo) -> ZoneInfo:
    """A calendar's zone: any zone this machine can load, checked without raising OSError.

    New windows and policies are held to :func:`installed_zone`; a calendar also replays the
    zone recorded in old events, so it accepts whatever ``zoneinfo`` loads that is not a
    folder, a path or an over-long name.
    """
    if isinstance(zone, ZoneInfo):
        return zone
    if not isinstance(zone, str):
        raise TypeError(f"the time zone must be a name such as 'Europe/London', not {zone!r}")
    key = zone.strip()
    problem = zone_problem(key)
    if problem is None:
        return installed_zone(key)
    if key and len(key) <= ZONE_NAME_MAX and key.isascii() and key.isprintable():
        try:
            return ZoneInfo(key)
        except (KeyError, ValueError, OSError):
            pass
    _fail(f"unknown time zone {_shown(key)}: {problem}")


def _parse_holiday(value: object) -> date:
    if isinstance(value, datetime):
        _fail(f"holiday {value.isoformat()} must be a date, not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            _fail(f'holiday "{value}" must be a date written YYYY-MM-DD')
    raise TypeError(f"holiday {value!r} must be a date")


# --- the calendar --------------------------------------------------------------------------


class BusinessCalendar:
    """Weekly opening hours in one IANA zone, with holidays; immutable and hashable."""

    __slots__ = (
        "_country",
        "_country_years",
        "_cum",
        "_cum_end",
        "_days",
        "_ends",
        "_has_holidays",
        "_holiday_ordinals",
        "_holiday_set",
        "_holidays",
        "_hours",
        "_key",
        "_offsets",
        "_owners",
        "_starts",
        "_subdivision",
        "_week_open",
        "_zone",
    )

    _zone: ZoneInfo
    _days: tuple[_DayRanges, ...]
    _hours: str
    _holidays: frozenset[date]
    _holiday_ordinals: tuple[int, ...]
    _holiday_set: frozenset[int]
    _country: str | None
    _subdivision: str | None
    _country_years: dict[int, tuple[frozenset[int], tuple[int, ...]]]
    _has_holidays: bool
    _starts: tuple[int, ...]
    _ends: tuple[int, ...]
    _owners: tuple[int, ...]
    _cum: tuple[int, ...]
    _cum_end: tuple[int, ...]
    _week_open: int
    _offsets: _ZoneOffsets
    _key: tuple[object, ...]

    def __init__(
        self,
        hours: str,
        zone: str | ZoneInfo = "UTC",
        holidays: Iterable[date | str] = (),
        *,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
    ) -> None:
        days = _parse_hours(hours)
        tz = _parse_zone(zone)
        explicit = frozenset(_parse_holiday(h) for h in holidays)
        country, subdivision = self._check_country(holiday_country, holiday_subdivision)
        pieces: list[tuple[int, int, int]] = []  # weekly (start, end, owner day) in µs
        for day, ranges in enumerate(days):
            for start, end in ranges:
                a, b = day * _DAY + start * _MINUTE, day * _DAY + end * _MINUTE
                if b > _WEEK:  # Sunday overnight: the spill is owned by the previous week
                    pieces += [(a, _WEEK, day), (0, b - _WEEK, day - 7)]
                else:
                    pieces.append((a, b, day))
        pieces.sort()
        cum, total = [], 0
        for a, b, _ in pieces:
            cum.append(total)
            total += b - a
        init = object.__setattr__
        init(self, "_zone", tz)
        init(self, "_days", days)
        init(self, "_hours", _format_hours(days))
        init(self, "_holidays", explicit)
        init(self, "_holiday_ordinals", tuple(sorted(d.toordinal() for d in explicit)))
        init(self, "_holiday_set", frozenset(d.toordinal() for d in explicit))
        init(self, "_country", country)
        init(self, "_subdivision", subdivision)
        init(self, "_country_years", {})
        init(self, "_has_holidays", bool(explicit) or country is not None)
        init(self, "_starts", tuple(p[0] for p in pieces))
        init(self, "_ends", tuple(p[1] for p in pieces))
        init(self, "_owners", tuple(p[2] for p in pieces))
        init(self, "_cum", tuple(cum))
        init(self, "_cum_end", tuple(c + b - a for c, (a, b, _) in zip(cum, pieces, strict=True)))
        init(self, "_week_open", total)
        init(self, "_offsets", _offsets_for(tz))
        init(self, "_key", (self._hours, tz.key, explicit, country, subdivision))

    @classmethod
    def parse(
        cls,
        hours: str,
        zone: str | ZoneInfo,
        holidays: Iterable[date | str] = (),
        *,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
    ) -> BusinessCalendar:
        """Build a calendar from the hours grammar, an IANA zone name and holidays.

        ``holidays`` are explicit dates; ``holiday_country``/``holiday_subdivision`` add the
        public holidays of the ``holidays`` package (e.g. "US", "CA"), expanded per year.
        """
        return cls(
            hours,
            zone,
            holidays,
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        """The 24×7 wall-clock calendar (UTC, no holidays)."""
        return cls("24x7", "UTC")

    @staticmethod
    def _check_country(
        country: str | None, subdivision: str | None
    ) -> tuple[str | None, str | None]:
        if country is None:
            if subdivision is not None:
                _fail(f'holiday subdivision "{subdivision}" needs a holiday country too')
            return None, None
        country = country.strip().upper()
        try:
            holidays_lib.country_holidays(country)
        except NotImplementedError:
            _fail(f'unknown holiday country "{country}": use an ISO code such as "US" or "GB"')
        if subdivision is not None:
            subdivision = subdivision.strip().upper()
            try:
                holidays_lib.country_holidays(country, subdiv=subdivision)
            except NotImplementedError:
                _fail(f'unknown holiday subdivision "{subdivision}" for country "{country}"')
        return country, subdivision

    # -- value semantics --

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("BusinessCalendar is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("BusinessCalendar is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (self._hours, self.zone_name, sorted(self._holidays), self._country, self._subdivision),
        )

    def __repr__(self) -> str:
        extra = f", holidays={sorted(self._holidays)!r}" if self._holidays else ""
        if self._country:
            extra += f", holiday_country={self._country!r}"
        if self._subdivision:
            extra += f", holiday_subdivision={self._subdivision!r}"
        return f"BusinessCalendar.parse({self._hours!r}, {self.zone_name!r}{extra})"

    # -- descriptive properties --

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def zone_name(self) -> str:
        return str(self._zone.key)

    @property
    def hours(self) -> str:
        """The normalised hours text; parsing it again gives an equal schedule."""
        return self._hours

    @property
    def holidays(self) -> frozenset[date]:
        """The explicit holiday dates (country holidays are not listed here)."""
        return self._holidays

    @property
    def holiday_country(self) -> str | None:
        return self._country

    @property
    def holiday_subdivision(self) -> str | None:
        return self._subdivision

    @property
    def open_seconds_per_week(self) -> int:
        """Open time of a normal week (no holiday, no DST change), in seconds."""
        return self._week_open // 1_000_000

    @property
    def is_always_open(self) -> bool:
        """True when every instant is open: 24×7 with no holidays."""
        return self._week_open == _WEEK and not self._has_holidays

    def business_day(self) -> timedelta:
        """Open time of the longest day of the week (8.5 h for 09:00-17:30).

        Overnight ranges count towards the day they start on.
        """
        longest = max(sum(end - start for start, end in ranges) for ranges in self._days)
        return timedelta(minutes=longest)

    def is_holiday(self, day: date) -> bool:
        return self._is_holiday(day.toordinal())

    def describe(self) -> str:
        """A plain sentence, e.g. "Mon–Fri 09:00–17:30 America/Los_Angeles, no holidays"."""
        if self._hours == "24x7":
            hours = "24×7"
        else:
            hours = self._hours.replace("-", "–").replace(",", ", ")
        parts = []
        if self._country:
            region = f"{self._country}-{self._subdivision}" if self._subdivision else self._country
            parts.append(f"{region} public holidays")
        dates = sorted(self._holidays)
        if 0 < len(dates) <= 5:
            parts.append(", ".join(d.isoformat() for d in dates))
        elif dates:
            parts.append(f"{len(dates)} dates from {dates[0]} to {dates[-1]}")
        return f"{hours} {self.zone_name}, " + (
            f"holidays: {' and '.join(parts)}" if parts else "no holidays"
        )

    # -- the contract --

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant t with ``elapsed(start, t) == duration``, in this zone.

        A deadline that lands exactly on a closing time is that closing time.
        """
        t = self._instant(start, "start")
        remaining = self._micros(duration)
        if remaining == 0:
            return start.astimezone(self._zone)
        if not self._week_open:
            _fail("this calendar is never open, so no deadline can be reached")
        while True:
            offset, until = self._region(t)
            if until > t:  # weekly-periodic stretch: closed formula
                done = self._open_before(t + offset)
                deadline = self._wall_at(done + remaining) - offset
                if deadline <= until:
                    return self._datetime(deadline)
                remaining -= self._open_before(until + offset) - done
                t = until
                continue
            for a, b in self._iter_open(t):  # a holiday is near: walk range by range
                if b - a >= remaining:
                    return self._datetime(a + remaining)
                remaining -= b - a
                t = b
                if self._region(t)[1] > t:
                    break

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two instants (negative when ``end`` is before ``start``)."""
        a, b = self._instant(start, "start"), self._instant(end, "end")
        if b < a:
            return -timedelta(microseconds=self._elapsed(b, a))
        return timedelta(microseconds=self._elapsed(a, b))

    def is_open(self, at: datetime) -> bool:
        t = self._instant(at, "at")
        week, position = divmod(t + self._offsets.at(t)[0], _WEEK)
        i = bisect_right(self._starts, position) - 1
        if i < 0 or position >= self._ends[i]:
            return False
        return not (self._has_holidays and self._is_holiday(week * 7 + self._owners[i] + 1))

    def next_open(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else the next opening; None if it never opens."""
        t = self._instant(at, "at")
        for a, _ in self._iter_open(t, until=t + _NEXT_OPEN_HORIZON):
            return at.astimezone(self._zone) if a == t else self._datetime(a)
        return None

    def next_close(self, at: datetime) -> datetime | None:
        """End of the open period containing ``at`` (or of the next one when closed).

        None when the calendar never closes again (24×7 with no holiday ahead).
        """
        t = self._instant(at, "at")
        if not self._week_open:
            return None
        if self._week_open == _WEEK and self._next_holiday(self._local_ordinal(t) - 1) is None:
            return None
        close = None
        for a, b in self._iter_open(t):
            if close is not None and a != close:
                break
            close = b
        return None if close is None else self._datetime(close)

    def closed_periods(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Closed stretches inside [start, end) as (from, to) pairs of aware UTC instants."""
        a, b = self._instant(start, "start"), self._instant(end, "end")
        periods: list[tuple[int, int]] = []
        cursor = a
        for x, y in self._iter_open(a, until=b):
            if x > cursor:
                periods.append((cursor, x))
            cursor = y
        if cursor < b:
            periods.append((cursor, b))
        return [
            (_EPOCH + timedelta(microseconds=x), _EPOCH + timedelta(microseconds=y))
            for x, y in periods
        ]

    # -- internals --

    @staticmethod
    def _instant(value: datetime, name: str) -> int:
        if not isinstance(value, datetime):
            raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
        if value.utcoffset() is None:
            _fail(f"{name} {value.isoformat()} has no time zone; give it one (e.g. tzinfo=UTC)")
        return (value - _EPOCH) // _ONE_US

    @staticmethod
    def _micros(duration: timedelta) -> int:
        if not isinstance(duration, timedelta):
            raise TypeError(f"the duration must be a timedelta, not {type(duration).__name__}")
        micros = duration // _ONE_US
        if micros < 0:
            _fail(f"the duration {duration} is negative; deadlines only move forward")
        return micros

    def _datetime(self, u: int) -> datetime:
        return (_EPOCH + timedelta(microseconds=u)).astimezone(self._zone)

    def _local_ordinal(self, t: int) -> int:
        return (t + self._offsets.at(t)[0]) // _DAY + 1

    def _elapsed(self, t: int, end: int) -> int:
        total = 0
        while t < end:
            offset, until = self._region(t)
            if until > t:
                stop = min(until, end)
                total += self._open_before(stop + offset) - self._open_before(t + offset)
                t = stop
                continue
            for a, b in self._iter_open(t, until=end):
                total += b - a
                t = b
                if self._region(t)[1] > t:
                    break
            else:
                t = end
        return total

    def _region(self, t: int) -> tuple[int, int]:
        """Offset at ``t`` and the end of the weekly-periodic stretch that starts at ``t``.

        The stretch ends at the next offset change or at local midnight starting the next
        holiday; it is empty (end <= t) when today or yesterday is a holiday, since an
        overnight range of yesterday may still be running.
        """
        offset, until = self._offsets.at(t)
        if self._has_holidays:
            holiday = self._next_holiday((t + offset) // _DAY)  # ordinal of yesterday
            if holiday is not None:
                until = min(until, (holiday - 1) * _DAY - offset)
        return offset, until

    def _open_before(self, wall: int) -> int:
        """Open µs of the bare weekly pattern in [0, wall) (ignoring holidays and DST)."""
        week, position = divmod(wall, _WEEK)
        i = bisect_right(self._ends, position)
        if i == len(self._ends):
            return (week + 1) * self._week_open
        start = self._starts[i]
        return week * self._week_open + self._cum[i] + (position - start if position > start else 0)

    def _wall_at(self, target: int) -> int:
        """Earliest wall position where ``_open_before`` reaches ``target`` (> 0)."""
        week, within = divmod(target - 1, self._week_open)
        within += 1
        j = bisect_left(self._cum_end, within)
        return week * _WEEK + self._starts[j] + within - self._cum[j]

    def _iter_open(self, t: int, until: int | None = None) -> Iterator[tuple[int, int]]:
        """Open UTC intervals from ``t`` on (clipped to ``t`` and ``until``), in order."""
        starts, ends, owners = self._starts, self._ends, self._owners
        count = len(starts)
        holiday = self._is_holiday if self._has_holidays else None
        while count and (until is None or t < until):
            offset, change = self._offsets.at(t)
            wall = t + offset
            stop = (change if until is None or change < until else until) + offset
            week, position = divmod(wall, _WEEK)
            base = week * _WEEK
            i = bisect_right(ends, position)
            while True:
                if i == count:
                    i, week, base = 0, week + 1, base + _WEEK
                a = base + starts[i]
                if a >= stop:
                    break
                b = base + ends[i]
                if holiday is None or not holiday(week * 7 + owners[i] + 1):
                    a = max(a, wall)
                    b = min(b, stop)
                    if a < b:
                        yield a - offset, b - offset
                i += 1
            t = change

    def _is_holiday(self, ordinal: int) -> bool:
        if ordinal in self._holiday_set:
            return True
        if self._country is None:
            return False
        return ordinal in self._country_year(date.fromordinal(ordinal).year)[0]

    def _next_holiday(self, ordinal: int) -> int | None:
        """The first holiday ordinal >= ``ordinal`` (a year boundary stands in for far ones)."""
        found = None
        i = bisect_left(self._holiday_ordinals, ordinal)
        if i < len(self._holiday_ordinals):
            found = self._holiday_ordinals[i]
        if self._country is not None:
            year = date.fromordinal(ordinal).year
            candidate = date(year + 2, 1, 1).toordinal()
            for y in (year, year + 1):
                ordinals = self._country_year(y)[1]
                j = bisect_left(ordinals, ordinal)
                if j < len(ordinals):
                    candidate = ordinals[j]
                    break
            found = candidate if found is None else min(found, candidate)
        return found

    def _country_year(self, year: int) -> tuple[frozenset[int], tuple[int, ...]]:
        cached = self._country_years.get(year)
        if cached is None:
            listed = holidays_lib.country_holidays(
                str(self._country), subdiv=self._subdivision, years=range(year - 1, year + 2)
            )
            ordinals = sorted(d.toordinal() for d in listed if d.year == year)
            cached = self._country_years[year] = (frozenset(ordinals), tuple(ordinals))
        return cached


def _rebuild(
    hours: str,
    zone: str,
    holidays: list[date],
    country: str | None,
    subdivision: str | None,
) -> BusinessCalendar:
    return BusinessCalendar(
        hours, zone, holidays, holiday_country=country, holiday_subdivision=subdivision
    )
