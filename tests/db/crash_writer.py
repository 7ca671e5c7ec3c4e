"""Writer for tests/db/test_crash.py: commits continuously, acknowledging each commit.

``python crash_writer.py DB_PATH RUN_ID`` opens the database through ``open_database`` (the
app's pragmas and start-up checks) and inserts rows into the real ``meta`` table, one small
transaction at a time. A key is printed (and flushed) only AFTER its transaction committed:
a printed key is a write acknowledged to the user. It runs until it is killed.

``python crash_writer.py --serve DB_PATH`` is the same writer behind a fork server, because
importing SQLAlchemy costs 0.5-1.5 s per process and the test kills 50 writers: the server
imports once, then for each ``run N`` line on stdin forks a fresh writer process, which
prints ``pid <pid>`` and then its acknowledgements; when that writer has died the server
prints ``\\0exit <code>`` (the NUL marks where the writer's output ended, even mid-line).
The writer opens the database only after the fork; the server never touches it.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import traceback

import sqlalchemy.dialects.sqlite  # noqa: F401  (imported by create_engine: warm it pre-fork)
from sqlalchemy import text

from db.engine import open_database
from db.errors import StoreError

INSERT = text("INSERT INTO meta (key, value) VALUES (:key, :value)")
MAX_TRANSACTIONS = 100_000  # a safety stop; the parent kills long before


def write(path: str, run: str) -> int:
    try:
        database = open_database(path)
    except StoreError as error:
        print(f"{type(error).__name__}: {error.message}", file=sys.stderr)
        return error.exit_code
    rng = random.Random(run)
    out = sys.stdout
    for n in range(MAX_TRANSACTIONS):
        keys = [f"crash-{run}-{n}-{i}" for i in range(rng.randint(1, 3))]
        # Values of 0.5-6 KB make the WAL pass its auto-checkpoint size every few hundred
        # commits, so some kills land during checkpoints too.
        rows = [{"key": k, "value": rng.randbytes(rng.randint(256, 3072)).hex()} for k in keys]
        with database.transaction() as session:
            session.execute(INSERT, rows)
        try:
            out.write(" ".join(keys) + "\n")
            out.flush()
        except BrokenPipeError:  # the parent is gone
            return 0
    return 0


def serve(path: str) -> int:
    gc.freeze()  # forked writers then do not touch (copy) the server's objects when collecting
    for command in sys.stdin:
        run = command.split()[1]
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the writer
            code = 70
            try:
                sys.stdout.write(f"pid {os.getpid()}\n")
                sys.stdout.flush()
                code = write(path, run)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(f"\0exit {os.waitstatus_to_exitcode(status)}\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        sys.exit(serve(sys.argv[2]))
    sys.exit(write(sys.argv[1], sys.argv[2]))
