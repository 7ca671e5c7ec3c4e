"""BusinessCalendar: deadlines, open time and opening hours, checked against brute force."""

from __future__ import annotations

import pickle
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.domain.calendar import (
    ZONE_NAME_MAX,
    BusinessCalendar,
    installed_zone,
    installed_zone_names,
    zone_problem,
)
from tests.domain.calendar_reference import (
    ReferenceCalendar,
    Schedule,
    offset_changes,
    schedule_text,
)

LA = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")
H = timedelta(hours=1)
US = timedelta(microseconds=1)

ZONES = (
    "America/Los_Angeles",
    "Etc/GMT",
    "Australia/Sydney",
    "Europe/London",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 with DST
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",  # DST changes at midnight
    "America/Havana",  # DST changes at midnight
    "Pacific/Apia",  # skipped 30 December 2011
    "America/St_Johns",
    "UTC",
)


def utc(value: datetime) -> datetime:
    """Instants compare reliably only in one zone (PEP 495 makes folds unequal across zones)."""
    return value.astimezone(UTC)


def days(first: int, last: int, *ranges: tuple[int, int]) -> Schedule:
    return [(day % 7, s, e) for day in range(first, last + 1) for s, e in ranges]


# Named schedules as the reference sees them (weekday, start, end minute; end > 1440 overnight).
NAMED: dict[str, Schedule] = {
    "Mon-Fri 09:00-17:30": days(0, 4, (540, 1050)),
    "Mon-Fri 09:00-12:00,13:00-17:30": days(0, 4, (540, 720), (780, 1050)),
    "Mon-Fri 08:00-20:00": days(0, 4, (480, 1200)),
    "Mon-Fri 22:00-06:00": days(0, 4, (1320, 1800)),
    "24x7": days(0, 6, (0, 1440)),
    "Sat-Sun 10:00-16:00": days(5, 6, (600, 960)),
    "Fri-Mon 08:00-20:00": days(4, 7, (480, 1200)),
    "Mon-Sun 22:00-06:00; Mon-Sun 06:00-22:00": days(0, 6, (1320, 1800), (360, 1320)),
    "Sat 23:00-24:00; Sun 00:00-02:00": [(5, 1380, 1440), (6, 0, 120)],
    "Mon-Sun 01:00-03:30": days(0, 6, (60, 210)),
}


@st.composite
def random_schedules(draw: st.DrawFn, grids: tuple[int, ...] = (1, 15, 30, 60)) -> Schedule:
    """Disjoint ranges on a grid anywhere in the week, some overnight or across Sunday."""
    grid = draw(st.sampled_from(grids))
    slots = 7 * 1440 // grid
    count = draw(st.integers(1, 6)) * 2
    points = sorted(
        draw(st.lists(st.integers(0, slots - 1), min_size=count, max_size=count, unique=True))
    )
    rotation = draw(st.integers(0, slots - 1))
    ranges = []
    for a, b in zip(points[::2], points[1::2], strict=True):
        start = (a + rotation) % slots * grid
        day, minute = divmod(start, 1440)
        length = min((b - a) * grid, 1440)
        if length == 1440 and minute:
            length -= grid  # a whole day can only be written 00:00-24:00
        ranges.append((day, minute, minute + length))
    return ranges


schedules = st.one_of(st.sampled_from(list(NAMED.values())), random_schedules())


@st.composite
def situations(draw: st.DrawFn) -> tuple[str, Schedule, datetime, list[date]]:
    """A zone, a schedule, a start on a whole minute (often just before a DST change), holidays."""
    zone = draw(st.sampled_from(ZONES))
    ranges = draw(schedules)
    changes = offset_changes(zone, 2011) + offset_changes(zone, 2026)
    if changes and draw(st.booleans()):
        start = draw(st.sampled_from(changes)) - timedelta(minutes=draw(st.integers(0, 8 * 1440)))
    else:
        start = datetime(2010, 1, 1, tzinfo=UTC) + timedelta(
            minutes=draw(st.integers(0, 10_500_000))
        )
    local_day = start.astimezone(ZoneInfo(zone)).date()
    near = st.one_of(st.integers(-1, 1), st.integers(-2, 15))  # often the start day or its eve
    holidays = draw(st.lists(near, max_size=3, unique=True))
    return zone, ranges, start, [local_day + timedelta(days=k) for k in holidays]


