"""First-response attainment as a lead reads it in history review: met, missed, by plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.services.customers import CustomerService
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


def test_several_customers_narrow_the_list_the_count_and_attainment(
    store: SqliteStore,
    clock: FakeClock,
    incidents: IncidentService,
    customers: Customers,
    customer_service: CustomerService,
) -> None:
    third = customer_service.create_customer(
        "Koala Creek Wines", "standard", customers.standard.window_id
    )
    customer_service.add_contact(third.id, "Jack Nguyen", "Owner", ["jack@koala.example"])
    third = customer_service.customer(third.id)
    opened = {
        c.id: incidents.open_incident(report(c, priority="P2", proposed_priority="P2")).id
        for c in (customers.premium, customers.standard, third)
    }
    clock.advance(timedelta(days=7))
    both = IncidentFilter(customer_ids=(customers.premium.id, third.id))

    with store.read() as tx:
        found = tx.incidents.find(both, limit=10)
        counted = tx.incidents.count(both)
        rows = tx.incidents.attainment(both, clock.now())
        one = tx.incidents.count(IncidentFilter(customer_ids=(third.id,)))
        every = tx.incidents.count(IncidentFilter())

    assert {s.id for s in found} == {opened[customers.premium.id], opened[third.id]}
    assert (counted, one, every) == (2, 1, 3)
    assert sorted((r.plan, r.missed) for r in rows) == [("premium_plus", 1), ("standard", 1)]


def test_a_first_response_counts_in_the_month_of_its_deadline_until_then_pending(
    store: SqliteStore, clock: FakeClock, incidents: IncidentService, customers: Customers
) -> None:
    # Friday 27 February 2026, 16:00 GMT: a Standard P4 (3 business days) falls due in March.
    clock.set(datetime(2026, 2, 27, 16, 0, tzinfo=UTC))
    late_in_month = incidents.open_incident(report(customers.standard, priority="P4"))
    due = incidents.summary(late_in_month.id).outcome_due
    assert due is not None and due.month == 3

    with store.read() as tx:
        before = tx.incidents.attainment(IncidentFilter(), due)  # at the deadline itself
        after = tx.incidents.attainment(IncidentFilter(), due + timedelta(seconds=1))
        received_in_february = IncidentFilter(
            opened_from=datetime(2026, 2, 1, tzinfo=UTC), opened_to=datetime(2026, 3, 1, tzinfo=UTC)
        )
        in_period = tx.incidents.attainment(received_in_february, due)

    assert [(r.priority, r.plan, r.month, r.met, r.missed, r.pending) for r in before] == [
        ("P4", "standard", "2026-03", 0, 0, 1)
    ]
    assert [(r.month, r.missed, r.pending) for r in after] == [("2026-03", 1, 0)]
    assert in_period == before  # filtered on when it was received, counted by its deadline
