"""The sync loop sleeps until something happens: a local commit wakes it at once (no polling
of the outbox), "stop" ends it at once, and it signs in as the member it is configured for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from console.services.seed import builtin_window_id
from console.services.sync import SyncRunner, SyncService, SyncSettings, SyncStatus, TlsMode
from db.sync.server import add_member
from tests.sync.conftest import MemoryKeyring, Server
from tests.sync.replicas import Replica
from tests.sync.test_service import service_for

HOUR = 3600.0  # no poll, and no round on the server's notice, comes to the rescue in a test


class Statuses:
    def __init__(self) -> None:
        self.seen: list[SyncStatus] = []
        self.changed = threading.Condition()

    def __call__(self, status: SyncStatus) -> None:
        with self.changed:
            self.seen.append(status)
            self.changed.notify_all()

    def wait_for(self, test: Callable[[list[SyncStatus]], bool], timeout: float = 20) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: test(self.seen), timeout)


def member_service(replica: Replica, server: Server, team: str, login: str) -> SyncService:
    password = f"pw-{login}"
    server.cluster.create_role(login, password)
    add_member(server.conninfo, team, login, "lead")
    service = service_for(replica)
    service.configure(SyncSettings(server.url, TlsMode.DISABLE, team, login), password)
    return service


@contextmanager
def running(service: SyncService, statuses: Statuses) -> Iterator[SyncRunner]:
    runner = SyncRunner(
        service,
        on_status=statuses,
        poll_interval=HOUR,
        notice_burst=0,
        notice_rate=1 / HOUR,
        retry_min=0.05,
    )
    thread = threading.Thread(target=runner.run, name="sync-test")
    thread.start()
    try:
        yield runner
    finally:
        runner.stop()
        thread.join(10)
        assert not thread.is_alive(), "the sync loop did not stop when asked"


def server_names(server: Server, team: str) -> set[str]:
    with psycopg.connect(server.conninfo) as connection:
        rows = connection.execute(
            "SELECT fields->>'name' FROM console_sync.changes"
            " WHERE team = %s AND entity = 'customers'",
            (team,),
        ).fetchall()
    return {r[0] for r in rows if r[0]}


def test_a_local_commit_is_pushed_at_once_with_no_poll_and_no_outbox_polling(
    replicas: Callable[..., Replica], server: Server, memory_keyring: MemoryKeyring
) -> None:
    replica = replicas("a", team="wake")
    service = member_service(replica, server, "wake", "wake_a")
    statuses = Statuses()
    with running(service, statuses):
        assert statuses.wait_for(lambda seen: any(s.online and not s.pending for s in seen))
        before = len(statuses.seen)

        replica.customers.create_customer("Lakeside Dental", "standard", builtin_window_id("gmt"))

        assert statuses.wait_for(
            lambda seen: any(s.online and not s.pending for s in seen[before:])
        ), "the runner slept through a local change"
    assert "Lakeside Dental" in server_names(server, "wake")
    with psycopg.connect(server.conninfo) as connection:
        members = connection.execute(
            "SELECT DISTINCT member FROM console_sync.changes WHERE team = 'wake'"
        ).fetchall()
    assert members == [("wake_a",)]  # the server knows who pushed, whatever the app says


def test_stop_ends_a_long_wait_at_once(
    replicas: Callable[..., Replica], server: Server, memory_keyring: MemoryKeyring
) -> None:
    replica = replicas("b", team="wake")
    service = member_service(replica, server, "wake", "wake_b")
    statuses = Statuses()
    with running(service, statuses):  # its exit asserts the loop stopped within seconds
        assert statuses.wait_for(lambda seen: any(s.online for s in seen))
