"""One bad row never stops a team: changes that cannot be merged are set aside, with reasons.

The merge-side tests feed the :class:`Merger` directly; the server-backed ones plant rows in
the server's change log as the database superuser (bypassing ``push``, which refuses them), as
a server from before v2, a restored backup or a hand-edited table could hold them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb
from sqlalchemy import Connection

from console.services.seed import builtin_window_id
from console.services.sync import SyncService
from db.engine import Database, open_database
from db.sync.backend import SqlSyncBackend
from db.sync.merge import MAX_VALUE_CHARS, Merger
from db.sync.transport import RemoteChange
from tests.sync.conftest import Server
from tests.sync.replicas import START, Replica, TrueTime, make_replica

Make = Callable[..., Replica]

STAMP = "1773162000000-00000-ws-x"
AGENT = {"name": "Pat Doe", "role": "agent", "email": "", "deleted": 0}


def change(seq: int, entity: str, row: str, fields: Any, **extra: Any) -> RemoteChange:
    values: dict[str, Any] = {
        "seq": seq,
        "workstation": "ws-x",
        "author": "Mallory",
        "entity": entity,
        "row_id": row,
        "hlc": STAMP,
        "fields": fields,
        "bases": {},
        **extra,
    }
    return RemoteChange(**values)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "q.sqlite3", backup=False)
    try:
        yield database
    finally:
        database.close()


def merge(database: Database, *changes: RemoteChange) -> Merger:
    with database.transaction() as session:
        connection = session.connection()
        connection.exec_driver_sql("UPDATE sync_capture SET applying = 1")
        merger = Merger(connection, "ws-here", "Me", START)
        for item in changes:
            merger.apply(item)
        merger.finish()
        connection.exec_driver_sql("UPDATE sync_capture SET applying = 0")
    return merger


def reasons(database: Database) -> dict[int | None, str]:
    backend = SqlSyncBackend(database, workstation_id="ws-here", hlc=None)  # type: ignore[arg-type]
    return {item.seq: item.reason for item in backend.quarantined(100)}


def agent_names(connection: Connection) -> list[str]:
    return [r[0] for r in connection.exec_driver_sql("SELECT name FROM agents ORDER BY name")]


# -- the merge side ---------------------------------------------------------------------------


def test_changes_that_cannot_be_merged_are_set_aside_and_the_rest_merge(
    database: Database,
) -> None:
    event = {"id": "ev-1", "incident_id": "inc-1", "kind": "note", "at": "2026", "data": "[1]"}
    merger = merge(
        database,
        change(1, "customers", "c-1", ["name", "Evil"]),
        change(2, "customers", "c-2", {"name": "x"}, bases=[1, 2]),
        change(3, "customers", "c-3", {"name": "x"}, hlc="soon"),
        change(4, "wormholes", "w-1", {"name": "x"}),
        change(5, "agents", "a-5", {**AGENT, "name": ["a", "list"]}),
        change(6, "agents", "a-6", {**AGENT, "name": "x" * (MAX_VALUE_CHARS + 1)}),
        change(7, "incident_events", "ev-1", event),
        change(8, "policy_versions", "p-8", {"id": "p-8", "version": "two", "text": ""}),
        change(9, "agents", "a-9", AGENT),  # a good one, after all of them
    )
    found = reasons(database)
    assert sorted(found) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert found[1] == "its fields are a list, not an object of named values"
    assert found[2] == "its base clocks are a list, not an object of named clocks"
    assert found[3] == "its clock stamp 'soon' is malformed"
    assert found[4] == "it is a kind of record this console does not know ('wormholes')"
    assert found[5] == "its field 'name' holds a list, which no field here holds"
    assert "2,000,001 characters" in found[6]
    assert found[7] == "the event's data is not an object of named values"
    assert found[8] == "its version number 'two' is not a whole number from 1"
    assert merger.quarantined == 8
    with database.read() as session:
        connection = session.connection()
        assert agent_names(connection) == ["Pat Doe"]
        kept = connection.exec_driver_sql("SELECT change FROM sync_quarantine WHERE seq = 1")
        assert json.loads(kept.scalar())["fields"] == ["name", "Evil"]  # as it came


def test_a_change_whose_merge_fails_is_set_aside_and_leaves_nothing_behind(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Merger._apply_record

    def breaks_halfway(self: Merger, item: RemoteChange) -> None:
        original(self, item)  # writes the row…
        if item.row_id == "a-1":
            raise RuntimeError("disk on fire")  # …then fails: the savepoint takes it back

    monkeypatch.setattr(Merger, "_apply_record", breaks_halfway)
    merge(database, change(1, "agents", "a-1", AGENT), change(2, "agents", "a-2", AGENT))
    assert reasons(database) == {1: "it could not be applied here: disk on fire"}
    with database.read() as session:
        ids = session.connection().exec_driver_sql("SELECT id FROM agents ORDER BY id")
        assert [r[0] for r in ids] == ["a-2"]


def test_an_event_that_will_not_insert_is_set_aside_alone(database: Database) -> None:
    good = {"id": "ev-1", "incident_id": "inc-1", "kind": "note", "at": "2026", "data": "{}"}
    bad = {**good, "id": "ev-2"}
    with database.transaction() as session:  # only the insert finds out that it fails
        session.connection().exec_driver_sql(
            "CREATE TEMP TRIGGER refuse_ev2 BEFORE INSERT ON incident_events"
            " WHEN NEW.id = 'ev-2' BEGIN SELECT RAISE(ABORT, 'the disk refused it'); END"
        )
    merger = merge(
        database,
        change(1, "incident_events", "ev-1", good),
        change(2, "incident_events", "ev-2", bad),
    )
    assert reasons(database) == {2: "it could not be applied here: the disk refused it"}
    assert merger.incidents == {"inc-1"}


def test_lead_only_rows_from_an_agent_are_refused_and_legacy_rows_merge(
    database: Database,
) -> None:
    merge(
        database,
        change(1, "agents", "a-1", {**AGENT, "role": "admin"}, member="eve", member_role="agent"),
        change(2, "agents", "a-2", AGENT, member="lee", member_role="lead"),
        change(3, "agents", "a-3", {**AGENT, "name": "Old Row"}),  # before v2: '' and None
        change(4, "customers", "c-4", {"name": "x"}, member="eve", member_role="agent"),
    )
    assert reasons(database) == {
        1: "only a team lead or admin may change agents and their roles; eve is an agent"
    }
    with database.read() as session:
        ids = session.connection().exec_driver_sql("SELECT id FROM agents ORDER BY id")
        assert [r[0] for r in ids] == ["a-2", "a-3"]


# -- against the server -----------------------------------------------------------------------


def plant(server: Server, team: str, *rows: dict[str, Any]) -> list[int]:
    """Append rows to the team's log as the superuser, as ``push`` never would."""
    seqs = []
    with psycopg.connect(server.conninfo) as connection, connection.transaction():
        last = connection.execute(
            "SELECT last_seq FROM console_sync.teams WHERE team = %s FOR UPDATE", (team,)
        ).fetchone()
        seq = int(last[0]) if last else 0
        for number, row in enumerate(rows):
            seq += 1
            connection.execute(
                "INSERT INTO console_sync.changes (team, seq, change_id, workstation, client_seq,"
                " author, entity, row_id, hlc, fields, bases, member, member_role)"
                " VALUES (%s, %s, %s, 'ws-planted', 0, 'Mallory', %s, %s, %s, %s, '{}', %s, %s)",
                (
                    team,
                    seq,
                    f"planted-{seq}-{number}",
                    row["entity"],
                    row["row"],
                    row.get("hlc", STAMP),
                    Jsonb(row["fields"]),
                    row.get("member", ""),
                    row.get("member_role"),
                ),
            )
            seqs.append(seq)
        connection.execute(
            "UPDATE console_sync.teams SET last_seq = %s WHERE team = %s", (seq, team)
        )
    return seqs


