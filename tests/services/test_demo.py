"""The demo database: built through the services, realistic, every state present, repeatable."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.domain.clocks import ClockState
from console.domain.ids import HybridLogicalClock
from console.domain.records import Role, Status
from console.services import validation as v
from console.services.demo import build_demo
from console.services.incidents import IncidentService
from tests.services.conftest import FakeClock, make_store

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday


def test_demo_has_every_plan_window_and_state(tmp_path: Path) -> None:
    store = make_store(tmp_path / "demo.sqlite3")
    result = build_demo(store, now=NOW, incidents=80)
    try:
        with store.read() as tx:
            customers = tx.customers.list()
            windows = {w.id: w for w in tx.windows.list()}
            agents = tx.agents.list()
            summaries = [tx.incidents.summary(i) for i in tx.incidents.all_ids()]
        assert result.incidents == len(summaries) == 80

        assert {c.plan for c in customers} == {"standard", "advanced", "premium", "premium_plus"}
        assert {windows[c.window_id].name for c in customers} >= {
            "Pacific",
            "GMT",
            "Australian Eastern",
        }
        for customer in customers:
            assert 3 <= len(customer.contacts) <= 5
            region = v.region_for_zone(windows[customer.window_id].zone)
            assert region is not None
            for contact in customer.contacts:
                assert [v.email(e) for e in contact.emails] == list(contact.emails)
                assert all(v.phone(p, region) == p for p in contact.phones)
                assert contact.phones[0].startswith({"US": "+1", "GB": "+44", "AU": "+61"}[region])
            assert bool(customer.csm_name) == (customer.plan == "premium_plus")
        assert {Role.LEAD, Role.ADMIN} <= {a.role for a in agents}

        statuses = Counter(s.status for s in summaries if s)
        assert set(statuses) == set(Status)
        opened = [s.opened_at for s in summaries if s]
        assert min(opened) < NOW - timedelta(days=150) and max(opened) <= NOW
        assert {1, 2} <= {s.escalation_level for s in summaries if s and s.status is Status.OPEN}

        agent = next(a for a in agents if a.role is Role.AGENT)
        service = IncidentService(store, FakeClock(NOW), agent, "ws", HybridLogicalClock("ws"))
        states: Counter[ClockState | None] = Counter()
        for summary in summaries:
            assert summary is not None
            if summary.status is Status.OPEN:
                current = service.details(summary.id).clocks.current
                states[current.state if current else None] += 1
        assert states[ClockState.AT_RISK] >= 1
        assert states[ClockState.BREACHED] >= 1
        assert states[ClockState.RUNNING] + states[ClockState.PAUSED] >= 1
    finally:
        store.close()


def test_demo_is_the_same_every_time(tmp_path: Path) -> None:
    def build(name: str) -> list[tuple[object, ...]]:
        store = make_store(tmp_path / name)
        try:
            build_demo(store, now=NOW, incidents=30)
            with store.read() as tx:
                rows = [tx.incidents.summary(i) for i in tx.incidents.all_ids()]
            return sorted(
                (s.number, s.title, s.priority, s.status, s.opened_at, s.next_deadline)
                for s in rows
                if s
            )
        finally:
            store.close()

    assert build("a.sqlite3") == build("b.sqlite3")
