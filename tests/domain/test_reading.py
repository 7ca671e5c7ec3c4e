"""The one live reading and its words (DESIGN §3): which clock, how it stands, how it reads."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.clock_model import ClockState, ClockType, PauseReason
from console.domain.events import EventKind
from console.domain.reading import read
from console.domain.wording import countdown, detail, format_business, headline, line
from tests.domain.test_clocks import GMT, LA, SYD, Story, t

S = timedelta(seconds=1)
M = timedelta(minutes=1)
UTC_ZONE = ZoneInfo("UTC")


def _escalated_twice() -> Story:
    # Premium P2 (2 h on the wall clock) reported 08:00 and never answered: missed at 10:00;
    # Escalation 1 at 10:30 (due 12:30) missed too; Escalation 2 at 12:40, due 14:40.
    story = Story("premium", LA, t(LA, "2026-06-09", "08:00"), "P2")
    story.then(EventKind.ESCALATED, t(LA, "2026-06-09", "10:30"), level=1)
    story.then(EventKind.ESCALATED, t(LA, "2026-06-09", "12:40"), level=2)
    return story


def test_an_escalated_incident_reads_its_escalation_clock_not_the_missed_first_response() -> None:
    reading = read(_escalated_twice().at(t(LA, "2026-06-09", "13:49")))
    assert reading.kind is ClockType.ESCALATION_2
    assert reading.state is ClockState.RUNNING
    assert reading.wall == 51 * M
    assert line(reading, LA) == "Escalation 2 response · on track · 51 m 00 s"


def test_after_a_response_the_reading_moves_to_the_status_update_clock() -> None:
    story = _escalated_twice().then(EventKind.RESPONDED, t(LA, "2026-06-09", "13:50"))
    reading = read(story.at(t(LA, "2026-06-09", "14:00")))
    assert reading.kind is ClockType.STATUS_UPDATE  # P2: every 4 h on the P2 clock
    assert reading.deadline == t(LA, "2026-06-09", "17:50")
    assert headline(reading) == "Status update · on track"


def test_at_risk_starts_exactly_at_its_instant() -> None:
    # Premium P1: 15 min on the wall clock; at risk from the policy's threshold on.
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    at_risk = story.at(t(LA, "2026-06-09", "10:00")).first_response.at_risk_at
    assert at_risk is not None
    assert read(story.at(at_risk - S)).state is ClockState.RUNNING
    assert read(story.at(at_risk)).state is ClockState.AT_RISK
    assert read(story.at(at_risk + S)).state is ClockState.AT_RISK


def test_the_breach_is_the_instant_after_the_deadline() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    deadline = t(LA, "2026-06-09", "10:15")
    before, at, after = (read(story.at(deadline + d)) for d in (-S, timedelta(0), S))
    assert (before.state, countdown(before, LA)) == (ClockState.AT_RISK, "0 m 01 s")
    assert (at.state, countdown(at, LA)) == (ClockState.AT_RISK, "0 m 00 s")
    assert (after.state, countdown(after, LA)) == (ClockState.BREACHED, "0 m 01 s over")
    assert line(after, LA) == "First response · breached · 0 m 01 s over"
    # Never "0 m 00 s over": time over rounds up.
    just = read(story.at(deadline + timedelta(milliseconds=10)))
    assert countdown(just, LA) == "0 m 01 s over"
    assert story.at(deadline).eligible_level is None
    assert story.at(deadline + S).eligible_level == 1


def test_business_time_is_told_in_business_days_of_the_window() -> None:
    # Standard P4: 3 business days = 25 h 30 m of open time on a 09:00-17:30 window.
    story = Story("standard", LA, t(LA, "2026-06-08", "09:00"), "P4")
    reading = read(story.at(t(LA, "2026-06-08", "10:00")))
    assert reading.deadline == t(LA, "2026-06-10", "17:30")
    assert reading.business_day == timedelta(hours=8, minutes=30)
    assert countdown(reading, LA) == "2 d 7 h (2 bd 7 h 30 m business)"
    assert format_business(timedelta(hours=25), reading.business_day) == "2 bd 8 h 00 m"
    assert format_business(timedelta(hours=8, minutes=29), reading.business_day) == "8 h 29 m"


def test_a_closed_window_pauses_and_says_when_it_resumes() -> None:
    story = Story("standard", LA, t(LA, "2026-06-12", "15:00"), "P1")  # Friday
    reading = read(story.at(t(LA, "2026-06-13", "10:00")))  # Saturday
    assert reading.state is ClockState.PAUSED and reading.pause_reason is PauseReason.CLOSED
    assert not reading.business_running
    assert reading.next_change_at == t(LA, "2026-06-15", "09:00")
    assert countdown(reading, LA) == "paused · resumes Mon 09:00"
    assert detail(reading) == "window closed · 1 h 30 m business left · First response"


def test_a_breach_at_closing_time_never_reads_zero_business_time_at_night() -> None:
    # Standard P1 from Friday 13:30: 4 business hours end exactly at 17:30, the close.
    story = Story("standard", LA, t(LA, "2026-06-12", "13:30"), "P1")
    night = read(story.at(t(LA, "2026-06-12", "21:00")))
    assert night.state is ClockState.BREACHED
    assert countdown(night, LA) == "3 h 30 m over"
    monday = read(story.at(t(LA, "2026-06-15", "09:45")))
    assert countdown(monday, LA) == "2 d 16 h over (45 m 00 s business)"


def test_waiting_on_the_customer_pauses_the_status_update_clock() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:05"))
    story.then(EventKind.WAITING_ON_CUSTOMER, t(LA, "2026-06-09", "10:35"))
    reading = read(story.at(t(LA, "2026-06-09", "12:00")))
    assert reading.kind is ClockType.STATUS_UPDATE
    assert reading.pause_reason is PauseReason.WAITING
    assert countdown(reading, LA) == "paused · waiting on customer"
    assert detail(reading) == "30 m 00 s left · Status update"


def test_no_clock_running_says_how_the_first_response_went() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P4")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:05"))  # P4: no status updates
    reading = read(story.at(t(LA, "2026-06-09", "11:00")))
    assert reading.clock is None and reading.state is ClockState.MET
    assert countdown(reading, LA) == "responded"


_ZONES = st.sampled_from([LA, GMT, SYD])
_PLANS = st.sampled_from(["standard", "advanced", "premium", "premium_plus"])
_PRIORITIES = st.sampled_from(["P1", "P2", "P3", "P4"])


@settings(max_examples=150, deadline=None)
@given(
    zone=_ZONES,
    plan=_PLANS,
    priority=_PRIORITIES,
    opened_minutes=st.integers(0, 7 * 24 * 60),
    read_after=st.integers(0, 6 * 24 * 3600),
    step=st.floats(0, 1),
    escalate=st.booleans(),
)
def test_advancing_a_reading_equals_reading_again_until_it_changes(
    zone: ZoneInfo,
    plan: str,
    priority: str,
    opened_minutes: int,
    read_after: int,
    step: float,
    escalate: bool,
) -> None:
    opened = t(zone, "2026-03-02", "00:00") + opened_minutes * M
    story = Story(plan, zone, opened, priority)
    if escalate:
        story.then(EventKind.ESCALATED, opened + timedelta(days=3), level=1)
    first = read(story.at(opened + read_after * S))
    if first.next_change_at is None:
        return
    later = first.now + (first.next_change_at - first.now) * step
    if later >= first.next_change_at:
        return
    moved, fresh = first.advanced(later), read(story.at(later))
    assert (moved.kind, moved.state, moved.deadline) == (fresh.kind, fresh.state, fresh.deadline)
    assert moved.wall == fresh.wall
    assert moved.business == fresh.business
    assert countdown(moved, UTC_ZONE) == countdown(fresh, UTC_ZONE)


def test_at_a_deadline_on_the_closing_time_the_clock_is_at_risk_not_paused() -> None:
    # Standard P1 from Friday 13:30: the 4 business hours end exactly at the 17:30 close.
    story = Story("standard", LA, t(LA, "2026-06-12", "13:30"), "P1")
    reading = read(story.at(t(LA, "2026-06-12", "17:30")))
    assert (reading.state, reading.wall) == (ClockState.AT_RISK, timedelta(0))
    assert read(story.at(t(LA, "2026-06-12", "17:30") + S)).state is ClockState.BREACHED


def test_an_escalation_after_a_late_response_is_the_clock_to_act_on() -> None:
    # Premium P1 answered late at 10:20 (due 10:15): the status-update clock runs, and the
    # customer still escalates at 10:30 — the Escalation 1 response comes first now.
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:20"))
    story.then(EventKind.ESCALATED, t(LA, "2026-06-09", "10:30"), level=1)
    clocks = story.at(t(LA, "2026-06-09", "10:35"))
    assert clocks.status_update.is_live
    assert read(clocks).kind is ClockType.ESCALATION_1
