"""Restoring a deleted contact: the same record comes back, at its place, in one write."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from console.domain.ids import HlcStamp, HybridLogicalClock
from console.domain.records import Contact
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.ranking import ordered_by_rank
from console.services.validation import ValidationError
from db.store import SqliteStore
from tests.services.conftest import Customers, report


def ordered(svc: CustomerService, customer_id: str) -> list[Contact]:
    return ordered_by_rank(svc.customer(customer_id).contacts)


def names(svc: CustomerService, customer_id: str) -> list[str]:
    return [c.name for c in ordered(svc, customer_id)]


def stored(store: SqliteStore, contact_id: str) -> tuple[int, str, int]:
    """(deleted flag, clock stamp, rows with this id) as the contacts table holds them."""
    with store.read() as tx:
        deleted, stamp = tx.session.execute(
            text("SELECT deleted, hlc FROM contacts WHERE id = :id"), {"id": contact_id}
        ).one()
        count = tx.session.execute(
            text("SELECT count(*) FROM contacts WHERE id = :id"), {"id": contact_id}
        ).scalar_one()
    return deleted, stamp, count


def contact_rows(store: SqliteStore) -> int:
    with store.read() as tx:
        return tx.session.execute(text("SELECT count(*) FROM contacts")).scalar_one()


@pytest.fixture
def three(customer_service: CustomerService, customers: Customers) -> list[Contact]:
    """Northwind's list: Olivia Chen, Maria Rossi, James Okafor (in that order)."""
    customer_service.add_contact(
        customers.premium.id, "James Okafor", "Sysadmin", ["james@northwind.example"]
    )
    return ordered(customer_service, customers.premium.id)


def test_restore_brings_back_the_same_record_at_its_place(
    customer_service: CustomerService, customers: Customers, store: SqliteStore, three
) -> None:
    svc, cid = customer_service, customers.premium.id
    olivia, maria, james = three
    rows = contact_rows(store)
    svc.delete_contact(maria.id)
    deleted_flag, deleted_at, _ = stored(store, maria.id)
    assert deleted_flag == 1
    assert names(svc, cid) == ["Olivia Chen", "James Okafor"]

    restored = svc.restore_contact(maria.id)  # an agent may, as with every contact edit

    assert restored == maria  # same id, details and key: its key was still free
    assert ordered(svc, cid) == [olivia, maria, james]
    flag, restored_at, count = stored(store, maria.id)
    assert (flag, count) == (0, 1)
    assert contact_rows(store) == rows  # no new record
    # A fresh clock, later than the delete's: the un-delete wins wherever both meet.
    assert HlcStamp.decode(restored_at) > HlcStamp.decode(deleted_at)


def test_restore_after_others_were_added_and_moved_goes_between_its_old_neighbours(
    customer_service: CustomerService, customers: Customers, three
) -> None:
    svc, cid = customer_service, customers.premium.id
    olivia, maria, _james = three
    svc.delete_contact(maria.id)
    zed = svc.add_contact(cid, "Zed Quinn", "", ["zed@northwind.example"])
    svc.move_contact(zed.id, None, olivia.id)  # first
    assert names(svc, cid) == ["Zed Quinn", "Olivia Chen", "James Okafor"]

    restored = svc.restore_contact(maria.id)

    assert restored.id == maria.id and restored.rank == maria.rank
    assert names(svc, cid) == ["Zed Quinn", "Olivia Chen", "Maria Rossi", "James Okafor"]


def test_restore_when_its_key_was_taken_goes_next_to_its_old_neighbour(
    customer_service: CustomerService, customers: Customers, three
) -> None:
    svc, cid = customer_service, customers.premium.id
    olivia, maria, james = three
    svc.delete_contact(maria.id)
    # Placing James right after Olivia again gives him the key Maria had.
    order = svc.move_contact(james.id, olivia.id, None)
    assert [c.rank for c in order] == [olivia.rank, maria.rank]

    restored = svc.restore_contact(maria.id)

    after = ordered(svc, cid)
    assert [c.id for c in after] == [olivia.id, maria.id, james.id]
    assert restored.rank != maria.rank and restored == after[1]
    assert replace(restored, rank=maria.rank) == maria  # only the key changed
    assert after[2].rank == maria.rank  # James keeps his key
    assert len({c.rank for c in after}) == 3


