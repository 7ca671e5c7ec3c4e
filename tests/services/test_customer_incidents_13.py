"""Issue 13: each customer's incidents, open then past, read on a real SQLite store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from console.domain.outcomes import Outcome
from console.domain.records import Status
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from db.store import SqliteStore
from tests.services.conftest import Customers, FakeClock, Team, report


def test_open_first_with_live_state_then_past_newest_resolved_first(
    customer_service: CustomerService,
    incidents: IncidentService,
    customers: Customers,
    clock: FakeClock,
    team: Team,
) -> None:
    premium = customers.premium
    old = incidents.open_incident(report(premium, title="Old outage"))
    clock.advance(timedelta(minutes=5))
    incidents.respond(old.id, "Looking.")  # first response met
    clock.advance(timedelta(minutes=5))
    late = incidents.open_incident(report(premium, title="Never answered"))
    clock.advance(timedelta(minutes=5))
    current = incidents.open_incident(report(premium, title="Checkout down"))
    incidents.assign(current.id, team.agent.id)
    clock.advance(timedelta(minutes=5))
    incidents.resolve(old.id, "Fixed the cache.")
    clock.advance(timedelta(minutes=5))
    incidents.resolve(late.id, "Went away.")  # resolved without a response: missed
    incidents.open_incident(report(customers.standard, title="Someone else's", priority="P2"))

    read = customer_service.incidents(premium.id)

    assert (read.open_count, read.past_count) == (1, 2)
    (row,) = read.open
    assert row.summary.title == "Checkout down"
    assert row.assignee == "Sofia Alvarez"
    assert row.live.startswith("First response · ")  # the live reading, in words
    assert [p.summary.title for p in read.past] == ["Never answered", "Old outage"]
    assert [p.outcome for p in read.past] == [Outcome.MISSED, Outcome.MET]
    assert all(p.summary.status is Status.RESOLVED for p in read.past)
    assert not read.more_past


def test_past_incidents_page_by_page(
    customer_service: CustomerService,
    incidents: IncidentService,
    customers: Customers,
    clock: FakeClock,
) -> None:
    for n in range(7):
        opened = incidents.open_incident(report(customers.premium, title=f"Case {n}"))
        clock.advance(timedelta(minutes=1))
        incidents.resolve(opened.id, "Done.")

    first = customer_service.incidents(customers.premium.id, past_limit=3)
    assert first.past_count == 7 and first.more_past
    assert [p.summary.title for p in first.past] == ["Case 6", "Case 5", "Case 4"]
    rest = customer_service.past_incidents(customers.premium.id, offset=3, limit=10)
    assert [p.summary.title for p in rest] == ["Case 3", "Case 2", "Case 1", "Case 0"]


def test_a_customer_without_incidents_reads_empty(
    customer_service: CustomerService, customers: Customers
) -> None:
    read = customer_service.incidents(customers.standard.id)
    assert (read.open, read.past, read.open_count, read.past_count) == ((), (), 0, 0)


def test_the_past_page_is_read_through_the_customer_index(store: SqliteStore) -> None:
    """A customer's incidents are found by ``ix_incidents_customer``, never by a table scan."""
    with store.read() as tx:
        session = tx.incidents._s  # type: ignore[attr-defined]
        plan = session.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT * FROM incidents WHERE customer_id = 'x' "
                "AND status NOT IN ('open', 'waiting_on_customer') "
                "ORDER BY resolved_at DESC, pk DESC LIMIT 50"
            )
        ).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "ix_incidents_customer" in details
