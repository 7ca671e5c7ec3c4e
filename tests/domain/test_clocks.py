"""SLA clocks (DESIGN §3), one customer's story per rule, with exact expected instants."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.clocks import (
    ClockState,
    ClockType,
    IncidentClocks,
    PauseReason,
    Terms,
    evaluate,
)
from console.domain.countdown import format_business, format_span, format_wall
from console.domain.events import EventKind, IncidentEvent
from console.domain.explain import explain
from console.domain.policy import load_default_policy
from console.domain.reading import read
from console.domain.records import Status
from console.domain.wording import countdown

POLICY = load_default_policy()
LA = ZoneInfo("America/Los_Angeles")
GMT = ZoneInfo("Etc/GMT")
SYD = ZoneInfo("Australia/Sydney")
WINDOWS = {LA: "pacific", GMT: "gmt", SYD: "australian_eastern"}
M = timedelta(minutes=1)
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def t(zone: ZoneInfo, day: str, hhmm: str) -> datetime:
    """``t(LA, "2026-06-12", "16:00")``: a local time in a window's zone."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=zone)


class Story:
    """An incident told as it happens: who reported what, then each step."""

    def __init__(self, plan: str, zone: ZoneInfo, opened: datetime, priority: str, **data: Any):
        self.terms = Terms.of(plan, POLICY.window(WINDOWS[zone]))
        self.events: list[IncidentEvent] = []
        data.setdefault("proposed_priority", priority)
        self.then(EventKind.OPENED, opened, priority=priority, **data)

    def then(self, kind: EventKind, at: datetime, **data: Any) -> Story:
        n = len(self.events)
        self.events.append(IncidentEvent(f"e{n:03d}", "inc", kind, at, data=data))
        return self

    def at(self, now: datetime) -> IncidentClocks:
        return evaluate(self.events, self.terms, POLICY, now)


# -- first response --------------------------------------------------------------------------


def test_standard_p1_four_business_hours_across_a_weekend() -> None:
    # A Standard customer on the Pacific window reports a P1 on Friday 15:00 PDT: 2.5 business
    # hours are left on Friday, the other 1.5 run from Monday 09:00.
    story = Story("standard", LA, t(LA, "2026-06-12", "15:00"), "P1")
    fr = story.at(t(LA, "2026-06-12", "15:10")).first_response
    assert fr.state is ClockState.RUNNING
    assert fr.deadline == t(LA, "2026-06-15", "10:30")
    assert fr.at_risk_at == t(LA, "2026-06-15", "09:30")  # 1 h (25 % of 4 h) before
    saturday = story.at(t(LA, "2026-06-13", "10:00")).first_response
    assert saturday.state is ClockState.PAUSED and saturday.pause_reason is PauseReason.CLOSED
    assert saturday.resumes_at == t(LA, "2026-06-15", "09:00")
    assert saturday.business_remaining == 90 * M
    assert countdown(read(story.at(t(LA, "2026-06-13", "10:00"))), LA) == (
        "paused · resumes Mon 09:00"
    )


def test_advanced_p1_is_one_wall_clock_hour_even_at_3am_on_sunday() -> None:
    story = Story("advanced", LA, t(LA, "2026-06-14", "03:00"), "P1")
    assert story.at(t(LA, "2026-06-14", "03:30")).first_response.state is ClockState.RUNNING
    assert story.at(t(LA, "2026-06-14", "03:45")).first_response.state is ClockState.AT_RISK
    fr = story.at(t(LA, "2026-06-14", "04:01")).first_response
    assert fr.deadline == t(LA, "2026-06-14", "04:00")
    assert fr.state is ClockState.BREACHED
    assert fr.wall_remaining == -M and fr.business_remaining is None
    assert countdown(read(story.at(t(LA, "2026-06-14", "04:01"))), LA) == "1 m 00 s over"