WINDOW_DAYS = 14
checks = st.lists(
    st.one_of(st.integers(0, 2 * 1440), st.integers(0, WINDOW_DAYS * 1440 - 1)),
    min_size=4,
    max_size=4,
)
sub_minute = st.one_of(st.just(0), st.integers(1, 59_999_999))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(situation=situations(), data=st.data())
def test_deadlines_open_time_and_openings_match_a_minute_by_minute_walk(situation, data):
    zone_name, ranges, start, holidays = situation
    zone = ZoneInfo(zone_name)
    cal = BusinessCalendar.parse(schedule_text(ranges), zone_name, holidays=holidays)
    window = ReferenceCalendar(ranges, zone, holidays).window(start, WINDOW_DAYS)
    flags, n = window.flags, len(window.flags)

    for drawn in data.draw(checks, label="add from"):
        i = drawn // 2
        available = flags.count(1, i)
        whole = data.draw(st.integers(0, min(available, 3000)), label="whole minutes")
        part = 0 if whole == available else data.draw(sub_minute, label="µs")
        duration = timedelta(minutes=whole, microseconds=part)
        begin = window.at(i).astimezone(data.draw(st.sampled_from([UTC, zone])))
        expected = window.add(i, duration)
        assert expected is not None
        assert utc(cal.add(begin, duration)) == expected

    for one, two in zip(
        data.draw(checks, label="from"), data.draw(checks, label="to"), strict=True
    ):
        (a, xa), (b, xb) = sorted([(one, data.draw(sub_minute)), (two, data.draw(sub_minute))])
        expected = (
            window.elapsed(a, b) - (xa if flags[a] else 0) * US + (xb if flags[b] else 0) * US
        )
        assert cal.elapsed(window.at(a) + xa * US, window.at(b) + xb * US) == expected

    for i in data.draw(checks, label="at"):
        at = (window.at(i) + data.draw(sub_minute) * US).astimezone(zone)
        assert cal.is_open(at) is bool(flags[i])
        found = cal.next_open(at)
        assert found is not None
        if flags[i]:
            assert utc(found) == utc(at)
        elif (expected := window.next_open(i + 1)) is not None:
            assert utc(found) == expected
        else:
            assert utc(found) >= window.at(n)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    ranges=schedules,
    start=st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
    duration=st.timedeltas(timedelta(0), timedelta(days=120)),
    span=st.timedeltas(timedelta(0), timedelta(days=400)),
    split=st.floats(0, 1),
    holiday_offsets=st.lists(st.integers(-5, 400), max_size=8),
)
def test_add_and_elapsed_undo_each_other_for_long_targets(
    *, zone, ranges, start, duration, span, split, holiday_offsets
):
    holidays = [start.date() + timedelta(days=k) for k in holiday_offsets]
    cal = BusinessCalendar.parse(schedule_text(ranges), zone, holidays=holidays)

    deadline = cal.add(start, duration)
    assert cal.elapsed(start, deadline) == duration
    assert utc(deadline) >= start
    if duration:
        assert cal.is_open(deadline - US), "the last microsecond before a deadline is open"

    first = duration * split // US * US
    assert utc(cal.add(cal.add(start, first), duration - first)) == utc(deadline)

    end = start + span
    open_time = cal.elapsed(start, end)
    assert cal.elapsed(end, start) == -open_time
    back = cal.add(start, open_time)
    assert utc(back) <= end
    assert cal.elapsed(back, end) == timedelta(0)


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    ranges=st.one_of(st.sampled_from(list(NAMED.values())), random_schedules((15, 30, 60))),
    minute=st.integers(0, 2 * 366 * 1440),
    duration=st.timedeltas(timedelta(hours=40), timedelta(hours=150)),
    holiday_offsets=st.lists(st.integers(0, 60), max_size=4),
)
def test_deadlines_weeks_away_match_a_quarter_hour_walk(
    zone, ranges, minute, duration, holiday_offsets
):
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
    holidays = [start.date() + timedelta(days=k) for k in holiday_offsets]
    cal = BusinessCalendar.parse(schedule_text(ranges), zone, holidays=holidays)
    reference = ReferenceCalendar(ranges, ZoneInfo(zone), holidays)
    assert utc(cal.add(start, duration)) == reference.add(start, duration, grid=15)


