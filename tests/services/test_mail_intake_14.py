"""Issue 14: what each received message becomes, on a real SQLite store, from the project's
own corpus of real-looking mail. Nothing is lost, nothing is imported twice, auto-replies and
bulk mail open nothing, and a guessed incident number cannot put one customer's mail on
another's incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.domain.events import EventKind
from console.domain.ids import HybridLogicalClock
from console.domain.mail import Verdict
from console.domain.records import Agent, Customer, IncidentSummary, Role, Status
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.mail_intake import MailIntake, MailSource
from console.services.policy import PolicyService
from console.services.seed import builtin_window_id, seed_defaults
from console.services.validation import ValidationError
from db.store import SqliteStore
from mail.parse import parse
from tests.services.conftest import FakeClock, make_store

CORPUS = Path(__file__).resolve().parents[1] / "mail" / "corpus"
MAILBOX = "support@vendor.example"
# When the server received them (its INTERNALDATE), a little after each Date: header.
ARRIVED = datetime(2026, 12, 7, 8, 12, 30, tzinfo=UTC)


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


@pytest.fixture
def harbor(customer_service: CustomerService) -> Customer:
    """A Standard customer whose support list has the corpus's Anna Berg and Nina Graf."""
    svc = customer_service
    harbor = svc.create_customer("Harbor Logistics", "standard", builtin_window_id("gmt"))
    svc.add_contact(harbor.id, "Anna Berg", "IT lead", ["anna.berg@example.com"])
    svc.add_contact(harbor.id, "Nina Graf", "Operations", ["nina.graf@example.com"])
    return svc.customer(harbor.id)


@pytest.fixture
def intake(store: SqliteStore, clock: FakeClock, incidents: IncidentService) -> MailIntake:
    clock.set(ARRIVED + timedelta(minutes=5))
    return MailIntake(store, clock, incidents)


def open_now(store: SqliteStore) -> list[IncidentSummary]:
    with store.read() as tx:
        return tx.incidents.open_incidents()


def take(intake: MailIntake, name: str, at: datetime = ARRIVED, uid: int = 1) -> str:
    source = MailSource(MAILBOX, uidvalidity=7, uid=uid, received_at=at)
    return intake.take(parse(corpus(name)), source).line()


def test_a_contacts_mail_opens_a_p4_incident_received_when_the_server_got_it(
    store: SqliteStore, intake: MailIntake, incidents: IncidentService, harbor: Customer
) -> None:
    line = take(intake, "new-report.eml")
    assert line.startswith("created INC-") and line.endswith(" Harbor Logistics")
    number = line.split()[1]
    [summary] = [s for s in open_now(store) if s.number == number]
    details = incidents.details(summary.id)
    assert details.summary.priority == "P4"  # email tickets default to P4
    assert details.summary.title == "Label printer in warehouse 2 stopped printing"
    assert details.contact is not None and details.contact.name == "Anna Berg"
    opened = details.events[0]
    assert opened.at == ARRIVED  # the server's receipt, not the fetch five minutes later
    assert opened.data["channel"] == "email"
    assert "warehouse" in str(opened.data.get("text")).lower()  # the body is kept
    assert "message.eml" in [a.filename for a in details.attachments]  # and the raw mail


def test_the_same_message_twice_is_one_incident(
    store: SqliteStore, intake: MailIntake, incidents: IncidentService, harbor: Customer
) -> None:
    first = take(intake, "new-report.eml", uid=1)
    again = take(intake, "new-report.eml", uid=2)  # the server offered it again
    assert first.startswith("created ")
    assert again == "ignored duplicate"
    assert len(open_now(store)) == 1


