"""A small real SQLite store for the customer screens and the policy editor.

Three customers whose support lists stand differently against the 90-day threshold:
Northwind (Premium Plus, Pacific; three contacts, confirmed 10 days ago), Hollybrook
(Standard, GMT; one contact, confirmed 120 days ago: stale) and Orchard (Premium, Australian
Eastern; two contacts, never confirmed: stale). A lead and an agent are registered; build a
context for either with ``world.context(world.lead)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.services.agents import AgentService
from console.services.context import ConsoleContext
from console.services.customers import CustomerService
from console.services.ranking import ordered_by_rank
from console.services.seed import builtin_window_id, seed_defaults
from db.engine import open_database
from db.store import SqliteStore
from tests.ui.incident_fixtures import AGENT_ZONE, START, FakeClock


@dataclass
class CustomersWorld:
    store: SqliteStore
    clock: FakeClock
    hlc: HybridLogicalClock
    path: Path
    lead: Agent
    agent: Agent
    northwind: str
    hollybrook: str
    orchard: str

    def context(self, actor: Agent) -> ConsoleContext:
        return ConsoleContext.build(
            store=self.store,
            clock=self.clock,
            actor=actor,
            workstation_id="ws-test",
            hlc=self.hlc,
            agent_zone=AGENT_ZONE,
            db_path=str(self.path),
        )

    def service(self) -> CustomerService:
        return CustomerService(self.store, self.clock, self.lead, self.hlc)

    def names(self, customer_id: str) -> list[str]:
        """The support list in its stored order."""
        customer = self.service().customer(customer_id)
        return [c.name for c in ordered_by_rank(customer.contacts)]


def build_world(path: Path) -> CustomersWorld:
    clock = FakeClock()
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    hlc = HybridLogicalClock("ws-test", lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    agents = AgentService(store, hlc)
    lead = agents.register("Marcus Webb", Role.LEAD, "marcus.webb@vendor.example")
    agent = agents.register("Sofia Alvarez", Role.AGENT, "sofia.alvarez@vendor.example")
    service = CustomerService(store, clock, lead, hlc)

    northwind = service.create_customer(
        "Northwind Freight",
        "premium_plus",
        builtin_window_id("pacific"),
        csm_name="Rachel Adeyemi",
        csm_email="rachel.adeyemi@vendor.example",
    )
    for name, role, email in (
        ("Olivia Chen", "IT support lead", "olivia.chen@northwind.example"),
        ("James Okafor", "Systems administrator", "james.okafor@northwind.example"),
        ("Maria Rossi", "Head of IT", "maria.rossi@northwind.example"),
    ):
        service.add_contact(northwind.id, name, role, [email], ["+1 415 555 0134"])
    clock.set(START - timedelta(days=10))
    service.confirm_list(northwind.id)

    hollybrook = service.create_customer(
        "Hollybrook Primary Trust", "standard", builtin_window_id("gmt")
    )
    service.add_contact(
        hollybrook.id, "Grace Murphy", "Service manager", ["grace.murphy@hollybrook.example"]
    )
    clock.set(START - timedelta(days=120))
    service.confirm_list(hollybrook.id)

    orchard = service.create_customer(
        "Orchard & Vine Wines", "premium", builtin_window_id("australian_eastern")
    )
    service.add_contact(orchard.id, "Liam Walsh", "Owner", ["liam@orchard.example"])
    service.add_contact(orchard.id, "Ava Brown", "Office manager", ["ava@orchard.example"])
    clock.set(START)
    return CustomersWorld(
        store=store,
        clock=clock,
        hlc=hlc,
        path=path,
        lead=lead,
        agent=agent,
        northwind=northwind.id,
        hollybrook=hollybrook.id,
        orchard=orchard.id,
    )


@pytest.fixture
def customers_world(tmp_path: Path) -> Iterator[CustomersWorld]:
    world = build_world(tmp_path / "console.sqlite3")
    yield world
    world.store.close()
