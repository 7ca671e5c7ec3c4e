"""Issue 15: sending the outbox to a real SMTP server (aiosmtpd on 127.0.0.1, STARTTLS and
AUTH). Whatever the server does — accept, defer, reject, drop the connection after the data,
refuse one recipient — no mail is lost and none arrives twice; the answer counts at the
instant the server accepted it; a mail refused for good leaves the answer unmet and says so.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.domain.clock_model import ClockState
from console.domain.events import EventKind
from console.domain.mail import Mailbox
from console.domain.outbound import OutboxState
from mail.cli import mail_command
from mail.outbox_sender import OutboxSender
from tests.mail.dovecot import USERS, Dovecot, dovecot, free_port
from tests.mail.outbox_world import World, new_world
from tests.mail.smtpd import (
    ACCEPT,
    DEFER_421,
    DEFER_451,
    DROP,
    DROP_MID_DATA,
    PASSWORD,
    REJECT,
    SmtpServer,
    smtp_server,
)

__all__ = ["dovecot"]


@pytest.fixture(scope="module")
def shared() -> Iterator[SmtpServer]:
    with smtp_server(security="starttls", auth=True) as server:
        yield server


@pytest.fixture
def server(shared: SmtpServer) -> Iterator[SmtpServer]:
    shared.mode = ACCEPT
    shared._state.refuse.clear()
    yield shared
    shared.mode = ACCEPT
    shared._state.refuse.clear()


@pytest.fixture
def world(tmp_path: Path, server: SmtpServer) -> Iterator[World]:
    world = new_world(tmp_path / "console.sqlite3", server.account(), contacts=2)
    yield world
    world.close()


@pytest.fixture
def today(tmp_path: Path, server: SmtpServer) -> Iterator[World]:
    """A world on today's date, for the commands (they run on the system's clock)."""
    at = datetime.now(UTC) - timedelta(minutes=1)
    world = new_world(tmp_path / "console.sqlite3", server.account(), contacts=2, at=at)
    yield world
    world.close()


def sender_for(world: World, passwords: dict[str, str] | None = None) -> OutboxSender:
    known = {"support@vendor.example": PASSWORD} if passwords is None else passwords
    return OutboxSender(
        world.store, world.outbox, world.clock, lambda account: known.get(account.username)
    )


def arrived(server: SmtpServer, message_id: str) -> int:
    return server.accepted_ids().count(message_id)


def test_an_answer_arrives_threaded_and_counts_when_the_server_accepted_it(
    world: World, server: SmtpServer
) -> None:
    incident = world.open_incident()  # Premium Plus P1: first response due in 15 minutes
    world.clock.advance(minutes=4)
    world.outbox.respond(incident, "We are looking at the checkout now.")
    [queued] = world.outbox.due()
    world.clock.advance(minutes=2)  # the server is reached two minutes later
    result = sender_for(world).send_once()
    number = world.incidents.summary(incident).number
    assert result.lines == (f"sent {number} c0@customer.example",)
    assert result.sent == 1 and result.waiting == 0
    [got] = [r for r in server.accepted if r.message_id == queued.mail.message_id]
    assert got.data == queued.raw  # the queued bytes, never recomposed
    assert got.mail_from == "support@vendor.example"
    assert got.rcpt_tos == ("c0@customer.example", "rachel@vendor.example")  # the CSM copied
    assert got.user == "support@vendor.example"
    message = email.message_from_bytes(got.data, policy=email.policy.default)
    assert str(message["Subject"]).startswith(f"[{number}]")
    details = world.incidents.details(incident)
    fr = details.clocks.first_response
    assert fr.state is ClockState.MET and fr.stopped_at == world.clock.now()
    assert fr.sent_at == world.clock.now() - timedelta(minutes=2)
    assert details.events[-1].kind is EventKind.MAIL_SENT
    assert world.outbox.entries(incident)[0].state is OutboxState.SENT
    assert sender_for(world).send_once().outcomes == ()  # nothing is sent twice
    assert arrived(server, queued.mail.message_id) == 1


def test_with_the_server_down_the_answer_waits_visibly_and_goes_when_it_returns(
    world: World, server: SmtpServer
) -> None:
    incident = world.open_incident()
    world.outbox.respond(incident, "On it.")
    down = free_port()
    with world.store.transaction() as tx:  # the account points at a port nobody listens on
        [account] = tx.outbox.accounts()
        tx.outbox.save_account(replace(account, port=down))
    result = sender_for(world).send_once()
    words = f"Could not reach 127.0.0.1:{down}: connection refused"
    number = world.incidents.summary(incident).number
    assert result.lines == (f"deferred {number} c0@customer.example: {words}",)
    [entry] = world.outbox.entries(incident)
    assert entry.state is OutboxState.DEFERRED and entry.last_error == words
    assert world.incidents.details(incident).clocks.first_response.state is not ClockState.MET
    assert sender_for(world).send_once().outcomes == ()  # it waits out its back-off
    with world.store.transaction() as tx:
        tx.outbox.save_account(account)  # the server is back
    world.clock.advance(minutes=1)
    assert sender_for(world).send_once().lines == (f"sent {number} c0@customer.example",)
    assert arrived(server, entry.mail.message_id) == 1
    assert world.incidents.details(incident).clocks.first_response.state is ClockState.MET


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        (DEFER_451, "451 4.3.0 Try again later"),
        (DEFER_421, "421 4.3.2 Service not available"),
        (DROP, "the server closed the connection"),
        (DROP_MID_DATA, "Sending to 127.0.0.1:"),
    ],
)
def test_a_deferral_or_a_dropped_connection_loses_nothing_and_sends_nothing_twice(
    world: World, server: SmtpServer, mode: str, words: str
) -> None:
    incidents = [world.open_incident(f"Problem {n}") for n in range(3)]
    for incident in incidents:
        world.outbox.respond(incident, "Looking into it.")
    ids = [e.mail.message_id for e in world.outbox.due()]
    server.mode = mode
    first = sender_for(world).send_once()
    assert first.sent == 0 and first.deferred >= 1
    assert all(words in line for line in first.lines), first.lines
    states = {e.state for e in world.outbox.entries()}
    assert states <= {OutboxState.DEFERRED, OutboxState.QUEUED}  # every mail still waits
    server.mode = ACCEPT
    for _ in range(3):
        world.clock.advance(minutes=5)
        sender_for(world).send_once()
    assert {e.state for e in world.outbox.entries()} == {OutboxState.SENT}
    assert sorted(server.accepted_ids().count(i) for i in ids) == [1, 1, 1]


def test_a_refusal_for_good_fails_the_mail_with_the_servers_words(
    world: World, server: SmtpServer
) -> None:
    incident = world.open_incident()
    world.outbox.respond(incident, "On it.")
    server.mode = REJECT
    result = sender_for(world).send_once()
    number = world.incidents.summary(incident).number
    words = "550 5.7.1 Message rejected as spam"
    assert result.lines == (f"failed {number} c0@customer.example: {words}",)
    [entry] = world.outbox.entries(incident)
    assert entry.state is OutboxState.FAILED and entry.last_error == words
    details = world.incidents.details(incident)
    assert details.events[-1].kind is EventKind.MAIL_FAILED
    assert details.clocks.first_response.state is not ClockState.MET  # the answer never counts
    server.mode = ACCEPT
    world.clock.advance(hours=1)
    assert sender_for(world).send_once().outcomes == ()  # never retried


def test_one_refused_recipient_still_sends_to_the_rest_and_is_recorded(
    world: World, server: SmtpServer
) -> None:
    server.refuse("rachel@vendor.example")  # the CSM's copy bounces at RCPT
    incident = world.open_incident()
    world.outbox.respond(incident, "On it.")
    result = sender_for(world).send_once()
    number = world.incidents.summary(incident).number
    assert result.lines == (f"sent {number} c0@customer.example (refused: rachel@vendor.example)",)
    [entry] = world.outbox.entries(incident)
    assert entry.state is OutboxState.SENT and entry.refused == ("rachel@vendor.example",)
    [got] = [r for r in server.accepted if r.message_id == entry.mail.message_id]
    assert got.rcpt_tos == ("c0@customer.example",)
    sent = world.incidents.details(incident).events[-1]
    assert sent.data["recipients"] == ["c0@customer.example"]
    assert sent.data["refused"] == ["rachel@vendor.example"]


def test_every_recipient_refused_for_good_fails_the_mail(world: World, server: SmtpServer) -> None:
    server.refuse("c0@customer.example")
    server.refuse("rachel@vendor.example", "550 5.1.1 Mailbox unavailable")
    incident = world.open_incident()
    world.outbox.respond(incident, "On it.")
    [line] = sender_for(world).send_once().lines
    assert line.startswith(f"failed {world.incidents.summary(incident).number}")
    assert "Every recipient was refused" in line and "550 5.1.1 No such user" in line
    assert world.outbox.entries(incident)[0].state is OutboxState.FAILED


def test_a_missing_password_defers_in_words_and_loses_nothing(
    world: World, server: SmtpServer
) -> None:
    incident = world.open_incident()
    world.outbox.respond(incident, "On it.")
    [line] = sender_for(world, passwords={}).send_once().lines
    assert "No password is stored for support@vendor.example on 127.0.0.1" in line
    assert "'smtp-support_vendor.example'" in line  # the systemd credential to give it
    assert line.startswith("deferred ")
    world.clock.advance(minutes=1)
    assert sender_for(world).send_once().sent == 1
    assert server.accepted_ids().count(world.outbox.entries(incident)[0].mail.message_id) == 1


def test_mail_outbox_lists_the_waiting_mail_and_send_sends_it(
    today: World, server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    incident = today.open_incident()
    today.outbox.respond(incident, "On it.")
    number = today.incidents.summary(incident).number
    [entry] = today.outbox.entries(incident)
    path = today.path
    today.close()
    assert mail_command(["outbox", "--db", str(path)], lambda: path) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == [f"queued {number} c0@customer.example {entry.mail.subject}"]
    server.mode = DEFER_451
    code = _send(path)
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines() == [f"deferred {number} c0@customer.example: 451 4.3.0 Try again later"]
    assert mail_command(["outbox", "--db", str(path)], lambda: path) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"deferred {number} c0@customer.example {entry.mail.subject}: 451 4.3.0 Try again later"
    ]
    assert mail_command(["outbox", "--nonsense"], lambda: path) == 2


def _send(path: Path) -> int:
    # The keyring is not the test's: the password comes as a systemd credential.
    return mail_command(["outbox", "--send", "--db", str(path)], lambda: path)


@pytest.fixture(autouse=True)
def credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "credentials"
    folder.mkdir()
    (folder / "smtp-support_vendor.example").write_text(PASSWORD + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(folder))


def test_mail_watch_once_sends_the_outbox_with_only_an_smtp_account(
    today: World, server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    incident = today.open_incident()
    today.outbox.respond(incident, "On it.")
    number = today.incidents.summary(incident).number
    [entry] = today.outbox.entries(incident)
    path = today.path
    today.close()
    assert mail_command(["watch", "--once", "--db", str(path)], lambda: path) == 0
    assert capsys.readouterr().out.splitlines() == [f"sent {number} c0@customer.example"]
    assert arrived(server, entry.mail.message_id) == 1
    assert mail_command(["outbox", "--send", "--db", str(path)], lambda: path) == 0
    assert capsys.readouterr().out == ""  # nothing left, nothing sent twice
    assert arrived(server, entry.mail.message_id) == 1


def test_a_copy_goes_to_the_imap_sent_folder_and_a_failed_copy_never_fails_the_mail(
    tmp_path: Path, server: SmtpServer, dovecot: Dovecot
) -> None:
    mailbox = Mailbox(
        id="mbx-1",
        name="support@vendor.example",
        host=dovecot.host,
        port=dovecot.port,
        username="alice",
        ca_file=str(dovecot.ca_file),
    )
    account = server.account(sent_mailbox_id=mailbox.id, sent_folder="Sent")
    world = new_world(tmp_path / "console.sqlite3", account)
    try:
        with world.store.transaction() as tx:
            tx.mail.save_mailbox(mailbox)
        dovecot.create_folder("alice", "Sent")
        passwords = {"support@vendor.example": PASSWORD, "alice": USERS["alice"]}

        def sender() -> OutboxSender:
            return OutboxSender(
                world.store, world.outbox, world.clock, lambda a: passwords.get(a.username)
            )

        first = world.open_incident()
        world.outbox.respond(first, "On it.")
        [queued] = world.outbox.due()
        result = sender().send_once()
        assert result.sent == 1 and result.problems == ()
        with dovecot.client("alice", "Sent") as client:
            [uid] = client.search(["ALL"])
            copy = client.fetch([uid], ["BODY.PEEK[]", "FLAGS"])[uid]
        assert copy[b"BODY[]"] == queued.raw
        assert b"\\Seen" in copy[b"FLAGS"]

        dovecot.delete_folder("alice", "Sent")  # the copy cannot be made: the mail still goes
        second = world.open_incident("Another problem")
        world.outbox.respond(second, "On it too.")
        result = sender().send_once()
        assert result.sent == 1
        [problem] = result.problems
        assert problem.startswith("Sent mail was not copied to Sent: ")
        assert "'Sent'" in problem
        assert world.outbox.entries(second)[0].state is OutboxState.SENT
    finally:
        world.close()
