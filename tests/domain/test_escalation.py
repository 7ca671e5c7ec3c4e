"""The escalation ladder: vendor side and customer side, in order, the next rung marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.domain.clock_model import ClockType
from console.domain.clocks import ClockState, IncidentClocks, Terms, evaluate
from console.domain.escalation import customer_ladder, ladder, standing, vendor_ladder
from console.domain.events import EventKind, IncidentEvent, Side
from console.domain.policy import EscalationLevel, load_default_policy
from console.domain.reading import read
from console.domain.records import Agent, Contact, Customer, EscalationContact, Role
from console.domain.wording import state_words

LEVELS = (
    EscalationLevel(1, "Support manager", ""),
    EscalationLevel(2, "Head of support", ""),
)
AGENT = Agent("a1", "Sofia Alvarez", Role.AGENT, "sofia@vendor.example")
E1 = (
    EscalationContact("e1a", 1, "Dana Whitfield", "Support manager", "dana@v.example", "+1 555"),
    EscalationContact("e1b", 1, "Luis Ortega", "", "luis@v.example"),
)
E2 = (EscalationContact("e2", 2, "Helen Park", "Head of support", phone="+44 20 7946 0001"),)


def customer(csm: str = "") -> Customer:
    contacts = tuple(
        Contact(f"c{n}", "cust", name, role, (f"{name.split()[0].lower()}@c.example",), ())
        for n, (name, role) in enumerate(
            [("Olivia Chen", "IT lead"), ("Maria Rossi", "Head of IT"), ("James Okafor", "CTO")]
        )
    )
    return Customer(
        id="cust",
        name="Northwind",
        plan="premium_plus",
        window_id="w",
        csm_name=csm,
        csm_email="rachel@vendor.example" if csm else "",
        contacts=contacts,
    )


def test_vendor_ladder_is_agent_then_escalation_1_then_2() -> None:
    rungs, gaps = vendor_ladder(AGENT, (*E2, *E1), LEVELS, contact_level=1)
    assert [(r.name, r.level) for r in rungs] == [
        ("Sofia Alvarez", 0),
        ("Dana Whitfield", 1),
        ("Luis Ortega", 1),
        ("Helen Park", 2),
    ]
    assert [r.reason for r in rungs] == [
        "Assigned agent",
        "Escalation 1",
        "Escalation 1",
        "Escalation 2",
    ]
    assert rungs[2].role == "Support manager"  # a contact without a role takes the level's
    assert [r.name for r in rungs if r.is_next] == ["Dana Whitfield", "Luis Ortega"]
    assert all(r.side is Side.VENDOR for r in rungs)
    assert gaps == ()


@pytest.mark.parametrize(
    ("level", "expected"),
    [(0, ["Sofia Alvarez"]), (1, ["Dana Whitfield", "Luis Ortega"]), (2, ["Helen Park"])],
)
def test_the_rung_to_contact_next_follows_the_level(level: int, expected: list[str]) -> None:
    rungs, _ = vendor_ladder(AGENT, (*E1, *E2), LEVELS, contact_level=level)
    assert [r.name for r in rungs if r.is_next] == expected


def test_a_level_without_contacts_is_a_gap_and_the_next_level_is_marked() -> None:
    rungs, gaps = vendor_ladder(None, E2, LEVELS, contact_level=1)
    assert [r.name for r in rungs] == ["Helen Park"]
    assert rungs[0].is_next
    assert gaps == (
        "No agent is assigned to this incident.",
        "No Escalation 1 contact (support manager) is set: a lead adds one in the policy settings.",
    )


def test_customer_ladder_puts_the_csm_first_then_the_list_in_order() -> None:
    rungs, gaps = customer_ladder(customer(csm="Rachel Adeyemi"))
    assert [r.name for r in rungs] == [
        "Rachel Adeyemi",
        "Olivia Chen",
        "Maria Rossi",
        "James Okafor",
    ]
    assert rungs[0].role == "Customer Success Manager"
    assert rungs[0].email == "rachel@vendor.example"
    assert [r.reason for r in rungs[1:]] == [
        "Support list, 1st",
        "Support list, 2nd",
        "Support list, 3rd",
    ]
    assert [r.is_next for r in rungs] == [True, False, False, False]
    assert gaps == ()


def test_without_a_csm_the_first_on_the_support_list_is_contacted_first() -> None:
    rungs, _ = customer_ladder(customer())
    assert [r.name for r in rungs][:1] == ["Olivia Chen"]
    assert rungs[0].is_next


def test_an_empty_support_list_or_a_missing_customer_is_said() -> None:
    empty = Customer(id="x", name="Acme", plan="standard", window_id="w")
    assert customer_ladder(empty) == ((), ("Acme has no one on its support list.",))
    assert customer_ladder(None)[1] == ("The customer of this incident no longer exists.",)


def test_ladder_joins_both_sides() -> None:
    both = ladder(
        customer=customer(csm="Rachel Adeyemi"),
        assignee=AGENT,
        contacts=(*E1, *E2),
        levels=LEVELS,
        contact_level=2,
    )
    assert [r.name for r in both.next_rungs(Side.VENDOR)] == ["Helen Park"]
    assert [r.name for r in both.next_rungs(Side.CUSTOMER)] == ["Rachel Adeyemi"]
    assert both.gaps == ()


# -- standing ---------------------------------------------------------------------------------

OPENED = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


def clocks_after(
    *steps: tuple[EventKind, timedelta, dict[str, object]], at: timedelta
) -> IncidentClocks:
    """A Premium Plus P1 (15 min on the wall clock) with ``steps`` after it was opened."""
    policy = load_default_policy()
    terms = Terms.of("premium_plus", policy.window("pacific"))
    opened = IncidentEvent(
        "ev0", "inc", EventKind.OPENED, OPENED, data={"priority": "P1", "channel": "web"}
    )
    events = [opened] + [
        IncidentEvent(f"ev{n}", "inc", kind, OPENED + offset, data=data)
        for n, (kind, offset, data) in enumerate(steps, start=1)
    ]
    return evaluate(events, terms, policy, OPENED + at)


def test_not_eligible_and_not_escalated_has_no_standing() -> None:
    assert standing(clocks_after(at=timedelta(minutes=10))) is None


def test_eligible_for_escalation_1_once_the_first_response_is_missed() -> None:
    found = standing(clocks_after(at=timedelta(minutes=40)))
    assert found is not None
    assert (found.level, found.eligible_level) == (0, 1)
    assert found.eligible_since == OPENED + timedelta(minutes=15)
    assert found.since == found.eligible_since
    assert found.escalated_at is None
    assert found.response.kind is ClockType.FIRST_RESPONSE
    assert found.reading.state is ClockState.BREACHED and found.urgent
    assert found.response_words(UTC) == "First response · breached · 25 m 00 s over"
    assert found.label == "Eligible for Escalation 1"
    assert found.contact_level == 1


@pytest.mark.parametrize(
    ("after", "state", "eligible"),
    [
        (timedelta(minutes=14, seconds=59), ClockState.AT_RISK, None),
        (timedelta(minutes=15), ClockState.AT_RISK, None),  # a response now still meets
        (timedelta(minutes=15, seconds=1), ClockState.BREACHED, 1),
    ],
)
def test_the_first_response_deadline_is_the_edge_of_eligibility(
    after: timedelta, state: ClockState, eligible: int | None
) -> None:
    clocks = clocks_after(at=after)
    found = standing(clocks)
    assert read(clocks).state is state
    if eligible is None:
        assert found is None
    else:
        assert found is not None and found.eligible_level == eligible and found.urgent


@pytest.mark.parametrize(
    ("after", "state", "words", "eligible"),
    [
        (timedelta(minutes=34, seconds=59), ClockState.AT_RISK, "0 m 01 s", None),
        (timedelta(minutes=35), ClockState.AT_RISK, "0 m 00 s", None),
        (timedelta(minutes=35, seconds=1), ClockState.BREACHED, "0 m 01 s over", 2),
    ],
)
def test_the_escalation_1_deadline_breaches_the_instant_after(
    after: timedelta, state: ClockState, words: str, eligible: int | None
) -> None:
    # escalated at 20 min: the Escalation 1 response is due at 35 min (15 min target)
    escalate = (EventKind.ESCALATED, timedelta(minutes=20), {"level": 1})
    found = standing(clocks_after(escalate, at=after))
    assert found is not None
    assert found.reading.kind is ClockType.ESCALATION_1
    assert found.reading.state is state and found.urgent
    assert found.eligible_level == eligible
    assert found.response_words(UTC) == f"Escalation 1 response · {state_words(state)} · {words}"


def test_at_escalation_1_then_eligible_for_escalation_2() -> None:
    escalate = (EventKind.ESCALATED, timedelta(minutes=20), {"level": 1})
    at_one = standing(clocks_after(escalate, at=timedelta(minutes=30)))
    assert at_one is not None
    assert (at_one.level, at_one.eligible_level) == (1, None)
    assert at_one.eligible_since is None  # nothing more earned yet
    assert at_one.escalated_at == OPENED + timedelta(minutes=20)
    assert at_one.since == at_one.escalated_at  # counts from when Escalation 1 was recorded
    assert at_one.label == "Escalation 1" and at_one.short_label == "At E1"
    assert at_one.response.kind is ClockType.ESCALATION_1

    later = standing(clocks_after(escalate, at=timedelta(minutes=50)))
    assert later is not None
    assert (later.level, later.eligible_level) == (1, 2)
    assert later.eligible_since == OPENED + timedelta(minutes=35)
    assert later.contact_level == 2
    assert later.short_label == "At E1, eligible for E2"
    assert later.since_sentences(OPENED + timedelta(minutes=50), UTC) == [
        "Escalation 1 recorded Tue 10 Mar 2026 17:20 UTC (30 m 00 s ago).",
        "Eligible for Escalation 2 since Tue 10 Mar 2026 17:35 UTC (15 m 00 s ago).",
    ]


def test_at_escalation_2_nothing_more_is_eligible_and_it_counts_from_the_recording() -> None:
    steps = (
        (EventKind.ESCALATED, timedelta(minutes=20), {"level": 1}),
        (EventKind.ESCALATED, timedelta(minutes=40), {"level": 2}),
    )
    now = OPENED + timedelta(minutes=49)
    found = standing(clocks_after(*steps, at=now - OPENED))
    assert found is not None
    assert (found.level, found.eligible_level, found.eligible_since) == (2, None, None)
    assert found.short_label == "At E2"
    assert found.since == OPENED + timedelta(minutes=40)
    assert found.since_sentences(now, UTC) == [
        "Escalation 2 recorded Tue 10 Mar 2026 17:40 UTC (9 m 00 s ago)."
    ]
    assert found.response_words(UTC) == "Escalation 2 response · at risk · 6 m 00 s"


def test_a_response_to_the_escalation_stops_its_clock() -> None:
    steps = (
        (EventKind.ESCALATED, timedelta(minutes=20), {"level": 1}),
        (EventKind.RESPONDED, timedelta(minutes=25), {"text": "On it"}),
    )
    found = standing(clocks_after(*steps, at=timedelta(minutes=60)))
    assert found is not None
    assert found.level == 1 and found.eligible_level is None
    assert not found.response.is_live and found.response.answered
    assert not found.reading.is_live and not found.urgent and not found.responded_late
    assert found.response_words(UTC) == "Escalation 1 response · responded"


def test_a_late_first_response_keeps_the_right_to_escalate_but_is_not_urgent() -> None:
    respond = (EventKind.RESPONDED, timedelta(minutes=30), {"text": "Sorry for the wait"})
    clocks = clocks_after(respond, at=timedelta(minutes=40))
    found = standing(clocks)
    assert found is not None
    assert found.eligible_level == 1 and found.may_escalate
    assert read(clocks).kind is ClockType.STATUS_UPDATE  # what the agent acts on next
    assert found.responded_late and not found.urgent
    assert found.response_words(UTC) == "First response · responded late"
    assert found.response_sentences(UTC) == [
        "First response · responded late",
        "Answered after its deadline: the customer may still escalate.",
    ]
