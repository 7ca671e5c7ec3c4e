"""Two and three replicas against a real server: field-level last writer wins, conflicts said
in words, deletes and reorders as merged fields, grow-only timelines, idempotent push and pull.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from console.domain.ids import HybridLogicalClock, workstation_code
from console.services.ranking import ordered_by_rank
from console.services.seed import builtin_window_id
from db.sync.backend import SqlSyncBackend
from db.sync.client import SyncClient, SyncProtocolError
from db.sync.merge import Merger
from db.sync.server import init_server
from db.sync.tables import clock_key
from db.sync.transport import PgTransport, PushReply, RemoteChange, Transport
from tests.services.conftest import report
from tests.sync.conftest import Server
from tests.sync.replicas import START, Replica, TrueTime, dump, make_replica

Make = Callable[..., Replica]


def converge(*replicas: Replica) -> None:
    for _ in range(2):
        for replica in replicas:
            replica.sync()
    first = dump(replicas[0])
    for other in replicas[1:]:
        assert dump(other) == first, f"{other.name} differs from {replicas[0].name}"


def conflicts(replica: Replica) -> list[str]:
    backend = SqlSyncBackend(
        replica.database, workstation_id=replica.workstation_id, hlc=replica.hlc
    )
    return [c.describe() for c in backend.conflicts(50)]


def customer_on(replica: Replica, name: str = "Northwind Freight") -> Any:
    created = replica.customers.create_customer(
        name, "premium_plus", builtin_window_id("pacific"), csm_name="Rachel Adeyemi"
    )
    replica.customers.add_contact(created.id, "Olivia Chen", "IT lead", ["olivia@nw.example"])
    return replica.customers.customer(created.id)


def test_edits_of_different_fields_both_survive(replicas: Make) -> None:
    a, b = replicas("a"), replicas("b")
    customer = customer_on(a)
    converge(a, b)
    a.customers.edit_customer(customer.id, name="Northwind Freight Ltd")
    b.customers.edit_customer(customer.id, csm_name="Rachel Adeyemi-Okafor")
    converge(a, b)
    merged = b.customers.customer(customer.id)
    assert (merged.name, merged.csm_name) == ("Northwind Freight Ltd", "Rachel Adeyemi-Okafor")
    assert conflicts(a) == conflicts(b) == []


def test_the_highest_clock_wins_a_field_and_the_loser_is_told_whom_it_lost_to(
    replicas: Make, truth: TrueTime
) -> None:
    a, b = replicas("a"), replicas("b", skew=timedelta(seconds=-30))
    customer = customer_on(a)
    converge(a, b)
    truth.advance(seconds=5)
    b.customers.edit_customer(customer.id, name="Written by B")  # 25 s behind: lower clock
    a.customers.edit_customer(customer.id, name="Written by A")
    b.sync()  # B's value reaches the server first; A's still wins
    converge(a, b)
    assert a.customers.customer(customer.id).name == "Written by A"
    login = "(signed in to the server as postgres)"  # the replicas sync as the superuser
    expected = (
        f'customer "Written by A": name «Written by B» (workstation {_code(b)}, Agent b '
        f"{login}) was overwritten by «Written by A» (workstation {_code(a)}, Agent a {login})."
    )
    assert conflicts(a) == [expected]
    assert conflicts(b) == [expected]


def _code(replica: Replica) -> str:
    return workstation_code(replica.workstation_id)


def test_an_edit_made_after_seeing_another_is_no_conflict_even_with_a_slow_clock(
    replicas: Make, truth: TrueTime
) -> None:
    a, b = replicas("a", skew=timedelta(hours=1)), replicas("b")
    customer = customer_on(a)
    converge(a, b)
    a.customers.edit_customer(customer.id, name="From the future")
    converge(a, b)
    b.customers.edit_customer(customer.id, name="Seen and corrected")  # wall clock 1 h behind
    converge(a, b)
    assert a.customers.customer(customer.id).name == "Seen and corrected"
    assert conflicts(a) == conflicts(b) == []


def test_equal_clocks_are_broken_by_workstation_id(replicas: Make) -> None:
    a, b = replicas("a"), replicas("b")
    customer = customer_on(a)
    converge(a, b)
    millis = max(clock_key(a.hlc.now())[0], clock_key(b.hlc.now())[0]) + 1000
    for replica, name in ((a, "A"), (b, "B")):  # the very same wall time and counter
        with replica.store.transaction() as tx:
            stamp = f"{millis:013d}-00000-{replica.workstation_id}"
            tx.customers.save(replace(customer, name=name), stamp)
    converge(a, b)
    winner = max((a, b), key=lambda r: r.workstation_id)
    assert a.customers.customer(customer.id).name == ("A" if winner is a else "B")


def test_a_delete_is_a_merged_flag_and_concurrent_edits_of_other_fields_stay(
    replicas: Make,
) -> None:
    a, b = replicas("a"), replicas("b")
    customer = customer_on(a)
    converge(a, b)
    contact = customer.contacts[0]
    a.customers.delete_contact(contact.id)
    b.customers.edit_contact(contact.id, role="Head of IT")
    converge(a, b)
    for replica in (a, b):
        assert replica.customers.customer(customer.id).contacts == ()
        with replica.store.read() as tx:
            gone = tx.customers.contact(contact.id, include_deleted=True)
        assert gone is not None and gone.role == "Head of IT"


def test_concurrent_moves_converge_to_one_order_without_duplicates(replicas: Make) -> None:
    a, b, c = replicas("a"), replicas("b"), replicas("c")
    customer = customer_on(a)
    for name in ("Maria Rossi", "Grace Murphy", "Tom Becker"):
        a.customers.add_contact(customer.id, name, "", [f"{name.split()[0].lower()}@nw.example"])
    converge(a, b, c)
    ids = [x.id for x in ordered_by_rank(a.customers.customer(customer.id).contacts)]
    a.customers.move_contact(ids[3], None, ids[0])  # last to first
    b.customers.move_contact(ids[0], ids[3], None)  # first to last
    c.customers.move_down(ids[1])
    c.customers.add_contact(customer.id, "New Person", "", ["new@nw.example"])
    converge(a, b, c)
    orders = [[x.id for x in r.customers.customer(customer.id).contacts] for r in (a, b, c)]
    assert orders[0] == orders[1] == orders[2]
    assert len(orders[0]) == len(set(orders[0])) == 5


def test_timelines_merge_as_a_union_and_projections_follow(replicas: Make) -> None:
    a, b = replicas("a"), replicas("b")
    customer = customer_on(a)
    incident = a.incidents.open_incident(report(customer))
    converge(a, b)
    a.incidents.respond(incident.id, "We are looking into it.")
    b.incidents.note(incident.id, "Customer called again.")
    b.incidents.assign(incident.id, b.agent.id)
    converge(a, b)
    timeline_a = [e.id for e in a.incidents.details(incident.id).events]
    timeline_b = [e.id for e in b.incidents.details(incident.id).events]
    assert timeline_a == timeline_b and len(timeline_a) == 4
    for replica in (a, b):
        assert replica.incidents.summary(incident.id) == replica.incidents.projected(incident.id)
        assert replica.incidents.summary(incident.id).assignee_id == b.agent.id


def test_attachments_and_policy_versions_travel(replicas: Make) -> None:
    a, b = replicas("a"), replicas("b")
    customer = customer_on(a)
    incident = a.incidents.open_incident(
        report(customer, attachments=[("log.txt", b"\x00\x01 binary log \xff")])
    )
    saved = a.policy.save_policy(a.policy.current()[1].to_toml().replace("15", "16", 1))
    converge(a, b)
    attachment = b.incidents.details(incident.id).attachments[0]
    with b.store.read() as tx:
        assert tx.attachments.content(attachment.id) == b"\x00\x01 binary log \xff"
    assert b.policy.current()[0] == saved


def _premium_plus_p1(replica: Replica, target: str) -> str:
    text = replica.policy.current()[0].text
    marker = '[plans.premium_plus.targets]\nP1 = { target = "15m"'
    assert marker in text
    return text.replace(marker, marker.replace("15m", target))


def test_policy_versions_saved_concurrently_are_renumbered_and_no_deadline_moves(
    replicas: Make,
) -> None:
    a, b = replicas("a"), replicas("b")
    customer = customer_on(a)
    converge(a, b)
    saved = [
        a.policy.save_policy(_premium_plus_p1(a, "45m")),
        b.policy.save_policy(_premium_plus_p1(b, "90m")),
    ]
    assert saved[0].version == saved[1].version == 2
    opened = [r.incidents.open_incident(report(customer)) for r in (a, b)]
    due = {i.id: i.first_response_due for i in opened}
    assert len(set(due.values())) == 2  # each under its own version 2
    converge(a, b)
    numbering = [{v.id: v.version for v in r.policy.versions()} for r in (a, b)]
    assert numbering[0] == numbering[1]  # one numbering on every replica
    assert {saved[0].id, saved[1].id} <= set(numbering[0])  # nothing deleted
    assert sorted(numbering[0].values()) == [1, 2, 3]
    assert numbering[0][saved[0].id] == 2  # A's reached the server first: it keeps 2
    for replica in (a, b):
        for incident in opened:
            summary = replica.incidents.summary(incident.id)
            assert summary.first_response_due == due[incident.id], replica.name
            assert replica.incidents.projected(incident.id).first_response_due == due[incident.id]
        assert replica.incidents.summary(opened[1].id).policy_version == 3
    assert any("policy version" in line and "number 3" in line for line in conflicts(b))


class Flaky:
    """A transport whose next call can lose its reply (the server did the work)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.lose_next_reply = False
        self.replay: list[RemoteChange] | None = None

    def _maybe_lose(self, value: Any) -> Any:
        if self.lose_next_reply:
            self.lose_next_reply = False
            raise SyncProtocolError("reply lost")
        return value

    def hello(self, team: str) -> Any:
        return self.inner.hello(team)

    def push(self, *args: Any) -> PushReply:
        return self._maybe_lose(self.inner.push(*args))  # type: ignore[no-any-return]

    def pull(self, team: str, cursor: int, limit: int) -> list[RemoteChange]:
        if self.replay is not None:
            stale, self.replay = self.replay, None
            return stale
        return self._maybe_lose(self.inner.pull(team, cursor, limit))  # type: ignore[no-any-return]

    def close(self) -> None:
        self.inner.close()


