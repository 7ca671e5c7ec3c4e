"""Causality across a crash: a workstation's new event always replays after the events its
user already saw, even when a peer's clock ran ahead and the local clock was never saved.

Events replay in (at, hlc, id) order, and a new event's instant is clamped to the incident's
latest, so when a peer's wall clock runs an hour ahead, the stamp decides. A workstation
killed before its clean exit saved its hybrid clock restarts from its wall clock alone: had
it not caught up with the stamps it holds, a "reopen" after a peer's "resolve" would replay
before it, and the incident would stay resolved here and on every replica.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from console.domain.ids import HlcStamp, HybridLogicalClock
from console.domain.records import Status
from console.services.incidents import IncidentService
from console.services.workstation import workstation
from db.store import SqliteStore
from tests.services.conftest import WORKSTATION, Customers, FakeClock, Team, report

AHEAD = timedelta(hours=1)


def _millis(clock: FakeClock, skew: timedelta = timedelta()) -> int:
    return int((clock.now() + skew).timestamp() * 1000)


def _resolved_by_a_peer_whose_clock_runs_ahead(
    store: SqliteStore,
    clock: FakeClock,
    team: Team,
    customers: Customers,
    peer_wall: Callable[[], int] | None = None,
) -> str:
    """An incident answered here and resolved by a peer an hour ahead; its id."""
    here = IncidentService(store, clock, team.agent, WORKSTATION, _clock(clock))
    opened = here.open_incident(report(customers.premium))
    clock.advance(minutes=5)
    here.respond(opened.id, "Fixed?")
    peer_clock = FakeClock(clock.now() + AHEAD)
    peer_hlc = HybridLogicalClock("ws-peer", peer_wall or (lambda: _millis(peer_clock)))
    peer = IncidentService(store, peer_clock, team.other, "ws-peer", peer_hlc)
    peer.resolve(opened.id, "Certificate renewed")
    return opened.id


def _clock(clock: FakeClock) -> HybridLogicalClock:
    """This workstation's clock as a restart after a kill makes it: the wall clock alone."""
    return HybridLogicalClock(WORKSTATION, lambda: _millis(clock))


def test_a_reopen_after_a_peers_resolve_reopens_even_with_a_clock_that_forgot(
    store: SqliteStore, clock: FakeClock, team: Team, customers: Customers
) -> None:
    incident_id = _resolved_by_a_peer_whose_clock_runs_ahead(store, clock, team, customers)
    clock.advance(minutes=1)  # still an hour behind the peer's stamp
    restarted = IncidentService(store, clock, team.agent, WORKSTATION, _clock(clock))

    reopened = restarted.reopen(incident_id, "It came back")

    assert reopened.status is Status.OPEN
    details = restarted.details(incident_id)
    assert details.summary.status is Status.OPEN
    assert [e.kind.value for e in details.events][-2:] == ["resolved", "reopened"]


def test_a_workstation_restarted_after_a_kill_starts_past_every_stamp_it_holds(
    store: SqliteStore, clock: FakeClock, team: Team, customers: Customers
) -> None:
    a_day_ahead = lambda: time.time_ns() // 1_000_000 + 86_400_000  # noqa: E731
    incident_id = _resolved_by_a_peer_whose_clock_runs_ahead(
        store, clock, team, customers, peer_wall=a_day_ahead
    )
    with store.read() as tx:
        held = max(HlcStamp.decode(e.hlc) for e in tx.incidents.events(incident_id))

    station = workstation(store)  # no clean exit saved the clock: only what is stored

    assert HlcStamp.decode(station.hlc.now()) > held