def test_business_day_targets_count_whole_window_days() -> None:
    # Standard P3 is 2 business days: Tuesday 10:00 to Thursday 10:00 (2 x 8.5 h).
    story = Story("standard", LA, t(LA, "2026-06-09", "10:00"), "P3")
    assert story.at(t(LA, "2026-06-09", "10:00")).first_response.deadline == t(
        LA, "2026-06-11", "10:00"
    )
    # Premium P3 on the GMT window (fixed UTC+0, no summer time): Friday noon to Monday noon.
    story = Story("premium", GMT, t(GMT, "2026-06-12", "12:00"), "P3")
    fr = story.at(t(GMT, "2026-06-12", "12:00")).first_response
    assert fr.deadline == t(GMT, "2026-06-15", "12:00")
    assert fr.duration == timedelta(hours=8, minutes=30)


def test_response_at_or_before_the_deadline_is_met_after_it_missed() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    on_time = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    on_time.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:15"))
    fr = on_time.at(t(LA, "2026-06-09", "12:00")).first_response
    assert fr.state is ClockState.MET and fr.margin == timedelta(0)
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:16"))
    fr = story.at(t(LA, "2026-06-09", "12:00")).first_response
    assert fr.state is ClockState.MISSED and fr.margin == -M
    assert fr.stopped_at == t(LA, "2026-06-09", "10:16")


def test_raising_priority_before_the_response_restarts_the_first_response_clock() -> None:
    # A Premium customer on the Pacific window reports a P3 on Friday 16:00 PDT and raises it
    # to P1 at 16:20 before any response: the first response is due 16:35 PDT.
    story = Story("premium", LA, t(LA, "2026-06-12", "16:00"), "P3")
    story.then(
        EventKind.PRIORITY_CHANGED, t(LA, "2026-06-12", "16:20"), priority="P1", side="customer"
    )
    clocks = story.at(t(LA, "2026-06-12", "16:25"))
    fr = clocks.first_response
    assert fr.deadline == t(LA, "2026-06-12", "16:35")
    assert fr.started_at == t(LA, "2026-06-12", "16:20")
    assert fr.first_started_at == t(LA, "2026-06-12", "16:00")
    assert fr.target is not None and (fr.target.priority, fr.target.span.minutes) == ("P1", 15)
    assert (clocks.priority, clocks.proposed_priority) == ("P1", "P1")
    text = " ".join(explain(fr, "UTC"))
    assert "Restarted at Fri 12 Jun 2026 16:20 PDT when the priority changed from P3 to P1" in text


def test_a_restart_does_not_erase_an_already_missed_deadline() -> None:
    # Premium P1 at 10:00 misses 10:15; downgrading to P3 at 10:30 restarts the clock, but the
    # customer keeps the right to escalate earned at 10:15.
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.PRIORITY_CHANGED, t(LA, "2026-06-09", "10:30"), priority="P3")
    clocks = story.at(t(LA, "2026-06-09", "10:40"))
    assert clocks.first_response.deadline == t(LA, "2026-06-10", "10:30")
    assert clocks.first_response.missed_before == t(LA, "2026-06-09", "10:15")
    assert (clocks.eligible_level, clocks.eligible_since) == (1, t(LA, "2026-06-09", "10:15"))


def test_priority_change_after_the_response_only_changes_the_update_cadence() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P3")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "11:00"))
    before = story.at(t(LA, "2026-06-09", "11:30"))
    assert before.status_update.deadline == t(LA, "2026-06-10", "11:00")  # P3: 1 business day
    story.then(
        EventKind.PRIORITY_CHANGED, t(LA, "2026-06-09", "12:00"), priority="P1", side="customer"
    )
    after = story.at(t(LA, "2026-06-09", "12:05"))
    assert after.first_response == before.first_response.at(after.now)  # untouched: met
    assert after.first_response.state is ClockState.MET
    assert after.status_update.deadline == t(LA, "2026-06-09", "13:00")  # P1: every 1 h, 24x7
    assert after.status_update.start_reason == "when the priority changed from P3 to P1"