def set_aside(replica: Replica) -> dict[int | None, str]:
    return reasons(replica.database)


def test_planted_malformed_rows_stop_no_pull_and_a_new_replica_still_joins(
    replicas: Make, server: Server, tmp_path: Path, truth: TrueTime
) -> None:
    a, b = replicas("a"), replicas("b")
    a.sync()
    b.sync()
    bad = plant(
        server,
        "support",
        {"entity": "customers", "row": "c-1", "fields": ["name", "Evil Corp"]},
        {"entity": "customers", "row": "c-2", "hlc": "not-a-clock", "fields": {"name": "x"}},
        {"entity": "wormholes", "row": "w-1", "fields": {"name": "x"}},
        {"entity": "customers", "row": "c-3", "fields": {"name": "x" * 3_000_000}},
        {
            "entity": "support_windows",
            "row": "win-evil",
            "fields": {"name": "Never", "hours": "", "zone": "UTC"},
            "member": "mallory",
            "member_role": "agent",
        },
    )
    created = a.customers.create_customer("After The Bad Rows", "premium", builtin_window_id("gmt"))
    a.sync()
    b.sync()  # would fail on the first planted row, every round, before
    assert b.customers.customer(created.id).name == "After The Bad Rows"
    assert b.client.cursor == a.client.cursor > bad[-1]  # the cursor moved past them
    for replica in (a, b):
        assert sorted(s for s in set_aside(replica) if s is not None) == bad
    reasons_b = set_aside(b)
    assert reasons_b[bad[0]] == "its fields are a list, not an object of named values"
    assert reasons_b[bad[1]] == "its clock stamp 'not-a-clock' is malformed"
    assert "does not know ('wormholes')" in reasons_b[bad[2]]
    assert "3,000,000 characters" in reasons_b[bad[3]]
    assert reasons_b[bad[4]].startswith("only a team lead or admin may change support windows")
    newcomer = make_replica(tmp_path, "c", server.conninfo, truth=truth)
    try:
        newcomer.sync()
        assert newcomer.customers.customer(created.id).name == "After The Bad Rows"
        assert sorted(s for s in set_aside(newcomer) if s is not None) == bad
        assert newcomer.client.pending() == 0
    finally:
        newcomer.close()


def test_the_status_says_how_many_were_set_aside(replicas: Make, server: Server) -> None:
    from console.ui.sync.status_widget import status_text, status_tooltip

    a = replicas("a")
    a.sync()
    plant(server, "support", {"entity": "customers", "row": "c-1", "fields": [1]})
    a.sync()
    backend = SqlSyncBackend(a.database, workstation_id=a.workstation_id, hlc=a.hlc)

    status = SyncService(backend).status()  # what the worker hands the status bar

    assert status.quarantined == 1
    assert status_text(status).endswith("1 set aside")
    tip = status_tooltip(status, None)
    assert "1 change(s) set aside" in tip
    assert "its fields are a list, not an object of named values" in tip
