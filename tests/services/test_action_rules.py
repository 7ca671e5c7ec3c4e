"""Which actions an incident's state allows, and the words of each refusal.

The rules are read straight off evaluated clocks (no Qt, no store); the last section runs
each refused action through ``IncidentService`` on a real store and checks that it raises
the very words the rules give the detail view's disabled button.

Northwind's story: a Premium Plus P1 reported on the Pacific window at 10:00 PDT, 15 minutes
to a first response on the wall clock; the agent reads times in Berlin (CET in March).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from console.domain.clocks import IncidentClocks, Terms, evaluate
from console.domain.events import EventKind, IncidentEvent
from console.domain.ids import HybridLogicalClock
from console.domain.policy import load_default_policy
from console.domain.records import Status
from console.services.action_rules import (
    ALREADY_WAITING,
    NOT_WAITING,
    NOTHING_TO_REOPEN,
    RESPOND_FIRST,
    Action,
    closed_refusal,
    escalation_note,
    escalation_refusal,
    refusal,
    refusals,
)
from console.services.incidents import IncidentService
from console.services.validation import ValidationError
from db.store import SqliteStore
from tests.services.conftest import WORKSTATION, Customers, FakeClock, Team, report

POLICY = load_default_policy()
TERMS = Terms.of("premium_plus", POLICY.window("pacific"))
START = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 10:00 PDT, 18:00 CET
BERLIN = ZoneInfo("Europe/Berlin")
LA = ZoneInfo("America/Los_Angeles")
M = timedelta(minutes=1)


class Story:
    """The incident's events, told minute by minute from the report."""

    def __init__(self) -> None:
        self.events: list[IncidentEvent] = []
        self.then(0, EventKind.OPENED, priority="P1", proposed_priority="P1", channel="web")

    def then(self, minute: int, kind: EventKind, **data: Any) -> Story:
        n = len(self.events)
        self.events.append(IncidentEvent(f"e{n:03d}", "inc", kind, START + minute * M, data=data))
        return self

    def at(self, minute: int) -> IncidentClocks:
        return evaluate(self.events, TERMS, POLICY, START + minute * M)


def open_unanswered() -> IncidentClocks:
    return Story().at(10)


def open_answered() -> IncidentClocks:
    return Story().then(5, EventKind.RESPONDED, text="On it").at(10)


def waiting() -> IncidentClocks:
    story = Story().then(5, EventKind.RESPONDED, text="Logs?")
    return story.then(8, EventKind.WAITING_ON_CUSTOMER, text="").at(10)


def resolved() -> IncidentClocks:
    story = Story().then(5, EventKind.RESPONDED, text="Fixed?")
    return story.then(8, EventKind.RESOLVED, text="Renewed").at(10)


def excluded() -> IncidentClocks:
    return Story().then(5, EventKind.EXCLUDED, reason="iii", text="Their firewall").at(10)


CLOSED = {
    "resolved": "The incident is resolved: reopen it first.",
    "excluded": "The incident is excluded: reopen it first.",
}
NOT_YET = (
    "Escalation 1 becomes available at Tue 10 Mar 2026 18:15 CET if the vendor has not "
    "responded to the report by then."
)
ANSWERED = (
    "Escalation 1 is not available: the vendor responded to the report within the target at "
    "Tue 10 Mar 2026 18:05 CET."
)


def closed_table(status: str) -> dict[Action, str]:
    reason = CLOSED[status]
    table = dict.fromkeys(Action, reason)
    table.update({Action.ASSIGN: "", Action.NOTE: "", Action.RESUME: NOT_WAITING})
    table[Action.REOPEN] = ""
    return table


EXPECTED: dict[str, tuple[Any, dict[Action, str]]] = {
    "open, no response yet": (
        open_unanswered,
        {
            **dict.fromkeys(Action, ""),
            Action.POST_UPDATE: RESPOND_FIRST,
            Action.RESUME: NOT_WAITING,
            Action.ESCALATE: NOT_YET,
            Action.REOPEN: NOTHING_TO_REOPEN,
        },
    ),
    "open, answered": (
        open_answered,
        {
            **dict.fromkeys(Action, ""),
            Action.RESUME: NOT_WAITING,
            Action.ESCALATE: ANSWERED,
            Action.REOPEN: NOTHING_TO_REOPEN,
        },
    ),
    "waiting on the customer": (
        waiting,
        {
            **dict.fromkeys(Action, ""),
            Action.WAIT_ON_CUSTOMER: ALREADY_WAITING,
            Action.ESCALATE: ANSWERED,
            Action.REOPEN: NOTHING_TO_REOPEN,
        },
    ),
    "resolved": (resolved, closed_table("resolved")),
    "excluded": (excluded, closed_table("excluded")),
}


