"""Outcomes (DESIGN §3): each clock has exactly one, and only a response to the customer meets."""

from __future__ import annotations

from datetime import datetime, timedelta

from console.domain.clock_model import ClockType
from console.domain.events import EventKind
from console.domain.explain import explain
from console.domain.outcomes import Outcome, first_response, outcomes
from tests.domain.test_clocks import GMT, LA, Story, t

S = timedelta(seconds=1)


def test_a_first_response_is_pending_until_the_instant_after_its_deadline() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    deadline = t(LA, "2026-06-09", "10:15")
    assert first_response(story.at(deadline - S)).outcome is Outcome.PENDING
    assert first_response(story.at(deadline)).outcome is Outcome.PENDING
    assert first_response(story.at(deadline + timedelta(microseconds=1))).outcome is Outcome.MISSED


def test_a_response_at_the_deadline_meets_and_one_second_later_misses() -> None:
    deadline = t(LA, "2026-06-09", "10:15")
    on_time = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    on_time.then(EventKind.RESPONDED, deadline)
    met = first_response(on_time.at(deadline + timedelta(days=1)))
    assert (met.outcome, met.counted_at, met.deadline) == (Outcome.MET, deadline, deadline)
    late = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    late.then(EventKind.RESPONDED, deadline + S)
    missed = first_response(late.at(deadline + timedelta(days=1)))
    assert (missed.outcome, missed.counted_at) == (Outcome.MISSED, deadline + S)


def test_resolving_without_a_response_misses_even_when_the_deadline_was_ahead() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P2")  # due 12:00
    story.then(EventKind.RESOLVED, t(LA, "2026-06-09", "10:30"))
    clocks = story.at(t(LA, "2026-06-10", "09:00"))
    outcome = first_response(clocks)
    assert outcome.outcome is Outcome.MISSED and outcome.counted_at is None
    assert explain(clocks.first_response, "UTC")[-1] == (
        "Missed: the incident was resolved at Tue 09 Jun 2026 10:30 PDT without a response "
        "to the customer; resolving is not a response."
    )


def test_a_deadline_missed_before_a_priority_change_stays_missed() -> None:
    # The case: Premium P2 opened 10:00 (due 12:00), moved to P3 at 13:00.
    story = Story("premium", GMT, t(GMT, "2026-06-09", "10:00"), "P2")
    story.then(EventKind.PRIORITY_CHANGED, t(GMT, "2026-06-09", "13:00"), priority="P3")
    clocks = story.at(t(GMT, "2026-06-09", "13:05"))
    outcome = first_response(clocks)
    assert outcome.outcome is Outcome.MISSED
    assert (outcome.deadline, outcome.priority) == (t(GMT, "2026-06-09", "12:00"), "P2")
    assert outcome.month == "2026-06"
    assert clocks.eligible_level == 1  # Escalation 1 stays available
    # A response on the restarted P3 clock does not undo the miss.
    story.then(EventKind.RESPONDED, t(GMT, "2026-06-09", "14:00"))
    assert first_response(story.at(t(GMT, "2026-06-09", "15:00"))).outcome is Outcome.MISSED


def test_a_priority_change_before_the_deadline_restarts_the_clock_with_the_new_priority() -> None:
    story = Story("premium", GMT, t(GMT, "2026-06-09", "10:00"), "P2")  # due 12:00
    story.then(EventKind.PRIORITY_CHANGED, t(GMT, "2026-06-09", "11:00"), priority="P1")
    outcome = first_response(story.at(t(GMT, "2026-06-09", "11:05")))
    assert (outcome.outcome, outcome.priority) == (Outcome.PENDING, "P1")
    assert outcome.deadline == t(GMT, "2026-06-09", "11:15")


def test_an_excluded_incident_leaves_attainment() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.EXCLUDED, t(LA, "2026-06-09", "11:00"), reason="iii")
    assert first_response(story.at(t(LA, "2026-06-09", "12:00"))).outcome is Outcome.EXCLUDED


def test_every_status_update_due_time_has_its_own_outcome() -> None:
    # Premium P1: updates every hour after the first response at 10:05.
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:05"))
    story.then(EventKind.STATUS_UPDATE, t(LA, "2026-06-09", "11:00"))  # due 11:05: met
    story.then(EventKind.STATUS_UPDATE, t(LA, "2026-06-09", "12:30"))  # due 12:00: missed
    rows = outcomes(story.at(t(LA, "2026-06-09", "13:00")))
    updates = [r for r in rows if r.clock is ClockType.STATUS_UPDATE]
    assert [(r.deadline, r.outcome) for r in updates] == [
        (t(LA, "2026-06-09", "11:05"), Outcome.MET),
        (t(LA, "2026-06-09", "12:00"), Outcome.MISSED),
        (t(LA, "2026-06-09", "13:30"), Outcome.PENDING),
    ]
    assert rows[0].outcome is Outcome.MET
    kinds = [r.clock for r in rows]
    assert kinds[-2:] == [ClockType.ESCALATION_1, ClockType.ESCALATION_2]
    assert rows[-1].outcome is Outcome.NOT_APPLICABLE


def test_an_update_not_yet_due_at_resolve_is_not_owed() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:05"))
    story.then(EventKind.RESOLVED, t(LA, "2026-06-09", "10:30"))
    rows = outcomes(story.at(t(LA, "2026-06-09", "13:00")))
    assert [r.outcome for r in rows if r.clock is ClockType.STATUS_UPDATE] == [
        Outcome.NOT_APPLICABLE
    ]


def test_a_status_update_is_pending_at_its_due_time_and_missed_the_instant_after() -> None:
    story = Story("premium", LA, t(LA, "2026-06-09", "10:00"), "P1")
    story.then(EventKind.RESPONDED, t(LA, "2026-06-09", "10:05"))  # next update due 11:05
    due = t(LA, "2026-06-09", "11:05")

    def update_outcome(now: datetime) -> Outcome:
        rows = outcomes(story.at(now))
        return next(r.outcome for r in rows if r.clock is ClockType.STATUS_UPDATE)

    assert update_outcome(due) is Outcome.PENDING
    assert update_outcome(due + timedelta(microseconds=1)) is Outcome.MISSED
