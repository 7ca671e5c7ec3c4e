"""Issue 15: answers by email go through a durable outbox on a real SQLite store. The event
and its outbox row are written together; the answer counts when the server accepts it; a
deferred mail waits with back-off; one refused for good leaves the answer unmet and says so;
recipients come from the support list with the CSM copied."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

from console.domain.clock_model import ClockState
from console.domain.events import EventKind
from console.domain.outbound import OutboxState, Purpose, SmtpAccount
from console.domain.records import Agent, Customer, Role
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.mail_intake import MailIntake, MailSource
from console.services.outbox import OutboxService
from console.services.seed import builtin_window_id
from console.services.validation import NotAllowed, ValidationError
from db.store import SqliteStore
from mail.parse import parse
from tests.services.conftest import Customers, FakeClock, Team, report

CORPUS = Path(__file__).resolve().parents[1] / "mail" / "corpus"


def gmt() -> str:
    return builtin_window_id("gmt")


ACCOUNT = SmtpAccount(
    id="",
    name="support@vendor.example",
    host="smtp.vendor.example",
    port=587,
    username="support@vendor.example",
    from_address="support@vendor.example",
    from_name="Vendor Support",
)


@pytest.fixture
def outbox(
    store: SqliteStore, clock: FakeClock, incidents: IncidentService, team: Team
) -> OutboxService:
    service = OutboxService(store, clock, incidents, team.lead)
    service.accounts.save(ACCOUNT)
    return service


def test_a_response_by_email_is_queued_with_its_event_and_counts_when_accepted(
    outbox: OutboxService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    premium = customers.premium  # Premium Plus: P1 first response in 15 minutes, 24x7
    summary = incidents.open_incident(report(premium))
    clock.advance(minutes=5)
    outbox.respond(summary.id, "We are looking at the checkout now.")
    [entry] = outbox.entries(summary.id)
    assert entry.state is OutboxState.QUEUED
    mail = entry.mail
    assert mail.to == ("olivia@northwind.example",)  # the reporting contact
    assert mail.cc == ("rachel@vendor.example",)  # the CSM, the customer's primary contact
    assert mail.subject == f"[{summary.number}] Checkout returns 502"
    # Not yet counted: the clock still runs, and says why.
    clocks = incidents.details(summary.id).clocks
    assert clocks.first_response.state is not ClockState.MET
    assert clocks.first_response.queued_at == clock.now()

    clock.advance(minutes=3)
    [due] = outbox.due()
    assert outbox.claim(due) and not outbox.claim(due)  # one sender per mail
    accepted = outbox.sent(due, "250 2.0.0 Ok: queued as 4Xk")
    details = incidents.details(summary.id)
    fr = details.clocks.first_response
    assert fr.state is ClockState.MET and fr.stopped_at == accepted
    assert fr.sent_at == accepted - timedelta(minutes=3)
    last = details.events[-1]
    assert last.kind is EventKind.MAIL_SENT and last.at == accepted
    assert outbox.entries(summary.id)[0].state is OutboxState.SENT
    assert outbox.due() == []


def test_the_bytes_are_threaded_to_the_customers_mail_and_a_reply_threads_back(
    outbox: OutboxService,
    incidents: IncidentService,
    customer_service: CustomerService,
    store: SqliteStore,
    clock: FakeClock,
) -> None:
    harbor = customer_service.create_customer("Harbor Logistics", "standard", gmt())
    customer_service.add_contact(harbor.id, "Anna Berg", "IT lead", ["anna.berg@example.com"])
    intake = MailIntake(store, clock, incidents)
    raw = (CORPUS / "new-report.eml").read_bytes()
    created = intake.take(parse(raw), MailSource("support@vendor.example", 7, 1, clock.now()))
    outbox.respond(created.incident_id, "Thanks, on it.")
    [entry] = outbox.due()
    message = email.message_from_bytes(entry.raw, policy=policy.default)
    assert message["Message-ID"] == f"<{entry.mail.message_id}>"
    assert message["In-Reply-To"] == "<20261207081201.4711@mail.example.com>"
    assert message["References"] == "<20261207081201.4711@mail.example.com>"
    number = created.number
    assert message["Subject"] == (f"[{number}] Re: Label printer in warehouse 2 stopped printing")
    assert message["To"] == "anna.berg@example.com"
    assert message["From"] == "Vendor Support <support@vendor.example>"
    assert message["Auto-Submitted"] is None  # typed by an agent
    assert message.get_content().strip() == "Thanks, on it."
    # Her answer to our mail threads by its Message-ID, whatever its subject says.
    answer = (
        b"From: Anna Berg <anna.berg@example.com>\r\nTo: support@vendor.example\r\n"
        b"Subject: printer\r\nMessage-ID: <answer-1@example.com>\r\n"
        b"In-Reply-To: <" + entry.mail.message_id.encode() + b">\r\n\r\nStill broken.\r\n"
    )
    source = MailSource("support@vendor.example", 7, 2, clock.now())
    assert intake.take(parse(answer), source).line() == f"threaded {number}"


def test_a_deferred_mail_backs_off_and_one_refused_leaves_the_answer_unmet(
    outbox: OutboxService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    summary = incidents.open_incident(report(customers.premium))
    outbox.respond(summary.id, "On it.")
    [due] = outbox.due()
    assert outbox.claim(due)
    assert outbox.deferred(due, "421 4.3.2 try again later") is OutboxState.DEFERRED
    [entry] = outbox.entries(summary.id)
    assert entry.state is OutboxState.DEFERRED and entry.last_error == "421 4.3.2 try again later"
    assert entry.next_attempt_at == clock.now() + timedelta(minutes=1)
    assert outbox.due() == []  # waiting out its back-off
    clock.advance(minutes=1)
    [again] = outbox.due()
    assert outbox.claim(again)
    outbox.failed(again, "550 5.1.1 <olivia@northwind.example>: mailbox unavailable")
    details = incidents.details(summary.id)
    assert details.events[-1].kind is EventKind.MAIL_FAILED
    assert details.clocks.first_response.state is not ClockState.MET
    assert details.clocks.responded_at is None
    assert outbox.entries(summary.id)[0].state is OutboxState.FAILED


def test_a_mail_deferred_for_two_days_is_given_up(
    outbox: OutboxService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    summary = incidents.open_incident(report(customers.premium))
    outbox.respond(summary.id, "On it.")
    clock.advance(days=2)
    [due] = outbox.due()
    assert outbox.claim(due)
    assert outbox.deferred(due, "connection refused") is OutboxState.FAILED
    [entry] = outbox.entries(summary.id)
    assert entry.last_error.startswith("Given up after 1 attempt over two days")


def test_a_sender_killed_mid_attempt_leaves_the_mail_to_try_again_later(
    outbox: OutboxService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    summary = incidents.open_incident(report(customers.premium))
    outbox.respond(summary.id, "On it.")
    [due] = outbox.due()
    assert outbox.claim(due)  # ... and the sender dies here
    assert outbox.due() == []  # a live sender may still be at it
    clock.advance(minutes=6)
    [stale] = outbox.due()
    assert stale.state is OutboxState.SENDING
    assert outbox.claim(stale)
    outbox.sent(stale, "250 ok")
    assert [e.state for e in outbox.entries(summary.id)] == [OutboxState.SENT]


def test_recipients_must_be_on_the_support_list_and_withdrawing_fails_the_answer(
    outbox: OutboxService, incidents: IncidentService, customers: Customers
) -> None:
    premium: Customer = customers.premium
    summary = incidents.open_incident(report(premium))
    with pytest.raises(ValidationError) as refused:
        outbox.respond(summary.id, "Hello", "mallory@evil.example")
    assert "not on Northwind Freight's support list" in refused.value.errors["recipient"]
    assert outbox.entries(summary.id) == []
    outbox.respond(summary.id, "Hello Maria", "maria@northwind.example")
    [entry] = outbox.entries(summary.id)
    assert entry.mail.to == ("maria@northwind.example",)
    outbox.withdraw(entry.id)
    assert outbox.entries(summary.id)[0].state is OutboxState.FAILED
    assert incidents.details(summary.id).events[-1].kind is EventKind.MAIL_FAILED
    assert "Withdrawn by Marcus Webb" in outbox.entries(summary.id)[0].last_error


def test_a_status_update_and_a_notice_go_out_and_only_leads_set_up_accounts(
    outbox: OutboxService,
    incidents: IncidentService,
    customers: Customers,
    store: SqliteStore,
    clock: FakeClock,
    team: Team,
) -> None:
    summary = incidents.open_incident(report(customers.premium))
    incidents.respond(summary.id, "Called them.", "phone")
    outbox.post_update(summary.id, "Still on it.")
    notice = outbox.send_notice(summary.id, "We received your escalation.", Purpose.ACKNOWLEDGEMENT)
    due = {e.mail.purpose: e for e in outbox.due()}
    ack = email.message_from_bytes(due[Purpose.ACKNOWLEDGEMENT].raw, policy=policy.default)
    assert ack["Auto-Submitted"] == "auto-generated"
    assert notice.mail.event_id == ""
    agents_outbox = OutboxService(store, clock, incidents, team.agent)
    with pytest.raises(NotAllowed):
        agents_outbox.accounts.save(ACCOUNT)
    assert team.agent.role is Role.AGENT


def test_an_account_with_bad_fields_is_refused_naming_each(outbox: OutboxService) -> None:
    bad = SmtpAccount(id="", name="", host="no host", port=0, from_address="support@")
    with pytest.raises(ValidationError) as refused:
        outbox.accounts.save(bad)
    assert set(refused.value.errors) >= {"name", "host", "port", "from_address"}


def test_a_customers_escalation_is_acknowledged_by_automatic_mail(
    outbox: OutboxService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    outbox.acknowledge_escalations()
    summary = incidents.open_incident(report(customers.premium))  # P1: 15 minutes
    clock.advance(minutes=16)  # missed: the customer may escalate
    incidents.escalate(summary.id, 1, "Nobody answered")
    [ack] = outbox.due()
    assert ack.mail.purpose is Purpose.ACKNOWLEDGEMENT and ack.mail.event_id == ""
    assert ack.mail.to == ("olivia@northwind.example",)
    assert f"escalation of incident {summary.number}" in ack.mail.text
    sent = email.message_from_bytes(ack.raw, policy=policy.default)
    assert sent["Auto-Submitted"] == "auto-generated"
    # It moves no clock: the escalation's response clock still runs.
    assert outbox.claim(ack)
    outbox.sent(ack, "250 ok")
    clocks = incidents.details(summary.id).clocks
    assert clocks.escalation_1.state is not ClockState.MET and clocks.responded_at is None


def test_a_bounce_from_the_first_contact_offers_the_next_one(
    outbox: OutboxService,
    incidents: IncidentService,
    customers: Customers,
    store: SqliteStore,
    clock: FakeClock,
) -> None:
    summary = incidents.open_incident(report(customers.premium))
    outbox.respond(summary.id, "We are on it.")
    [due] = outbox.due()
    assert outbox.claim(due)
    outbox.sent(due, "250 ok")
    bounce = (
        (CORPUS / "dsn-bounce.eml")
        .read_bytes()
        .replace(b"out-1@console.vendor.example", due.mail.message_id.encode())
        .replace(b"gone@example.net", b"olivia@northwind.example")
    )
    intake = MailIntake(store, clock, incidents)
    source = MailSource("support@vendor.example", 7, 9, clock.now())
    line = intake.take(parse(bounce), source).line()
    assert line.startswith(f"delivery {summary.number} olivia@northwind.example")
    [(entry, address, nxt)] = outbox.undelivered(summary.id)
    assert entry.id == due.id and address == "olivia@northwind.example"
    assert nxt is not None and nxt.name == "Maria Rossi"
    outbox.resend(entry.id, nxt.emails[0])
    waiting = outbox.entries(summary.id, waiting_only=True)
    assert [e.mail.to for e in waiting] == [("maria@northwind.example",)]
    assert waiting[0].mail.text == "We are on it."


def test_an_exclusion_may_tell_the_customer_in_the_same_transaction(
    outbox: OutboxService, incidents: IncidentService, customers: Customers
) -> None:
    outbox.notify_exclusions(lambda details: f"Excluded: {details.clocks.excluded_reason}")
    summary = incidents.open_incident(report(customers.premium))
    incidents.exclude(summary.id, "iii", "Their firewall blocks us.", notify=True)
    [notice] = outbox.due()
    assert notice.mail.purpose is Purpose.NOTICE and notice.mail.text == "Excluded: iii"
    assert email.message_from_bytes(notice.raw)["Auto-Submitted"] == "auto-generated"
    other = incidents.open_incident(report(customers.premium, title="Another"))
    incidents.exclude(other.id, "iv", "A third party.")  # not told: nothing queued
    assert outbox.entries(other.id) == []


def test_an_exclusion_to_be_told_without_a_sending_server_is_refused_whole(
    store: SqliteStore, clock: FakeClock, incidents: IncidentService, customers: Customers
) -> None:
    silent = OutboxService(store, clock, incidents, Agent(id="", name="x", role=Role.LEAD))
    silent.notify_exclusions(lambda _details: "Excluded.")
    summary = incidents.open_incident(report(customers.premium))
    with pytest.raises(ValidationError) as refused:
        incidents.exclude(summary.id, "iii", "Their firewall.", notify=True)
    assert "No server to send mail through" in refused.value.errors["notify"]
    assert incidents.summary(summary.id).status.value == "open"  # nothing was recorded
