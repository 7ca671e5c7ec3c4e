"""Replicas for the sync tests and benchmark: a real SQLite file, the real services, a client.

Each replica has its own clock: a shared "true" time plus its own skew, so hybrid logical
clocks meet skewed wall clocks the way real workstations do.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import psycopg

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.policy import PolicyService
from console.services.seed import seed_defaults
from console.services.sync import projection_rebuilder
from console.services.workstation import workstation
from db.engine import open_database
from db.store import SqliteStore
from db.sync import tables
from db.sync.client import SyncClient, enable_capture
from db.sync.transport import PgTransport, Transport

# Tuesday 10 March 2026, 17:00 UTC.
START = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


class TrueTime:
    """The time every replica's clock is skewed from; moves only when a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def advance(self, **units: float) -> None:
        self.now += timedelta(**units)


@dataclass
class SkewedClock:
    truth: TrueTime
    skew: timedelta = timedelta(0)

    def now(self) -> datetime:
        return self.truth.now + self.skew

    def millis(self) -> int:
        return int(self.now().timestamp() * 1000)


@dataclass
class Replica:
    name: str
    path: Path
    store: SqliteStore
    clock: SkewedClock
    hlc: HybridLogicalClock
    workstation_id: str
    agent: Agent
    customers: CustomerService
    incidents: IncidentService
    policy: PolicyService
    client: SyncClient
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def database(self):  # type: ignore[no-untyped-def]
        return self.store.database

    def sync(self) -> Any:
        return self.client.sync()

    def close(self) -> None:
        self.client.transport.close()
        self.store.close()


@cache
def _empty_database() -> Path:
    """A database at the head revision with nothing in it, made once per process."""
    folder = Path(tempfile.mkdtemp(prefix="sync-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "empty.sqlite3"
    open_database(path, backup=False).close()
    return path


def make_replica(
    folder: Path,
    name: str,
    conninfo: str,
    *,
    team: str = "support",
    truth: TrueTime | None = None,
    skew: timedelta = timedelta(0),
    role: Role = Role.LEAD,
    wrap: Callable[[Transport], Transport] | None = None,
    capture_first: bool = False,
    pull_batch: int = 2000,
    push_batch: int = 1000,
    login: tuple[str, str] | None = None,
) -> Replica:
    """A replica syncing as the server's administrator, or as ``login`` (a member role and
    its password, over TCP with SCRAM) when given."""
    if login is not None:
        conninfo = member_conninfo(conninfo, *login)
    clock = SkewedClock(truth or TrueTime(), skew)
    path = folder / f"{name}.sqlite3"
    reopened = path.exists()
    if not reopened:  # migrating each file anew would cost more than the test itself
        shutil.copyfile(_empty_database(), path)
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    if capture_first:
        enable_capture(store.database)
    station = workstation(store)
    hlc = HybridLogicalClock(station.id, clock.millis)
    agents = AgentService(store, hlc)
    if reopened:
        agent = next(a for a in agents.agents() if a.name == f"Agent {name}")
    else:
        seed_defaults(store, clock, hlc)
        agent = agents.register(f"Agent {name}", role, f"{name}@vendor.example")
    enable_capture(store.database)
    transport: Transport = PgTransport(conninfo)
    if wrap is not None:
        transport = wrap(transport)
    client = SyncClient(
        store.database,
        transport,
        team=team,
        workstation_id=station.id,
        hlc=hlc,
        author=agent.name,
        rebuild=projection_rebuilder(clock, station.id, hlc),
        pull_batch=pull_batch,
        push_batch=push_batch,
        now=clock.now,
    )
    return Replica(
        name=name,
        path=folder / f"{name}.sqlite3",
        store=store,
        clock=clock,
        hlc=hlc,
        workstation_id=station.id,
        agent=agent,
        customers=CustomerService(store, clock, agent, hlc),
        incidents=IncidentService(store, clock, agent, station.id, hlc),
        policy=PolicyService(store, clock, agent, hlc),
        client=client,
    )


def member_conninfo(conninfo: str, user: str, password: str) -> str:
    """``conninfo`` for the login role ``user`` instead of the administrator."""
    return psycopg.conninfo.make_conninfo(conninfo, user=user, password=password)


def dump(replica: Replica) -> dict[str, Any]:
    """Everything a replica holds that sync makes equal: records (their fields and field
    clocks), events, policy versions, attachments, and the incident projections."""
    out: dict[str, Any] = {}
    with replica.database.read() as session:
        connection = session.connection()
        for table in tables.RECORD_TABLES:
            quoted = ", ".join(f'"{f}"' for f in tables.record_fields(table))
            out[table] = sorted(
                connection.exec_driver_sql(f"SELECT id, {quoted} FROM {table}").fetchall()
            )
        out["clocks"] = sorted(
            connection.exec_driver_sql(
                "SELECT entity, row_id, field, hlc FROM sync_field_clocks"
            ).fetchall()
        )
        for table in tables.APPEND_ONLY_TABLES:
            out[table] = sorted(connection.exec_driver_sql(f"SELECT * FROM {table}").fetchall())
        out["incidents"] = sorted(
            connection.exec_driver_sql(
                "SELECT id, number, customer_id, title, priority, status, next_deadline,"
                " first_response_due, first_response_at, excluded, resolved_at, updated_at"
                " FROM incidents"
            ).fetchall()
        )
    return out
