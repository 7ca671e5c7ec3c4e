"""Issue 13: acting on several incidents at once, one ordinary use case per incident, on a
real SQLite store. What cannot apply is skipped and named; undo puts back each incident's own
previous value, and never overwrites a change made after the bulk action."""

from __future__ import annotations

from console.domain.records import Status
from console.services.bulk import BulkKind, BulkRequest, apply_one, describe, undo_one
from console.services.incidents import IncidentService
from tests.services.conftest import Customers, Team, report


def test_assign_skips_what_is_resolved_or_already_theirs_and_says_which(
    incidents: IncidentService, customers: Customers, team: Team
) -> None:
    free = incidents.open_incident(report(customers.standard, title="Free", priority="P3"))
    theirs = incidents.open_incident(report(customers.standard, title="Theirs", priority="P3"))
    done = incidents.open_incident(report(customers.standard, title="Done", priority="P3"))
    incidents.assign(theirs.id, team.other.id)
    incidents.resolve(done.id, "Answered.")
    request = BulkRequest(BulkKind.ASSIGN, agent_id=team.other.id, agent_name=team.other.name)

    outcomes = [apply_one(incidents, request, i) for i in (free.id, theirs.id, done.id)]

    assert [o.changed for o in outcomes] == [True, False, False]
    assert incidents.summary(free.id).assignee_id == team.other.id
    assert incidents.summary(done.id).assignee_id is None
    assert describe(request, outcomes) == (
        f"Assigned 1 to {team.other.name}; 2 skipped: {theirs.number} is already "
        f"{team.other.name}'s, {done.number} is resolved."
    )


def test_undo_restores_each_ones_priority_but_not_one_changed_again_since(
    incidents: IncidentService, customers: Customers
) -> None:
    low = incidents.open_incident(report(customers.standard, title="Low", priority="P4"))
    mid = incidents.open_incident(report(customers.standard, title="Mid", priority="P3"))
    again = incidents.open_incident(report(customers.standard, title="Again", priority="P3"))
    request = BulkRequest(BulkKind.PRIORITY, priority="P2", reason="Month-end close")
    done = [apply_one(incidents, request, i) for i in (low.id, mid.id, again.id)]
    assert {incidents.summary(i).priority for i in (low.id, mid.id, again.id)} == {"P2"}
    incidents.change_priority(again.id, "P1", "Now the whole site is down")

    undone = [undo_one(incidents, request, o) for o in done]

    assert [o.changed for o in undone] == [True, True, False]
    assert undone[2].why == f"{again.number} was changed again since"
    assert incidents.summary(low.id).priority == "P4"  # each back to its own
    assert incidents.summary(mid.id).priority == "P3"
    assert incidents.summary(again.id).priority == "P1"  # the later change stands


def test_wait_on_customer_undoes_by_resuming_and_a_note_cannot_be_undone(
    incidents: IncidentService, customers: Customers
) -> None:
    one = incidents.open_incident(report(customers.standard, title="One", priority="P3"))
    wait = BulkRequest(BulkKind.WAIT, text="Asked for the log file")
    [waited] = [apply_one(incidents, wait, one.id)]
    assert incidents.summary(one.id).status is Status.WAITING_ON_CUSTOMER
    assert undo_one(incidents, wait, waited).changed
    assert incidents.summary(one.id).status is Status.OPEN

    note = BulkRequest(BulkKind.NOTE, text="Upstream provider incident")
    noted = apply_one(incidents, note, one.id)
    assert noted.changed
    assert describe(note, [noted]) == "Added a note to 1. Notes cannot be undone."
    assert not undo_one(incidents, note, noted).changed