def test_two_workstations_importing_one_mailbox_make_the_same_incident(
    tmp_path: Path, store: SqliteStore, intake: MailIntake, harbor: Customer, clock: FakeClock
) -> None:
    """The incident's id, number and events come from the mailbox and the Message-ID, not
    from the workstation: once synced, the two imports are one incident."""
    here = intake.take(
        parse(corpus("new-report.eml")), MailSource(MAILBOX, 7, 1, received_at=ARRIVED)
    )
    other_store = make_store(tmp_path / "other.sqlite3")
    try:
        hlc = HybridLogicalClock("ws-other", lambda: int(clock.now().timestamp() * 1000))
        seed_defaults(other_store, clock, hlc)
        lead = Agent(id="", name="Lead", role=Role.ADMIN)
        customers = CustomerService(other_store, clock, lead, hlc)
        twin = customers.create_customer("Harbor Logistics", "standard", builtin_window_id("gmt"))
        customers.add_contact(twin.id, "Anna Berg", "IT lead", ["anna.berg@example.com"])
        agent = Agent(id="", name="Email intake", role=Role.AGENT)
        other = MailIntake(
            other_store, clock, IncidentService(other_store, clock, agent, "ws-other", hlc)
        )
        there = other.take(
            parse(corpus("new-report.eml")), MailSource(MAILBOX, 9, 4, received_at=ARRIVED)
        )
        assert (there.incident_id, there.number) == (here.incident_id, here.number)
        with store.read() as tx_a, other_store.read() as tx_b:
            ids_a = [e.id for e in tx_a.incidents.events(here.incident_id)]
            ids_b = [e.id for e in tx_b.incidents.events(there.incident_id)]
        assert ids_a == ids_b
    finally:
        other_store.close()


def test_a_reply_threads_by_its_references_and_resumes_a_wait(
    store: SqliteStore, intake: MailIntake, incidents: IncidentService, harbor: Customer
) -> None:
    number = take(intake, "new-report.eml").split()[1]
    [summary] = [s for s in open_now(store) if s.number == number]
    incidents.wait_on_customer(summary.id, "Which printer model is it?")
    later = ARRIVED + timedelta(hours=2)
    assert take(intake, "reply-threaded.eml", at=later, uid=2) == f"threaded {number}"
    details = incidents.details(summary.id)
    kinds = [e.kind for e in details.events]
    assert kinds[-2:] == [EventKind.CUSTOMER_MESSAGE, EventKind.RESUMED]
    assert details.summary.status is Status.OPEN  # the customer answered: the clock runs
    message = details.events[-2]
    assert message.at == later
    assert message.data["sender"] == "anna.berg@example.com"


def test_a_subject_tag_counts_only_from_that_customers_own_contacts(
    intake: MailIntake,
    incidents: IncidentService,
    customer_service: CustomerService,
    harbor: Customer,
) -> None:
    """A guessed [INC-…] number must not attach another customer's mail to this incident."""
    number = take(intake, "new-report.eml").split()[1]
    tag_mail = corpus("reply-tag-only.eml").replace(b"INC-43CET-00001", number.encode())
    stranger = tag_mail.replace(b"anna.berg@example.com", b"eve@elsewhere.example").replace(
        b"Message-ID: <", b"Message-ID: <eve-"
    )
    source = MailSource(MAILBOX, uidvalidity=7, uid=5, received_at=ARRIVED + timedelta(hours=1))
    assert intake.take(parse(stranger), source).line() == (
        "held unknown-sender eve@elsewhere.example"
    )
    # Another customer's contact, tagging this customer's incident: not threaded onto it.
    other = customer_service.create_customer("Other Ltd", "standard", builtin_window_id("gmt"))
    customer_service.add_contact(other.id, "Eve", "", ["eve@elsewhere.example"])
    source = MailSource(MAILBOX, uidvalidity=7, uid=6, received_at=ARRIVED + timedelta(hours=1))
    retry = stranger.replace(b"Message-ID: <", b"Message-ID: <retry-")
    assert intake.take(parse(retry), source).line().startswith("created ")
    # From the customer's own contact, the tag threads.
    source = MailSource(MAILBOX, uidvalidity=7, uid=7, received_at=ARRIVED + timedelta(hours=2))
    assert intake.take(parse(tag_mail), source).line() == f"threaded {number}"