@settings(max_examples=200, deadline=None)
@given(ranges=random_schedules())
def test_normalised_hours_read_back_as_the_same_schedule(ranges):
    cal = BusinessCalendar.parse(schedule_text(ranges), "UTC")
    again = BusinessCalendar.parse(cal.hours, "UTC")
    assert again == cal
    assert again.hours == cal.hours
    assert hash(again) == hash(cal)
    assert cal.open_seconds_per_week == sum(e - s for _, s, e in ranges) * 60


# --- the default windows and their DST changes ------------------------------------------------

WINDOW = "Mon-Fri 09:00-17:30"


def test_a_deadline_landing_on_closing_time_is_closing_time_not_next_opening():
    cal = BusinessCalendar.parse(WINDOW, "America/Los_Angeles")
    monday = datetime(2026, 3, 2, 13, 30, tzinfo=LA)
    assert cal.add(monday, 4 * H) == datetime(2026, 3, 2, 17, 30, tzinfo=LA)


def test_a_holiday_is_skipped_like_a_weekend():
    cal = BusinessCalendar.parse(WINDOW, "America/Los_Angeles", holidays=[date(2026, 12, 25)])
    deadline = cal.add(datetime(2026, 12, 24, 16, 0, tzinfo=LA), 4 * H)
    assert deadline == datetime(2026, 12, 28, 11, 30, tzinfo=LA)
    assert deadline.tzinfo is LA


def test_adding_nothing_returns_the_start_even_when_closed():
    cal = BusinessCalendar.parse(WINDOW, "America/Los_Angeles")
    saturday = datetime(2026, 3, 7, 3, 0, tzinfo=UTC)
    assert utc(cal.add(saturday, timedelta(0))) == saturday


def test_a_deadline_across_a_dst_weekend_keeps_the_local_opening_time():
    cal = BusinessCalendar.parse(WINDOW, "America/Los_Angeles")
    deadline = cal.add(datetime(2026, 3, 6, 17, 0, tzinfo=LA), H)  # Friday, PST
    assert utc(deadline) == datetime(2026, 3, 9, 16, 30, tzinfo=UTC)  # Monday 09:30 PDT
    deadline = cal.add(datetime(2026, 10, 30, 17, 0, tzinfo=LA), H)  # Friday, PDT
    assert utc(deadline) == datetime(2026, 11, 2, 17, 30, tzinfo=UTC)  # Monday 09:30 PST


@pytest.mark.parametrize(
    ("zone", "evening", "morning", "hours"),
    [
        # Pacific spring forward, 8 March 2026: 02:00 PST -> 03:00 PDT; the night is 7 h.
        ("America/Los_Angeles", datetime(2026, 3, 8, 6, 0), datetime(2026, 3, 8, 13, 0), 7),
        # Pacific fall back, 1 November 2026: 02:00 PDT -> 01:00 PST; the night is 9 h.
        ("America/Los_Angeles", datetime(2026, 11, 1, 5, 0), datetime(2026, 11, 1, 14, 0), 9),
        # Sydney DST ends, 5 April 2026: 03:00 AEDT -> 02:00 AEST.
        ("Australia/Sydney", datetime(2026, 4, 4, 11, 0), datetime(2026, 4, 4, 20, 0), 9),
        # Sydney DST starts, 4 October 2026: 02:00 AEST -> 03:00 AEDT.
        ("Australia/Sydney", datetime(2026, 10, 3, 12, 0), datetime(2026, 10, 3, 19, 0), 7),
        # Lord Howe moves only 30 minutes, 4 October 2026: 02:00 -> 02:30.
        ("Australia/Lord_Howe", datetime(2026, 10, 3, 11, 30), datetime(2026, 10, 3, 19, 0), 7.5),
        # Santiago springs forward at midnight, 6 September 2026: Sat 22:00 -> Sun 02:00.
        ("America/Santiago", datetime(2026, 9, 6, 2, 0), datetime(2026, 9, 6, 5, 0), 3),
        # Santiago falls back at midnight, 5 April 2026: Sat 23:00-24:00 happens twice.
        ("America/Santiago", datetime(2026, 4, 5, 1, 0), datetime(2026, 4, 5, 6, 0), 5),
    ],
    ids=[
        "pacific-spring",
        "pacific-fall",
        "sydney-fall",
        "sydney-spring",
        "lord-howe",
        "santiago-spring",
        "santiago-fall",
    ],
)
def test_an_overnight_shift_over_a_dst_change_counts_real_hours(zone, evening, morning, hours):
    """Saturday 22:00 to Sunday 06:00 local (02:00 for Santiago) is open across the change."""
    night = "Sat 22:00-02:00" if zone == "America/Santiago" else "Sat 22:00-06:00"
    cal = BusinessCalendar.parse(night, zone)
    evening, morning = evening.replace(tzinfo=UTC), morning.replace(tzinfo=UTC)
    local = ZoneInfo(zone)
    assert evening.astimezone(local).hour == 22
    assert utc(cal.next_open(evening - 3 * H)) == evening
    assert cal.elapsed(evening, morning) == timedelta(hours=hours)
    assert utc(cal.add(evening, timedelta(hours=hours))) == morning
    assert utc(cal.next_close(evening)) == morning