# -- status updates --------------------------------------------------------------------------


def test_status_updates_are_due_one_cadence_after_the_last_response_or_update() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:10"))
    assert story.at(t(LA, "2026-06-09", "10:10")).status_update.deadline == t(
        LA, "2026-06-09", "11:10"
    )
    story.then(EventKind.STATUS_UPDATE, t(LA, "2026-06-09", "11:05"), channel="status_page")
    clocks = story.at(t(LA, "2026-06-09", "12:20"))
    assert clocks.status_update.deadline == t(LA, "2026-06-09", "12:05")
    assert clocks.status_update.state is ClockState.BREACHED
    assert clocks.status_update.wall_remaining == -15 * M
    story.then(EventKind.STATUS_UPDATE, t(LA, "2026-06-09", "12:30"), channel="email")
    clocks = story.at(t(LA, "2026-06-09", "12:31"))
    assert clocks.status_update.deadline == t(LA, "2026-06-09", "13:30")
    assert clocks.status_update.state is ClockState.RUNNING
    assert clocks.missed_updates == 1


def test_p4_owes_no_status_updates() -> None:
    story = Story("standard", LA, t(LA, "2026-06-09", "10:00"), "P4", channel="email")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "11:00"))
    clocks = story.at(t(LA, "2026-06-09", "12:00"))
    assert clocks.status_update.state is ClockState.NOT_APPLICABLE
    assert "no status updates are owed for P4" in explain(clocks.status_update, "UTC")[0]
    assert clocks.next_deadline is None


def test_waiting_on_customer_freezes_the_update_clock_and_resumes_with_the_rest() -> None:
    # Premium P2: updates every 4 h on the wall clock. Responded 10:00 -> due 14:00. Waiting on
    # the customer from 11:00 freezes 3 h; resumed at 15:00, the update is due 18:00.
    story = Story("premium", LA, t(LA, "2026-06-09", "09:00"), "P2")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:00"))
    story.then(EventKind.WAITING_ON_CUSTOMER, t(LA, "2026-06-09", "11:00"))
    waiting = story.at(t(LA, "2026-06-09", "20:00"))
    assert waiting.status is Status.WAITING_ON_CUSTOMER
    su = waiting.status_update
    assert (su.state, su.pause_reason, su.deadline) == (
        ClockState.PAUSED,
        PauseReason.WAITING,
        None,
    )
    assert su.frozen_remaining == 3 * H and su.resumes_at is None
    assert waiting.next_deadline is None and waiting.next_transition_at() is None
    story.then(EventKind.RESUMED, t(LA, "2026-06-09", "15:00"))
    resumed = story.at(t(LA, "2026-06-09", "15:00")).status_update
    assert resumed.deadline == t(LA, "2026-06-09", "18:00")
    assert resumed.at_risk_at == t(LA, "2026-06-09", "17:00")
    assert resumed.waits == ((t(LA, "2026-06-09", "11:00"), t(LA, "2026-06-09", "15:00")),)


def test_waiting_pauses_a_business_hours_update_clock_in_business_time() -> None:
    # Standard P3: an update every business day. Responded Friday 16:00 -> due Monday 16:00.
    # Waiting from Friday 17:00 keeps 7.5 business hours; resumed Tuesday 10:00 -> 17:30.
    story = Story("standard", LA, t(LA, "2026-06-12", "10:00"), "P3")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-12", "16:00"))
    assert story.at(t(LA, "2026-06-12", "16:00")).status_update.deadline == t(
        LA, "2026-06-15", "16:00"
    )
    story.then(EventKind.WAITING_ON_CUSTOMER, t(LA, "2026-06-12", "17:00"))
    frozen = story.at(t(LA, "2026-06-16", "09:30")).status_update
    assert frozen.frozen_remaining == frozen.business_remaining == timedelta(hours=7, minutes=30)
    story.then(EventKind.RESUMED, t(LA, "2026-06-16", "10:00"))
    assert story.at(t(LA, "2026-06-16", "10:00")).status_update.deadline == t(
        LA, "2026-06-16", "17:30"
    )


