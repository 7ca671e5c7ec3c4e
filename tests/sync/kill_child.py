"""Sync worker for tests/sync/test_kill.py: syncs a database in small steps until killed.

``python -m tests.sync.kill_child DB_PATH CONNINFO TEAM`` pushes the outbox and pulls the
change log in pages of 20, printing (and flushing) a line after each step has committed:
``push N`` or ``pull CURSOR``, then ``done`` when there is nothing left. The parent kills it
with SIGKILL somewhere in between.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from console.services.context import SystemClock
from console.services.sync import projection_rebuilder
from console.services.workstation import workstation
from db.engine import open_database
from db.store import SqliteStore
from db.sync.client import SyncClient
from db.sync.transport import PgTransport


def main(path: str, conninfo: str, team: str) -> int:
    store = SqliteStore(open_database(path, backup=False))
    station = workstation(store)
    client = SyncClient(
        store.database,
        PgTransport(conninfo),
        team=team,
        workstation_id=station.id,
        hlc=station.hlc,
        author="killed",
        rebuild=projection_rebuilder(SystemClock(), station.id, station.hlc),
        push_batch=20,
        pull_batch=20,
        now=lambda: datetime.now(UTC),
    )
    client.check_scope()
    while client.push_batch():
        print(f"push {client.pending()}", flush=True)
    while client.pull_page().pulled:
        print(f"pull {client.cursor}", flush=True)
    client.reproject()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