def test_restore_at_a_given_row_for_an_exact_undo(
    customer_service: CustomerService,
    customers: Customers,
    store: SqliteStore,
    hlc: HybridLogicalClock,
    three,
) -> None:
    svc, cid = customer_service, customers.premium.id
    olivia, maria, james = three
    svc.delete_contact(maria.id)
    # James's key rewritten meanwhile, still after Olivia but now below Maria's old key.
    with store.transaction() as tx:
        tx.customers.save_contact(replace(james, rank="a0V"), hlc.now())
    assert names(svc, cid) == ["Olivia Chen", "James Okafor"]
    svc.restore_contact(maria.id)  # by its key alone: after James
    assert names(svc, cid) == ["Olivia Chen", "James Okafor", "Maria Rossi"]

    svc.delete_contact(maria.id)
    svc.restore_contact(maria.id, index=1)  # an undo knows the row it had
    assert names(svc, cid) == ["Olivia Chen", "Maria Rossi", "James Okafor"]
    svc.delete_contact(maria.id)
    svc.restore_contact(maria.id, index=0)
    assert names(svc, cid) == ["Maria Rossi", "Olivia Chen", "James Okafor"]
    svc.delete_contact(maria.id)
    svc.restore_contact(maria.id, index=99)  # clamped: last
    assert names(svc, cid) == ["Olivia Chen", "James Okafor", "Maria Rossi"]
    svc.delete_contact(maria.id)
    svc.restore_contact(maria.id, index=-5)  # clamped: first
    after = ordered(svc, cid)
    assert [c.id for c in after] == [maria.id, olivia.id, james.id]
    assert len({c.rank for c in after}) == 3


def test_only_a_deleted_contact_can_be_restored(
    customer_service: CustomerService, customers: Customers, three
) -> None:
    svc, cid = customer_service, customers.premium.id
    olivia = three[0]
    before = ordered(svc, cid)
    with pytest.raises(ValidationError) as excinfo:
        svc.restore_contact(olivia.id)
    assert excinfo.value.errors == {
        "contact_id": (
            "Olivia Chen is still on the support list: only a deleted contact can be restored."
        )
    }
    with pytest.raises(ValidationError) as excinfo:
        svc.restore_contact("0190a0a0-0000-7000-8000-000000000000")
    assert excinfo.value.errors == {"contact_id": "There is no such contact: nothing to restore."}
    assert ordered(svc, cid) == before

    svc.delete_contact(olivia.id)
    svc.restore_contact(olivia.id)
    with pytest.raises(ValidationError):  # restored once: the second time is refused
        svc.restore_contact(olivia.id)


def test_an_incidents_reporting_contact_is_the_restored_contact_again(
    customer_service: CustomerService, customers: Customers, incidents: IncidentService
) -> None:
    olivia = customers.premium.contacts[0]
    opened = incidents.open_incident(report(customers.premium))  # reported by Olivia
    customer_service.delete_contact(olivia.id)
    incidents.respond(opened.id, "Looking.")
    assert incidents.details(opened.id).events[-1].data["recipient"] == ""  # no one to write to

    customer_service.restore_contact(olivia.id)

    details = incidents.details(opened.id)
    assert details.contact == olivia
    assert olivia in customer_service.customer(customers.premium.id).contacts
    incidents.respond(opened.id, "Still looking.")
    recipient = incidents.details(opened.id).events[-1].data["recipient"]
    assert recipient == "olivia@northwind.example"
    again = incidents.open_incident(report(customers.premium, title="Another one"))
    assert incidents.details(again.id).contact == olivia