def test_a_lost_push_reply_is_retried_and_stored_once(replicas: Make, server: Server) -> None:
    a = replicas("a", wrap=Flaky)
    customer_on(a)
    pending = a.client.pending()
    a.client.transport.lose_next_reply = True  # type: ignore[attr-defined]
    with pytest.raises(SyncProtocolError):
        a.client.push()
    assert a.client.pending() == pending  # nothing forgotten while unacknowledged
    a.client.push()
    assert a.client.pending() == 0
    with psycopg.connect(server.conninfo) as connection:
        count = connection.execute(
            "SELECT count(*), count(DISTINCT change_id) FROM console_sync.changes"
        )
        assert count.fetchone() == (pending, pending)


def test_a_lost_or_stale_pull_reply_changes_nothing(replicas: Make) -> None:
    a, b = replicas("a"), replicas("b", wrap=Flaky, pull_batch=2)
    customer_on(a)
    a.sync()
    b.client.check_scope()
    flaky: Flaky = b.client.transport  # type: ignore[assignment]
    flaky.lose_next_reply = True
    with pytest.raises(SyncProtocolError):
        b.client.pull()
    assert b.client.cursor == 0
    log = flaky.inner.pull("support", 0, 10)
    assert b.client.pull_page().pulled == 2
    flaky.replay = log[3:5]  # a reply for another cursor arrives: it would skip seq 3
    with pytest.raises(SyncProtocolError, match="skipped"):
        b.client.pull_page()
    assert b.client.cursor == 2
    flaky.replay = log[:2]  # a stale duplicate of what was already applied
    assert b.client.pull_page().pulled == 0
    assert b.client.cursor == 2
    converge(a, b)


