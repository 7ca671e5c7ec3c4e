"""Issue 14's "done when", against a real dovecot on loopback: a mail delivered to the
watched mailbox becomes a P4 incident of the right customer, received when the server got it;
a reply threads onto it; an out-of-office and a bounce create nothing; the message is marked
seen only once its incident is in the database; nothing is read twice, even by two readers."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import main
from console.domain.ids import HybridLogicalClock
from console.domain.mail import Mailbox
from console.domain.records import Agent, IncidentSummary, Role
from console.services.context import SystemClock
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.mail_intake import MailIntake
from console.services.mailboxes import MailboxService
from console.services.seed import builtin_window_id, seed_defaults
from db.engine import open_database
from db.store import SqliteStore
from mail.parse import parse
from mail.passwords import credential_name
from mail.watch import MailboxStatus, MailWatcher
from tests.mail.dovecot import USERS, Dovecot, dovecot

__all__ = ["dovecot"]

CORPUS = Path(__file__).resolve().parent / "corpus"
RECEIVED = datetime(2026, 12, 7, 8, 12, 30, tzinfo=UTC)  # the server's INTERNALDATE


@pytest.fixture
def alice(dovecot: Dovecot) -> Dovecot:
    """Alice's mailbox, empty and with no \\Seen flags left from an earlier test."""
    with dovecot.client("alice", "INBOX") as client:
        uids = client.search(["ALL"])
        if uids:
            client.delete_messages(uids)
            client.expunge()
    return dovecot


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(open_database(tmp_path / "console.sqlite3", backup=False))
    clock = SystemClock()
    hlc = HybridLogicalClock("ws-watch")
    seed_defaults(store, clock, hlc)
    admin = Agent(id="", name="Admin", role=Role.ADMIN)
    customers = CustomerService(store, clock, admin, hlc)
    harbor = customers.create_customer("Harbor Logistics", "standard", builtin_window_id("gmt"))
    customers.add_contact(harbor.id, "Anna Berg", "IT lead", ["anna.berg@example.com"])
    yield store
    store.close()


@pytest.fixture
def mailbox(store: SqliteStore, alice: Dovecot) -> Mailbox:
    service = MailboxService(store, Agent(id="", name="Lead", role=Role.LEAD))
    return service.save(
        Mailbox(
            id="",
            name="support@vendor.example",
            host=alice.host,
            port=alice.port,
            username="alice",
            ca_file=str(alice.ca_file),
            after="seen",
        )
    )


def watcher(store: SqliteStore, tmp_path: Path, seen: list[MailboxStatus]) -> MailWatcher:
    clock = SystemClock()
    incidents = IncidentService(
        store,
        clock,
        Agent(id="", name="Email intake", role=Role.AGENT),
        "ws-watch",
        HybridLogicalClock("ws-watch"),
    )
    intake = MailIntake(store, clock, incidents, parse=parse)
    return MailWatcher(
        store,
        intake,
        clock,
        lambda m: USERS[m.username],
        tmp_path / "locks",
        on_status=seen.append,
    )


def incidents_of(store: SqliteStore) -> list[IncidentSummary]:
    with store.read() as tx:
        return tx.incidents.open_incidents()


def test_a_delivered_mail_is_a_p4_incident_received_when_the_server_got_it(
    store: SqliteStore, mailbox: Mailbox, alice: Dovecot, tmp_path: Path
) -> None:
    uid = alice.append("alice", (CORPUS / "new-report.eml").read_bytes(), internaldate=RECEIVED)
    alice.append("alice", (CORPUS / "ooo-exchange.eml").read_bytes(), internaldate=RECEIVED)
    alice.append("alice", (CORPUS / "dsn-bounce.eml").read_bytes(), internaldate=RECEIVED)
    seen: list[MailboxStatus] = []
    status = watcher(store, tmp_path, seen).check(mailbox)
    assert status.error == ""
    assert status.lines[0].startswith("created INC-")
    assert status.lines[0].endswith(" Harbor Logistics")
    assert status.lines[1] == "ignored auto-reply"
    assert status.lines[2].startswith("bounce ")
    [incident] = incidents_of(store)  # the out-of-office and the bounce made nothing
    assert incident.priority == "P4"
    assert incident.opened_at == RECEIVED  # the server's receipt, not the check's time
    flags = alice.flags_of("alice")
    assert all("\\Seen" in f for f in flags.values())  # each marked once it was filed
    assert uid in flags

    # A reply arrives: it threads onto the incident; a second check reads only that one.
    reply = (CORPUS / "reply-threaded.eml").read_bytes()
    alice.append("alice", reply, internaldate=RECEIVED.replace(hour=10))
    again = watcher(store, tmp_path, seen).check(mailbox)
    assert again.lines == (f"threaded {incident.number}",)
    assert len(incidents_of(store)) == 1


def test_nothing_is_marked_seen_when_the_database_refuses_the_mail(
    store: SqliteStore, mailbox: Mailbox, alice: Dovecot, tmp_path: Path
) -> None:
    """Another program holds the database's write lock: the check says so in words, and
    the message stays unseen on the server, to be read again at the next check."""
    alice.append("alice", (CORPUS / "new-report.eml").read_bytes(), internaldate=RECEIVED)
    path = store.database.path
    impatient = SqliteStore(open_database(path, backup=False, busy_timeout_ms=100))
    blocker = sqlite3.connect(path, timeout=1, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        status = watcher(impatient, tmp_path, []).check(mailbox)
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()
    assert status.error.startswith("the database refused the mail")
    assert "locked" in status.error.lower() or "busy" in status.error.lower()
    assert all("\\Seen" not in f for f in alice.flags_of("alice").values())
    # The next check, with the database free again, files it.
    again = watcher(impatient, tmp_path, []).check(mailbox)
    impatient.close()
    assert again.lines[0].startswith("created INC-")
    assert all("\\Seen" in f for f in alice.flags_of("alice").values())


def test_two_readers_of_one_mailbox_file_each_message_once(
    store: SqliteStore, mailbox: Mailbox, alice: Dovecot, tmp_path: Path
) -> None:
    for n in range(5):
        raw = (
            (CORPUS / "new-report.eml")
            .read_bytes()
            .replace(b"Message-ID: <", f"Message-ID: <race-{n}-".encode())
        )
        alice.append("alice", raw, internaldate=RECEIVED)
    seen: list[MailboxStatus] = []
    readers = [watcher(store, tmp_path, seen), watcher(store, tmp_path, seen)]
    threads = [threading.Thread(target=r.check, args=(mailbox,)) for r in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(incidents_of(store)) == 5
    lines = [line for status in seen for line in status.lines]
    assert sum(line.startswith("created ") for line in lines) == 5


def test_mail_watch_once_from_the_command_line(
    store: SqliteStore,
    mailbox: Mailbox,
    alice: Dovecot,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The password as a systemd credential: no keyring on a headless machine."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / credential_name(mailbox)).write_text(USERS["alice"] + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    alice.append("alice", (CORPUS / "new-report.eml").read_bytes(), internaldate=RECEIVED)
    path = store.database.path
    assert main.main(["mail", "watch", "--once", "--db", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("created INC-") and "Harbor Logistics" in out, err

    (credentials / credential_name(mailbox)).write_text("wrong\n")
    alice.append("alice", (CORPUS / "labelled-report.eml").read_bytes(), internaldate=RECEIVED)
    assert main.main(["mail", "watch", "--once", "--db", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("support@vendor.example: ")
    assert "Traceback" not in err
