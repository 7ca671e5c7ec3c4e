"""A small real SQLite store for the incident screens: two customers, a team, a fixed clock.

Import the fixtures into a test module (``from tests.ui.incident_fixtures import ...``).
Northwind (Premium Plus, Pacific) lets the customer propose the priority; Hollybrook
(Standard, GMT) has the vendor classify it. Northwind's support list is reordered after
the contacts were added, so its order differs from the order they were created in.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Customer, IncidentSummary, Role
from console.qt import ticker as ticker_module
from console.qt.settings import Settings
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.agents import AgentService
from console.services.context import ConsoleContext
from console.services.customers import CustomerService
from console.services.incidents import NewIncident
from console.services.seed import builtin_window_id, seed_defaults
from console.ui.incident.detail import IncidentDetailView
from console.ui.shell.main_window import MainWindow
from db.engine import open_database
from db.store import SqliteStore
from tests.clock import ManualClock
from tests.ui.conftest import FakeTimer

# Tuesday 10 March 2026, 17:00 UTC: 10:00 PDT in the Pacific window, 17:00 in GMT.
START = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
AGENT_ZONE = ZoneInfo("Europe/Berlin")


class FakeClock(ManualClock):
    def __init__(self, start: datetime = START) -> None:
        super().__init__(start)


@dataclass(frozen=True)
class IncidentWorld:
    context: ConsoleContext
    clock: FakeClock
    premium: Customer  # customer proposes the priority
    standard: Customer  # vendor classifies
    agents: tuple[Agent, ...]

    def incident_count(self) -> int:
        with self.context.store.read() as tx:
            return sum(1 for _ in tx.incidents.all_ids())


def _build(path: Path, clock: FakeClock) -> tuple[SqliteStore, IncidentWorld]:
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    hlc = HybridLogicalClock("ws-test", lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    agents = AgentService(store, hlc)
    lead = agents.register("Marcus Webb", Role.LEAD, "marcus.webb@vendor.example")
    sofia = agents.register("Sofia Alvarez", Role.AGENT, "sofia.alvarez@vendor.example")
    customers = CustomerService(store, clock, lead, hlc)
    premium = customers.create_customer(
        "Northwind Freight",
        "premium_plus",
        builtin_window_id("pacific"),
        csm_name="Rachel Adeyemi",
        csm_email="rachel.adeyemi@vendor.example",
    )
    olivia = customers.add_contact(
        premium.id, "Olivia Chen", "IT support lead", ["olivia.chen@northwind.example"]
    )
    customers.add_contact(
        premium.id, "James Okafor", "Systems administrator", ["james.okafor@northwind.example"]
    )
    maria = customers.add_contact(
        premium.id, "Maria Rossi", "Head of IT", ["maria.rossi@northwind.example"]
    )
    customers.move_contact(maria.id, olivia.id, None)  # Olivia, Maria, James
    standard = customers.create_customer(
        "Hollybrook Primary Trust", "standard", builtin_window_id("gmt")
    )
    customers.add_contact(
        standard.id, "Grace Murphy", "Service manager", ["grace.murphy@hollybrook.example"]
    )
    context = ConsoleContext.build(
        store=store,
        clock=clock,
        actor=sofia,
        workstation_id="ws-test",
        hlc=hlc,
        agent_zone=AGENT_ZONE,
        db_path=str(path),
    )
    world = IncidentWorld(
        context=context,
        clock=clock,
        premium=customers.customer(premium.id),
        standard=customers.customer(standard.id),
        agents=(lead, sofia),
    )
    return store, world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[IncidentWorld]:
    store, built = _build(tmp_path / "console.sqlite3", FakeClock())
    yield built
    store.close()


@pytest.fixture
def dispatcher(qtbot: object) -> Iterator[Dispatcher]:
    jobs = Dispatcher()
    yield jobs
    jobs.wait_for_done()
    # Collect this test's reference cycles here, on the GUI thread: a collection that a
    # worker thread happens to trigger must never be the one to free Qt objects.
    gc.collect()


def make_ticker(world: IncidentWorld, monkeypatch: pytest.MonkeyPatch) -> SlaTicker:
    """The one scheduler of live time on the world's clock; its timers never fire by
    themselves, so a test moves time with ``world.clock`` and calls ``ticker.tick()``."""
    monkeypatch.setattr(ticker_module, "QTimer", FakeTimer)
    return SlaTicker(world.clock)


@pytest.fixture
def view(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> Iterator[IncidentDetailView]:
    """The incident detail view, shown at 1366×768, on a ticker the test drives
    (``view.ticker.tick()``); waits for its jobs when the test ends."""
    widget = IncidentDetailView(world.context, dispatcher, make_ticker(world, monkeypatch))
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not dispatcher.busy)


def open_p1(world: IncidentWorld, **report: object) -> IncidentSummary:
    """A P1 incident for Northwind, reported on the web by its first contact."""
    customer = world.premium
    return world.context.incidents.open_incident(
        NewIncident(
            customer_id=customer.id,
            contact_id=customer.contacts[0].id,
            title="Checkout returns 502 Bad Gateway",
            channel="web",
            proposed_priority="P1",
            **report,  # type: ignore[arg-type]
        )
    )


def open_standard(world: IncidentWorld, title: str, priority: str = "P3") -> IncidentSummary:
    """A Hollybrook incident (the vendor classifies it), reported by its one contact."""
    customer = world.standard
    return world.context.incidents.open_incident(
        NewIncident(
            customer_id=customer.id,
            contact_id=customer.contacts[0].id,
            title=title,
            channel="web",
            priority=priority,
        )
    )


def show_main_window(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher, ini: Path
) -> MainWindow:
    """The console's main window at 1366×768, shown, active, its queue's clocks worked out."""
    window = MainWindow(world.context, dispatcher, Settings(ini))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    with qtbot.waitSignal(window.queue.clocks_ready, timeout=20_000):
        window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


@pytest.fixture
def window(
    qtbot: Any,
    world: IncidentWorld,
    dispatcher: Dispatcher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MainWindow]:
    """The main window over ``world``, with the ticker's timers under the test's control."""
    monkeypatch.setattr(ticker_module, "QTimer", FakeTimer)
    win = show_main_window(qtbot, world, dispatcher, tmp_path / "settings.ini")
    yield win
    qtbot.waitUntil(lambda: not dispatcher.busy)
