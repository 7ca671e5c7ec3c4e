"""A hostile member against the sync server, as ordinary login roles of two teams over TCP.

Each test is an attack from issue #11 that worked on the version-1 schema: temporary objects
shadowing the server's tables, a member made superuser by ``hello``, a planted sequence
counter, a disabled append-only trigger, forged authorship, an agent pushing lead-only rows,
a policy version clash, malformed rows, an open transaction holding the team, and LISTEN from
outside the team. Each is now refused or harmless.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from console.services.sync import SyncRefused
from db.sync import server as server_schema
from db.sync.backend import SERVER_VERSION
from db.sync.cli import sync_command
from db.sync.server import init_server, list_members, migrations
from db.sync.transport import PgTransport
from tests.sync.conftest import Login, Server
from tests.sync.pg import PgCluster

LoginMaker = Callable[..., Login]


def change(
    change_id: str, entity: str = "customers", row: str = "r1", **fields: object
) -> dict[str, Any]:
    return {
        "id": change_id,
        "cseq": 1,
        "entity": entity,
        "row": row,
        "hlc": "1700000000000-00000-ws",
        "fields": fields or {"name": change_id},
        "bases": {},
    }


def push(
    connection: psycopg.Connection,
    team: str,
    changes: list[Any],
    workstation: str = "ws1",
    author: str = "",
) -> dict[str, Any]:
    row = connection.execute(
        "SELECT console_sync.push(%s, %s, %s::jsonb, %s)",
        (team, workstation, json.dumps(changes), author),
    ).fetchone()
    assert row is not None
    result: dict[str, Any] = row[0]
    return result


def pull(connection: psycopg.Connection, team: str, cursor: int = 0) -> list[tuple[Any, ...]]:
    return connection.execute(
        "SELECT seq, entity, row_id, fields, member, member_role, author, workstation"
        " FROM console_sync.pull(%s, %s, 1000)",
        (team, cursor),
    ).fetchall()


@pytest.fixture
def admin(server: Server) -> Iterator[psycopg.Connection]:
    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        yield connection


@pytest.fixture
def teams(login: LoginMaker, admin: psycopg.Connection) -> tuple[Login, Login]:
    """alice syncs team_a, which has a secret in its log; mallory syncs team_b."""
    alice = login("atk_alice", "team_a", "lead")
    mallory = login("atk_mallory", "team_b")
    with alice.connect() as connection:
        assert push(connection, "team_a", [change("secret", name="team a's secret")])["inserted"]
    return alice, mallory


def allow_temporary_objects(admin: psycopg.Connection, server: Server) -> None:
    """As on a server where init-server could not revoke TEMPORARY from PUBLIC."""
    admin.execute(
        sql.SQL("GRANT TEMPORARY ON DATABASE {} TO PUBLIC").format(sql.Identifier(server.dbname))
    )


def is_superuser(admin: psycopg.Connection, role: str) -> bool:
    row = admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    return bool(row and row[0])


def test_a_member_may_not_create_temporary_objects_at_all(
    server: Server, teams: tuple[Login, Login]
) -> None:
    assert init_server(server.conninfo).temporary_revoked
    _, mallory = teams
    with mallory.connect() as connection:
        for statement in (
            "CREATE TEMP TABLE members (team text, member name)",
            "CREATE TEMP VIEW teams AS SELECT 'team_a'::text AS team",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)


def test_temporary_tables_named_like_the_servers_reach_no_other_team(
    server: Server, admin: psycopg.Connection, teams: tuple[Login, Login]
) -> None:
    allow_temporary_objects(admin, server)
    _, mallory = teams
    with mallory.connect() as connection:
        connection.execute("CREATE TEMP TABLE members (team text, member name, app_role text)")
        connection.execute("INSERT INTO members VALUES ('team_a', session_user, 'admin')")
        connection.execute(
            "CREATE TEMP VIEW pg_roles AS SELECT session_user AS rolname, true AS rolsuper,"
            " true AS rolcanlogin"
        )
        connection.execute("CREATE TEMP TABLE teams (team text, last_seq bigint)")
        connection.execute("CREATE TEMP TABLE changes (LIKE pg_class)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not a member"):
            connection.execute("SELECT fields FROM console_sync.pull('team_a', 0, 100)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not a member"):
            push(connection, "team_a", [change("planted")])
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not a member"):
            connection.execute("SELECT console_sync.hello('team_a')")
        # Her own team still works, temporary objects or not.
        assert push(connection, "team_b", [change("b1")])["inserted"] == 1
    rows = admin.execute("SELECT fields->>'name' FROM console_sync.pull('team_a', 0, 100)")
    assert rows.fetchall() == [("team a's secret",)]


def test_hello_through_a_temporary_view_makes_nobody_superuser(
    server: Server, admin: psycopg.Connection, teams: tuple[Login, Login]
) -> None:
    allow_temporary_objects(admin, server)
    _, mallory = teams
    try:
        with mallory.connect() as connection:
            connection.execute("SET check_function_bodies = off")
            connection.execute(
                sql.SQL(
                    "CREATE FUNCTION pg_temp.escalate() RETURNS boolean LANGUAGE sql AS "
                    "$$ ALTER ROLE {} SUPERUSER; SELECT true $$"
                ).format(sql.Identifier(mallory.name))
            )
            connection.execute(
                "CREATE TEMP VIEW members AS SELECT 'team_b'::text AS team,"
                " session_user AS member, 'admin'::text AS app_role WHERE pg_temp.escalate()"
            )
            row = connection.execute("SELECT console_sync.hello('team_b')").fetchone()
            assert row is not None and row[0]["role"] == "agent"
        assert not is_superuser(admin, mallory.name)
    finally:
        admin.execute(sql.SQL("ALTER ROLE {} NOSUPERUSER").format(sql.Identifier(mallory.name)))


def _through_hello(connection: psycopg.Connection, team: str, body: str) -> None:
    """Have ``hello`` run ``body`` by way of a temporary view named like its table."""
    connection.execute("SET check_function_bodies = off")
    connection.execute(
        "CREATE FUNCTION pg_temp.payload() RETURNS boolean LANGUAGE sql AS "
        f"$$ {body}; SELECT true $$"
    )
    connection.execute(
        sql.SQL(
            "CREATE TEMP VIEW members AS SELECT {}::text AS team, session_user AS member,"
            " 'admin'::text AS app_role WHERE pg_temp.payload()"
        ).format(sql.Literal(team))
    )
    with pytest.raises(psycopg.Error):  # refused, or the body ran and failed
        connection.execute("SELECT console_sync.hello(%s)", (team,))


def test_a_planted_sequence_counter_leaves_no_gap(
    server: Server, admin: psycopg.Connection, teams: tuple[Login, Login]
) -> None:
    allow_temporary_objects(admin, server)
    alice, mallory = teams
    with mallory.connect() as connection:
        for statement in (
            "UPDATE console_sync.teams SET last_seq = last_seq + 5",
            "INSERT INTO console_sync.changes (team, seq, change_id, workstation, client_seq,"
            " entity, row_id, hlc, fields) VALUES ('team_a', 9, 'x', 'w', 0, 'agents', 'r',"
            " '', '[]')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
        _through_hello(
            connection, "team_a", "UPDATE console_sync.teams SET last_seq = last_seq + 5"
        )
    with alice.connect() as connection:
        assert push(connection, "team_a", [change("after")])["seq"] == 2
        assert [r[0] for r in pull(connection, "team_a")] == [1, 2]


def test_a_member_cannot_disable_the_append_only_trigger(
    server: Server, admin: psycopg.Connection, teams: tuple[Login, Login]
) -> None:
    allow_temporary_objects(admin, server)
    _, mallory = teams
    with mallory.connect() as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(
                "ALTER TABLE console_sync.changes DISABLE TRIGGER changes_append_only"
            )
        _through_hello(
            connection,
            "team_a",
            "ALTER TABLE console_sync.changes DISABLE TRIGGER changes_append_only;"
            " DELETE FROM console_sync.changes WHERE team = 'team_a'",
        )
    assert [r[3]["name"] for r in pull(admin, "team_a")] == ["team a's secret"]
    enabled = admin.execute(
        "SELECT tgenabled FROM pg_trigger WHERE tgname = 'changes_append_only'"
    ).fetchone()
    assert enabled == ("O",)


def test_another_teams_log_and_members_are_out_of_reach(
    login: LoginMaker, teams: tuple[Login, Login]
) -> None:
    _, mallory = teams
    boss = login("atk_boss_b", "team_b", "admin")
    for who in (mallory, boss):
        with who.connect() as connection:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not a member"):
                pull(connection, "team_a")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not a member"):
                push(connection, "team_a", [change("a2")])
            for statement, args in (
                ("SELECT * FROM console_sync.members_of(%s)", ("team_a",)),
                ("SELECT console_sync.set_member(%s, %s, 'admin')", ("team_a", who.name)),
                ("SELECT console_sync.remove_member(%s, %s)", ("team_a", "atk_alice")),
            ):
                with pytest.raises(
                    psycopg.errors.InsufficientPrivilege,
                    match='only an admin of sync team "team_a"',
                ):
                    connection.execute(statement, args)
    with boss.connect() as connection:  # her own team she does manage
        found = connection.execute("SELECT member FROM console_sync.members_of('team_b')")
        assert {r[0] for r in found} == {"atk_mallory", "atk_boss_b"}


def test_the_log_names_the_member_who_pushed_whatever_the_author_says(
    teams: tuple[Login, Login],
) -> None:
    alice, _ = teams
    with alice.connect() as connection:
        push(connection, "team_a", [change("forged")], author="Bob, the team lead" * 100)
        rows = pull(connection, "team_a", 1)
    assert [(r[4], r[5]) for r in rows] == [("atk_alice", "lead")]
    assert len(rows[0][6]) <= 200


def test_a_workstation_stays_bound_to_its_first_member(
    login: LoginMaker, teams: tuple[Login, Login]
) -> None:
    alice, _ = teams
    bob = login("atk_bob", "team_a")
    with bob.connect() as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="bound to the member"):
            push(connection, "team_a", [change("as_alice")], workstation="ws1")
        assert push(connection, "team_a", [change("mine")], workstation="ws_bob")["inserted"] == 1
    with alice.connect() as connection:
        assert [(r[7], r[4]) for r in pull(connection, "team_a")] == [
            ("ws1", "atk_alice"),
            ("ws_bob", "atk_bob"),
        ]


LEAD_ONLY = {
    "support_windows": "support windows",
    "agents": "agents and their roles",
    "policy_versions": "the policy",
    "escalation_contacts": "vendor escalation contacts",
}


def test_an_agent_may_not_push_lead_only_changes_but_a_lead_may(
    login: LoginMaker, teams: tuple[Login, Login]
) -> None:
    alice, _ = teams  # a lead
    agent = login("atk_agent", "team_a", "agent")
    lead_only = [change(f"agent_{e}", e, f"row_{e}") for e in LEAD_ONLY]
    with agent.connect() as connection:
        reply = push(connection, "team_a", [*lead_only, change("agent_customer")], "ws_agent")
    assert reply["inserted"] == 1
    assert reply["refused"] == [
        {"id": f"agent_{e}", "reason": f"only a team lead or admin may change {what}"}
        for e, what in LEAD_ONLY.items()
    ]
    with alice.connect() as connection:
        assert push(connection, "team_a", lead_only)["inserted"] == len(LEAD_ONLY)
        stored = pull(connection, "team_a", 1)
    assert [(r[1], r[4], r[5]) for r in stored] == [
        ("customers", "atk_agent", "agent"),
        *[(e, "atk_alice", "lead") for e in LEAD_ONLY],
    ]


def test_a_policy_version_clash_is_renumbered_never_lost(
    login: LoginMaker, teams: tuple[Login, Login]
) -> None:
    alice, _ = teams
    other_lead = login("atk_lead_2", "team_a", "lead")

    def policy(change_id: str, row: str, version: int) -> dict[str, Any]:
        return change(change_id, "policy_versions", row, version=version, text=row)

    with alice.connect() as connection:
        push(connection, "team_a", [policy("p1", "policy_one", 3)])
    with other_lead.connect() as connection:
        reply = push(connection, "team_a", [policy("p2", "policy_two", 3)], "ws_2")
        assert reply["refused"] == [] and reply["inserted"] == 1
        again = push(connection, "team_a", [policy("p2_again", "policy_two", 3)], "ws_2")
        assert again["inserted"] == 1
        rows = pull(connection, "team_a", 1)
    assert [(r[2], r[3]["version"]) for r in rows] == [
        ("policy_one", 3),
        ("policy_two", 4),
        ("policy_two", 4),
    ]


def test_malformed_changes_are_refused_one_by_one_and_the_good_ones_stored(
    teams: tuple[Login, Login],
) -> None:
    alice, _ = teams
    missing_id = change("x")
    del missing_id["id"]
    huge = change("huge", blob="x" * (64 * 1024 * 1024))
    batch: list[Any] = [
        change("good_1"),
        {**change("fields_array"), "fields": ["not", "an", "object"]},
        {**change("bad_hlc"), "hlc": "yesterday"},
        change("unknown_kind", "passwords"),
        missing_id,
        {**change("no_row"), "row": ""},
        {**change("bases_list"), "bases": [1]},
        {**change("bad_cseq"), "cseq": "soon"},
        42,
        huge,
        change("good_2", row="r2"),
    ]
    with alice.connect() as connection:
        reply = push(connection, "team_a", batch)
        rows = pull(connection, "team_a", 1)
    assert (reply["received"], reply["inserted"]) == (len(batch), 2)
    reasons = {item["id"]: item["reason"] for item in reply["refused"]}
    assert set(reasons) == {
        "fields_array",
        "bad_hlc",
        "unknown_kind",
        "",
        "no_row",
        "bases_list",
        "bad_cseq",
        "huge",
    }
    assert "fields must be a JSON object" in reasons["fields_array"]
    assert "clock stamp" in reasons["bad_hlc"]
    assert 'unknown kind of record "passwords"' in reasons["unknown_kind"]
    assert "64 MiB" in reasons["huge"]
    assert [r[3]["name"] for r in rows] == ["good_1", "good_2"]


def _push_in_a_thread(info: str, outcome: dict[str, object]) -> threading.Thread:
    def run() -> None:
        try:
            with psycopg.connect(info, autocommit=True) as connection:
                outcome["reply"] = push(connection, "team_a", [change("waiting")], "ws_w")
        except psycopg.Error as error:
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker


def test_an_open_transaction_cannot_stall_the_teams_pushes(
    login: LoginMaker, teams: tuple[Login, Login]
) -> None:
    alice, _ = teams
    other = login("atk_waiter", "team_a")
    blocker = alice.connect(autocommit=False)
    try:
        push(blocker, "team_a", [change("held")])  # the team's lock, held: never committed
        row = blocker.execute("SHOW idle_in_transaction_session_timeout").fetchone()
        assert row == ("15s",)  # the server ends this transaction if it idles on
        outcome: dict[str, object] = {}
        worker = _push_in_a_thread(other.conninfo, outcome)
        worker.join(60)  # a bound for the old code, which waits for ever
        assert not worker.is_alive(), "a push waited on an open transaction without end"
    finally:
        blocker.rollback()
        blocker.close()
    worker.join(10)
    error = outcome.get("error")
    assert isinstance(error, psycopg.errors.LockNotAvailable), outcome
    assert "held the team for over 5 seconds" in str(error)
    assert "nothing was stored" in str(error)


def test_only_members_learn_the_teams_channel_and_notices_carry_nothing(
    login: LoginMaker, admin: psycopg.Connection, teams: tuple[Login, Login]
) -> None:
    alice, mallory = teams
    stranger = login("atk_stranger")  # in no team at all
    with stranger.connect() as connection, pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute("SELECT console_sync.hello('team_a')")
    with mallory.connect() as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not a member"):
            connection.execute("SELECT console_sync.hello('team_a')")
        row = connection.execute("SELECT console_sync.hello('team_b')").fetchone()
        assert row is not None
        channel_b = row[0]["channel"]

    listener = alice.connect()
    eavesdropper = stranger.connect()
    try:
        row = listener.execute("SELECT console_sync.hello('team_a')").fetchone()
        assert row is not None
        hello = row[0]
        channel = hello["channel"]
        assert re.fullmatch(r"sync_[0-9a-f]{32}", channel)
        assert channel not in ("sync_team_a", channel_b)
        assert (hello["role"], hello["member"]) == ("lead", "atk_alice")
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        eavesdropper.execute("LISTEN sync_team_a")
        with alice.connect() as pusher:
            push(pusher, "team_a", [change("wake")])
        heard = list(listener.notifies(timeout=10, stop_after=1))
        assert [(n.channel, n.payload) for n in heard] == [(channel, "")]
        # Notices arrive in commit order: once the sentinel is heard, the push's would have been.
        admin.execute("NOTIFY sync_team_a, 'sentinel'")
        overheard = list(eavesdropper.notifies(timeout=10, stop_after=1))
        assert [n.payload for n in overheard] == ["sentinel"]
    finally:
        listener.close()
        eavesdropper.close()


def test_a_version_1_server_upgrades_with_its_log_readable(
    pg_cluster: PgCluster, login: LoginMaker
) -> None:
    name = pg_cluster.create_database()
    info = pg_cluster.admin_conninfo(name)
    first = migrations()[0]
    veteran = login("atk_veteran")
    with psycopg.connect(info, autocommit=True) as connection:  # init-server as version 1 did
        connection.execute("CREATE SCHEMA console_sync")
        connection.execute(
            "CREATE TABLE console_sync.schema_version (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        connection.execute(first.path.read_text(encoding="utf-8").encode())
        connection.execute("INSERT INTO console_sync.schema_version VALUES (1, 'init')")
        connection.execute("INSERT INTO console_sync.members VALUES ('team_a', 'atk_veteran')")
        connection.execute("GRANT console_sync_client TO atk_veteran")
        legacy = [change("old_1"), change("old_2", "agents", "agent_row")]
        connection.execute(
            "SELECT console_sync.push('team_a', 'ws_old', %s::jsonb, 'Vera')",
            (json.dumps(legacy),),
        )

    result = init_server(info)
    assert (result.before, result.after, result.applied) == (
        1,
        4,
        ("0002_hardening", "0003_saved_views", "0004_mail_templates"),
    )
    with psycopg.connect(info, autocommit=True) as connection:
        rows = pull(connection, "team_a")
        owner = connection.execute(
            "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'console_sync'"
        ).fetchone()
    assert [(r[0], r[2], r[4], r[5], r[6]) for r in rows] == [
        (1, "r1", "", None, "Vera"),
        (2, "agent_row", "", None, "Vera"),
    ]
    assert owner == ("console_sync_owner",)
    assert [(m.member, m.app_role) for m in list_members(info, "team_a")] == [
        ("atk_veteran", "agent")
    ]
    member = PgTransport(
        f"host=127.0.0.1 port={pg_cluster.port} dbname={name} user={veteran.name}"
        f" password={veteran.password}"
    )
    try:
        reply = member.push(
            "team_a", "ws_old", "Vera", [change("new_1"), change("new_2", "agents")]
        )
        assert (reply.inserted, reply.seq) == (1, 3)
        assert [r.change_id for r in reply.refused] == ["new_2"]
        assert [(r.seq, r.member, r.member_role) for r in member.pull("team_a", 2, 10)] == [
            (3, "atk_veteran", "agent")
        ]
    finally:
        member.close()
    as_veteran = veteran.conninfo.replace(f"dbname={veteran.dbname}", f"dbname={name}")
    with pytest.raises(SyncRefused, match='only an admin of sync team "team_a"'):
        list_members(as_veteran, "team_a")  # an agent now, until the administrator says more


def test_a_version_2_server_upgrades_to_3_and_then_takes_saved_views_from_an_agent(
    pg_cluster: PgCluster,
    login: LoginMaker,
    db_admin: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    name = pg_cluster.create_database()
    info = pg_cluster.admin_conninfo(name)
    shipped = tmp_path / "v2"  # init-server as version 2 did: its two migrations only
    shipped.mkdir()
    for migration in migrations()[:2]:
        shutil.copy(migration.path, shipped / migration.path.name)
    with monkeypatch.context() as patch:
        patch.setattr(server_schema, "MIGRATIONS", shipped)
        assert init_server(info).after == 2
    viewer = login("atk_viewer")
    with psycopg.connect(info, autocommit=True) as connection:
        connection.execute("SELECT console_sync.set_member('team_a', 'atk_viewer', 'agent')")
    view = change(
        "view_1",
        "saved_views",
        "v1",
        name="Unassigned P1",
        owner_id="a1",
        shared=1,
        filter='{"unassigned":true}',
        deleted=0,
    )
    member = PgTransport(
        f"host=127.0.0.1 port={pg_cluster.port} dbname={name} user={viewer.name}"
        f" password={viewer.password}"
    )
    try:
        assert member.hello("team_a").version == 2
        before = member.push("team_a", "ws_view", "Vera", [view])
        assert [r.reason for r in before.refused] == ['unknown kind of record "saved_views"']
        user, password = db_admin
        monkeypatch.setenv("PGPASSWORD", password)
        url = f"postgresql://{user}@127.0.0.1:{pg_cluster.port}/{name}"
        assert sync_command(["upgrade-server", "--url", url, "--tls", "disable"]) == 0
        assert member.hello("team_a").version == 4 == SERVER_VERSION
        after = member.push("team_a", "ws_view", "Vera", [view])
        assert (after.inserted, after.refused) == (1, ())
        assert [(r.entity, r.row_id, r.member_role) for r in member.pull("team_a", 0, 10)] == [
            ("saved_views", "v1", "agent")
        ]
        lead_only = member.push("team_a", "ws_view", "Vera", [change("win_1", "support_windows")])
        assert [r.reason for r in lead_only.refused] == [
            "only a team lead or admin may change support windows"
        ]
    finally:
        member.close()
    with psycopg.connect(info, autocommit=True) as connection:
        found = connection.execute(
            "SELECT p.proowner::regrole::text, p.prosecdef, p.proconfig, p.provolatile,"
            " l.lanname, has_function_privilege('atk_viewer', p.oid, 'EXECUTE')"
            " FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
            " WHERE p.oid = 'console_sync.change_problem(jsonb, text)'::regprocedure"
        ).fetchone()
        versions = connection.execute(
            "SELECT version, name FROM console_sync.schema_version ORDER BY version"
        ).fetchall()
    # Still inlinable into push: plain SQL, STABLE, no SET clause, not SECURITY DEFINER.
    assert found == ("console_sync_owner", False, None, "s", "sql", False)
    assert versions == [(1, "init"), (2, "hardening"), (3, "saved_views"), (4, "mail_templates")]
