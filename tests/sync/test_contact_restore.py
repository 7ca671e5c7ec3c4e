"""An undone contact delete reaches other workstations as an un-delete of the same record."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from PySide6.QtGui import QUndoStack

from console.services.ranking import ordered_by_rank
from console.ui.customers.commands import ContactFields, ContactRef, DeleteContactCommand
from tests.services.conftest import report
from tests.sync.replicas import Replica
from tests.sync.test_merge import conflicts, converge, customer_on

Make = Callable[..., Replica]


class RunAtOnce:
    """A list runner that runs each job on the spot (the editor runs them on a worker)."""

    def run_list_job(self, job: Callable[[], object]) -> None:
        job()


def listed(replica: Replica, customer_id: str) -> list[str]:
    customer = replica.customers.customer(customer_id)
    return [c.id for c in ordered_by_rank(customer.contacts)]


def queued(replica: Replica) -> list[tuple[str, str, dict[str, object]]]:
    with replica.database.read() as session:
        rows = session.connection().exec_driver_sql(
            "SELECT entity, row_id, fields FROM sync_outbox ORDER BY seq"
        )
        return [(entity, row_id, json.loads(fields)) for entity, row_id, fields in rows]


def test_undoing_a_delete_shows_the_contact_restored_on_the_other_workstation(
    replicas: Make, qapp: object
) -> None:
    a, b = replicas("a"), replicas("b")
    customer = customer_on(a)
    a.customers.add_contact(customer.id, "Maria Rossi", "Head of IT", ["maria@nw.example"])
    a.customers.add_contact(customer.id, "James Okafor", "Sysadmin", ["james@nw.example"])
    olivia, maria, james = ordered_by_rank(a.customers.customer(customer.id).contacts)
    everyone = [olivia.id, maria.id, james.id]
    converge(a, b)
    incident = b.incidents.open_incident(report(customer, contact_id=maria.id))
    converge(a, b)

    stack = QUndoStack()
    stack.push(  # runs the delete at once, as the editor does
        DeleteContactCommand(
            RunAtOnce(), a.customers, customer.id, ContactRef(maria.id), ContactFields.of(maria), 1
        )
    )
    converge(a, b)
    assert listed(b, customer.id) == [olivia.id, james.id]

    stack.undo()
    # One write on this workstation: the flag cleared on the same record, nothing new.
    assert queued(a) == [("contacts", maria.id, {"deleted": 0})]
    converge(a, b)
    assert listed(b, customer.id) == everyone
    assert b.customers.customer(customer.id).contacts[1] == maria
    assert b.incidents.details(incident.id).contact == maria
    b.incidents.respond(incident.id, "We are on it.")
    assert b.incidents.details(incident.id).events[-1].data["recipient"] == "maria@nw.example"

    stack.redo()
    converge(a, b)
    assert listed(b, customer.id) == [olivia.id, james.id]
    stack.undo()
    converge(a, b)
    assert listed(a, customer.id) == listed(b, customer.id) == everyone
    assert conflicts(a) == conflicts(b) == []


def test_a_restore_wins_over_an_earlier_delete_even_from_a_slow_clock(
    replicas: Make,
) -> None:
    a, b = replicas("a", skew=timedelta(hours=-1)), replicas("b")
    customer = customer_on(a)
    olivia = customer.contacts[0]
    converge(a, b)
    b.customers.delete_contact(olivia.id)  # stamped an hour after a's wall clock
    converge(a, b)
    assert a.customers.customer(customer.id).contacts == ()

    a.customers.restore_contact(olivia.id)  # seen the delete: its clock is later
    converge(a, b)
    for replica in (a, b):
        assert replica.customers.customer(customer.id).contacts == (olivia,)
    assert conflicts(a) == conflicts(b) == []
