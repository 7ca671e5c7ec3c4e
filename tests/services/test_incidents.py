"""Incident use cases as a support agent meets them: what happens, and what is refused."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.domain.clock_model import ClockType
from console.domain.clocks import ClockState
from console.domain.events import EventKind
from console.domain.ids import HybridLogicalClock
from console.domain.outcomes import Outcome, first_response, outcomes
from console.domain.records import Status
from console.services.action_rules import NO_RESPONSE_OWED
from console.services.incidents import CustomerMessage, IncidentService
from console.services.ports import IncidentFilter
from console.services.validation import ValidationError
from db.store import SqliteStore
from tests.services.conftest import START, Customers, FakeClock, Team, report


def count(store: SqliteStore) -> int:
    with store.read() as tx:
        return sum(1 for _ in tx.incidents.all_ids())


def refusal(excinfo: pytest.ExceptionInfo[ValidationError], field: str = "incident") -> str:
    return excinfo.value.errors[field]


# -- opening -------------------------------------------------------------------------------


def test_paid_plan_proposal_becomes_the_priority(
    incidents: IncidentService, customers: Customers
) -> None:
    summary = incidents.open_incident(report(customers.premium, proposed_priority="P1"))

    assert (summary.priority, summary.proposed_priority) == ("P1", "P1")
    assert summary.status is Status.OPEN
    assert summary.opened_at == START
    assert summary.first_response_due == START + timedelta(minutes=15)  # Premium Plus P1
    assert summary.next_deadline == summary.first_response_due
    assert re.fullmatch(r"INC-[0-9A-Z]{5}-00001", summary.number)
    assert summary.policy_version == 1


def test_email_without_a_priority_defaults_to_p4(
    incidents: IncidentService, customers: Customers
) -> None:
    summary = incidents.open_incident(
        report(customers.premium, channel="email", proposed_priority=None)
    )
    assert (summary.priority, summary.proposed_priority) == ("P4", "P4")


def test_standard_plan_vendor_classifies_and_the_wish_is_kept_beside_it(
    incidents: IncidentService, customers: Customers
) -> None:
    summary = incidents.open_incident(
        report(customers.standard, proposed_priority="P1", priority="P3")
    )
    assert (summary.priority, summary.proposed_priority) == ("P3", "P1")

    emailed = incidents.open_incident(
        report(customers.standard, channel="email", proposed_priority=None)
    )
    assert (emailed.priority, emailed.proposed_priority) == ("P4", "")


def test_standard_plan_web_report_needs_a_classification(
    incidents: IncidentService, customers: Customers
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        incidents.open_incident(report(customers.standard, proposed_priority="P2"))
    assert "vendor sets the priority" in refusal(excinfo, "priority")


def test_paid_plan_refuses_a_classification_that_overrides_the_proposal(
    incidents: IncidentService, customers: Customers
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        incidents.open_incident(report(customers.premium, proposed_priority="P1", priority="P3"))
    assert "change it with a reason" in refusal(excinfo, "priority")


def test_every_problem_of_a_report_is_named_and_nothing_is_saved(
    incidents: IncidentService, customers: Customers, store: SqliteStore
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        incidents.open_incident(
            report(
                customers.premium,
                title="   ",
                contact_id=customers.standard.contacts[0].id,  # someone else's contact
                channel="fax",
                proposed_priority="P9",
                started_at=START + timedelta(hours=2),
                attachments=[("../etc/passwd", b"x"), ("big.log", b"x" * (25 * 2**20 + 1))],
            )
        )
    errors = excinfo.value.errors
    assert errors["title"] == "The title is required."
    assert "Northwind Freight's list" in errors["contact_id"]
    assert errors["channel"].startswith('"fax" is not a channel')
    assert errors["proposed_priority"].startswith('"P9" is not a known priority')
    assert "is in the future" in errors["started_at"]
    assert "not a plain file name" in errors["attachments[0]"]
    assert "attachments may be at most 25.0 MiB" in errors["attachments[1]"]
    assert count(store) == 0

    # The refused report used no number: the next one is still 00001.
    summary = incidents.open_incident(report(customers.premium))
    assert summary.number.endswith("-00001")


def test_started_at_needs_a_zone_and_keeps_it(
    incidents: IncidentService, customers: Customers
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        incidents.open_incident(report(customers.premium, started_at=datetime(2026, 3, 10, 9)))
    assert refusal(excinfo, "started_at") == "The start of the incident needs a time zone."

    la = ZoneInfo("America/Los_Angeles")
    started = datetime(2026, 3, 10, 9, 30, tzinfo=la)
    summary = incidents.open_incident(report(customers.premium, started_at=started))
    details = incidents.details(summary.id)
    assert details.report.started_at == started
    assert details.report.started_at is not None
    assert details.report.started_at.tzinfo == la


def test_numbers_are_unique_on_one_and_across_workstations(
    store: SqliteStore, clock: FakeClock, team: Team, customers: Customers
) -> None:
    numbers = set()
    for station in ("ws-a", "ws-b"):
        hlc = HybridLogicalClock(station)
        service = IncidentService(store, clock, team.agent, station, hlc)
        for _ in range(5):
            numbers.add(service.open_incident(report(customers.premium)).number)
    assert len(numbers) == 10
    assert len({n.rsplit("-", 1)[0] for n in numbers}) == 2  # one prefix per workstation


def test_attachments_are_stored_with_their_checksum(
    incidents: IncidentService, customers: Customers
) -> None:
    log = b"2026-03-10T09:58:00 ERROR upstream 502\n"
    summary = incidents.open_incident(report(customers.premium, attachments=[("app.log", log)]))
    details = incidents.details(summary.id)
    (attachment,) = details.attachments
    assert (attachment.filename, attachment.size) == ("app.log", len(log))
    assert attachment.sha256 == hashlib.sha256(log).hexdigest()
    assert ("attachments", "relevant log files or data") not in details.missing_items


# -- responding and updates ----------------------------------------------------------------


def test_response_within_the_target_meets_it(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=10)
    summary = incidents.respond(opened.id, "We are on it.")

    assert summary.first_response_met is True
    assert summary.first_response_at == START + timedelta(minutes=10)
    # P1 status updates every hour after the first response.
    assert summary.next_deadline == START + timedelta(minutes=70)
    responded = incidents.details(opened.id).events[-1]
    assert responded.kind is EventKind.RESPONDED
    assert responded.data["recipient"] == "olivia@northwind.example"
    assert responded.author == "Sofia Alvarez"
    assert responded.origin == "ws-test"


def test_late_response_misses_the_target(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=16)
    assert incidents.respond(opened.id, "Sorry for the wait.").first_response_met is False


def test_status_update_needs_a_first_response_and_a_designated_email(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    with pytest.raises(ValidationError) as excinfo:
        incidents.post_status_update(opened.id, "status_page", "", "Investigating")
    assert refusal(excinfo).startswith("Respond first")

    incidents.respond(opened.id, "Looking.")
    clock.advance(minutes=50)
    with pytest.raises(ValidationError) as excinfo:
        incidents.post_status_update(opened.id, "email", "someone@elsewhere.example", "Hi")
    assert "not a designated contact of Northwind Freight" in refusal(excinfo, "recipient")
    with pytest.raises(ValidationError) as excinfo:
        incidents.post_status_update(opened.id, "email", "maria@", "Hi")
    assert refusal(excinfo, "recipient").startswith('"maria@" is not a valid email address')

    summary = incidents.post_status_update(
        opened.id, "email", "Maria@Northwind.example", "Fix being deployed."
    )
    assert summary.next_deadline == clock.now() + timedelta(hours=1)
    page = incidents.post_status_update(opened.id, "status_page", "", "Still deploying.")
    assert incidents.details(page.id).events[-1].data["recipient"] == "status page"


# -- priority ------------------------------------------------------------------------------


def test_priority_change_needs_a_reason_and_a_change(
    incidents: IncidentService, customers: Customers
) -> None:
    opened = incidents.open_incident(report(customers.premium, proposed_priority="P2"))
    with pytest.raises(ValidationError) as excinfo:
        incidents.change_priority(opened.id, "P2", "  ", "vendor")
    assert excinfo.value.errors == {
        "reason": "The reason is required.",
        "priority": "The incident is already P2.",
    }


def test_priority_change_before_the_response_restarts_the_clock(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium, proposed_priority="P2"))
    assert opened.first_response_due == START + timedelta(hours=2)
    clock.advance(minutes=30)
    summary = incidents.change_priority(opened.id, "P1", "Whole site down now", "customer")
    assert summary.priority == "P1"
    assert summary.proposed_priority == "P1"  # the customer's side asked for it
    assert summary.first_response_due == clock.now() + timedelta(minutes=15)


# -- escalation ----------------------------------------------------------------------------


def test_escalation_waits_for_a_missed_target_and_goes_one_level_at_a_time(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=10)
    with pytest.raises(ValidationError) as excinfo:
        incidents.escalate(opened.id, 1)
    assert refusal(excinfo, "level") == (  # in the window's zone: the service has no other
        "Escalation 1 becomes available at Tue 10 Mar 2026 10:15 PDT if the vendor has not "
        "responded to the report by then."
    )
    with pytest.raises(ValidationError) as excinfo:
        incidents.escalate(opened.id, 2)
    assert "Escalation 1 comes first" in refusal(excinfo, "level")

    clock.advance(minutes=6)  # 16 min: the 15 min target is missed
    summary = incidents.escalate(opened.id, 1, "No answer")
    assert summary.escalation_level == 1
    with pytest.raises(ValidationError) as excinfo:
        incidents.escalate(opened.id, 1)
    assert refusal(excinfo, "level") == "The incident is already at Escalation 1."
    with pytest.raises(ValidationError):
        incidents.escalate(opened.id, 2)  # its own 15 min have not passed

    clock.advance(minutes=16)
    assert incidents.escalate(opened.id, 2).escalation_level == 2
    with pytest.raises(ValidationError) as excinfo:
        incidents.escalate(opened.id, 3)
    assert refusal(excinfo, "level") == "The incident is at Escalation 2, the highest level."
    with pytest.raises(ValidationError) as excinfo:
        incidents.escalate(opened.id, 4)
    assert refusal(excinfo, "level") == "The policy has no Escalation 4."


def test_no_escalation_after_a_response_in_time(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=5)
    incidents.respond(opened.id, "On it")
    clock.advance(hours=3)
    with pytest.raises(ValidationError) as excinfo:
        incidents.escalate(opened.id, 1)
    assert "responded to the report within the target" in refusal(excinfo, "level")


# -- exclusion, waiting, resolving ---------------------------------------------------------


def test_exclusion_stops_the_clocks_and_leaves_attainment(
    incidents: IncidentService, customers: Customers, store: SqliteStore, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    with pytest.raises(ValidationError) as excinfo:
        incidents.exclude(opened.id, "v", "")
    assert excinfo.value.errors["reason"].startswith('"v" is not a known exclusion reason')
    assert excinfo.value.errors["text"] == "The explanation is required."

    summary = incidents.exclude(opened.id, "iii", "Their own firewall blocks us")
    assert summary.status is Status.EXCLUDED and summary.excluded
    assert summary.next_deadline is None
    with store.read() as tx:
        [row] = tx.incidents.attainment(IncidentFilter(), clock.now() + timedelta(days=1))
    # It leaves the met, missed and pending figures and counts only as excluded.
    assert (row.met, row.missed, row.pending, row.excluded) == (0, 0, 0, 1)

    with pytest.raises(ValidationError) as excinfo:
        incidents.respond(opened.id, "Hello")
    assert refusal(excinfo) == "The incident is excluded: reopen it first."


def test_waiting_on_the_customer_pauses_updates_and_resumes(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    with pytest.raises(ValidationError) as excinfo:
        incidents.resume(opened.id)
    assert refusal(excinfo) == "The incident is not waiting on the customer."

    clock.advance(minutes=5)
    incidents.respond(opened.id, "Please send logs")
    clock.advance(minutes=20)
    waiting = incidents.wait_on_customer(opened.id, "Asked for logs")
    assert waiting.status is Status.WAITING_ON_CUSTOMER
    with pytest.raises(ValidationError) as excinfo:
        incidents.wait_on_customer(opened.id)
    assert refusal(excinfo) == "The incident is already waiting on the customer."

    clock.advance(hours=5)
    paused = incidents.details(opened.id).clocks.status_update
    assert paused.state is ClockState.PAUSED
    resumed = incidents.resume(opened.id, "Logs received")
    assert resumed.status is Status.OPEN
    # 40 minutes of the hourly cadence were left when the wait began.
    assert resumed.next_deadline == clock.now() + timedelta(minutes=40)


def test_resolve_and_reopen(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    with pytest.raises(ValidationError) as excinfo:
        incidents.reopen(opened.id, "again")
    assert refusal(excinfo) == "The incident is open: there is nothing to reopen."

    clock.advance(minutes=5)
    incidents.respond(opened.id, "Fixed?")
    clock.advance(minutes=5)
    resolved = incidents.resolve(opened.id, "Certificate renewed")
    assert resolved.status is Status.RESOLVED
    assert resolved.resolved_at == clock.now()
    assert resolved.next_deadline is None
    with pytest.raises(ValidationError) as excinfo:
        incidents.resolve(opened.id, "again")
    assert refusal(excinfo) == "The incident is resolved: reopen it first."

    clock.advance(days=1)
    with pytest.raises(ValidationError) as excinfo:
        incidents.reopen(opened.id, "")
    assert refusal(excinfo, "reason") == "The reason is required."
    reopened = incidents.reopen(opened.id, "It came back")
    assert reopened.status is Status.OPEN and reopened.resolved_at is None
    assert reopened.next_deadline == clock.now() + timedelta(hours=1)


# -- resolving is not a response (DESIGN §3) ------------------------------------------------
# Northwind is on Premium Plus: a P1 is owed a first response within 15 minutes (24×7).


def events_of(incidents: IncidentService, incident_id: str) -> list[EventKind]:
    return [e.kind for e in incidents.details(incident_id).events]


def test_a_resolution_message_is_the_first_response_sent_with_the_resolve(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=10)
    message = CustomerMessage("  Fixed: the certificate was renewed.  ", "phone", "Maria Rossi")
    resolved = incidents.resolve(opened.id, "Certificate renewed", message)

    assert resolved.status is Status.RESOLVED
    assert resolved.first_response_met is True
    assert resolved.first_response_at == clock.now()
    details = incidents.details(opened.id)
    *_, response, resolve = details.events
    assert (response.kind, resolve.kind) == (EventKind.RESPONDED, EventKind.RESOLVED)
    assert dict(response.data) == {
        "text": "Fixed: the certificate was renewed.",
        "channel": "phone",
        "recipient": "Maria Rossi",
    }
    assert resolve.data["text"] == "Certificate renewed"
    # One instant, and the event order replays the response before the resolve.
    assert response.at == resolve.at == clock.now()
    assert response.sort_key() < resolve.sort_key()
    outcome = first_response(details.clocks)
    assert outcome.outcome is Outcome.MET
    assert outcome.counted_at == clock.now()
    assert outcome.deadline == START + timedelta(minutes=15)


def test_a_resolution_message_goes_to_the_reporting_contact_unless_told_otherwise(
    incidents: IncidentService, customers: Customers
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    incidents.resolve(opened.id, "Renewed", CustomerMessage("It works again."))
    response = incidents.details(opened.id).events[-2]
    assert response.kind is EventKind.RESPONDED
    assert (response.data["channel"], response.data["recipient"]) == (
        "email",
        "olivia@northwind.example",
    )


def test_resolving_without_a_response_misses_it_though_the_deadline_is_ahead(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=5)  # ten minutes before the deadline
    resolved = incidents.resolve(opened.id, "It fixed itself")

    assert events_of(incidents, opened.id) == [EventKind.OPENED, EventKind.RESOLVED]
    assert resolved.first_response_met is False
    assert resolved.first_response_at is None
    clocks = incidents.details(opened.id).clocks
    assert clocks.first_response.state is ClockState.MISSED
    assert clocks.first_response.stop_reason == "resolved without a response"
    outcome = first_response(clocks)
    assert outcome.outcome is Outcome.MISSED
    assert outcome.counted_at is None
    clock.advance(days=40)  # and it stays missed
    assert first_response(incidents.details(opened.id).clocks).outcome is Outcome.MISSED


def test_a_resolution_message_at_the_deadline_meets_and_after_it_is_late(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    on_time = incidents.open_incident(report(customers.premium))
    late = incidents.open_incident(report(customers.premium))
    clock.set(START + timedelta(minutes=15))
    incidents.resolve(on_time.id, "Renewed", CustomerMessage("Fixed."))
    clock.advance(timedelta(milliseconds=1))
    incidents.resolve(late.id, "Renewed", CustomerMessage("Fixed, sorry for the wait."))

    met = first_response(incidents.details(on_time.id).clocks)
    assert (met.outcome, met.counted_at) == (Outcome.MET, START + timedelta(minutes=15))
    missed = first_response(incidents.details(late.id).clocks)
    assert (missed.outcome, missed.counted_at) == (Outcome.MISSED, clock.now())
    assert incidents.summary(late.id).first_response_at == clock.now()  # late, but sent


def test_a_resolution_message_answers_the_escalation_level_reached(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    answered = incidents.open_incident(report(customers.premium))
    silent = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=20)  # the first responses are missed
    for incident in (answered, silent):
        incidents.respond(incident.id, "Looking into it")
        incidents.escalate(incident.id, 1)
    clock.advance(minutes=10)  # 5 minutes before Escalation 1's deadline
    incidents.resolve(answered.id, "Renewed", CustomerMessage("Fixed.", "email"))
    incidents.resolve(silent.id, "Renewed")

    def outcome_of(incident_id: str, kind: ClockType) -> Outcome:
        rows = outcomes(incidents.details(incident_id).clocks)
        return next(row.outcome for row in rows if row.clock is kind)

    assert outcome_of(answered.id, ClockType.ESCALATION_1) is Outcome.MET
    assert outcome_of(silent.id, ClockType.ESCALATION_1) is Outcome.MISSED
    for incident in (answered, silent):  # the late first response stays missed
        assert outcome_of(incident.id, ClockType.FIRST_RESPONSE) is Outcome.MISSED


def test_an_invalid_resolution_message_saves_nothing(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=5)
    with pytest.raises(ValidationError) as excinfo:
        incidents.resolve(opened.id, " ", CustomerMessage("   ", "fax"))
    assert excinfo.value.errors == {
        "text": "The resolution is required.",
        "message": "The resolution message is required.",
        "channel": '"fax" is not a channel (one of: email, web, phone).',
    }
    with pytest.raises(ValidationError) as excinfo:
        incidents.resolve(opened.id, "Renewed", CustomerMessage("x" * 20_001))
    assert refusal(excinfo, "message").startswith("The resolution message is 20001 characters")
    assert events_of(incidents, opened.id) == [EventKind.OPENED]
    assert incidents.summary(opened.id) == opened
    assert first_response(incidents.details(opened.id).clocks).outcome is Outcome.PENDING


def test_a_resolution_message_is_refused_once_the_customer_has_had_a_response(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=5)
    incidents.respond(opened.id, "On it")
    with pytest.raises(ValidationError) as excinfo:
        incidents.resolve(opened.id, "Renewed", CustomerMessage("Fixed."))
    assert refusal(excinfo, "message") == NO_RESPONSE_OWED
    assert events_of(incidents, opened.id) == [EventKind.OPENED, EventKind.RESPONDED]
    assert incidents.resolve(opened.id, "Renewed").first_response_met is True


# -- assignment, notes, the report ---------------------------------------------------------


def test_assign_and_unassign(incidents: IncidentService, customers: Customers, team: Team) -> None:
    opened = incidents.open_incident(report(customers.premium))
    with pytest.raises(ValidationError) as excinfo:
        incidents.assign(opened.id, "no-such-agent")
    assert refusal(excinfo, "agent_id") == "This agent is not registered."

    assert incidents.assign(opened.id, team.other.id).assignee_id == team.other.id
    with pytest.raises(ValidationError) as excinfo:
        incidents.assign(opened.id, team.other.id)
    assert refusal(excinfo, "agent_id") == "The incident is already Tom Becker's."
    assert incidents.assign(opened.id, None).assignee_id is None


def test_notes_are_allowed_on_closed_incidents_and_searchable(
    incidents: IncidentService, customers: Customers, store: SqliteStore
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    incidents.resolve(opened.id, "Done")
    with pytest.raises(ValidationError) as excinfo:
        incidents.note(opened.id, " ")
    assert refusal(excinfo, "text") == "The note is required."
    incidents.note(opened.id, "Postmortem: flaky load balancer")
    with store.read() as tx:
        found = tx.incidents.find(IncidentFilter(text="postmortem balancer"), limit=5)
    assert [s.id for s in found] == [opened.id]


def test_report_items_filled_in_later(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    details = incidents.details(opened.id)
    assert [key for key, _ in details.missing_items] == [
        "impact",
        "started_at",
        "steps",
        "attachments",
        "error_message",
    ]
    request = details.missing_items_request()
    assert request.startswith("Dear Olivia Chen,")
    assert "- steps to reproduce" in request and opened.number in request

    with pytest.raises(ValidationError) as excinfo:
        incidents.update_report(opened.id, {"colour": "red", "affected": "Checkout"})
    assert excinfo.value.errors == {"colour": '"colour" is not an item of the incident report.'}
    with pytest.raises(ValidationError) as excinfo:
        incidents.update_report(opened.id, {"affected": "Checkout"})
    assert refusal(excinfo) == "Nothing in the report has changed."

    clock.advance(minutes=3)
    incidents.update_report(
        opened.id,
        {
            "impact": "No orders",
            "steps": "Pay with any card",
            "error_message": "502 Bad Gateway",
            "started_at": START - timedelta(minutes=20),
            "attachments": [("har.json", b"{}")],
            "title": "Checkout down for all cards",
        },
    )
    details = incidents.details(opened.id)
    assert details.missing_items == ()
    assert details.summary.title == "Checkout down for all cards"
    assert details.missing_items_request() == ""


def test_unknown_incident_is_refused(incidents: IncidentService) -> None:
    with pytest.raises(ValidationError) as excinfo:
        incidents.note("01890000-0000-7000-8000-000000000000", "hello")
    assert refusal(excinfo) == "This incident does not exist."


# -- reading and rebuilding ----------------------------------------------------------------


def test_details_evaluates_the_clocks_now(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=12)
    assert incidents.details(opened.id).clocks.first_response.state is ClockState.AT_RISK
    clock.advance(minutes=5)
    details = incidents.details(opened.id)
    assert details.clocks.first_response.state is ClockState.BREACHED
    assert details.clocks.eligible_level == 1
    assert details.summary == opened  # the stored projection does not tick


def test_rebuilt_projection_equals_the_stored_one(
    incidents: IncidentService, customers: Customers, clock: FakeClock, team: Team
) -> None:
    opened = incidents.open_incident(report(customers.premium, proposed_priority="P2"))
    incidents.assign(opened.id, team.agent.id)
    clock.advance(hours=3)
    incidents.escalate(opened.id, 1)
    incidents.respond(opened.id, "Here now")
    clock.advance(hours=1)
    incidents.wait_on_customer(opened.id)
    stored = incidents.summary(opened.id)
    clock.advance(days=30)  # rebuilding later gives the same answer
    assert incidents.rebuild_projection(opened.id) == stored
    assert incidents.summary(opened.id) == stored


def test_events_keep_their_order_with_a_clock_that_goes_back(
    incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = incidents.open_incident(report(customers.premium))
    clock.set(START - timedelta(minutes=5))  # a skewed workstation clock
    incidents.respond(opened.id, "Hello")
    events = incidents.details(opened.id).events
    assert [e.kind for e in events] == [EventKind.OPENED, EventKind.RESPONDED]
    assert events[1].at == START
    assert datetime(2026, 3, 10, tzinfo=UTC) < events[1].at


def test_rebuild_all_repairs_every_projection(
    incidents: IncidentService, customers: Customers, store: SqliteStore, clock: FakeClock
) -> None:
    first = incidents.open_incident(report(customers.premium))
    second = incidents.open_incident(report(customers.standard, priority="P2"))
    clock.advance(minutes=20)
    incidents.respond(second.id, "On it")
    good = [incidents.summary(first.id), incidents.summary(second.id)]
    with store.transaction() as tx:  # a projection gone wrong (an old bug, a bad merge)
        tx.incidents.append([], replace(good[1], priority="P4", next_deadline=None), "")
    assert incidents.summary(second.id) != good[1]

    assert incidents.rebuild_all() == 2
    assert [incidents.summary(s.id) for s in good] == good
