"""The sync use case: settings validated, the password only in the keyring, a connection test
said in words, the status (online, offline, pending, last sync), and the runner's loop against
a real server that is stopped and started again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from console.services.sync import (
    KEYRING_SERVICE,
    SyncRefused,
    SyncRound,
    SyncRunner,
    SyncService,
    SyncSettings,
    SyncState,
    SyncStatus,
    SyncUnavailable,
    TlsMode,
    projection_rebuilder,
)
from console.services.validation import ValidationError
from db.sync.backend import SqlSyncBackend
from db.sync.server import add_member
from tests.services.conftest import report
from tests.sync.conftest import MemoryKeyring, Server
from tests.sync.pg import PgCluster
from tests.sync.replicas import Replica
from tests.sync.test_merge import customer_on


def service_for(replica: Replica) -> SyncService:
    backend = SqlSyncBackend(
        replica.database,
        workstation_id=replica.workstation_id,
        hlc=replica.hlc,
        author=replica.agent.name,
        rebuild=projection_rebuilder(replica.clock, replica.workstation_id, replica.hlc),
    )
    return SyncService(backend)


MEMBER, MEMBER_PASSWORD = "sync_member", "sync-member-password"


def settings_for(server: Server, team: str = "support", user: str = MEMBER) -> SyncSettings:
    """Settings for the test cluster, which has no TLS: chosen on purpose, as a team on a
    trusted network might (SCRAM is still required: tls_options)."""
    return SyncSettings(url=server.url, tls_mode=TlsMode.DISABLE, team=team, user=user)


def join(
    server: Server, team: str = "support", user: str = MEMBER, role: str = "agent"
) -> SyncSettings:
    """A member login (SCRAM password ``MEMBER_PASSWORD``) of ``team``, and its settings."""
    server.cluster.create_role(user, MEMBER_PASSWORD)
    add_member(server.conninfo, team, user, role)
    return settings_for(server, team, user)


def test_settings_are_validated_field_by_field(
    replicas: Callable[..., Replica], memory_keyring: MemoryKeyring
) -> None:
    service = service_for(replicas("a"))
    bad = SyncSettings(
        url="http://host/db", tls_mode=TlsMode.REQUIRE, team="Support Team", user=" "
    )
    with pytest.raises(ValidationError) as caught:
        service.configure(bad, "pw")
    assert set(caught.value.errors) == {"url", "team", "user"}
    leaky = SyncSettings("postgresql://u:secret@host/db", TlsMode.REQUIRE, "support", "u")
    with pytest.raises(ValidationError, match="Leave the password out"):
        service.configure(leaky)
    assert service.settings() is None
    assert memory_keyring.passwords == {}


def test_the_password_lives_only_in_the_keyring(
    replicas: Callable[..., Replica], server: Server, memory_keyring: MemoryKeyring
) -> None:
    replica = replicas("a")
    service = service_for(replica)
    saved = service.configure(settings_for(server), "correct horse battery staple")
    assert saved == service.settings()
    assert memory_keyring.passwords == {
        (KEYRING_SERVICE, f"{MEMBER}@{server.url}"): "correct horse battery staple"
    }
    assert service.has_password(saved)
    replica.database.close()
    for file in replica.path.parent.glob(f"{replica.path.name}*"):
        assert b"correct horse" not in file.read_bytes()
    service.configure(settings_for(server))  # no password given: the stored one stays
    assert service.has_password(saved)


def test_without_a_safe_keyring_the_password_is_refused(
    replicas: Callable[..., Replica], server: Server
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(ValidationError, match="No secure system keyring") as caught:
            service_for(replicas("a")).configure(settings_for(server), "pw")
        assert set(caught.value.errors) == {"password"}
    finally:
        keyring.set_keyring(previous)


def test_the_connection_test_says_what_it_found(
    replicas: Callable[..., Replica],
    server: Server,
    pg_cluster: PgCluster,
    memory_keyring: MemoryKeyring,
) -> None:
    service = service_for(replicas("a"))
    said = service.test_connection(join(server), MEMBER_PASSWORD)
    assert re.search(r"sync schema version [2-9]", said) and "team support has 0 changes" in said
    pg_cluster.create_role("bob", "bobs-password")
    with pytest.raises(SyncRefused, match="refused the user name or password"):
        service.test_connection(settings_for(server, user="bob"), "wrong")
    with pytest.raises(SyncRefused, match="does not let this user sync"):
        service.test_connection(settings_for(server, user="bob"), "bobs-password")
    add_member(server.conninfo, "other_team", "bob")
    with pytest.raises(SyncRefused, match='not a member of sync team "support"'):
        service.test_connection(settings_for(server, user="bob"), "bobs-password")
    nowhere = SyncSettings(
        f"postgresql://127.0.0.1:{pg_cluster.port + 1}/x", TlsMode.DISABLE, "support", "x"
    )
    with pytest.raises(SyncUnavailable, match=r"Cannot reach the sync server at 127\.0\.0\.1"):
        service.test_connection(nowhere)


@dataclass
class Watch:
    """What a runner reported, with events to wait on (never sleeps)."""

    statuses: list[SyncStatus]
    pulled: list[SyncRound]
    changed: threading.Condition

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), (self.statuses[-3:], self.pulled)


def run(service: SyncService) -> Iterator[tuple[SyncRunner, Watch]]:
    watch = Watch([], [], threading.Condition())

    def on_status(status: SyncStatus) -> None:
        with watch.changed:
            watch.statuses.append(status)
            watch.changed.notify_all()

    def on_pulled(result: SyncRound) -> None:
        with watch.changed:
            watch.pulled.append(result)
            watch.changed.notify_all()

    runner = SyncRunner(
        service, on_status=on_status, on_pulled=on_pulled, retry_min=0.05, retry_max=0.2
    )
    thread = threading.Thread(target=runner.run, name="sync-test")
    thread.start()
    try:
        yield runner, watch
    finally:
        runner.stop()
        thread.join(30)
        assert not thread.is_alive()


@pytest.fixture
def running(
    replicas: Callable[..., Replica], server: Server, memory_keyring: MemoryKeyring
) -> Iterator[Callable[[Replica], tuple[SyncRunner, Watch]]]:
    stack: list[Iterator[Any]] = []

    def start(replica: Replica) -> tuple[SyncRunner, Watch]:
        service = service_for(replica)
        service.configure(join(server), MEMBER_PASSWORD)
        started = run(service)
        stack.append(started)
        return next(started)

    yield start
    for started in reversed(stack):
        next(started, None)


def test_a_change_reaches_the_other_workstation_through_listen_notify(
    replicas: Callable[..., Replica], running: Callable[[Replica], tuple[SyncRunner, Watch]]
) -> None:
    a, b = replicas("a"), replicas("b")
    _, watch_a = running(a)
    _, watch_b = running(b)
    watch_b.wait_for(lambda: any(s.state is SyncState.ONLINE for s in watch_b.statuses))
    customer = customer_on(a)
    incident = a.incidents.open_incident(report(customer))
    watch_b.wait_for(lambda: any(incident.id in r.incident_ids for r in watch_b.pulled))
    assert b.incidents.summary(incident.id) == a.incidents.summary(incident.id)
    # A's own round (push, then pull its change back) may report after B has pulled: wait
    # for that report, not the one before it (which had nothing to send or pull yet).
    watch_a.wait_for(
        lambda: watch_a.statuses[-1].pending == 0 and watch_a.statuses[-1].last_sync is not None
    )
    status = watch_a.statuses[-1]
    assert status.online and status.last_sync is not None and status.last_error == ""


def test_work_goes_on_while_the_server_is_down_and_is_sent_when_it_is_back(
    replicas: Callable[..., Replica],
    running: Callable[[Replica], tuple[SyncRunner, Watch]],
    pg_cluster: PgCluster,
) -> None:
    a, b = replicas("a"), replicas("b")
    _, watch_a = running(a)
    _, watch_b = running(b)
    watch_a.wait_for(lambda: bool(watch_a.statuses) and watch_a.statuses[-1].online)
    pg_cluster.stop("fast")
    try:
        customer = customer_on(a)  # local work does not wait for the server
        watch_a.wait_for(
            lambda: (
                watch_a.statuses[-1].state is SyncState.OFFLINE and watch_a.statuses[-1].pending > 0
            )
        )
        offline = watch_a.statuses[-1]
        assert "Cannot reach the sync server at 127.0.0.1" in offline.last_error
    finally:
        pg_cluster.start_again()
    watch_b.wait_for(lambda: any("customers" in r.entities for r in watch_b.pulled))
    assert b.customers.customer(customer.id).name == customer.name
    watch_a.wait_for(lambda: watch_a.statuses[-1].online and watch_a.statuses[-1].pending == 0)


def test_a_server_without_tls_is_refused_when_tls_is_required(
    replicas: Callable[..., Replica], server: Server, memory_keyring: MemoryKeyring
) -> None:
    service = service_for(replicas("a"))
    member = join(server)
    for mode in (TlsMode.REQUIRE, TlsMode.VERIFY_FULL):
        settings = SyncSettings(server.url, mode, "support", MEMBER)
        with pytest.raises(SyncRefused, match=r"secure \(TLS\) connection .* failed"):
            service.test_connection(settings, MEMBER_PASSWORD)
    prefer = SyncSettings(server.url, TlsMode.PREFER, "support", member.user)
    assert "version" in service.test_connection(prefer, MEMBER_PASSWORD)


def test_without_a_checked_certificate_a_server_that_checks_no_password_is_refused(
    replicas: Callable[..., Replica], server: Server, memory_keyring: MemoryKeyring
) -> None:
    """The test cluster lets its superuser in over TCP with no password ("trust"): a spoofed
    server could do the same to learn what a workstation pushes, so without verify-full the
    console insists on SCRAM, which also proves the server knows the password."""
    service = service_for(replicas("a"))
    for mode in (TlsMode.DISABLE, TlsMode.PREFER):
        with pytest.raises(SyncRefused, match="without checking a password"):
            service.test_connection(
                SyncSettings(server.url, mode, "support", "postgres"), "any password"
            )