def test_waiting_on_customer_does_not_pause_the_first_response_clock() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "09:00"), "P2")
    story.then(EventKind.WAITING_ON_CUSTOMER, t(LA, "2026-06-09", "09:30"))
    clocks = story.at(t(LA, "2026-06-09", "11:05"))
    assert clocks.first_response.deadline == t(LA, "2026-06-09", "11:00")
    assert clocks.first_response.state is ClockState.BREACHED
    # Responding while waiting starts the update clock frozen with the whole cadence.
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "11:10"))
    su = story.at(t(LA, "2026-06-09", "12:00")).status_update
    assert su.state is ClockState.PAUSED and su.frozen_remaining == 4 * H


# -- escalation ------------------------------------------------------------------------------


def test_escalation_ladder_eligibility_clocks_and_one_response_stopping_them() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    assert story.at(t(LA, "2026-06-09", "10:14")).eligible_level is None
    at_deadline = story.at(t(LA, "2026-06-09", "10:15"))  # a response now still meets
    assert at_deadline.eligible_level is None
    assert at_deadline.first_response.state is ClockState.AT_RISK
    missed = story.at(t(LA, "2026-06-09", "10:15") + US)
    assert (missed.eligible_level, missed.eligible_since) == (1, t(LA, "2026-06-09", "10:15"))
    assert missed.first_response.state is ClockState.BREACHED

    # The customer escalates at 10:30: a new 15-minute response clock runs to 10:45.
    story.then(EventKind.ESCALATED, t(LA, "2026-06-09", "10:30"), level=1)
    level1 = story.at(t(LA, "2026-06-09", "10:40"))
    assert (level1.escalation_level, level1.eligible_level) == (1, None)
    assert level1.escalation_1.deadline == t(LA, "2026-06-09", "10:45")
    assert level1.escalation_1.kind is ClockType.ESCALATION_1

    # Missing it makes Escalation 2 eligible at 10:45; escalating at 11:00 starts another.
    assert story.at(t(LA, "2026-06-09", "10:50")).eligible_since == t(LA, "2026-06-09", "10:45")
    assert story.at(t(LA, "2026-06-09", "10:50")).eligible_level == 2
    story.then(EventKind.ESCALATED, t(LA, "2026-06-09", "11:00"), level=2)
    assert story.at(t(LA, "2026-06-09", "11:01")).escalation_2.deadline == t(
        LA, "2026-06-09", "11:15"
    )

    # One response at 11:05 stops every pending response clock.
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "11:05"))
    done = story.at(t(LA, "2026-06-09", "11:06"))
    assert done.first_response.state is ClockState.MISSED
    assert done.escalation_1.state is ClockState.MISSED
    assert done.escalation_2.state is ClockState.MET
    assert (done.escalation_level, done.eligible_level) == (2, None)
    assert done.status_update.deadline == t(LA, "2026-06-09", "12:05")


def test_a_response_in_time_stops_the_current_level_clock() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.ESCALATED, t(LA, "2026-06-09", "10:30"), level=1)
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:40"))
    clocks = story.at(t(LA, "2026-06-09", "12:00"))
    assert clocks.escalation_1.state is ClockState.MET
    assert clocks.escalation_1.stopped_at == t(LA, "2026-06-09", "10:40")
    assert clocks.eligible_level is None  # Escalation 2 was never earned


def test_a_late_response_does_not_take_back_the_right_to_escalate() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:20"))
    clocks = story.at(t(LA, "2026-06-09", "11:00"))
    assert (clocks.eligible_level, clocks.eligible_since) == (1, t(LA, "2026-06-09", "10:15"))


# -- exclusion, resolution, reopening ----------------------------------------------------------