def test_a_deadline_never_lands_in_the_hour_skipped_by_dst():
    cal = BusinessCalendar.parse("24x7", "America/Los_Angeles")
    deadline = cal.add(datetime(2026, 3, 8, 1, 0, tzinfo=LA), 4 * H)  # 01:00 PST
    assert utc(deadline) == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert (deadline.hour, deadline.utcoffset()) == (6, -7 * H)  # 06:00 PDT, not 05:00


def test_the_repeated_hour_of_a_fall_back_is_open_twice():
    cal = BusinessCalendar.parse("Sun 01:00-02:00", "America/Los_Angeles")
    sunday = datetime(2026, 11, 1, tzinfo=UTC)
    assert cal.elapsed(sunday, sunday + timedelta(days=1)) == 2 * H
    first = datetime(2026, 11, 1, 1, 30, tzinfo=LA)
    second = first.replace(fold=1)
    assert cal.is_open(first) and cal.is_open(second)
    assert second - first == timedelta(0), "same wall time: compare via UTC instead"
    assert utc(second) - utc(first) == H


def test_midnight_that_never_happens_or_happens_twice_is_counted_in_real_time():
    cal = BusinessCalendar.parse("Sun 00:00-02:00", "America/Havana")
    havana = ZoneInfo("America/Havana")
    # 8 March 2026: 00:00 jumps to 01:00, so only 01:00-02:00 happens.
    assert (
        cal.elapsed(
            datetime(2026, 3, 7, 12, tzinfo=havana), datetime(2026, 3, 8, 12, tzinfo=havana)
        )
        == H
    )
    # 1 November 2026: 01:00 falls back to 00:00, so 00:00-01:00 happens twice.
    assert (
        cal.elapsed(
            datetime(2026, 10, 31, 12, tzinfo=havana), datetime(2026, 11, 1, 12, tzinfo=havana)
        )
        == 3 * H
    )


def test_gmt_window_stays_utc_in_summer_while_london_moves_to_bst():
    gmt = BusinessCalendar.parse(WINDOW, "Etc/GMT")
    london = BusinessCalendar.parse(WINDOW, "Europe/London")
    monday = datetime(2026, 7, 6, tzinfo=UTC)
    assert utc(gmt.next_open(monday)) == datetime(2026, 7, 6, 9, 0, tzinfo=UTC)
    assert utc(london.next_open(monday)) == datetime(2026, 7, 6, 8, 0, tzinfo=UTC)
    assert utc(gmt.next_close(monday)) == datetime(2026, 7, 6, 17, 30, tzinfo=UTC)
    assert utc(london.next_close(monday)) == datetime(2026, 7, 6, 16, 30, tzinfo=UTC)
    january = datetime(2026, 1, 5, tzinfo=UTC)
    assert gmt.next_open(january) == london.next_open(january)


