"""Issue 15: the console's background mail thread sends the outbox off the GUI thread, also
when no mailbox is set up but an SMTP account is; each pass comes back on the GUI thread (the
Outbox view refreshes); quitting does not wait for long, and what was not sent stays queued."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.domain.outbound import OutboxState
from console.qt.mail_worker import MailWorker, OutboxReport
from mail.outbox_sender import OutboxSender
from tests.mail.outbox_world import World, new_world
from tests.mail.smtpd import ACCEPT, PASSWORD, STALL, SmtpServer, smtp_server


class NoWatcher:
    def __init__(self, _said: Any) -> None:
        pass

    def run(self, stop: threading.Event) -> None:
        raise AssertionError("no mailbox is set up: nothing should be read")


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server(security="starttls", auth=True) as server:
        yield server


@pytest.fixture
def world(tmp_path: Path, server: SmtpServer) -> Iterator[World]:
    world = new_world(tmp_path / "console.sqlite3", server.account())
    yield world
    world.close()


def test_the_worker_sends_the_outbox_with_only_an_smtp_account_and_reports_on_the_gui_thread(
    qtbot: Any, world: World, server: SmtpServer
) -> None:
    incident = world.open_incident()
    world.outbox.respond(incident, "On it.")
    [entry] = world.outbox.entries(incident)

    def make_sender(said: Any) -> OutboxSender:
        return OutboxSender(
            world.store, world.outbox, world.clock, lambda _a: PASSWORD, on_pass=said
        )

    worker = MailWorker(NoWatcher, lambda: False, make_sender=make_sender)
    reports: list[tuple[OutboxReport, int]] = []
    worker.outbox_sent.connect(lambda r: reports.append((r, threading.get_ident())))
    changed: list[list[str]] = []
    worker.incidents_changed.connect(changed.append)
    with qtbot.waitSignal(worker.outbox_sent, timeout=10_000):
        assert worker.start()
    [(report, thread)] = reports
    assert thread == threading.get_ident()  # delivered on the GUI thread
    number = world.incidents.summary(incident).number
    assert report.sent == 1 and report.lines == (f"sent {number} c0@customer.example",)
    assert changed == [[incident]]
    assert server.accepted_ids() == [entry.mail.message_id]
    assert world.outbox.entries(incident)[0].state is OutboxState.SENT
    assert worker.stop(wait_seconds=2.0)  # idle between passes: stops at once
    assert not worker.running


def test_without_an_account_or_a_mailbox_nothing_runs(tmp_path: Path, server: SmtpServer) -> None:
    world = new_world(tmp_path / "c.sqlite3", server.account(enabled=False))
    try:

        def make_sender(said: Any) -> OutboxSender:
            return OutboxSender(world.store, world.outbox, world.clock, lambda _a: None)

        assert not MailWorker(NoWatcher, lambda: False, make_sender=make_sender).start()
    finally:
        world.close()


def test_quitting_during_a_stalled_send_does_not_hang_and_loses_nothing(
    qtbot: Any, world: World, server: SmtpServer
) -> None:
    incident = world.open_incident()
    world.outbox.respond(incident, "On it.")
    [entry] = world.outbox.entries(incident)
    server.mode = STALL

    def make_sender(said: Any) -> OutboxSender:
        return OutboxSender(
            world.store, world.outbox, world.clock, lambda _a: PASSWORD, on_pass=said
        )

    worker = MailWorker(NoWatcher, lambda: False, make_sender=make_sender)
    assert worker.start()
    assert server.stalled.wait(10), "the sender never reached DATA"
    assert not worker.stop(wait_seconds=0.1)  # the window closes; the send is not waited for
    # Not lost: still in the outbox, taken again after its lease if this process ends now.
    assert world.outbox.entries(incident)[0].state is OutboxState.SENDING
    server.mode = ACCEPT
    server.release()  # the server answers after all: the thread still records it
    qtbot.waitUntil(
        lambda: world.outbox.entries(incident)[0].state is OutboxState.SENT, timeout=10_000
    )
    assert server.accepted_ids() == [entry.mail.message_id]


def test_a_mail_queued_while_the_sender_rests_goes_out_when_woken(
    qtbot: Any, world: World, server: SmtpServer
) -> None:
    def make_sender(said: Any) -> OutboxSender:
        return OutboxSender(
            world.store,
            world.outbox,
            world.clock,
            lambda _a: PASSWORD,
            on_pass=said,
            idle_seconds=3600.0,  # left alone, it would not look again for an hour
        )

    worker = MailWorker(NoWatcher, lambda: False, make_sender=make_sender)
    with qtbot.waitSignal(worker.outbox_sent, timeout=10_000):
        assert worker.start()  # the first pass: nothing due, then it rests
    incident = world.open_incident()
    world.outbox.respond(incident, "On it.")  # an agent answers meanwhile
    [entry] = world.outbox.entries(incident)
    with qtbot.waitSignal(worker.outbox_sent, timeout=10_000):
        worker.wake_sender()
    assert server.accepted_ids() == [entry.mail.message_id]
    assert worker.stop(wait_seconds=2.0)
