"""The escalation panel's read model: who is on the list, in which order, and who to call."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from console.domain.clock_model import INSTANT, ClockState, ClockType
from console.services.clock_reader import ClockReader
from console.services.escalations import EscalationService
from console.services.incidents import IncidentService
from console.services.open_incidents import OpenIncidentReader
from console.services.policy import PolicyService
from db.store import SqliteStore
from tests.services.conftest import START, Customers, FakeClock, Team, report


@pytest.fixture
def service(store: SqliteStore, clock: FakeClock) -> EscalationService:
    return EscalationService(store, OpenIncidentReader(store, clock))


@pytest.fixture
def ladder_contacts(policy_service: PolicyService) -> None:
    policy_service.add_escalation_contact(1, "Dana Whitfield", "Support manager", "dana@v.example")
    policy_service.add_escalation_contact(2, "Helen Park", "Head of support", "helen@v.example")


def test_escalations_lists_eligible_and_escalated_incidents(
    service: EscalationService,
    incidents: IncidentService,
    customers: Customers,
    clock: FakeClock,
    team: Team,
    ladder_contacts: None,
) -> None:
    late = incidents.open_incident(report(customers.premium, title="Checkout down"))
    calm = incidents.open_incident(report(customers.premium, title="Typo", proposed_priority="P4"))
    incidents.assign(late.id, team.agent.id)
    assert service.escalations() == []

    clock.advance(minutes=20)  # the 15-minute first response was missed
    [item] = service.escalations()
    assert item.summary.id == late.id != calm.id
    assert (item.standing.level, item.standing.eligible_level) == (0, 1)
    assert item.standing.eligible_since == START + timedelta(minutes=15)

    ladder = service.ladder(item)
    assert [r.name for r in ladder.vendor] == ["Sofia Alvarez", "Dana Whitfield", "Helen Park"]
    assert [r.name for r in ladder.vendor if r.is_next] == ["Dana Whitfield"]
    assert [r.name for r in ladder.customer] == ["Rachel Adeyemi", "Olivia Chen", "Maria Rossi"]
    assert ladder.customer[0].is_next

    incidents.escalate(late.id, 1, "No answer")
    [item] = service.escalations()
    assert (item.standing.level, item.standing.eligible_level) == (1, None)
    assert item.standing.since == clock.now()  # since Escalation 1 was recorded
    assert [r.name for r in service.ladder(item).vendor if r.is_next] == ["Dana Whitfield"]


def test_resolved_incidents_leave_the_escalation_list(
    service: EscalationService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    late = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=30)
    assert len(service.escalations()) == 1
    incidents.resolve(late.id, "Fixed")
    assert service.escalations() == []


def test_urgent_responses_come_first_and_a_late_response_is_not_urgent(
    service: EscalationService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    answered_late = incidents.open_incident(report(customers.premium, title="Answered late"))
    clock.advance(minutes=5)
    incidents.open_incident(report(customers.premium, title="Never answered"))
    clock.advance(minutes=20)  # both first responses missed (due at 15 and at 20 minutes)
    incidents.respond(answered_late.id, "Sorry for the wait")
    escalated = incidents.open_incident(report(customers.premium, title="Escalated"))
    clock.advance(minutes=16)
    incidents.escalate(escalated.id, 1, "No answer")  # its Escalation 1 response: 15 min
    clock.advance(minutes=10)  # 5 minutes left: at risk

    items = service.escalations()
    assert [i.summary.title for i in items] == ["Never answered", "Escalated", "Answered late"]
    never, at_e1, late = (i.standing for i in items)
    assert never.urgent and never.reading.state is ClockState.BREACHED
    assert at_e1.urgent and at_e1.reading.state is ClockState.AT_RISK
    assert at_e1.reading.kind is ClockType.ESCALATION_1
    assert late.responded_late and not late.urgent and late.may_escalate
    assert late.response_words(UTC) == "First response · responded late"


def test_an_item_moves_with_arithmetic_and_is_read_again_at_its_next_change(
    service: EscalationService,
    store: SqliteStore,
    incidents: IncidentService,
    customers: Customers,
    clock: FakeClock,
) -> None:
    summary = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=16)
    incidents.escalate(summary.id, 1, "No answer")  # Escalation 1 response due in 15 min
    [item] = service.escalations()
    deadline = item.standing.reading.deadline
    assert deadline == clock.now() + timedelta(minutes=15)
    assert item.standing.reading.state is ClockState.AT_RISK  # a 15-minute target: from the start
    assert item.changes_at == deadline + INSTANT  # the next change: the breach

    for at, state, eligible in (
        (deadline - timedelta(seconds=1), ClockState.AT_RISK, None),
        (deadline, ClockState.AT_RISK, None),
        (deadline + timedelta(seconds=1), ClockState.BREACHED, 2),
    ):
        moved = item.at(at)
        assert moved.standing.reading.state is state
        assert moved.standing.eligible_level == eligible
        with store.read() as tx:  # what a fresh read at that instant says
            again = ClockReader(tx).clocks(incidents.summary(summary.id), at)
        assert moved.standing.reading.wall == deadline - at
        assert again.escalation_1.state is state