def test_half_and_three_quarter_hour_zones_open_at_their_local_time():
    kolkata = BusinessCalendar.parse(WINDOW, "Asia/Kolkata")
    kathmandu = BusinessCalendar.parse(WINDOW, "Asia/Kathmandu")
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    assert utc(kolkata.next_open(monday)) == datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    assert utc(kathmandu.next_open(monday)) == datetime(2026, 3, 2, 3, 15, tzinfo=UTC)
    assert not kathmandu.is_open(datetime(2026, 3, 2, 3, 14, 59, tzinfo=UTC))


def test_a_day_the_zone_skipped_entirely_has_no_open_time():
    cal = BusinessCalendar.parse("Mon-Fri 09:00-17:00", "Pacific/Apia")
    apia = ZoneInfo("Pacific/Apia")
    thursday = datetime(2011, 12, 29, tzinfo=apia)  # Friday 30 December 2011 never happened
    assert cal.elapsed(thursday, datetime(2012, 1, 2, tzinfo=apia)) == 8 * H
    deadline = cal.add(datetime(2011, 12, 29, 16, tzinfo=apia), 2 * H)
    assert deadline == datetime(2012, 1, 2, 10, tzinfo=apia)


def test_a_holiday_suppresses_the_overnight_shift_that_starts_on_it():
    cal = BusinessCalendar.parse("Mon-Sun 22:00-06:00", "UTC", holidays=[date(2026, 3, 2)])
    assert cal.is_open(datetime(2026, 3, 2, 3, 0, tzinfo=UTC)), "Sunday's shift runs into Monday"
    assert not cal.is_open(datetime(2026, 3, 2, 23, 0, tzinfo=UTC))
    assert not cal.is_open(datetime(2026, 3, 3, 3, 0, tzinfo=UTC))
    assert cal.is_open(datetime(2026, 3, 3, 23, 0, tzinfo=UTC))


def test_the_morning_after_a_holiday_owes_nothing_to_its_overnight_shift():
    cal = BusinessCalendar.parse("Mon-Fri 22:00-06:00", "UTC", holidays=[date(2026, 3, 2)])
    tuesday = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # inside Monday's (suppressed) shift
    assert cal.elapsed(tuesday, datetime(2026, 3, 3, 12, tzinfo=UTC)) == timedelta(0)
    assert utc(cal.add(tuesday, H)) == datetime(2026, 3, 3, 23, 0, tzinfo=UTC)
    assert utc(cal.next_open(tuesday)) == datetime(2026, 3, 3, 22, 0, tzinfo=UTC)


def test_country_holidays_close_the_window():
    cal = BusinessCalendar.parse(
        WINDOW, "America/Los_Angeles", holiday_country="US", holiday_subdivision="CA"
    )
    assert cal.is_holiday(date(2026, 7, 3)), "Independence Day observed on Friday"
    assert cal.is_holiday(date(2026, 11, 26))
    assert not cal.is_open(datetime(2026, 7, 3, 10, tzinfo=LA))
    assert cal.add(datetime(2026, 7, 2, 16, tzinfo=LA), 4 * H) == datetime(
        2026, 7, 6, 11, 30, tzinfo=LA
    )
    assert (
        cal.describe() == "Mon–Fri 09:00–17:30 America/Los_Angeles, holidays: US-CA public holidays"
    )


def test_very_long_targets_cost_no_more_than_short_ones():
    """Not a timing test: a target of years must still be exact (closed-form week jumps)."""
    cal = BusinessCalendar.parse(WINDOW, "Australia/Sydney", holidays=[date(2027, 1, 26)])
    start = datetime(2026, 1, 5, 9, 0, tzinfo=SYDNEY)
    deadline = cal.add(start, timedelta(hours=8.5 * 5 * 104 - 8.5))  # two years less one day
    assert deadline == datetime(2027, 12, 31, 17, 30, tzinfo=SYDNEY)  # Jan 26 2027 was skipped


# --- other questions the product asks --------------------------------------------------------


