"""Upgrading a database from revision 0002: projections computed under the old first-response
rule (resolving without a response counted as met) are re-derived once, then left alone."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from console.domain.ids import HybridLogicalClock
from console.domain.outcomes import Outcome
from console.domain.records import Role
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.ports import IncidentFilter
from console.services.reports import REPROJECT_KEY, reproject_if_stale
from console.services.seed import builtin_window_id, seed_defaults
from db import migrate
from db.engine import Database, open_database
from db.store import SqliteStore
from tests.clock import ManualClock
from tests.services.conftest import report

START = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


def build_at_0002(path: Path) -> dict[str, str]:
    """A database at revision 0002 as the previous version left it: three incidents, and the
    one resolved without a response stored as met, as the old rule projected it."""
    clock = ManualClock(START)
    hlc = HybridLogicalClock("ws-old", lambda: int(clock.now().timestamp() * 1000))
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    try:
        seed_defaults(store, clock, hlc)
        lead = AgentService(store, hlc).register("Marcus Webb", Role.LEAD)
        customers = CustomerService(store, clock, lead, hlc)
        made = customers.create_customer("Northwind", "premium", builtin_window_id("gmt"))
        customers.add_contact(made.id, "Olivia Chen", "IT lead", ["olivia@northwind.example"])
        customer = customers.customer(made.id)
        incidents = IncidentService(store, clock, lead, "ws-old", hlc)
        silent = incidents.open_incident(report(customer, proposed_priority="P1"))
        answered = incidents.open_incident(report(customer, proposed_priority="P1"))
        moved = incidents.open_incident(report(customer, proposed_priority="P2"))
        clock.advance(minutes=5)
        incidents.resolve(silent.id, "Fixed, but nobody told the customer")
        incidents.respond(answered.id, "On it")
        clock.advance(hours=3)  # the P2 deadline (2 h) has passed
        incidents.change_priority(moved.id, "P3", "Less urgent than reported", "vendor")
    finally:
        store.close()
    with Database(path) as database:
        migrate.downgrade(database, "0002")
    connection = sqlite3.connect(path)
    try:  # what the old rule had stored
        connection.execute("UPDATE incidents SET first_response_met = 1 WHERE id = ?", (silent.id,))
        connection.commit()
    finally:
        connection.close()
    return {"silent": silent.id, "answered": answered.id, "moved": moved.id}


def revision_of(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        connection.close()


def test_an_upgraded_database_is_re_projected_once(tmp_path: Path) -> None:
    path = tmp_path / "console.sqlite3"
    ids = build_at_0002(path)
    assert revision_of(path) == "0002"

    store = SqliteStore(open_database(path, quick_check=False))
    try:
        assert revision_of(path) == migrate.head_revision()
        with store.read() as tx:
            assert tx.meta.get(REPROJECT_KEY) == "0003"  # stale until re-projected
            stale = tx.incidents.summary(ids["silent"])
        assert stale is not None and stale.first_response_met is True  # the old rule's word

        clock = ManualClock(START + timedelta(days=1))
        hlc = HybridLogicalClock("ws-new")
        told: list[str] = []
        assert reproject_if_stale(store, clock, "ws-new", hlc, told.append, batch=2) == 3
        assert told == ["Re-deriving 3 incidents under the current first-response rule…"]

        now = clock.now()
        with store.read() as tx:
            assert not tx.meta.get(REPROJECT_KEY)
            silent = tx.incidents.summary(ids["silent"])
            moved = tx.incidents.summary(ids["moved"])
            rows = tx.incidents.attainment(IncidentFilter(), now)
            missed = tx.incidents.count(IncidentFilter(outcome=Outcome.MISSED), now)
        assert silent is not None and silent.first_response_met is False
        assert moved is not None
        assert (moved.outcome_priority, moved.outcome_due) == ("P2", START + timedelta(hours=2))
        assert moved.first_response_due != moved.outcome_due  # the P3 clock restarted
        assert sorted((r.priority, r.met, r.missed) for r in rows) == [("P1", 1, 1), ("P2", 0, 1)]
        assert missed == 2

        # Once done, later start-ups leave the projections alone.
        assert reproject_if_stale(store, clock, "ws-new", hlc, told.append) is None
        assert len(told) == 1
    finally:
        store.close()


def test_before_re_projecting_the_new_columns_hold_the_current_deadline(tmp_path: Path) -> None:
    path = tmp_path / "console.sqlite3"
    ids = build_at_0002(path)
    open_database(path, backup=False, quick_check=False).close()
    connection = sqlite3.connect(path)
    try:
        due, priority, month, old_due = connection.execute(
            "SELECT outcome_due, outcome_priority, outcome_month, first_response_due"
            " FROM incidents WHERE id = ?",
            (ids["answered"],),
        ).fetchone()
    finally:
        connection.close()
    assert (due, priority, month) == (old_due, "P1", "2026-03")


def test_a_new_or_empty_database_has_nothing_to_re_project(tmp_path: Path) -> None:
    store = SqliteStore(open_database(tmp_path / "new.sqlite3", quick_check=False))
    try:
        with store.read() as tx:
            assert tx.meta.get(REPROJECT_KEY) is None
        clock = ManualClock(START)
        assert reproject_if_stale(store, clock, "ws", HybridLogicalClock("ws")) is None
    finally:
        store.close()

    with Database(tmp_path / "empty.sqlite3") as database:
        migrate.upgrade(database, "0002")
        migrate.upgrade(database)
        with database.read() as session:
            flag = session.execute(
                text("SELECT value FROM meta WHERE key = :k"), {"k": REPROJECT_KEY}
            ).all()
    assert flag == []
