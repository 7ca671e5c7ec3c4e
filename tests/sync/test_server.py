"""The sync server on a real PostgreSQL: schema migrations, the administration commands,
members and their app roles, push/pull, NOTIFY, team scoping, the append-only log, and the
gap-free read order when pushes commit late. Attacks by a hostile member are in
test_server_attacks.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from console.services.sync import SyncRefused
from db.sync import server as server_schema
from db.sync.cli import connection_info, init_server_command, sync_command
from db.sync.server import init_server, latest_version
from db.sync.transport import PgTransport
from tests.sync.conftest import Login, Server
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


def admin_url(pg_cluster: PgCluster, dbname: str, user: str) -> str:
    return f"postgresql://{user}@127.0.0.1:{pg_cluster.port}/{dbname}"


def test_the_command_reports_what_it_did(
    pg_cluster: PgCluster,
    db_admin: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, password = db_admin
    monkeypatch.setenv("PGPASSWORD", password)
    name = pg_cluster.create_database()
    url = admin_url(pg_cluster, name, user)
    latest = latest_version()
    assert init_server_command(["--url", url, "--tls", "disable"]) == 0
    said = capsys.readouterr().out
    assert f"upgraded from version 0 to {latest}" in said
    assert "may not create temporary objects" in said
    assert init_server_command(["--url", url, "--tls", "disable"]) == 0
    assert f"already at version {latest}" in capsys.readouterr().out
    assert sync_command(["upgrade-server", "--url", url, "--tls", "disable"]) == 0
    assert f"already at version {latest}" in capsys.readouterr().out
    assert init_server_command(["--url", url, "--member", "Bad Team:x"]) == 2
    assert init_server_command([]) == 2
    assert sync_command([]) == 2
    unreachable = admin_url(pg_cluster, "x", user).replace(
        str(pg_cluster.port), str(pg_cluster.port + 1)
    )
    assert init_server_command(["--url", unreachable, "--tls", "disable"]) == 1
    assert "Cannot reach the sync server" in capsys.readouterr().err


def test_the_readme_example_works_and_a_bad_member_changes_nothing(
    pg_cluster: PgCluster,
    db_admin: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, password = db_admin
    monkeypatch.setenv("PGPASSWORD", password)
    pg_cluster.create_role("console_agent", "agent-password")
    name = pg_cluster.create_database()
    url = admin_url(pg_cluster, name, user)
    for bad in ("support-team:console_agent", "support_team:console_agent:boss", "x"):
        argv = ["--url", url, "--tls", "disable", "--member", "support_team:ok", "--member", bad]
        assert init_server_command(argv) == 2
        assert repr(bad) in capsys.readouterr().err
    with psycopg.connect(pg_cluster.admin_conninfo(name)) as connection:
        found = connection.execute("SELECT to_regnamespace('console_sync')").fetchone()
    assert init_server_command(["--url", url, "--tls", "disable", "--member", "t:ghost"]) == 1
    assert "no login role 'ghost'" in capsys.readouterr().err
    with psycopg.connect(pg_cluster.admin_conninfo(name)) as connection:
        found = connection.execute("SELECT to_regnamespace('console_sync')").fetchone()
    assert found == (None,)  # nothing was changed, as it says
    argv = ["--url", url, "--tls", "disable", "--member", "support_team:console_agent"]
    assert init_server_command([*argv, "--member", "support_team:sync_dba:admin"]) == 0
    said = capsys.readouterr().out
    assert "console_agent may now sync team support_team as agent" in said
    members = server_schema.list_members(pg_cluster.admin_conninfo(name), "support_team")
    assert [(m.member, m.app_role) for m in members] == [
        ("console_agent", "agent"),
        ("sync_dba", "admin"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://admin:hunter2@{host}/db",
        "postgresql://admin@{host}/db?password=hunter2",
        "host={host} user=admin password=hunter2 dbname=db",
    ],
)
def test_a_password_in_the_url_is_refused_before_connecting(
    pg_cluster: PgCluster, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = url.format(host=f"127.0.0.1:{pg_cluster.port + 1}").replace(
        f"host=127.0.0.1:{pg_cluster.port + 1}", f"host=127.0.0.1 port={pg_cluster.port + 1}"
    )
    for argv in (
        ["init-server", "--url", nowhere],
        ["member", "list", "--team", "support", "--url", nowhere],
    ):
        assert sync_command(argv) == 2
        said = capsys.readouterr().err
        assert "must not contain a password" in said and "Cannot reach" not in said


def test_tls_is_verified_by_default_and_a_weaker_mode_never_sends_a_password_in_clear(
    pg_cluster: PgCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    name = pg_cluster.create_database()
    info = psycopg.conninfo.conninfo_to_dict(connection_info("postgresql://a@h/db", "verify-full"))
    assert (info["sslmode"], info["sslrootcert"]) == ("verify-full", "system")
    url = admin_url(pg_cluster, name, "postgres")  # trusted: the server asks no password
    assert init_server_command(["--url", url]) == 1  # this test server has no TLS at all
    assert "secure (TLS) connection" in capsys.readouterr().err
    assert init_server_command(["--url", url, "--tls", "disable"]) == 1
    assert "scram-sha-256" in capsys.readouterr().err  # only SCRAM may be answered
    with psycopg.connect(pg_cluster.admin_conninfo(name)) as connection:
        found = connection.execute("SELECT to_regnamespace('console_sync')").fetchone()
    assert found == (None,)


def test_push_is_idempotent_and_pull_reads_in_order(transport: PgTransport) -> None:
    first = transport.push("team_a", "ws1", "Ann", [change("c1"), change("c2")])
    assert (first.received, first.inserted, first.last, first.seq) == (2, 2, "c2", 2)
    assert first.refused == ()
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
    hello = transport.hello("team_a")
    assert (hello.last_seq, hello.version, hello.role, hello.member) == (
        3,
        latest_version(),
        "admin",
        "postgres",
    )
    assert [(r.member, r.member_role) for r in rows] == [("postgres", "admin")] * 3


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
    channel = transport.hello("team_a").channel
    assert channel != transport.hello("team_b").channel
    listener = psycopg.connect(server.conninfo, autocommit=True)
    try:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        transport.push("team_b", "ws1", "", [change("b1")])  # another team's: not ours
        transport.push("team_a", "ws1", "", [change("c1")])
        transport.push("team_a", "ws1", "", [change("c1")])  # nothing new: no notice
        transport.push("team_a", "ws1", "", [change("c2")])
        heard = list(listener.notifies(timeout=10, stop_after=2))
        assert [(n.channel, n.payload) for n in heard] == [(channel, "")] * 2
    finally:
        listener.close()


def test_teams_are_scoped_and_members_only_see_their_own(
    pg_cluster: PgCluster, server: Server
) -> None:
    pg_cluster.create_role("alice", "s3cret-a")
    pg_cluster.create_role("mallory", "s3cret-m")
    server_schema.add_member(server.conninfo, "team_a", "alice", "lead")
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
            (json.dumps([change("A1")]),),
        )

        def push_b() -> None:
            row = late.execute(
                "SELECT console_sync.push('team_a', 'ws2', %s::jsonb, '')",
                (json.dumps([change("B1")]),),
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
    pg_cluster: PgCluster, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = pg_cluster.create_database()
    pg_cluster.create_role("carol", "carols-password")
    monkeypatch.setenv("PGPASSWORD", "carols-password")
    url = admin_url(pg_cluster, name, "carol")
    assert init_server_command(["--url", url, "--tls", "disable"]) == 1
    assert "could not be created or upgraded" in capsys.readouterr().err
    with psycopg.connect(pg_cluster.admin_conninfo(name)) as connection:
        found = connection.execute("SELECT to_regnamespace('console_sync')").fetchone()
    assert found == (None,)


def test_init_server_by_the_databases_owner_hands_everything_to_the_owner_role(
    pg_cluster: PgCluster,
) -> None:
    pg_cluster.create_role("db_owner_dora", "doras-password")
    with psycopg.connect(pg_cluster.admin_conninfo(), autocommit=True) as connection:
        connection.execute("ALTER ROLE db_owner_dora CREATEROLE")
        name = pg_cluster.create_database()
        connection.execute(f'ALTER DATABASE "{name}" OWNER TO db_owner_dora')
    info = (
        f"host=127.0.0.1 port={pg_cluster.port} dbname={name} user=db_owner_dora"
        " password=doras-password"
    )
    result = init_server(info)
    assert result.after == latest_version() and result.temporary_revoked
    with psycopg.connect(pg_cluster.admin_conninfo(name)) as connection:
        owners = connection.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relnamespace = 'console_sync'::regnamespace"
            " UNION SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc"
            " WHERE pronamespace = 'console_sync'::regnamespace"
        ).fetchall()
    assert owners == [("console_sync_owner",)]
    pg_cluster.create_role("dora_agent", "agent-password")
    server_schema.add_member(info, "team_d", "dora_agent", "lead")  # she counts as admin
    assert [m.app_role for m in server_schema.list_members(info, "team_d")] == ["lead"]


def test_members_are_managed_by_an_admin_of_their_team(
    server: Server, login: Callable[..., Login]
) -> None:
    ann = login("mgr_ann", "team_m", "admin")
    ben = login("mgr_ben")
    login("mgr_cat")
    server_schema.add_member(ann.conninfo, "team_m", "mgr_ben", "lead")
    server_schema.add_member(ann.conninfo, "team_m", "mgr_cat")
    found = server_schema.list_members(ann.conninfo, "team_m")
    assert [(m.member, m.app_role) for m in found] == [
        ("mgr_ann", "admin"),
        ("mgr_ben", "lead"),
        ("mgr_cat", "agent"),
    ]
    with pytest.raises(SyncRefused, match='only an admin of sync team "team_m"'):
        server_schema.add_member(ben.conninfo, "team_m", "mgr_ben", "admin")
    with pytest.raises(SyncRefused, match='only an admin of sync team "team_new"'):
        server_schema.add_member(ann.conninfo, "team_new", "mgr_ann", "admin")  # no admin yet
    with pytest.raises(SyncRefused, match="last admin of sync team"):
        server_schema.add_member(ann.conninfo, "team_m", "mgr_ann", "agent")
    with pytest.raises(SyncRefused, match="last admin of sync team"):
        server_schema.remove_member(ann.conninfo, "team_m", "mgr_ann")
    with pytest.raises(SyncRefused, match='no login role "console_sync_owner"'):
        server_schema.add_member(ann.conninfo, "team_m", "console_sync_owner", "admin")
    with pytest.raises(SyncRefused, match="not an app role"):
        server_schema.add_member(ann.conninfo, "team_m", "mgr_cat", "boss")
    server_schema.remove_member(ann.conninfo, "team_m", "mgr_cat")
    with pytest.raises(SyncRefused, match='"mgr_cat" is not a member of sync team "team_m"'):
        server_schema.remove_member(ann.conninfo, "team_m", "mgr_cat")
    server_schema.add_member(ann.conninfo, "team_m", "mgr_ben", "admin")
    server_schema.add_member(ann.conninfo, "team_m", "mgr_ann", "lead")  # ben is admin now
    server_schema.remove_member(server.conninfo, "team_m", "mgr_ben")  # the administrator may
    assert [
        (m.member, m.app_role) for m in server_schema.list_members(server.conninfo, "team_m")
    ] == [("mgr_ann", "lead")]


def test_the_member_commands(
    pg_cluster: PgCluster,
    server: Server,
    db_admin: tuple[str, str],
    login: Callable[..., Login],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, password = db_admin
    monkeypatch.setenv("PGPASSWORD", password)
    url = admin_url(pg_cluster, server.dbname, user)
    dan = login("cmd_dan")
    where = ["--team", "support_team", "--url", url, "--tls", "disable"]
    assert sync_command(["member", "add", "cmd_dan", "--role", "lead", *where]) == 0
    assert "cmd_dan may now sync team support_team as lead" in capsys.readouterr().out
    with psycopg.connect(dan.conninfo, autocommit=True) as connection:
        connection.execute(
            "SELECT console_sync.push('support_team', 'dans_pc', %s::jsonb, '')",
            (json.dumps([change("d1")]),),
        )
    assert sync_command(["member", "list", *where]) == 0
    listed = capsys.readouterr().out
    assert "cmd_dan\tlead\tworkstations: dans_pc\tlast push: 20" in listed
    assert sync_command(["member", "add", "cmd_dan", "--role", "boss", *where]) == 2
    assert sync_command(["member", "add", "nobody_here", *where]) == 1
    assert 'no login role "nobody_here"' in capsys.readouterr().err
    assert sync_command(["member", "remove", "cmd_dan", *where]) == 0
    assert "cmd_dan may no longer sync team support_team" in capsys.readouterr().out
    assert sync_command(["member", "remove", "cmd_dan", *where]) == 1
    assert "is not a member" in capsys.readouterr().err
    bad_team = ["member", "list", "--team", "support-team", "--url", url, "--tls", "disable"]
    assert sync_command(bad_team) == 2
    assert "support-team" in capsys.readouterr().err
