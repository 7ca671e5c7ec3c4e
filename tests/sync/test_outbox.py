"""The local side of sync without a server: triggers queue every write in its own transaction,
capture is off until sync is switched on, and the trigger field lists match the models.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from console.domain.ids import HybridLogicalClock, new_id
from console.domain.records import Customer
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.seed import builtin_window_id, seed_defaults
from db import migrate
from db.engine import open_database
from db.errors import StoreBug
from db.store import SqliteStore, SqlTransaction
from db.sync import tables
from db.sync.client import SyncClient, enable_capture
from tests.services.conftest import FakeClock
from tests.sync.replicas import START

ROOT = Path(__file__).resolve().parents[2]


def outbox_in(tx: SqlTransaction) -> list[object]:
    return tx.session.execute(text("SELECT seq FROM sync_outbox")).fetchall()


def outbox(store: SqliteStore) -> list[tuple[str, str, dict[str, object] | None]]:
    with store.database.read() as session:
        rows = session.execute(
            text("SELECT entity, row_id, fields FROM sync_outbox ORDER BY seq")
        ).fetchall()
    return [(e, r, json.loads(f) if f is not None else None) for e, r, f in rows]


@pytest.fixture
def local(tmp_path: Path) -> tuple[SqliteStore, CustomerService, HybridLogicalClock]:
    store = SqliteStore(open_database(tmp_path / "l.sqlite3", backup=False, quick_check=False))
    clock = FakeClock(START)
    hlc = HybridLogicalClock("ws-local", lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    lead = AgentService(store, hlc).register("Lee Lead", "lead")
    return store, CustomerService(store, clock, lead, hlc), hlc


def _revision(name: str):  # type: ignore[no-untyped-def]
    path = migrate.SCRIPT_LOCATION / "versions" / name
    spec = importlib.util.spec_from_file_location(f"sync_revision_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_trigger_field_lists_match_the_models() -> None:
    first = _revision("0002_sync.py")
    views = _revision("0008_saved_views.py")  # a record table added later, with its triggers
    frozen = {t: tuple(f) for t, f in first.RECORD_FIELDS.items()}
    frozen[views.TABLE] = tuple(views.FIELDS)
    templates = _revision("0011_mail_templates.py")
    frozen[templates.TABLE] = tuple(templates.FIELDS)
    assert frozen == {t: tables.record_fields(t) for t in tables.RECORD_TABLES}
    assert set(first.APPEND_ONLY) == set(tables.APPEND_ONLY_TABLES)


def test_nothing_is_queued_until_sync_is_switched_on_then_everything_is(local) -> None:  # type: ignore[no-untyped-def]
    store, customers, _ = local
    customer = customers.create_customer("Acme", "standard", builtin_window_id("gmt"))
    assert outbox(store) == []
    assert enable_capture(store.database) is True
    assert enable_capture(store.database) is False  # once
    queued = outbox(store)
    entities = [e for e, _, _ in queued]
    assert entities.index("support_windows") < entities.index("customers")
    mine = [f for e, r, f in queued if r == customer.id]
    assert mine and mine[0] is not None and mine[0]["name"] == "Acme"
    assert any(e == "policy_versions" and f is None for e, _, f in queued)


def test_each_write_queues_only_the_fields_it_changed_in_its_own_transaction(local) -> None:  # type: ignore[no-untyped-def]
    store, customers, _ = local
    enable_capture(store.database)
    customer = customers.create_customer("Acme", "standard", builtin_window_id("gmt"))
    contact = customers.add_contact(customer.id, "Ann", "IT", ["ann@acme.example"])
    with store.database.transaction() as session:
        session.execute(text("DELETE FROM sync_outbox"))
    customers.edit_customer(customer.id, name="Acme Ltd")
    customers.edit_customer(customer.id, name="Acme Ltd")  # no change: nothing queued
    customers.delete_contact(contact.id)
    assert [(e, f) for e, _, f in outbox(store)] == [
        ("customers", {"name": "Acme Ltd"}),
        ("contacts", {"deleted": 1}),
    ]
    with store.database.read() as session:
        clocks = dict(
            session.execute(
                text("SELECT field, base FROM sync_field_clocks WHERE row_id = :r AND base != ''"),
                {"r": customer.id},
            ).fetchall()
        )
    assert set(clocks) == {"name"}  # the new clock, and the one it replaced as its base


def test_a_rolled_back_write_leaves_nothing_queued(local) -> None:  # type: ignore[no-untyped-def]
    store, _, hlc = local
    enable_capture(store.database)
    before = outbox(store)
    draft = Customer(id=new_id(), name="Acme", plan="standard", window_id=builtin_window_id("gmt"))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.customers.save(draft, hlc.now())
        assert len(outbox_in(tx)) == len(before) + 1  # queued inside the same transaction
        raise RuntimeError("abandon")
    assert outbox(store) == before


def test_applying_pulled_changes_queues_nothing(local) -> None:  # type: ignore[no-untyped-def]
    store, _, _ = local
    enable_capture(store.database)
    before = outbox(store)
    with store.database.transaction() as session:
        session.execute(text("UPDATE sync_capture SET applying = 1"))
        session.execute(text("UPDATE agents SET name = 'Renamed'"))
        session.execute(text("UPDATE sync_capture SET applying = 0"))
    assert outbox(store) == before


def test_a_database_whose_sync_triggers_were_lost_refuses_to_sync(local) -> None:  # type: ignore[no-untyped-def]
    store, _, hlc = local
    with store.database.transaction() as session:
        session.execute(text("DROP TRIGGER sync_customers_update"))
    with pytest.raises(StoreBug, match=r"sync_customers_update.*missing"):
        SyncClient(store.database, None, team="t", workstation_id="ws", hlc=hlc)  # type: ignore[arg-type]