def test_a_client_resumes_its_clock_above_every_value_it_holds(
    replicas: Make, server: Server
) -> None:
    a, b = replicas("a", skew=timedelta(days=1)), replicas("b")
    customer = customer_on(a)
    converge(a, b)
    restarted = HybridLogicalClock(b.workstation_id, b.clock.millis)  # forgot what it saw
    SyncClient(
        b.database, PgTransport(server.conninfo), team="support",
        workstation_id=b.workstation_id, hlc=restarted,
    )  # fmt: skip
    with b.database.read() as session:
        held = session.execute(text("SELECT hlc FROM sync_field_clocks")).scalars().all()
    assert clock_key(restarted.now()) > max(clock_key(h) for h in held)
    assert customer.id in dump(b)["clocks"][-1] or held


def test_pointing_a_database_at_a_new_server_sends_it_everything(
    replicas: Make, pg_cluster: Any, truth: TrueTime, tmp_path: Any
) -> None:
    a = replicas("a")
    customer = customer_on(a)
    a.sync()
    other = pg_cluster.create_database()
    init_server(pg_cluster.admin_conninfo(other))
    moved = SyncClient(
        a.database,
        PgTransport(pg_cluster.admin_conninfo(other)),
        team="support",
        workstation_id=a.workstation_id,
        hlc=a.hlc,
    )
    try:
        moved.sync()
        assert moved.pending() == 0
    finally:
        moved.transport.close()
    c = make_replica(tmp_path, "c", pg_cluster.admin_conninfo(other), truth=truth)
    try:
        c.sync()
        assert c.customers.customer(customer.id).name == customer.name
    finally:
        c.close()