def test_exclusion_stops_every_clock() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:05"))
    story.then(EventKind.EXCLUDED, t(LA, "2026-06-09", "10:30"), reason="iii", text="their VPN")
    clocks = story.at(t(LA, "2026-06-09", "18:00"))
    assert clocks.status is Status.EXCLUDED and clocks.excluded_reason == "iii"
    assert clocks.first_response.state is ClockState.MET
    assert clocks.status_update.state is ClockState.NOT_APPLICABLE
    assert clocks.status_update.stopped_at == t(LA, "2026-06-09", "10:30")
    assert clocks.live_clocks == () and clocks.next_deadline is None
    assert clocks.next_transition_at() is None


def test_exclusion_before_the_response_leaves_nothing_to_escalate() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.EXCLUDED, t(LA, "2026-06-09", "10:10"), reason="ii")
    clocks = story.at(t(LA, "2026-06-09", "11:00"))
    assert clocks.first_response.state is ClockState.NOT_APPLICABLE
    assert clocks.eligible_level is None


def test_resolving_stops_every_clock_and_reopening_starts_an_update_clock() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:05"))
    story.then(EventKind.RESOLVED, t(LA, "2026-06-09", "10:45"))
    resolved = story.at(t(LA, "2026-06-09", "18:00"))
    assert resolved.status is Status.RESOLVED
    # The update due at 11:05 was not owed once the incident was resolved at 10:45.
    assert resolved.status_update.state is ClockState.NOT_APPLICABLE
    assert resolved.past_updates == ()
    assert resolved.live_clocks == () and resolved.next_transition_at() is None
    story.then(EventKind.REOPENED, t(LA, "2026-06-10", "09:00"), reason="it came back")
    reopened = story.at(t(LA, "2026-06-10", "09:10"))
    assert reopened.status is Status.OPEN
    assert reopened.status_update.started_at == t(LA, "2026-06-10", "09:00")
    assert reopened.status_update.deadline == t(LA, "2026-06-10", "10:00")
    assert reopened.status_update.start_reason == "when the incident was reopened"
    assert reopened.first_response.state is ClockState.MET  # history is not rewritten


# -- states ----------------------------------------------------------------------------------


def test_at_risk_starts_when_a_quarter_of_the_target_is_left_in_business_time() -> None:
    # Standard P2 (8 bh) from Friday 13:00: due Monday 12:30; at risk with 2 bh left, Monday
    # 10:30, not 2 wall-clock hours before.
    story = Story("standard", LA, t(LA, "2026-06-12", "13:00"), "P2")
    fr = story.at(t(LA, "2026-06-15", "10:29")).first_response
    assert fr.deadline == t(LA, "2026-06-15", "12:30")
    assert fr.at_risk_at == t(LA, "2026-06-15", "10:30")
    assert fr.state is ClockState.RUNNING
    assert fr.at(t(LA, "2026-06-15", "10:30")).state is ClockState.AT_RISK


def test_at_risk_is_never_less_than_fifteen_minutes() -> None:
    # Advanced P1 (1 h): 25 % is exactly 15 min. Premium P1 (15 min): at risk from the start.
    advanced = Story("advanced", LA, t(LA, "2026-06-09", "10:00"), "P1")
    assert advanced.at(t(LA, "2026-06-09", "10:00")).first_response.at_risk_at == t(
        LA, "2026-06-09", "10:45"
    )
    premium = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    fr = premium.at(t(LA, "2026-06-09", "10:00")).first_response
    assert fr.at_risk_at == t(LA, "2026-06-09", "10:00")
    assert fr.state is ClockState.AT_RISK


def test_paused_clock_says_when_it_resumes_on_the_sydney_window_at_night() -> None:
    # A Standard customer on the Australian Eastern window reports a P2 on Tuesday 20:00 AEDT:
    # the clock waits for Wednesday 09:00 and is due Wednesday 17:00.
    story = Story("standard", SYD, t(SYD, "2026-01-13", "20:00"), "P2")
    fr = story.at(t(SYD, "2026-01-13", "22:00")).first_response
    assert fr.state is ClockState.PAUSED and fr.pause_reason is PauseReason.CLOSED
    assert fr.resumes_at == t(SYD, "2026-01-14", "09:00")
    assert fr.deadline == t(SYD, "2026-01-14", "17:00")
    assert fr.business_remaining == 8 * H
    last = explain(fr, "Europe/London")[-1]
    assert last == "Paused: the window is closed now; it resumes at Wed 14 Jan 2026 09:00 AEDT."


