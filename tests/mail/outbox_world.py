"""A console's database with a customer, incidents and a sending account, for the outbox
sending tests (and the child process the SIGKILL test starts on the same file)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from console.domain.ids import HybridLogicalClock
from console.domain.outbound import SmtpAccount
from console.domain.records import Agent, Customer, Role
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.outbox import OutboxService
from console.services.seed import builtin_window_id, seed_defaults
from db.engine import open_database
from db.store import SqliteStore
from tests.clock import ManualClock
from tests.services.conftest import START, report

SENDER = Agent(id="", name="Mail sender", role=Role.AGENT)


@dataclass
class World:
    path: Path
    store: SqliteStore
    clock: ManualClock
    hlc: HybridLogicalClock
    incidents: IncidentService
    outbox: OutboxService
    customer: Customer | None = None

    closed: bool = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.store.close()

    def open_incident(self, title: str = "Checkout returns 502") -> str:
        assert self.customer is not None
        return self.incidents.open_incident(report(self.customer, title=title)).id


def open_world(path: Path, at: datetime = START, workstation: str = "ws-test") -> World:
    """The services on the database at ``path`` (made and seeded when new), clock at ``at``."""
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    clock = ManualClock(at)
    hlc = HybridLogicalClock(workstation, lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    incidents = IncidentService(store, clock, SENDER, workstation, hlc)
    outbox = OutboxService(store, clock, incidents, SENDER)
    return World(path, store, clock, hlc, incidents, outbox)


def new_world(path: Path, account: SmtpAccount, contacts: int = 1, at: datetime = START) -> World:
    """A fresh database: a lead, a customer whose support list has ``contacts`` addresses
    (``c0@customer.example`` …) and a CSM, and ``account`` to send through."""
    world = open_world(path, at)
    agents = AgentService(world.store, world.hlc)
    lead = agents.register("Marcus Webb", Role.LEAD, "marcus@vendor.example")
    agent = agents.register("Sofia Alvarez", Role.AGENT, "sofia@vendor.example")
    customers = CustomerService(world.store, world.clock, agent, world.hlc)
    customer = customers.create_customer(
        "Northwind Freight",
        "premium_plus",
        builtin_window_id("pacific"),
        csm_name="Rachel Adeyemi",
        csm_email="rachel@vendor.example",
    )
    for n in range(contacts):
        customers.add_contact(customer.id, f"Contact {n}", "IT", [f"c{n}@customer.example"])
    world.customer = customers.customer(customer.id)
    world.incidents = IncidentService(world.store, world.clock, agent, "ws-test", world.hlc)
    world.outbox = OutboxService(world.store, world.clock, world.incidents, agent)
    OutboxService(world.store, world.clock, world.incidents, lead).accounts.save(account)
    return world
