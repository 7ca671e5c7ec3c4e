"""A workstation SIGKILLed in the middle of a sync recovers and converges.

Replica B has changes of its own to push and a backlog to pull; a child process syncs B's
file in steps of 20 changes and is killed with SIGKILL at a different point each time (while
pushing, while pulling). Afterwards B's file passes SQLite's integrity check, nothing it
queued is lost or stored twice on the server, and B converges with A.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from console.services.seed import builtin_window_id
from tests.services.conftest import report
from tests.sync.conftest import Server
from tests.sync.replicas import Replica, dump

ROOT = Path(__file__).resolve().parents[2]
KILLS = 6


def _spawn(path: Path, server: Server) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.kill_child", str(path), server.conninfo, "support"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _busy_replica(replica: Replica, incidents: int) -> None:
    customer = replica.customers.create_customer(
        f"Customer of {replica.name}", "premium", builtin_window_id("gmt")
    )
    replica.customers.add_contact(customer.id, "Ann Lee", "", ["ann@example.com"])
    customer = replica.customers.customer(customer.id)
    for n in range(incidents):
        opened = replica.incidents.open_incident(report(customer, title=f"Problem {n}"))
        replica.incidents.note(opened.id, "First note")
        replica.incidents.respond(opened.id, "Looking into it")


@pytest.mark.slow
def test_a_workstation_killed_mid_sync_recovers_and_converges(
    replicas: Callable[..., Replica], server: Server
) -> None:
    a, b = replicas("a"), replicas("b")
    _busy_replica(a, 40)
    a.sync()
    _busy_replica(b, 25)
    queued = b.client.pending()
    b.close()  # the child owns the file from here on
    rng = random.Random(6)
    killed_at: list[str] = []
    finished = False
    for _ in range(KILLS):
        steps, target = 0, rng.randint(1, 8)
        with _spawn(b.path, server) as child:
            assert child.stdout is not None and child.stderr is not None
            for line in child.stdout:
                if line.startswith(("push", "pull")):
                    steps += 1
                    if steps >= target:
                        child.send_signal(signal.SIGKILL)
                        killed_at.append(line.strip())
                        break
                elif line.startswith("done"):
                    finished = True
                    break
            errors = child.stderr.read()
            child.wait(30)
        if child.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"the sync child failed: {errors}")
        if finished:
            break
    assert any(k.startswith("push") for k in killed_at), killed_at
    assert any(k.startswith("pull") for k in killed_at), killed_at

    b = replicas("b")  # reopened: migrations, pragmas and checks as at start-up
    assert b.database.check_integrity() == []
    for _ in range(2):
        b.sync()
        a.sync()
    assert dump(a) == dump(b)
    assert b.client.pending() == 0
    with psycopg.connect(server.conninfo) as connection:
        stored = connection.execute(
            "SELECT count(*), count(DISTINCT change_id),"
            " count(DISTINCT (entity, row_id, hlc, fields::text))"
            " FROM console_sync.changes WHERE workstation = %s",
            (b.workstation_id,),
        ).fetchone()
    assert stored is not None and stored[0] == stored[1] == stored[2] >= queued