def test_explain_gives_the_deadline_in_three_zones() -> None:
    story = Story("standard", SYD, t(SYD, "2026-01-13", "20:00"), "P2")
    lines = explain(story.at(t(SYD, "2026-01-13", "22:00")).first_response, "America/Los_Angeles")
    text = "\n".join(lines)
    assert "Standard plan's target for a P2 incident" in text
    assert "Calendar: the Australian Eastern window, Mon–Fri 09:00–17:30 Australia/Sydney" in text
    assert (
        "Deadline: Wed 14 Jan 2026 17:00 AEDT in the window's zone (Australia/Sydney), "
        "Tue 13 Jan 2026 22:00 PST in your zone (America/Los_Angeles), "
        "Wed 14 Jan 2026 06:00 UTC."
    ) in lines
    assert "Skipped 1 closed period: Tue 13 Jan 2026 20:00 AEDT to Wed 14 Jan 2026 09:00 AEDT." in (
        lines
    )
    assert "assumed" in lines[0]


def test_explain_states_the_outcome() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "11:02"))
    lines = explain(story.at(t(LA, "2026-06-09", "12:00")).first_response, "UTC")
    assert lines[-1] == "Missed: responded at Tue 09 Jun 2026 11:02 PDT, 47 min after the deadline."
    assert "Closed periods: none, the 24×7 clock never stops." in lines


def test_next_transition_at_walks_every_displayed_change() -> None:
    # Standard P1 from Friday 15:00: closes 17:30, reopens Monday 09:00, at risk 09:30,
    # breached (and Escalation 1 eligible) the instant after 10:30; then business time over
    # stops counting when the window closes at 17:30 and starts again on Tuesday at 09:00.
    story = Story("standard", LA, t(LA, "2026-06-12", "15:00"), "P1")
    clocks = story.at(t(LA, "2026-06-12", "15:10"))
    seen = []
    while (nxt := clocks.next_transition_at()) is not None and nxt < t(LA, "2026-06-16", "12:00"):
        before = clocks.at(nxt - US)
        clocks = clocks.at(nxt)
        assert _display(before) != _display(clocks)
        seen.append((nxt, clocks.first_response.state))
    assert seen == [
        (t(LA, "2026-06-12", "17:30"), ClockState.PAUSED),
        (t(LA, "2026-06-15", "09:00"), ClockState.RUNNING),
        (t(LA, "2026-06-15", "09:30"), ClockState.AT_RISK),
        (t(LA, "2026-06-15", "10:30") + US, ClockState.BREACHED),
        (t(LA, "2026-06-15", "17:30"), ClockState.BREACHED),
        (t(LA, "2026-06-16", "09:00"), ClockState.BREACHED),
    ]
    assert clocks.eligible_level == 1


def _display(clocks: IncidentClocks) -> tuple[object, ...]:
    reading = read(clocks)
    return (
        clocks.eligible_level,
        reading.state,
        reading.business_running,
        *((c.state, c.at_risk) for c in clocks.clocks),
    )


def test_next_deadline_sorts_by_the_earliest_running_deadline() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.ESCALATED, t(LA, "2026-06-09", "10:20"), level=1)
    clocks = story.at(t(LA, "2026-06-09", "10:25"))
    assert clocks.next_deadline == t(LA, "2026-06-09", "10:15")  # the breached one first
    # The agent acts on the Escalation 1 clock now, not on the missed first response.
    assert clocks.current is clocks.escalation_1


