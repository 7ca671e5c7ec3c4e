"""Issue 15: a sender killed with SIGKILL while sending the outbox never loses a queued mail
and never sends one twice (each Message-ID reaches the real SMTP server exactly once): killed
before it connects, while the server holds back its answer to the data, and right after the
commit that records a mail as sent. A mail whose sender died mid-attempt is taken again once
its lease has run out, under the same Message-ID."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from console.domain.outbound import OutboxState
from console.services.outbox import SENDING_LEASE
from tests.mail.outbox_world import World, new_world, open_world
from tests.mail.smtpd import ACCEPT, STALL, SmtpServer, smtp_server
from tests.services.conftest import START

ROOT = Path(__file__).resolve().parents[2]
MAILS = 5


def _spawn(path: Path, at: datetime, stage: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.mail.outbox_kill_child", str(path), at.isoformat(), stage],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _kill_at(child: subprocess.Popen[str], prefix: str) -> str:
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith(prefix):
            child.send_signal(signal.SIGKILL)
            child.wait()
            return line.strip()
        assert not line.startswith("done"), "the sender finished before it was killed"
    raise AssertionError(f"the sender ended without saying {prefix!r}: {child.wait()}")


def _run(path: Path, at: datetime) -> list[str]:
    with _spawn(path, at, "none") as child:
        out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    return out.splitlines()


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server(security="starttls", auth=True) as server:
        yield server


def _states(path: Path) -> dict[str, OutboxState]:
    world = open_world(path, START + timedelta(days=1))
    try:
        return {e.mail.message_id: e.state for e in world.outbox.entries()}
    finally:
        world.close()


@pytest.mark.slow
def test_a_sender_killed_anywhere_loses_no_mail_and_sends_none_twice(
    tmp_path: Path, server: SmtpServer
) -> None:
    path = tmp_path / "console.sqlite3"
    world: World = new_world(path, server.account())
    for n in range(MAILS):
        world.outbox.respond(world.open_incident(f"Problem {n}"), "Looking into it.")
    ids = [e.mail.message_id for e in world.outbox.due()]
    world.close()  # the children own the file from here on

    # 1. Killed before it connects: nothing went out, every mail still queued.
    with _spawn(path, START + timedelta(minutes=1), "connect") as child:
        _kill_at(child, "connecting")
    assert server.accepted == []
    assert set(_states(path).values()) == {OutboxState.QUEUED}

    # 2. Killed right after the commit of "sent": that mail is sent, once, and stays sent.
    with _spawn(path, START + timedelta(minutes=2), "sent") as child:
        first = _kill_at(child, "sent ").removeprefix("sent ")
    assert server.accepted_ids() == [first]
    assert _states(path)[first] is OutboxState.SENT

    # 3. Killed while the server holds back its answer to the data: not accepted (no 250
    #    reached the sender), left "sending" under its lease.
    server.mode = STALL
    stalled_at = START + timedelta(minutes=3)
    with _spawn(path, stalled_at, "none") as child:
        assert server.stalled.wait(30), "the sender never reached DATA"
        child.send_signal(signal.SIGKILL)
        child.wait()
    server.release()
    server.mode = ACCEPT
    assert server.accepted_ids() == [first]
    held = [i for i, s in _states(path).items() if s is OutboxState.SENDING]
    assert len(held) == 1

    # The next sender sends the rest; the held mail waits for its lease to run out …
    lines = _run(path, stalled_at + timedelta(minutes=1))
    assert sum(line.startswith("sent ") for line in lines) == MAILS - 2
    assert held[0] not in server.accepted_ids()
    # … and then goes, under the same Message-ID.
    lines = _run(path, stalled_at + SENDING_LEASE + timedelta(seconds=1))
    assert sum(line.startswith("sent ") for line in lines) == 1
    assert sorted(server.accepted_ids()) == sorted(ids)  # each exactly once
    assert set(_states(path).values()) == {OutboxState.SENT}
    assert _run(path, START + timedelta(hours=1)) == ["done"]  # nothing left to send
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
