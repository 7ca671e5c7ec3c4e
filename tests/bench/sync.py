"""Sync benchmark (DESIGN §9): 10 000 events pushed and pulled; change-to-other-queue latency.

Run from the repository root with ``python -m tests.bench.sync`` (``make bench`` runs it as a
script, which also works). Starts a throwaway PostgreSQL cluster (as the sync tests do) and
prints one JSON line.

* Throughput: workstation A holds 200 incidents with 10 000 events in its outbox (opened
  through the services, notes bulk-inserted in one transaction; the triggers queue them).
  Timed: A pushes everything; then B, a fresh replica, pulls everything, which includes
  merging the events and re-projecting all 200 incidents. Budget: push + pull ≤ 3 s.
* Latency: A and B each run the real :class:`SyncWorker` (its own thread, its own SQLite
  sessions, LISTEN/NOTIFY over loopback TCP). The main thread adds a note on A and runs the
  Qt event loop until B's ``changes_pulled`` signal names that incident. Budget: p95 ≤ 250 ms.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:  # run as a script
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    sys.path.insert(0, os.path.dirname(os.path.dirname(_here)))

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import keyring
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, QTimer
from sqlalchemy import insert, text

from console.domain.events import EventKind, IncidentEvent
from console.domain.ids import new_id
from console.qt.sync_worker import SyncWorker
from console.services.seed import builtin_window_id
from console.services.sync import SyncService, SyncSettings, TlsMode, projection_rebuilder
from db.models import EventRow
from db.repositories.incidents import event_values
from db.sync.backend import SqlSyncBackend
from db.sync.server import init_server
from tests.services.conftest import report
from tests.sync.conftest import MemoryKeyring
from tests.sync.pg import PgCluster
from tests.sync.replicas import Replica, TrueTime, make_replica

PUSH_PULL_BUDGET_S = 3.0
LATENCY_BUDGET_P95_MS = 250


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fill(replica: Replica, incidents: int, events: int) -> list[str]:
    """``incidents`` opened through the services, then notes up to ``events`` events."""
    customer = replica.customers.create_customer(
        "Northwind Freight", "premium_plus", builtin_window_id("pacific")
    )
    replica.customers.add_contact(customer.id, "Olivia Chen", "IT", ["olivia@nw.example"])
    customer = replica.customers.customer(customer.id)
    ids = [replica.incidents.open_incident(report(customer)).id for _ in range(incidents)]
    notes = events - incidents
    rng = random.Random(5)
    rows = []
    at = replica.clock.now()
    for n in range(notes):
        at += timedelta(seconds=1)
        event = IncidentEvent(
            id=new_id(),
            incident_id=rng.choice(ids),
            kind=EventKind.NOTE,
            at=at,
            author=replica.agent.name,
            origin=replica.workstation_id,
            hlc=replica.hlc.now(),
            data={"text": f"Note {n}: still investigating"},
        )
        rows.append(event_values(event))
    with replica.store.transaction() as tx:
        tx.session.execute(insert(EventRow), rows)
    return ids


def throughput(folder: Path, conninfo: str, events: int) -> dict[str, float]:
    truth = TrueTime()
    a = make_replica(folder, "a", conninfo, truth=truth, team="bench")
    b = make_replica(folder, "b", conninfo, truth=truth, team="bench")
    try:
        fill(a, 200, events)
        a.client.check_scope()
        b.client.check_scope()
        queued = a.client.pending()
        started = time.perf_counter()
        pushed = a.client.push()
        push_s = time.perf_counter() - started
        started = time.perf_counter()
        pulled = b.client.pull()
        pull_s = time.perf_counter() - started
        with b.store.read() as tx:
            held = tx.session.execute(text("SELECT count(*) FROM incident_events")).scalar_one()
        assert pushed >= queued and held >= events, (pushed, queued, held)
        return {
            "events": events,
            "changes_pushed": pushed,
            "changes_pulled": pulled.pulled,
            "incidents_reprojected": len(pulled.incident_ids),
            "push_s": push_s,
            "pull_s": pull_s,
        }
    finally:
        a.close()
        b.close()


def latency(folder: Path, cluster: PgCluster, dbname: str, samples: int) -> list[float]:
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    truth = TrueTime()
    conninfo = cluster.admin_conninfo(dbname)
    a = make_replica(folder, "la", conninfo, truth=truth, team="latency")
    b = make_replica(folder, "lb", conninfo, truth=truth, team="latency")
    settings = SyncSettings(cluster.url(dbname), TlsMode.DISABLE, "latency", "postgres")
    workers = []
    for replica in (a, b):
        backend = SqlSyncBackend(
            replica.database,
            workstation_id=replica.workstation_id,
            hlc=replica.hlc,
            author=replica.agent.name,
            rebuild=projection_rebuilder(replica.clock, replica.workstation_id, replica.hlc),
        )
        service = SyncService(backend)
        service.configure(settings)
        workers.append(SyncWorker(service))
    arrived: dict[str, float] = {}

    def on_pulled(ids: list[str]) -> None:
        now = time.perf_counter()
        for incident_id in ids:
            arrived.setdefault(incident_id, now)

    workers[1].changes_pulled.connect(on_pulled)
    timings: list[float] = []
    try:
        customer = a.customers.create_customer("Acme", "premium", builtin_window_id("gmt"))
        a.customers.add_contact(customer.id, "Ann Lee", "", ["ann@acme.example"])
        customer = a.customers.customer(customer.id)
        for worker in workers:
            worker.start()
        targets = [a.incidents.open_incident(report(customer)).id for _ in range(samples)]
        _spin(app, lambda: all(t in arrived for t in targets), 30)  # warmed up: all arrived
        rng = random.Random(3)
        for n in range(samples):
            target = targets[n]
            arrived.pop(target, None)
            _spin(app, lambda: False, rng.uniform(0.05, 0.15))  # let both sides go idle
            started = time.perf_counter()
            a.incidents.note(target, f"Update {n}")
            if not _spin(app, lambda t=target: t in arrived, 10):  # type: ignore[misc]
                raise RuntimeError(f"change {n} never arrived on the other workstation")
            timings.append((arrived[target] - started) * 1000)
    finally:
        for worker in workers:
            worker.stop()
        a.close()
        b.close()
    return timings


def _spin(app: QCoreApplication, done: object, seconds: float) -> bool:
    """Run the event loop until ``done()`` or ``seconds`` pass; returns ``done()``."""
    deadline = QDeadlineTimer(int(seconds * 1000))
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(1)

    def check() -> None:
        if done() or deadline.hasExpired():  # type: ignore[operator]
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    return bool(done())  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    cluster = PgCluster.start()
    try:
        dbname = cluster.create_database("bench")
        init_server(cluster.admin_conninfo(dbname))
        with tempfile.TemporaryDirectory(prefix="sync-bench-") as folder:
            moved = throughput(Path(folder), cluster.admin_conninfo(dbname), args.events)
            timings = latency(Path(folder), cluster, dbname, args.samples)
    finally:
        try:
            cluster.stop("fast")
        finally:
            cluster.remove()
    push_pull = moved["push_s"] + moved["pull_s"]
    p95 = percentile(timings, 0.95)
    print(
        json.dumps(
            {
                "benchmark": "sync",
                "events": args.events,
                "push_s": round(moved["push_s"], 3),
                "pull_s": round(moved["pull_s"], 3),
                "push_pull_s": round(push_pull, 3),
                "push_pull_budget_s": PUSH_PULL_BUDGET_S,
                "incidents_reprojected": moved["incidents_reprojected"],
                "latency_p50_ms": round(statistics.median(timings), 1),
                "latency_p95_ms": round(p95, 1),
                "latency_samples": len(timings),
                "latency_budget_p95_ms": LATENCY_BUDGET_P95_MS,
                "within_budget": push_pull <= PUSH_PULL_BUDGET_S and p95 <= LATENCY_BUDGET_P95_MS,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
