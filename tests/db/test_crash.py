"""Killed with SIGKILL during continuous writes, 50 times: nothing acknowledged is lost.

DESIGN §9 (Reliability). A writer process (``crash_writer.py``) commits small transactions
through ``open_database`` and prints each key only after its commit returned. We read its
acknowledgements from the pipe and SIGKILL it after a random number of them (no sleeping),
50 times on the same file, so each new writer also recovers the previous crash (header
checks, ``quick_check``, WAL recovery). Afterwards the file passes ``PRAGMA
integrity_check`` and holds every acknowledged key.

Writers are forked by a server started once with ``sys.executable`` (see crash_writer.py):
each is still a separate process opening the database itself, but the 50 starts no longer
each pay for importing SQLAlchemy. ``CRASH_SEED=<n>`` replays a run's kill points.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from db.engine import open_database

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = 50


def _read_line(stream: IO[bytes]) -> str:
    line = stream.readline()
    assert line.endswith(b"\n"), f"writer server ended unexpectedly: {line!r}"
    return line.decode()


def _run_and_kill(server: subprocess.Popen[bytes], run: int, acks_before_kill: int) -> list[str]:
    """One writer: SIGKILL it after ``acks_before_kill`` acknowledgements; return them all."""
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(f"run {run}\n".encode())
    server.stdin.flush()
    first = _read_line(server.stdout)
    assert first.startswith("pid "), first
    pid = int(first.split()[1])
    acknowledged: list[str] = []
    for _ in range(acks_before_kill):
        line = _read_line(server.stdout)
        assert "\0" not in line, f"writer run {run} ended by itself: {line!r}"
        acknowledged.extend(line.split())
    os.kill(pid, signal.SIGKILL)
    while True:
        # Lines still in the pipe were printed after their commit: acknowledged as well. A
        # line cut short by the kill (before the NUL) was never fully shown: not counted.
        line = _read_line(server.stdout)
        if "\0" in line:
            break
        acknowledged.extend(line.split())
    code = int(line.split("\0", 1)[1].split()[1])
    assert code == -signal.SIGKILL, f"writer run {run} ended with {code}"
    return acknowledged


@pytest.mark.slow
def test_sigkill_during_writes_never_loses_an_acknowledged_write(tmp_path: Path) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    path = tmp_path / "crash.sqlite3"
    errors = tmp_path / "writer-stderr.txt"
    acknowledged: list[str] = []
    with (
        errors.open("wb") as stderr,
        subprocess.Popen(
            [sys.executable, str(WRITER), "--serve", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=ROOT,
        ) as server,
    ):
        try:
            for run in range(KILLS):
                acknowledged += _run_and_kill(server, run, acks_before_kill=rng.randint(1, 40))
        except AssertionError as failure:
            server.kill()
            raise AssertionError(f"seed {seed}: {failure}\n{errors.read_text()}") from None
        # Closing stdin (on leaving the block) ends the server.

    assert len(acknowledged) >= KILLS
    # Check the file as the crashes left it, before anything of ours opens it.
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)], f"seed {seed}"
        stored = {k for (k,) in raw.execute("SELECT key FROM meta WHERE key LIKE 'crash-%'")}
    finally:
        raw.close()
    missing = [k for k in acknowledged if k not in stored]
    assert not missing, f"seed {seed}: {len(missing)} acknowledged writes lost, e.g. {missing[:5]}"

    with open_database(path) as database:
        assert database.check_integrity() == []