def test_a_reply_to_a_resolved_incident_reopens_it_then_later_opens_a_linked_one(
    store: SqliteStore,
    intake: MailIntake,
    incidents: IncidentService,
    harbor: Customer,
    clock: FakeClock,
) -> None:
    number = take(intake, "new-report.eml").split()[1]
    [summary] = [s for s in open_now(store) if s.number == number]
    incidents.resolve(summary.id, "Replaced the driver.")
    soon = clock.now() + timedelta(hours=3)
    assert take(intake, "reply-threaded.eml", at=soon, uid=2) == f"reopened {number}"
    assert incidents.summary(summary.id).status is Status.OPEN

    incidents.resolve(summary.id, "Fixed for good.")
    late = clock.now() + timedelta(days=30)
    clock.set(late + timedelta(minutes=1))
    follow_up = corpus("reply-threaded.eml").replace(
        b"Message-ID: <20261207104000.5120@", b"Message-ID: <late-1@"
    )
    source = MailSource(MAILBOX, uidvalidity=7, uid=3, received_at=late)
    line = intake.take(parse(follow_up), source).line()
    assert line.startswith("created INC-") and line.endswith(f"Harbor Logistics linked {number}")
    assert incidents.summary(summary.id).status is Status.RESOLVED  # the old one stays closed


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("ooo-exchange.eml", "ignored auto-reply"),
        ("vacation-gmail.eml", "ignored auto-reply"),
        ("autoreply-zimbra.eml", "ignored auto-reply"),
        ("newsletter.eml", "ignored bulk"),
        ("null-return-path.eml", "ignored auto-reply"),
    ],
)
def test_automatic_and_bulk_mail_opens_nothing(
    store: SqliteStore,
    intake: MailIntake,
    incidents: IncidentService,
    harbor: Customer,
    name: str,
    line: str,
) -> None:
    assert take(intake, name) == line
    assert open_now(store) == []


def test_a_bounce_of_our_mail_goes_on_its_incident_and_an_unknown_one_is_said(
    intake: MailIntake,
    incidents: IncidentService,
    store: SqliteStore,
    clock: FakeClock,
    harbor: Customer,
) -> None:
    number = take(intake, "new-report.eml").split()[1]
    [summary] = [s for s in open_now(store) if s.number == number]
    # Not found: the console has no record of the bounced mail's Message-ID.
    assert take(intake, "postfix-plain-bounce.eml", uid=3).startswith("bounce ")
    with store.transaction() as tx:  # as the outbox will record what it sent
        tx.mail.remember("out-1@console.vendor.example", summary.id, "out", clock.now())
    line = take(intake, "dsn-bounce.eml", uid=4)
    assert line.startswith(f"delivery {number} ")
    assert len(open_now(store)) == 1
    last = incidents.details(summary.id).events[-1]
    assert last.kind is EventKind.DELIVERY and last.data["verdict"] == "bounce"


def test_unknown_senders_wait_in_the_inbox_and_a_loop_is_stopped(
    intake: MailIntake, incidents: IncidentService, store: SqliteStore, harbor: Customer
) -> None:
    assert take(intake, "koi8r.eml") == "held unknown-sender ivan.petrov@example.net"
    with store.read() as tx:
        [held] = tx.mail.held()
    assert held.sender == "ivan.petrov@example.net" and held.status == "held"
    loop = corpus("mail-loop.eml")
    lines = []
    for n in range(25):  # no Message-ID: each copy differs only by a counter in its body
        raw = loop + f"\r\nalert {n}\r\n".encode()
        source = MailSource(MAILBOX, uidvalidity=7, uid=10 + n, received_at=ARRIVED)
        lines.append(intake.take(parse(raw), source).line())
    assert lines[-1] == "held rate-limited alerts@monitor.example.net"
    assert open_now(store) == []


def test_labelled_items_fill_the_report_and_a_file_is_received_at_its_date(
    intake: MailIntake, incidents: IncidentService, customer_service: CustomerService
) -> None:
    shop = customer_service.create_customer("Shop Ltd", "standard", builtin_window_id("gmt"))
    customer_service.add_contact(shop.id, "Nina Graf", "", ["nina.graf@example.com"])
    result = intake.take(
        parse(corpus("labelled-report.eml")), MailSource("imported files", from_file=True)
    )
    assert result.verdict is Verdict.CREATED
    details = incidents.details(result.incident_id)
    assert details.report.impact and details.report.steps and details.report.error_message
    opened = details.events[0]
    assert opened.at == datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # its Date: header
    assert opened.data["mail"]["received_from"] == "date-header"