def test_next_open_and_next_close_tell_when_a_paused_clock_resumes():
    cal = BusinessCalendar.parse("Mon-Fri 09:00-12:00,13:00-17:30", "America/Los_Angeles")
    saturday = datetime(2026, 3, 14, 10, tzinfo=LA)
    assert cal.next_open(saturday) == datetime(2026, 3, 16, 9, tzinfo=LA)
    assert cal.next_close(saturday) == datetime(2026, 3, 16, 12, tzinfo=LA)
    monday_morning = datetime(2026, 3, 16, 10, tzinfo=LA)
    assert cal.next_open(monday_morning) == monday_morning
    assert cal.next_close(monday_morning) == datetime(2026, 3, 16, 12, tzinfo=LA)


def test_a_calendar_open_all_week_never_closes_unless_a_holiday_comes():
    assert BusinessCalendar.always_open().next_close(datetime(2026, 3, 2, tzinfo=UTC)) is None
    seamless = BusinessCalendar.parse("Mon-Sun 22:00-06:00; Mon-Sun 06:00-22:00", "Europe/London")
    assert seamless.next_close(datetime(2026, 3, 2, tzinfo=UTC)) is None
    with_holiday = BusinessCalendar.parse("24x7", "Europe/London", holidays=[date(2026, 3, 29)])
    # 29 March 2026 starts at 00:00 GMT; the next day starts at 00:00 BST (23:00 UTC).
    assert utc(with_holiday.next_close(datetime(2026, 3, 2, tzinfo=UTC))) == datetime(
        2026, 3, 29, tzinfo=UTC
    )
    assert with_holiday.next_open(datetime(2026, 3, 29, 12, tzinfo=UTC)) == datetime(
        2026, 3, 29, 23, tzinfo=UTC
    )


def test_closed_periods_list_the_nights_and_weekends_skipped():
    cal = BusinessCalendar.parse(WINDOW, "America/Los_Angeles")
    friday, monday = datetime(2026, 3, 6, 12, tzinfo=LA), datetime(2026, 3, 9, 12, tzinfo=LA)
    assert cal.closed_periods(friday, monday) == [
        (datetime(2026, 3, 7, 1, 30, tzinfo=UTC), datetime(2026, 3, 9, 16, 0, tzinfo=UTC))
    ]
    assert BusinessCalendar.always_open().closed_periods(friday, monday) == []


def test_elapsed_backwards_is_negative_open_time():
    cal = BusinessCalendar.parse(WINDOW, "America/Los_Angeles")
    a, b = datetime(2026, 3, 2, 9, tzinfo=LA), datetime(2026, 3, 3, 9, tzinfo=LA)
    assert cal.elapsed(a, b) == timedelta(hours=8.5)
    assert cal.elapsed(b, a) == -timedelta(hours=8.5)


def test_always_open_clock_adds_wall_clock_time():
    cal = BusinessCalendar.always_open()
    start = datetime(2026, 3, 8, 1, 0, tzinfo=LA)
    assert utc(cal.add(start, timedelta(minutes=15))) == utc(start) + timedelta(minutes=15)
    assert cal.zone_name == "UTC"
    assert cal.describe() == "24×7 UTC, no holidays"


@pytest.mark.parametrize(
    ("hours", "day"),
    [
        ("Mon-Fri 09:00-17:30", timedelta(hours=8.5)),
        ("Mon-Fri 09:00-12:00,13:00-17:30", timedelta(hours=7.5)),
        ("Mon-Fri 09:00-17:30; Sat 10:00-12:00", timedelta(hours=8.5)),
        ("Mon-Fri 22:00-06:00", timedelta(hours=8)),
        ("24x7", timedelta(hours=24)),
    ],
)
def test_a_business_day_is_the_open_time_of_the_longest_day(hours, day):
    assert BusinessCalendar.parse(hours, "UTC").business_day() == day


def test_describe_reads_as_a_sentence():
    assert (
        BusinessCalendar.parse(WINDOW, "America/Los_Angeles").describe()
        == "Mon–Fri 09:00–17:30 America/Los_Angeles, no holidays"
    )
    lunch = BusinessCalendar.parse(
        "mon-fri 09:00-12:00, 13:00-17:30", "Etc/GMT", holidays=["2026-12-25"]
    )
    assert lunch.describe() == "Mon–Fri 09:00–12:00, 13:00–17:30 Etc/GMT, holidays: 2026-12-25"