@pytest.mark.parametrize("state", list(EXPECTED))
def test_each_action_in_each_status(state: str) -> None:
    build, expected = EXPECTED[state]
    clocks = build()

    assert refusals(clocks, POLICY, BERLIN) == expected
    for action in Action:
        assert refusal(action, clocks, POLICY, BERLIN) == expected[action], action


def test_every_action_has_an_answer_keyed_by_its_name() -> None:
    answers = refusals(open_unanswered(), POLICY, BERLIN)
    assert list(answers) == list(Action)
    assert answers["post_update"] == RESPOND_FIRST  # the detail view looks them up by name


def test_closed_refusal_names_the_status_and_only_for_closed_ones() -> None:
    assert closed_refusal(Status.OPEN) == ""
    assert closed_refusal(Status.WAITING_ON_CUSTOMER) == ""
    assert closed_refusal(Status.RESOLVED) == CLOSED["resolved"]
    assert closed_refusal(Status.EXCLUDED) == CLOSED["excluded"]


# -- escalation ------------------------------------------------------------------------------


def test_not_yet_eligible_says_when_in_the_agents_zone() -> None:
    clocks = open_unanswered()
    assert escalation_refusal(clocks, POLICY, BERLIN) == NOT_YET
    assert escalation_refusal(clocks, POLICY, LA) == (
        "Escalation 1 becomes available at Tue 10 Mar 2026 10:15 PDT if the vendor has not "
        "responded to the report by then."
    )
    assert escalation_note(clocks, BERLIN) == ""


def test_eligible_once_the_target_is_missed() -> None:
    clocks = Story().at(16)
    assert escalation_refusal(clocks, POLICY, BERLIN) == ""
    assert escalation_note(clocks, BERLIN) == (
        "Eligible for Escalation 1 since Tue 10 Mar 2026 18:15 CET."
    )
    # At the deadline itself a response still meets: eligible only the instant after.
    assert escalation_refusal(Story().at(15), POLICY, BERLIN).startswith(
        "Escalation 1 becomes available at Tue 10 Mar 2026 18:15 CET"
    )


def test_the_next_level_watches_the_response_to_escalation_1() -> None:
    clocks = Story().then(16, EventKind.ESCALATED, level=1).at(20)
    assert escalation_refusal(clocks, POLICY, BERLIN) == (
        "Escalation 2 becomes available at Tue 10 Mar 2026 18:31 CET if the vendor has not "
        "responded to Escalation 1 by then."
    )
    at_deadline = Story().then(16, EventKind.ESCALATED, level=1).at(31)
    assert escalation_refusal(at_deadline, POLICY, BERLIN) != ""
    later = Story().then(16, EventKind.ESCALATED, level=1).at(32)
    assert escalation_refusal(later, POLICY, BERLIN) == ""
    assert escalation_note(later, BERLIN) == (
        "Eligible for Escalation 2 since Tue 10 Mar 2026 18:31 CET."
    )


def test_nothing_above_the_highest_level() -> None:
    story = Story().then(16, EventKind.ESCALATED, level=1)
    clocks = story.then(32, EventKind.ESCALATED, level=2).at(60)
    assert escalation_refusal(clocks, POLICY, BERLIN) == (
        "The incident is at Escalation 2, the highest level."
    )
    assert refusal(Action.ESCALATE, clocks, POLICY, BERLIN) == escalation_refusal(
        clocks, POLICY, BERLIN
    )
    assert escalation_note(clocks, BERLIN) == ""


def test_a_response_within_the_target_rules_escalation_out() -> None:
    clocks = Story().then(5, EventKind.RESPONDED, text="On it").at(180)
    assert escalation_refusal(clocks, POLICY, BERLIN) == ANSWERED


