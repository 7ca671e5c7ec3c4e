"""Backup worker for tests/safekeeping/test_kill.py: backs up one page at a time until killed.

``python -m tests.safekeeping.kill_child DB_PATH FOLDER`` prints (and flushes) ``step N left R``
after each page is copied and then waits for a line on stdin before the next one, so the
parent decides exactly where the SIGKILL lands; ``done PATH`` at the end.
"""

from __future__ import annotations

import sys

from safekeeping.backup import back_up


def main(path: str, folder: str) -> int:
    def step(remaining: int, total: int) -> None:
        print(f"step {total - remaining} left {remaining}", flush=True)
        sys.stdin.readline()

    result = back_up(path, folder, pages=1, after_step=step)
    print(f"done {result.path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
