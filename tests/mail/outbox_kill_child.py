"""Outbox sender for tests/mail/test_outbox_kill_15.py: one sending pass over a database,
killed with SIGKILL by the parent at a chosen point.

``python -m tests.mail.outbox_kill_child DB_PATH AT STAGE`` sends what is due at the instant
``AT`` (ISO) to the account stored in the database, and at STAGE prints (and flushes) a line,
then waits for a line on stdin before going on — the parent kills it there:
``connect`` prints ``connecting`` before the connection is made; ``sent`` prints
``sent MESSAGE-ID`` right after the commit that records a mail as sent; ``none`` stops
nowhere. It prints ``done`` when the pass is over.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import mail.outbox_sender
from console.domain.outbound import OutboxEntry
from mail.outbox_sender import OutboxSender
from mail.smtp import SmtpConnection
from tests.mail.outbox_world import open_world
from tests.mail.smtpd import PASSWORD


def _hold(line: str) -> None:
    print(line, flush=True)
    sys.stdin.readline()


class _ConnectionSaysWhen(SmtpConnection):
    def _open(self) -> None:
        _hold("connecting")
        super()._open()


def main(path: str, at: str, stage: str) -> int:
    world = open_world(Path(path), datetime.fromisoformat(at), workstation="ws-killed")
    if stage == "connect":
        mail.outbox_sender.SmtpConnection = _ConnectionSaysWhen  # type: ignore[misc]
    if stage == "sent":
        recorded = world.outbox.sent

        def sent(entry: OutboxEntry, reply: str = "", refused: object = ()) -> datetime:
            done = recorded(entry, reply, refused)  # type: ignore[arg-type]
            _hold(f"sent {entry.mail.message_id}")
            return done

        world.outbox.sent = sent  # type: ignore[method-assign]
    sender = OutboxSender(world.store, world.outbox, world.clock, lambda _account: PASSWORD)
    result = sender.send_once()
    for line in (*result.lines, *result.problems):
        print(line, flush=True)
    print("done", flush=True)
    world.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