def test_reopened_without_a_response_says_the_clock_stopped() -> None:
    story = Story().then(5, EventKind.RESOLVED, text="Went away")
    clocks = story.then(30, EventKind.REOPENED, reason="Back").at(40)
    assert clocks.status is Status.OPEN
    assert escalation_refusal(clocks, POLICY, BERLIN) == (
        "Escalation 1 is not available: the clock for a response to the report stopped when "
        "the incident was resolved."
    )


# -- the service refuses in the same words ---------------------------------------------------

Calls = dict[Action, Callable[[IncidentService, str, IncidentClocks, Team], object]]
CALLS: Calls = {
    Action.RESPOND: lambda svc, inc, clocks, team: svc.respond(inc, "Hello"),
    Action.POST_UPDATE: lambda svc, inc, clocks, team: svc.post_status_update(
        inc, "status_page", "", "Still on it"
    ),
    Action.ASSIGN: lambda svc, inc, clocks, team: svc.assign(inc, team.lead.id),
    Action.NOTE: lambda svc, inc, clocks, team: svc.note(inc, "For the team"),
    Action.CHANGE_PRIORITY: lambda svc, inc, clocks, team: svc.change_priority(
        inc, "P2", "Only one region"
    ),
    Action.WAIT_ON_CUSTOMER: lambda svc, inc, clocks, team: svc.wait_on_customer(inc),
    Action.RESUME: lambda svc, inc, clocks, team: svc.resume(inc),
    Action.ESCALATE: lambda svc, inc, clocks, team: svc.escalate(inc, clocks.escalation_level + 1),
    Action.EXCLUDE: lambda svc, inc, clocks, team: svc.exclude(inc, "iii", "Their firewall"),
    Action.RESOLVE: lambda svc, inc, clocks, team: svc.resolve(inc, "Renewed"),
    Action.REOPEN: lambda svc, inc, clocks, team: svc.reopen(inc, "Back again"),
}


def _unanswered(svc: IncidentService, inc: str, clock: FakeClock) -> None:
    clock.advance(minutes=10)


def _answered(svc: IncidentService, inc: str, clock: FakeClock) -> None:
    clock.advance(minutes=5)
    svc.respond(inc, "On it")


def _waiting(svc: IncidentService, inc: str, clock: FakeClock) -> None:
    _answered(svc, inc, clock)
    svc.wait_on_customer(inc, "Logs?")


def _resolved(svc: IncidentService, inc: str, clock: FakeClock) -> None:
    _answered(svc, inc, clock)
    svc.resolve(inc, "Renewed")


def _excluded(svc: IncidentService, inc: str, clock: FakeClock) -> None:
    svc.exclude(inc, "iii", "Their firewall")


def _at_the_top(svc: IncidentService, inc: str, clock: FakeClock) -> None:
    clock.advance(minutes=16)
    svc.escalate(inc, 1)
    clock.advance(minutes=16)
    svc.escalate(inc, 2)


STATES: dict[str, Callable[[IncidentService, str, FakeClock], None]] = {
    "open, no response yet": _unanswered,
    "open, answered": _answered,
    "waiting on the customer": _waiting,
    "resolved": _resolved,
    "excluded": _excluded,
    "at the highest level": _at_the_top,
}


def test_every_action_has_a_call() -> None:
    assert set(CALLS) == set(Action)


@pytest.mark.parametrize("state", list(STATES))
def test_the_service_refuses_in_the_words_of_the_rules(
    state: str,
    store: SqliteStore,
    clock: FakeClock,
    hlc: HybridLogicalClock,
    team: Team,
    customers: Customers,
) -> None:
    service = IncidentService(store, clock, team.agent, WORKSTATION, hlc, zone=BERLIN)
    incident = service.open_incident(report(customers.premium)).id
    STATES[state](service, incident, clock)
    details = service.details(incident)
    reasons = refusals(details.clocks, details.policy, BERLIN)
    refused = [action for action in Action if reasons[action]]
    assert refused  # every state refuses something

    for action in refused:
        with pytest.raises(ValidationError) as excinfo:
            CALLS[action](service, incident, details.clocks, team)
        active = details.clocks.status in (Status.OPEN, Status.WAITING_ON_CUSTOMER)
        field = "level" if action is Action.ESCALATE and active else "incident"
        assert excinfo.value.errors == {field: reasons[action]}, action
        assert len(service.details(incident).events) == len(details.events)  # nothing saved