def test_an_agent_accepts_a_held_message_for_a_customer_or_rejects_it(
    store: SqliteStore,
    clock: FakeClock,
    incidents: IncidentService,
    customer_service: CustomerService,
    harbor: Customer,
) -> None:
    intake = MailIntake(store, clock, incidents, parse=parse)
    clock.set(ARRIVED + timedelta(minutes=5))
    assert take(intake, "koi8r.eml") == "held unknown-sender ivan.petrov@example.net"
    [held] = intake.held()
    assert intake.held_message(held.id).from_address == "ivan.petrov@example.net"
    # The agent adds the sender to Harbor's support list, then accepts the message.
    contact = customer_service.add_contact(harbor.id, "Ivan Petrov", "", [held.sender])
    result = intake.accept(held.id, harbor.id, contact.id, by="Sofia Alvarez")
    assert result.line().startswith("created INC-") and result.line().endswith("Harbor Logistics")
    details = incidents.details(result.incident_id)
    assert details.events[0].at == ARRIVED  # still received when the server got it
    assert intake.held() == []
    with pytest.raises(ValidationError):
        intake.accept(held.id, harbor.id, contact.id, by="Sofia Alvarez")  # not twice
    # A reply to it now threads, and the same mail again is a duplicate.
    assert take(intake, "koi8r.eml", uid=2) == "ignored duplicate"

    assert take(intake, "no-subject.eml", uid=3).startswith("held unknown-sender ")
    [other] = intake.held()
    intake.reject(other.id, by="Sofia Alvarez")
    assert intake.held() == []
    assert len(open_now(store)) == 1


def test_files_a_customer_sends_with_a_reply_become_the_incidents_attachments(
    store: SqliteStore, intake: MailIntake, incidents: IncidentService, harbor: Customer
) -> None:
    """Asked for the log file, the customer replies with it: the agent opens it from the
    incident, under the usual checksum, and finds the incident by its name."""
    from email.message import EmailMessage

    number = take(intake, "new-report.eml").split()[1]
    reply = EmailMessage()
    reply["From"] = "Anna Berg <anna.berg@example.com>"
    reply["To"] = "support@vendor.example"
    reply["Subject"] = "Re: Label printer in warehouse 2 stopped printing"
    reply["Message-ID"] = "<with-log@example.com>"
    reply["In-Reply-To"] = "<20261207081201.4711@mail.example.com>"
    reply.set_content("Here is the spooler log you asked for.")
    log = b"2026-12-07 07:58:01 spooler: queue 'labels' stalled (E1302)\n" * 40
    reply.add_attachment(log, maintype="text", subtype="plain", filename="spooler.log")
    source = MailSource(MAILBOX, uidvalidity=7, uid=9, received_at=ARRIVED + timedelta(hours=1))
    assert intake.take(parse(reply.as_bytes()), source).line() == f"threaded {number}"
    [summary] = open_now(store)
    details = incidents.details(summary.id)
    names = [a.filename for a in details.attachments]
    assert "spooler.log" in names
    with store.read() as tx:
        [kept] = [a for a in details.attachments if a.filename == "spooler.log"]
        assert tx.attachments.content(kept.id) == log
    message = details.events[-1]
    assert message.kind is EventKind.CUSTOMER_MESSAGE
    assert [a["filename"] for a in message.data["attachments"]] == ["spooler.log"]


def test_the_reopen_window_and_sender_limit_are_the_policys(
    store: SqliteStore,
    intake: MailIntake,
    incidents: IncidentService,
    harbor: Customer,
    clock: FakeClock,
    policy_service: PolicyService,
) -> None:
    _, policy = policy_service.current()
    assert (policy.reopen_days, policy.sender_limit) == (14, 10)  # DESIGN §2 defaults
    text = policy.to_toml().replace("reopen_days = 14", "reopen_days = 3")
    text = text.replace("sender_limit = 10", "sender_limit = 2")
    policy_service.save_policy(text, "Shorter reopen window")
    number = take(intake, "new-report.eml").split()[1]
    [summary] = [s for s in open_now(store) if s.number == number]
    incidents.resolve(summary.id, "Replaced the driver.")
    # Five days on is past the team's three: a linked incident, the old one stays closed.
    later = clock.now() + timedelta(days=5)
    clock.set(later + timedelta(minutes=1))
    line = take(intake, "reply-threaded.eml", at=later, uid=2)
    assert line.startswith("created INC-") and line.endswith(f"linked {number}")
    assert incidents.summary(summary.id).status is Status.RESOLVED
    # Two messages from Anna in ten minutes already: the third waits in the Inbox.
    lines = []
    for n in (1, 2):
        again = corpus("new-report.eml").replace(b"Message-ID: <", f"Message-ID: <{n}-".encode())
        at = later + timedelta(minutes=n)
        lines.append(intake.take(parse(again), MailSource(MAILBOX, 7, 2 + n, at)).line())
    assert lines[0].startswith("created ")
    assert lines[1] == "held rate-limited anna.berg@example.com"