def test_evaluate_equals_a_later_read_of_an_earlier_evaluation() -> None:
    story = Story("standard", LA, t(LA, "2026-06-12", "15:00"), "P1")
    early = story.at(t(LA, "2026-06-12", "15:00"))
    for later in (t(LA, "2026-06-13", "12:00"), t(LA, "2026-06-15", "11:00")):
        assert early.at(later) == story.at(later)


def test_no_opened_event_yet_means_nothing_runs() -> None:
    terms = Terms.of("premium", POLICY.window("pacific"))
    note = IncidentEvent("n", "inc", EventKind.NOTE, t(LA, "2026-06-09", "10:00"))
    clocks = evaluate([note], terms, POLICY, t(LA, "2026-06-09", "11:00"))
    assert clocks.first_response.state is ClockState.NOT_APPLICABLE
    assert clocks.next_transition_at() is None


# -- countdown text --------------------------------------------------------------------------


def test_durations_truncate_time_left_and_round_up_time_over() -> None:
    assert format_wall(timedelta(days=2, hours=19, minutes=59)) == "2 d 19 h"
    assert format_wall(timedelta(hours=3, minutes=5, seconds=59)) == "3 h 05 m"
    assert format_wall(timedelta(minutes=12, seconds=9, microseconds=900)) == "12 m 09 s"
    assert format_wall(-timedelta(hours=1, minutes=2, seconds=30)) == "1 h 02 m"
    assert format_wall(timedelta(0)) == "0 m 00 s"
    assert format_wall(-timedelta(microseconds=5)) == "0 m 01 s"
    assert format_business(timedelta(hours=9), timedelta(hours=8, minutes=30)) == "1 bd 0 h 30 m"
    assert format_span(timedelta(hours=17)) == "17 h" and format_span(75 * M) == "1 h 15 min"


# -- properties ------------------------------------------------------------------------------

_START = t(LA, "2026-06-12", "15:00")
_KINDS = [
    EventKind.RESPONDED,
    EventKind.STATUS_UPDATE,
    EventKind.PRIORITY_CHANGED,
    EventKind.ESCALATED,
    EventKind.WAITING_ON_CUSTOMER,
    EventKind.RESUMED,
    EventKind.EXCLUDED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.NOTE,
]
_step = st.tuples(
    st.sampled_from(_KINDS),
    st.integers(min_value=0, max_value=6 * 24 * 60),
    st.sampled_from(["P1", "P2", "P3", "P4"]),
    st.sampled_from([1, 2]),
)


@settings(max_examples=150, deadline=None)
@given(
    plan=st.sampled_from(["standard", "advanced", "premium", "premium_plus"]),
    zone=st.sampled_from([LA, GMT, SYD]),
    priority=st.sampled_from(["P1", "P2", "P3", "P4"]),
    steps=st.lists(_step, max_size=12),
    when=st.tuples(st.integers(min_value=0, max_value=8 * 24 * 60), st.integers()),
)
def test_evaluation_is_deterministic_and_ignores_input_order(
    plan: str,
    zone: ZoneInfo,
    priority: str,
    steps: list[tuple[EventKind, int, str, int]],
    when: tuple[int, int],
) -> None:
    now_minutes, seed = when
    story = Story(plan, zone, _START, priority)
    for kind, minutes, new_priority, level in steps:
        story.then(kind, _START + minutes * M, priority=new_priority, level=level, side="vendor")
    now = (_START + now_minutes * M).astimezone(UTC)
    expected = story.at(now)
    shuffled = list(story.events)
    random.Random(seed).shuffle(shuffled)
    assert evaluate(shuffled, story.terms, POLICY, now) == expected
    assert story.at(_START).at(now) == expected
    for clock in expected.clocks:
        if clock.deadline is not None and clock.started_at is not None:
            assert clock.at_risk_at is not None
            assert clock.started_at <= clock.at_risk_at <= clock.deadline
    nxt = expected.next_transition_at()
    assert nxt is None or nxt > now
