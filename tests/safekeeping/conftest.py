"""A real database with a customer and a few incidents, a clock that moves only when told,
and a tiny disk (tmpfs) to fill up."""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from console.domain.ids import HybridLogicalClock
from console.domain.records import Customer, Role
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.seed import builtin_window_id, seed_defaults
from db.store import SqliteStore
from tests.services.conftest import WORKSTATION, FakeClock, make_store, report


@dataclass
class World:
    path: Path
    store: SqliteStore
    clock: FakeClock
    incidents: IncidentService
    customer: Customer

    def open_incident(self, title: str) -> str:
        return self.incidents.open_incident(report(self.customer, title=title)).id

    def titles(self) -> set[str]:
        return titles_in(self.path)


def titles_in(path: Path) -> set[str]:
    """The incident titles stored in a database file (read with plain SQLite)."""
    import sqlite3

    connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("SELECT title FROM incidents")}
    finally:
        connection.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def build_world(path: Path, clock: FakeClock) -> World:
    hlc = HybridLogicalClock(WORKSTATION, lambda: int(clock.now().timestamp() * 1000))
    store = make_store(path)
    seed_defaults(store, clock, hlc)
    agent = AgentService(store, hlc).register("Sofia Alvarez", Role.AGENT, "sofia@vendor.example")
    customers = CustomerService(store, clock, agent, hlc)
    created = customers.create_customer("Northwind Freight", "premium", builtin_window_id("gmt"))
    customers.add_contact(created.id, "Olivia Chen", "IT lead", ["olivia@northwind.example"])
    world = World(
        path=path,
        store=store,
        clock=clock,
        incidents=IncidentService(store, clock, agent, WORKSTATION, hlc),
        customer=customers.customer(created.id),
    )
    for n in range(3):
        world.open_incident(f"Checkout fails {n}")
    return world


@pytest.fixture
def world(tmp_path: Path, clock: FakeClock) -> Iterator[World]:
    world = build_world(tmp_path / "data" / "console.sqlite3", clock)
    yield world
    world.store.close()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Callable[[int], Path | None]]:
    """``tiny_disk(bytes)``: a freshly mounted tmpfs of that size, or None where mounting is
    not allowed (the caller then injects the failure instead)."""
    mounted: list[Path] = []

    def mount(size: int) -> Path | None:
        point = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            return None
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        with contextlib.suppress(OSError):
            subprocess.run(["umount", str(point)], capture_output=True, check=False)
