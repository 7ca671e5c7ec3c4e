"""The sync server on a real PostgreSQL: schema migrations, push/pull, NOTIFY, team scoping,
the append-only log, and the gap-free read order when pushes commit late.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from console.services.sync import SyncRefused
from db.sync import server as server_schema
from db.sync.cli import init_server_command
from db.sync.server import init_server, latest_version
from db.sync.transport import Listener, PgTransport
from tests.sync.conftest import Server
from tests.sync.pg import PgCluster


def change(change_id: str, row: str = "r1", **fields: object) -> dict[str, object]:
    return {
        "id": change_id,
        "cseq": 1,
        "entity": "agents",
        "row": row,
        "hlc": "0000000000001-00000-ws",
        "fields": fields or {"name": change_id},
        "bases": {},
    }


@pytest.fixture
def transport(server: Server) -> Iterator[PgTransport]:
    t = PgTransport(server.conninfo)
    yield t
    t.close()


def test_init_server_applies_the_schema_once_and_is_safe_to_run_again(server: Server) -> None:
    again = init_server(server.conninfo)
    assert again.before == again.after == latest_version()
    assert again.applied == ()
    with psycopg.connect(server.conninfo) as connection:
        versions = connection.execute("SELECT version FROM console_sync.schema_version").fetchall()
    assert versions == [(v,) for v in range(1, latest_version() + 1)]


def test_a_server_with_a_newer_schema_is_refused_untouched(server: Server) -> None:
    with psycopg.connect(server.conninfo) as connection:
        connection.execute(
            "INSERT INTO console_sync.schema_version (version, name) VALUES (99, 'future')"
        )
    with pytest.raises(SyncRefused, match="newer than this Support Console knows"):
        init_server(server.conninfo)
    with psycopg.connect(server.conninfo) as connection:
        top = connection.execute("SELECT max(version) FROM console_sync.schema_version")
        assert top.fetchone() == (99,)


def test_the_command_reports_what_it_did(
    pg_cluster: PgCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    name = pg_cluster.create_database()
    url = f"{pg_cluster.url(name)}?user=postgres"
    assert init_server_command(["--url", url, "--tls", "disable"]) == 0
    assert "upgraded from version 0 to 1" in capsys.readouterr().out
    assert init_server_command(["--url", url, "--tls", "disable"]) == 0
    assert "already at version 1" in capsys.readouterr().out
    assert init_server_command(["--url", url, "--member", "Bad Team:x"]) == 64
    assert init_server_command([]) == 64
    unreachable = f"postgresql://127.0.0.1:{pg_cluster.port + 1}/x?user=postgres"
    assert init_server_command(["--url", unreachable, "--tls", "disable"]) == 2
    assert "Cannot reach the sync server" in capsys.readouterr().err


def test_push_is_idempotent_and_pull_reads_in_order(transport: PgTransport) -> None:
    first = transport.push("team_a", "ws1", "Ann", [change("c1"), change("c2")])
    assert (first.received, first.inserted, first.last, first.seq) == (2, 2, "c2", 2)
    again = transport.push("team_a", "ws1", "Ann", [change("c1"), change("c2"), change("c3")])
    assert (again.inserted, again.seq) == (1, 3)
    rows = transport.pull("team_a", 0, 100)
    assert [(r.seq, r.fields["name"], r.author) for r in rows] == [
        (1, "c1", "Ann"),
        (2, "c2", "Ann"),
        (3, "c3", "Ann"),
    ]
    assert [r.seq for r in transport.pull("team_a", 1, 1)] == [2]
    assert transport.pull("team_a", 3, 100) == []
    assert transport.hello("team_a").last_seq == 3


def test_the_change_log_is_append_only(server: Server, transport: PgTransport) -> None:
    transport.push("team_a", "ws1", "", [change("c1")])
    with psycopg.connect(server.conninfo) as connection:
        for statement in (
            "UPDATE console_sync.changes SET hlc = ''",
            "DELETE FROM console_sync.changes",
            "TRUNCATE console_sync.changes",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                connection.execute(statement)
            connection.rollback()


def test_every_push_notifies_the_team_channel(server: Server, transport: PgTransport) -> None:
    listener = Listener(server.conninfo, "team_a")
    other = Listener(server.conninfo, "team_b")
    listener.open()
    other.open()
    try:
        assert not listener.wait(0.05)
        transport.push("team_a", "ws1", "", [change("c1")])
        assert listener.wait(5)
        assert not other.wait(0.05)
        transport.push("team_a", "ws1", "", [change("c1")])  # nothing new: no notice
        assert not listener.wait(0.1)
    finally:
        listener.close()
        other.close()


def test_teams_are_scoped_and_members_only_see_their_own(
    pg_cluster: PgCluster, server: Server
) -> None:
    pg_cluster.create_role("alice", "s3cret-a")
    pg_cluster.create_role("mallory", "s3cret-m")
    server_schema.add_member(server.conninfo, "team_a", "alice")
    base = f"host=127.0.0.1 port={pg_cluster.port} dbname={server.dbname}"
    alice = PgTransport(f"{base} user=alice password=s3cret-a")
    mallory = PgTransport(f"{base} user=mallory password=s3cret-m")
    admin = PgTransport(server.conninfo)
    try:
        admin.push("team_b", "ws9", "", [change("secret")])
        assert alice.push("team_a", "ws1", "", [change("a1")]).inserted == 1
        assert [r.fields["name"] for r in alice.pull("team_a", 0, 10)] == ["a1"]
        with pytest.raises(SyncRefused, match='not a member of sync team "team_b"'):
            alice.pull("team_b", 0, 10)
        with pytest.raises(SyncRefused, match='not a member of sync team "team_b"'):
            alice.push("team_b", "ws1", "", [change("a2")])
        with pytest.raises(SyncRefused):  # no EXECUTE on the functions at all
            mallory.pull("team_a", 0, 10)
        with (  # and no reading the tables directly
            pytest.raises(psycopg.errors.InsufficientPrivilege),
            psycopg.connect(f"{base} user=alice password=s3cret-a") as connection,
        ):
            connection.execute("SELECT * FROM console_sync.changes")
        with pytest.raises(SyncRefused, match="user name or password"):
            PgTransport(f"{base} user=alice password=wrong").hello("team_a")
        with pytest.raises(SyncRefused, match="invalid team name"):
            admin.pull("Team A", 0, 10)
        assert [r.fields["name"] for r in admin.pull("team_b", 0, 10)] == ["secret"]
    finally:
        for t in (alice, mallory, admin):
            t.close()


def _waiting_on_a_lock(conninfo: str, application: str) -> bool:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        row = connection.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE application_name = %s",
            (application,),
        ).fetchone()
    return row is not None and row[0] == "Lock"


def test_a_push_committed_late_is_never_skipped_by_a_reader(
    server: Server, transport: PgTransport
) -> None:
    """Push A takes its sequence numbers and stays uncommitted; push B comes later. Readers
    must not see B's rows before A's, or a cursor past B would skip A forever. Pushes of a
    team are serialised until commit, so B waits for A and takes the numbers after A's."""
    transport.push("team_a", "ws0", "", [change("before")])
    slow = psycopg.connect(server.conninfo + " application_name=slow_push")
    late = psycopg.connect(server.conninfo + " application_name=late_push", autocommit=True)
    outcome: dict[str, object] = {}
    try:
        slow.execute(  # inside an open transaction: numbered, not committed
            "SELECT console_sync.push('team_a', 'ws1', %s::jsonb, '')",
            ('[{"id": "A1", "entity": "agents", "row": "r", "fields": {}}]',),
        )

        def push_b() -> None:
            row = late.execute(
                "SELECT console_sync.push('team_a', 'ws2', %s::jsonb, '')",
                ('[{"id": "B1", "entity": "agents", "row": "r", "fields": {}}]',),
            ).fetchone()
            outcome["b"] = row[0] if row else None

        worker = threading.Thread(target=push_b)
        worker.start()
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock(server.conninfo, "late_push"):
            assert time.monotonic() < deadline, "push B never queued behind push A"
            assert worker.is_alive(), f"push B finished before A committed: {outcome}"
            time.sleep(0.01)
        seen = transport.pull("team_a", 0, 100)
        assert [r.seq for r in seen] == [1]  # neither A nor B is visible yet
        cursor = seen[-1].seq
        slow.commit()
        worker.join(10)
        assert outcome["b"] is not None and outcome["b"]["seq"] == 3  # type: ignore[index]
        rows = transport.pull("team_a", cursor, 100)
        assert [(r.seq, r.workstation) for r in rows] == [(2, "ws1"), (3, "ws2")]
    finally:
        slow.close()
        late.close()


def test_init_server_by_a_role_without_rights_changes_nothing(
    pg_cluster: PgCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    name = pg_cluster.create_database()
    pg_cluster.create_role("carol", "carols-password")
    url = f"postgresql://carol:carols-password@127.0.0.1:{pg_cluster.port}/{name}"
    assert init_server_command(["--url", url, "--tls", "disable"]) == 2
    assert "could not be created or upgraded" in capsys.readouterr().err
    with psycopg.connect(pg_cluster.admin_conninfo(name)) as connection:
        found = connection.execute("SELECT to_regnamespace('console_sync')").fetchone()
    assert found == (None,)