def test_equal_schedules_make_equal_hashable_immutable_calendars():
    a = BusinessCalendar.parse("Mon-Fri 09:00-12:00,12:00-17:30", "America/Los_Angeles")
    b = BusinessCalendar.parse("mon - fri 09:00-17:30", ZoneInfo("America/Los_Angeles"))
    assert a == b and hash(a) == hash(b) and a.hours == "Mon-Fri 09:00-17:30"
    assert a != BusinessCalendar.parse(WINDOW, "Etc/GMT")
    assert a != BusinessCalendar.parse(WINDOW, "America/Los_Angeles", holidays=[date(2026, 12, 25)])
    assert BusinessCalendar.parse("Mon-Sun 00:00-24:00", "UTC") == BusinessCalendar.always_open()
    assert len({a, b}) == 1
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(AttributeError):
        a.hours = "24x7"  # type: ignore[misc]
    assert a.zone is LA and a.holidays == frozenset() and a.open_seconds_per_week == 42.5 * 3600


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("", 'the opening hours are empty; write e.g. "Mon-Fri 09:00-17:30" or "24x7"'),
        ("  ;  ", "the opening hours are empty"),
        (
            "Mnd-Fri 09:00-17:30",
            'unknown day "Mnd" in group 1: use Mon, Tue, Wed, Thu, Fri, Sat or Sun',
        ),
        (
            "Mon-Fri 09:00-17:30; Sat 9:00-12:00",
            'group 2 ("Sat 9:00-12:00"): time "9:00" must be HH:MM, e.g. 09:00',
        ),
        ("Mon 10:00-10:00", "range 10:00-10:00 in group 1 is empty: it ends when it starts"),
        (
            "Mon 09:00-25:00",
            'group 1 ("Mon 09:00-25:00"): time "25:00" has hour 25; hours go from 00 to 24',
        ),
        ("Mon 09:60-17:00", 'time "09:60" has minute 60; minutes go from 00 to 59'),
        ("Mon 09:00-24:30", 'time "24:30" is past the end of the day; the latest time is 24:00'),
        (
            "Mon 24:00-02:00",
            "range 24:00-02:00 in group 1 starts at 24:00; start it at 00:00 instead",
        ),
        (
            "Mon-Fri 09:00-17:00; Wed 12:00-13:00",
            "ranges overlap: Wed 09:00-17:00 (group 1) and Wed 12:00-13:00 (group 2)",
        ),
        (
            "Mon 09:00-12:00,11:00-13:00",
            "ranges overlap: Mon 09:00-12:00 (group 1) and Mon 11:00-13:00 (group 1)",
        ),
        (
            "Sun 22:00-06:00; Mon 05:00-09:00",
            "ranges overlap: Sun 22:00-06:00 (group 1) and Mon 05:00-09:00 (group 2)",
        ),
        (
            "Mon-Fri",
            'group 1 ("Mon-Fri"): the time ranges are missing; write e.g. "Mon-Fri 09:00-17:30"',
        ),
        (
            "09:00-17:30",
            'group 1 ("09:00-17:30"): the days are missing; write e.g. "Mon-Fri 09:00-17:30"',
        ),
        ("Mon Fri 09:00-17:30", "expected days then time ranges"),
        (
            "Mon,Wed 09:00-17:30",
            'days "Mon,Wed" in group 1 must be one day ("Mon") or a span ("Mon-Fri")',
        ),
        ("Mon-Wed-Fri 09:00-17:30", 'days "Mon-Wed-Fri" in group 1 must be one day'),
        ("Mon 09:00", 'time range "09:00" must be HH:MM-HH:MM, e.g. 09:00-17:30'),
        (
            "Mon 09:00-12:00,,13:00-17:00",
            'group 1 ("Mon 09:00-12:00,,13:00-17:00"): a time range is missing between two commas',
        ),
    ],
)
def test_bad_opening_hours_say_what_is_wrong_and_where(hours, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        BusinessCalendar.parse(hours, "UTC")


def test_unknown_zone_is_named():
    with pytest.raises(ValueError, match=re.escape('unknown time zone "Mars/Base"')):
        BusinessCalendar.parse(WINDOW, "Mars/Base")


# -- zone names that are not zones (issue #12): words, never OSError -----------------------------

NOT_ZONES = [
    (
        "Europe",
        'that is a region of the tz database, not a zone; name a place in it, such as "Europe/',
    ),
    ("America/Argentina", 'such as "America/Argentina/'),
    ("Europe/", "that is a region of the tz database"),
    (
        "a" * (ZONE_NAME_MAX + 1),
        f"the name is 256 characters long, and IANA names are at most {ZONE_NAME_MAX}",
    ),
    ("Europe/" + "x" * 4096, "IANA names are at most 255"),
    ("../../etc/passwd", "use an IANA name"),
    ("/etc/localtime", "use an IANA name"),
    ("Europe/../Europe/London", "use an IANA name"),
    ("Europe/London\x00", "use an IANA name"),
    ("\ud800", "use an IANA name"),
    ("zone.tab", "use an IANA name"),
    ("tzdata.zi", "use an IANA name"),
    ("posixrules", "use an IANA name"),
    ("localtime", "this machine's own setting"),
    ("europe/london", 'zone names are case-sensitive; did you mean "Europe/London"?'),
]


@pytest.mark.parametrize(("name", "problem"), NOT_ZONES)
def test_a_name_that_is_not_an_installed_zone_is_refused_in_words(name, problem):
    """Folders, paths, over-long names and tz files raised OSError or ValueError from zoneinfo."""
    assert problem in (zone_problem(name) or "")
    with pytest.raises(ValueError, match=r"^unknown time zone ") as caught:
        installed_zone(name)
    message = str(caught.value)
    assert problem in message
    assert len(message) < 300  # the name is cut short, never repeated whole
    message.encode("utf-8")  # and never a broken character


@pytest.mark.parametrize(
    "name", ["Europe", "a" * 300, "Europe/" + "x" * 300, "../../etc/passwd", "Europe/London\x00"]
)
def test_a_calendar_in_a_folder_or_a_path_is_a_value_error(name):
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar.parse(WINDOW, name)


def test_every_installed_zone_is_accepted_and_a_calendar_can_use_it():
    names = installed_zone_names()
    assert {"America/Los_Angeles", "Etc/GMT", "Australia/Sydney", "UTC"} <= names
    assert "localtime" not in names
    for name in sorted(names):
        assert zone_problem(name) is None
        assert installed_zone(f" {name} ").key == name  # trimmed, as typed
    assert BusinessCalendar.parse(WINDOW, " Europe/London ").zone_name == "Europe/London"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"holiday_country": "XX"}, 'unknown holiday country "XX"'),
        (
            {"holiday_country": "US", "holiday_subdivision": "ZZ"},
            'unknown holiday subdivision "ZZ" for country "US"',
        ),
        ({"holiday_subdivision": "CA"}, 'holiday subdivision "CA" needs a holiday country too'),
        (
            {"holidays": [datetime(2026, 12, 25, tzinfo=UTC)]},
            "holiday 2026-12-25T00:00:00+00:00 must be a date",
        ),
        ({"holidays": ["25/12/2026"]}, 'holiday "25/12/2026" must be a date written YYYY-MM-DD'),
    ],
)
def test_bad_holidays_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        BusinessCalendar.parse(WINDOW, "UTC", **kwargs)


def test_naive_datetimes_and_negative_durations_are_refused():
    cal = BusinessCalendar.parse(WINDOW, "America/Los_Angeles")
    naive = datetime(2026, 3, 2, 9)
    aware = naive.replace(tzinfo=LA)
    with pytest.raises(ValueError, match="has no time zone"):
        cal.add(naive, H)
    with pytest.raises(ValueError, match="has no time zone"):
        cal.elapsed(aware, naive)
    with pytest.raises(ValueError, match="has no time zone"):
        cal.is_open(naive)
    with pytest.raises(ValueError, match="has no time zone"):
        cal.next_open(naive)
    with pytest.raises(ValueError, match="is negative"):
        cal.add(aware, -US)
