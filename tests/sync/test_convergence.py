"""Property: replicas converge under faults (DESIGN §9, issue 6).

A hypothesis state machine drives 2–5 replicas (real SQLite files, real services, a real
PostgreSQL) through random edits, deletes, restores, reorders, timeline appends and syncs,
while the transport drops, duplicates, delays and reorders requests and replies, the server is
killed and restarted (``pg_ctl -m immediate``) and every replica's wall clock is skewed. Every
local write is recorded as it is acknowledged (read back from the outbox it was queued in).
After healing (fault-free rounds): all replicas hold identical data; every field holds the
value of its highest-clock write; every timeline is the union of all events; no support list
holds a duplicate; no cursor ever went backwards.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from console.services.seed import builtin_window_id
from console.services.sync import SyncError
from console.services.validation import ValidationError
from db.sync.server import init_server
from db.sync.tables import clock_key
from db.sync.transport import PgTransport
from tests.services.conftest import report
from tests.sync.faults import INJECTED, Fault, FaultyTransport
from tests.sync.pg import PgCluster
from tests.sync.replicas import Replica, TrueTime, dump, make_replica

NAMES = ("Ann Lee", "Bo Chen", "Cy Diaz", "Di Evans", "Ed Fox", "Flo Gray")
COMPANIES = ("Northwind", "Hollybrook", "Acme", "Globex", "Initech")
PLANS = ("standard", "advanced", "premium", "premium_plus")
FAULTS = st.lists(st.sampled_from(list(Fault)), min_size=1, max_size=4)
MAX_RESTARTS = 1
EXAMPLES = int(os.environ.get("SYNC_PROPERTY_EXAMPLES", "90"))
STEPS = int(os.environ.get("SYNC_PROPERTY_STEPS", "30"))

STATS: Counter[str] = Counter()


class SyncMachine(RuleBasedStateMachine):
    """Each example is a team of its own on one server database."""

    cluster: ClassVar[PgCluster]
    conninfo: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="sync-prop-"))
        self.replicas: list[Replica] = []
        self.writes: dict[tuple[str, str, str], list[tuple[str, Any]]] = {}
        self.events: set[str] = set()
        self.change_ids: set[str] = set()  # every change acknowledged to a user
        self.cursors: dict[str, int] = {}
        self.restarts = 0
        self.truth = TrueTime()
        STATS["examples"] += 1
        self.team = f"prop_{STATS['examples']}"

    # -- set-up -----------------------------------------------------------------------------

    @initialize(
        count=st.integers(2, 5),
        skews=st.lists(st.integers(-3_600_000, 3_600_000), min_size=5, max_size=5),
    )
    def start(self, count: int, skews: list[int]) -> None:
        for index in range(count):
            replica = make_replica(
                self.folder,
                f"r{index}",
                self.conninfo,
                team=self.team,
                truth=self.truth,
                skew=timedelta(milliseconds=skews[index]),
                wrap=FaultyTransport,
                capture_first=index % 2 == 1,
            )
            replica.notes["seen"] = 0
            self.replicas.append(replica)
            self._record(replica)
        first = self.replicas[0]
        for company in COMPANIES[:2]:
            customer = first.customers.create_customer(company, "premium", builtin_window_id("gmt"))
            for person in NAMES[:3]:
                first.customers.add_contact(customer.id, person, "", [_email(person)])
            first.incidents.open_incident(report(first.customers.customer(customer.id)))
        self._record(first)
        for _ in range(2):
            for replica in self.replicas:
                self._sync(replica, [])

    def teardown(self) -> None:
        try:
            if self.replicas:
                self._heal_and_check()
        finally:
            for replica in self.replicas:
                replica.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- the oracle -------------------------------------------------------------------------

    def _record(self, replica: Replica) -> None:
        """Every write the replica acknowledged since last time, read from its outbox."""
        with replica.database.read() as session:
            rows = (
                session.connection()
                .exec_driver_sql(
                    "SELECT seq, entity, row_id, hlc, fields, change_id FROM sync_outbox"
                    " WHERE seq > ? ORDER BY seq",
                    (replica.notes["seen"],),
                )
                .fetchall()
            )
        for seq, entity, row_id, hlc, fields, change_id in rows:
            replica.notes["seen"] = seq
            self.change_ids.add(change_id)
            if entity == "incident_events":
                self.events.add(row_id)
            elif fields is not None:
                for field, value in json.loads(fields).items():
                    self.writes.setdefault((entity, row_id, field), []).append((hlc, value))

    def _sync(self, replica: Replica, faults: list[Fault]) -> None:
        transport = replica.client.transport
        assert isinstance(transport, FaultyTransport)
        transport.plan = list(faults)
        STATS["syncs"] += 1
        try:
            replica.sync()
        except SyncError:
            STATS["failed rounds"] += 1
        finally:
            transport.plan = []
        cursor = replica.client.cursor
        assert cursor >= self.cursors.get(replica.name, 0), "a cursor went backwards"
        self.cursors[replica.name] = cursor

    # -- rules ------------------------------------------------------------------------------

    def _pick(self, index: int) -> Replica:
        return self.replicas[index % len(self.replicas)]

    def _customer(self, replica: Replica, index: int) -> Any:
        customers = replica.customers.customers()
        return customers[index % len(customers)] if customers else None

    def _act(self, replica: Replica, action: Any) -> None:
        try:
            action()
        except ValidationError:
            STATS["refused edits"] += 1
        self._record(replica)
        STATS["edits"] += 1

    @rule(r=st.integers(0, 4), c=st.integers(0, 9), name=st.sampled_from(COMPANIES))
    def rename_customer(self, r: int, c: int, name: str) -> None:
        replica = self._pick(r)
        customer = self._customer(replica, c)
        if customer is not None:
            self._act(replica, lambda: replica.customers.edit_customer(customer.id, name=name))

    @rule(r=st.integers(0, 4), c=st.integers(0, 9), plan=st.sampled_from(PLANS))
    def change_plan(self, r: int, c: int, plan: str) -> None:
        replica = self._pick(r)
        customer = self._customer(replica, c)
        if customer is not None:
            self._act(replica, lambda: replica.customers.edit_customer(customer.id, plan=plan))

    @rule(r=st.integers(0, 4), c=st.integers(0, 9), person=st.sampled_from(NAMES))
    def add_contact(self, r: int, c: int, person: str) -> None:
        replica = self._pick(r)
        customer = self._customer(replica, c)
        if customer is not None:
            self._act(
                replica,
                lambda: replica.customers.add_contact(customer.id, person, "", [_email(person)]),
            )

    @rule(
        r=st.integers(0, 4),
        c=st.integers(0, 9),
        k=st.integers(0, 9),
        role=st.sampled_from(("IT lead", "CTO", "", "Support")),
    )
    def edit_contact(self, r: int, c: int, k: int, role: str) -> None:
        replica = self._pick(r)
        contact = _contact(self._customer(replica, c), k)
        if contact is not None:
            self._act(replica, lambda: replica.customers.edit_contact(contact.id, role=role))

    @rule(r=st.integers(0, 4), c=st.integers(0, 9), k=st.integers(0, 9))
    def delete_contact(self, r: int, c: int, k: int) -> None:
        replica = self._pick(r)
        contact = _contact(self._customer(replica, c), k)
        if contact is not None:
            self._act(replica, lambda: replica.customers.delete_contact(contact.id))

    @rule(r=st.integers(0, 4), k=st.integers(0, 9))
    def restore_contact(self, r: int, k: int) -> None:
        """An undone delete: the same record comes back, maybe re-keyed next to a tie."""
        replica = self._pick(r)
        with replica.database.read() as session:
            deleted = [
                row[0]
                for row in session.connection().exec_driver_sql(
                    "SELECT id FROM contacts WHERE deleted ORDER BY id"
                )
            ]
        if deleted:
            target = deleted[k % len(deleted)]
            self._act(replica, lambda: replica.customers.restore_contact(target))

    @rule(r=st.integers(0, 4), c=st.integers(0, 9), k=st.integers(0, 9), up=st.booleans())
    def move_contact(self, r: int, c: int, k: int, up: bool) -> None:
        replica = self._pick(r)
        contact = _contact(self._customer(replica, c), k)
        if contact is not None:
            move = replica.customers.move_up if up else replica.customers.move_down
            self._act(replica, lambda: move(contact.id))

    @rule(r=st.integers(0, 4), i=st.integers(0, 9), text=st.sampled_from(("called", "x", "ok")))
    def append_note(self, r: int, i: int, text: str) -> None:
        replica = self._pick(r)
        with replica.store.read() as tx:
            ids = list(tx.incidents.all_ids())
        if ids:
            target = ids[i % len(ids)]
            self._act(replica, lambda: replica.incidents.note(target, text))

    @rule(r=st.integers(0, 4), c=st.integers(0, 9))
    def open_incident(self, r: int, c: int) -> None:
        replica = self._pick(r)
        customer = self._customer(replica, c)
        if customer is not None and customer.contacts:
            self._act(replica, lambda: replica.incidents.open_incident(report(customer)))

    @rule(r=st.integers(0, 4))
    def sync(self, r: int) -> None:
        self._sync(self._pick(r), [])

    @rule(r=st.integers(0, 4), faults=FAULTS)
    def sync_through_faults(self, r: int, faults: list[Fault]) -> None:
        self._sync(self._pick(r), faults)

    @rule(seconds=st.integers(0, 120))
    def advance(self, seconds: int) -> None:
        self.truth.advance(seconds=seconds)

    @precondition(lambda self: self.restarts < MAX_RESTARTS)
    @rule()
    def restart_server(self) -> None:
        self.cluster.restart_immediately()
        self.restarts += 1
        STATS["server restarts"] += 1

    # -- healing and the final checks -------------------------------------------------------

    def _heal_and_check(self) -> None:
        for _ in range(3):
            for replica in self.replicas:
                self._sync_until_ok(replica)
        dumps = [dump(r) for r in self.replicas]
        for replica, other in zip(self.replicas[1:], dumps[1:], strict=True):
            assert other == dumps[0], f"{replica.name} differs from r0"
        held = dumps[0]
        values = {
            (table, row[0], field): value
            for table in ("support_windows", "agents", "customers", "contacts")
            for row in held[table]
            for field, value in zip(_fields(table), row[1:], strict=True)
        }
        clocks = {(e, r, f): h for e, r, f, h in held["clocks"]}
        for key, written in self.writes.items():
            top_clock, top_value = max(written, key=lambda w: clock_key(w[0]))
            assert clocks[key] == top_clock, f"{key}: clock {clocks[key]} != {top_clock}"
            assert values[key] == top_value, f"{key}: {values[key]!r} != {top_value!r}"
        assert {row[0] for row in held["incident_events"]} == self.events
        for replica in self.replicas:
            assert replica.client.pending() == 0
            for customer in replica.customers.customers():
                ids = [c.id for c in customer.contacts]
                assert len(ids) == len(set(ids)), "a support list holds a duplicate"
            with replica.store.read() as tx:
                ids = list(tx.incidents.all_ids())
            for incident_id in ids:
                stored = replica.incidents.summary(incident_id)
                assert stored == replica.incidents.projected(incident_id)
        server = PgTransport(self.replicas[0].client.transport.inner.info)  # type: ignore[attr-defined]
        try:
            last = server.hello(self.team).last_seq
        finally:
            server.close()
        assert all(r.client.cursor == last for r in self.replicas)
        with psycopg.connect(self.conninfo) as connection:
            logged = connection.execute(
                "SELECT change_id FROM console_sync.changes WHERE team = %s", (self.team,)
            )
            missing = self.change_ids - {row[0] for row in logged}
        assert not missing, f"{len(missing)} acknowledged changes never reached the server"
        STATS["checked writes"] += len(self.writes)

    def _sync_until_ok(self, replica: Replica) -> None:
        for _ in range(20):
            try:
                replica.sync()
                return
            except SyncError:  # the server may still be recovering from a restart
                continue
        replica.sync()


def _email(person: str) -> str:
    return f"{person.split(maxsplit=1)[0].lower()}@customer.example"


def _contact(customer: Any, index: int) -> Any:
    if customer is None or not customer.contacts:
        return None
    return customer.contacts[index % len(customer.contacts)]


def _fields(table: str) -> tuple[str, ...]:
    from db.sync.tables import record_fields

    return record_fields(table)


@pytest.mark.slow
def test_replicas_converge_under_faults(
    pg_cluster: PgCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    SyncMachine.cluster = pg_cluster
    name = pg_cluster.create_database("prop")
    SyncMachine.conninfo = pg_cluster.admin_conninfo(name)
    init_server(SyncMachine.conninfo)
    STATS.clear()
    INJECTED.clear()
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    with capsys.disabled():
        faults = {str(k): v for k, v in INJECTED.items() if k != Fault.NONE}
        print(f"\nsync property: {dict(STATS)}; faults injected: {faults}")
