"""Services on a real SQLite store, a clock that moves only when a test moves it, a team."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Customer, Role
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.incidents import IncidentService, NewIncident
from console.services.policy import PolicyService
from console.services.seed import builtin_window_id, seed_defaults
from db.engine import open_database
from db.store import SqliteStore
from tests.clock import ManualClock

# Tuesday 10 March 2026, 17:00 UTC: 10:00 PDT (Pacific open), 17:00 GMT (open until 17:30).
START = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
WORKSTATION = "ws-test"


class FakeClock(ManualClock):
    def __init__(self, start: datetime = START) -> None:
        super().__init__(start)


@dataclass(frozen=True)
class Team:
    admin: Agent
    lead: Agent
    agent: Agent
    other: Agent


@dataclass(frozen=True)
class Customers:
    premium: Customer  # Premium Plus, Pacific: the customer proposes the priority
    standard: Customer  # Standard, GMT: the vendor classifies


def make_store(path: Path) -> SqliteStore:
    return SqliteStore(open_database(path, backup=False, quick_check=False))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hlc(clock: FakeClock) -> HybridLogicalClock:
    return HybridLogicalClock(WORKSTATION, lambda: int(clock.now().timestamp() * 1000))


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock, hlc: HybridLogicalClock) -> Iterator[SqliteStore]:
    store = make_store(tmp_path / "t.sqlite3")
    seed_defaults(store, clock, hlc)
    yield store
    store.close()


@pytest.fixture
def team(store: SqliteStore, hlc: HybridLogicalClock) -> Team:
    agents = AgentService(store, hlc)
    return Team(
        admin=agents.register("Priya Raman", Role.ADMIN, "priya@vendor.example"),
        lead=agents.register("Marcus Webb", Role.LEAD, "marcus@vendor.example"),
        agent=agents.register("Sofia Alvarez", Role.AGENT, "sofia@vendor.example"),
        other=agents.register("Tom Becker", Role.AGENT, "tom@vendor.example"),
    )


@pytest.fixture
def customer_service(
    store: SqliteStore, clock: FakeClock, team: Team, hlc: HybridLogicalClock
) -> CustomerService:
    return CustomerService(store, clock, team.agent, hlc)


@pytest.fixture
def policy_service(
    store: SqliteStore, clock: FakeClock, team: Team, hlc: HybridLogicalClock
) -> PolicyService:
    return PolicyService(store, clock, team.lead, hlc)


@pytest.fixture
def customers(customer_service: CustomerService) -> Customers:
    svc = customer_service
    premium = svc.create_customer(
        "Northwind Freight",
        "premium_plus",
        builtin_window_id("pacific"),
        csm_name="Rachel Adeyemi",
        csm_email="rachel@vendor.example",
    )
    svc.add_contact(premium.id, "Olivia Chen", "IT lead", ["olivia@northwind.example"])
    svc.add_contact(premium.id, "Maria Rossi", "Head of IT", ["maria@northwind.example"])
    standard = svc.create_customer("Hollybrook Trust", "standard", builtin_window_id("gmt"))
    svc.add_contact(standard.id, "Grace Murphy", "Service manager", ["grace@hollybrook.example"])
    return Customers(svc.customer(premium.id), svc.customer(standard.id))


@pytest.fixture
def incidents(
    store: SqliteStore, clock: FakeClock, team: Team, hlc: HybridLogicalClock
) -> IncidentService:
    return IncidentService(store, clock, team.agent, WORKSTATION, hlc)


def report(customer: Customer, **changes: object) -> NewIncident:
    """A complete enough report from the customer's first contact."""
    values: dict[str, object] = {
        "customer_id": customer.id,
        "contact_id": customer.contacts[0].id,
        "title": "Checkout returns 502",
        "channel": "web",
        "proposed_priority": "P1",
        "affected": "Checkout",
    }
    values.update(changes)
    return NewIncident(**values)  # type: ignore[arg-type]
