"""First-response attainment as a lead reads it in history review: met, missed, by plan."""

from __future__ import annotations

from datetime import timedelta

from console.services.incidents import IncidentService
from console.services.ports import IncidentFilter
from db.store import SqliteStore
from tests.services.conftest import Customers, FakeClock, report


def test_attainment_counts_each_met_and_missed_response_under_its_plan(
    store: SqliteStore, clock: FakeClock, incidents: IncidentService, customers: Customers
) -> None:
    # Three Premium Plus P1s answered within 15 minutes, one answered late, one never answered.
    for _ in range(3):
        opened = incidents.open_incident(report(customers.premium, proposed_priority="P1"))
        clock.advance(minutes=5)
        incidents.respond(opened.id, "Looking into it now.")
    late = incidents.open_incident(report(customers.premium, proposed_priority="P1"))
    clock.advance(minutes=20)
    incidents.respond(late.id, "Sorry for the wait.")
    silent = incidents.open_incident(report(customers.premium, proposed_priority="P1"))
    clock.advance(hours=1)

    with store.read() as tx:
        rows = tx.incidents.attainment(IncidentFilter(), clock.now())
        stored = tx.incidents.summary(silent.id)

    assert stored is not None and stored.plan == "premium_plus"
    assert [(r.priority, r.plan, r.met, r.missed) for r in rows] == [("P1", "premium_plus", 3, 2)]


def test_attainment_filters_by_the_plan_that_governed_the_incident(
    store: SqliteStore, clock: FakeClock, incidents: IncidentService, customers: Customers
) -> None:
    premium = incidents.open_incident(report(customers.premium, proposed_priority="P2"))
    incidents.respond(premium.id, "On it.")
    standard = incidents.open_incident(report(customers.standard, priority="P2"))
    clock.advance(timedelta(days=7))

    with store.read() as tx:
        rows = tx.incidents.attainment(IncidentFilter(plans=("standard",)), clock.now())
        found = tx.incidents.find(IncidentFilter(plans=("standard",)), limit=10)

    assert [row.plan for row in rows] == ["standard"]
    assert [s.id for s in found] == [standard.id]
