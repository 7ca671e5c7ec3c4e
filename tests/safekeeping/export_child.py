"""Export worker for tests/safekeeping/test_archive_18.py: stops after each member until killed.

``python -m tests.safekeeping.export_child DB_PATH FILE.zip`` runs ``main.py export``; after
each member is written it prints (and flushes) ``wrote MEMBER`` and waits for a line on stdin
before going on, so the parent can SIGKILL it at a known point without waiting on time. An
empty stdin (closed) lets it run to the end; it prints ``exit CODE`` when done.
"""

from __future__ import annotations

import sys
from pathlib import Path

from safekeeping.archive_cli import export_command


def _pause(member: str) -> None:
    print(f"wrote {member}", flush=True)
    sys.stdin.readline()


def main(db: str, target: str) -> int:
    code = export_command(["--db", db, "--to", target], lambda: Path(db), progress=_pause)
    print(f"exit {code}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