def test_a_change_for_a_row_not_seen_yet_waits_in_the_stash(replicas: Make) -> None:
    a = replicas("a")
    a.sync()
    with a.database.transaction() as session:
        connection = session.connection()
        connection.exec_driver_sql("UPDATE sync_capture SET applying = 1")
        merger = Merger(connection, a.workstation_id, "", START)
        partial = RemoteChange(
            1_000_001, "ws-x", "", "agents", "agent-x", "0000000000009-00000-ws-x",
            {"name": "Late Agent"}, {},
        )  # fmt: skip
        rest = RemoteChange(
            1_000_000, "ws-x", "", "agents", "agent-x", "0000000000008-00000-ws-x",
            {"name": "Early", "role": "agent", "email": "", "deleted": 0}, {},
        )  # fmt: skip
        merger.apply(partial)  # a later edit first: the row is incomplete, so it waits
        stashed = connection.exec_driver_sql("SELECT count(*) FROM sync_stash").scalar()
        assert stashed == 1
        merger.apply(rest)
        merger.finish()
        assert connection.exec_driver_sql("SELECT count(*) FROM sync_stash").scalar() == 0
        name = connection.execute(text("SELECT name FROM agents WHERE id = 'agent-x'")).scalar()
        assert name == "Late Agent"
        connection.exec_driver_sql("UPDATE sync_capture SET applying = 0")


def test_an_incident_that_cannot_be_projected_yet_stays_marked_and_is_retried(
    replicas: Make,
) -> None:
    a, b = replicas("a"), replicas("b")
    customer = customer_on(a)
    incident = a.incidents.open_incident(report(customer))
    converge(a, b)
    with b.database.transaction() as session:
        for marked in ("no-such-incident", incident.id):
            session.execute(text("INSERT INTO sync_dirty (incident_id) VALUES (:i)"), {"i": marked})
    assert b.client.reproject() == (incident.id,)
    assert b.incidents.summary(incident.id) == a.incidents.summary(incident.id)
    with b.database.read() as session:
        left = session.execute(text("SELECT incident_id FROM sync_dirty")).scalars().all()
    assert left == ["no-such-incident"]
