"""Safekeeping benchmark: a checked backup of the 1 000 000-incident database while another
program keeps committing, and the longest pause that writer sees.

Run as ``python -m tests.bench.safekeeping [--incidents N]``; prints one JSON object. The
database is bulk-loaded as ``tests/bench/store.py`` does and cached between runs in
``<tmp>/support-console-bench/`` (building a million incidents takes a couple of minutes).
The floor is a plain file copy of the same file in the same run, with and without an fsync
(it also makes the working copy the backup reads, so the cache is never written to); the
backup does more than the floor: it copies page by page from one snapshot, flushes as it
goes, then runs ``integrity_check`` over the copy and hashes it. The writer is a separate
process committing one small row at a time, as a console or ``mail watch`` would; its
longest commit is measured first with no backup running (the baseline), then during it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from safekeeping.backup import back_up, check_copy
from tests.bench.store import generate

CACHE = Path(tempfile.gettempdir()) / "support-console-bench"

WRITER = r"""
import json, sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=FULL")
con.execute("CREATE TABLE IF NOT EXISTS bench_writer (n INTEGER PRIMARY KEY, at REAL)")
print("ready", flush=True)
pauses, n = [], 0
import select
while not select.select([sys.stdin], [], [], 0)[0]:
    t0 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO bench_writer (at) VALUES (?)", (time.time(),))
    con.execute("COMMIT")
    pauses.append(time.perf_counter() - t0)
    n += 1
    time.sleep(0.002)
pauses.sort()
print(json.dumps({"commits": n, "max_ms": pauses[-1] * 1000 if pauses else 0,
                  "p99_ms": pauses[int(0.99 * (len(pauses) - 1))] * 1000 if pauses else 0}),
      flush=True)
"""


def cached_database(incidents: int) -> tuple[Path, float | None]:
    """The bulk-loaded database (built once); the seconds building took, if it was built."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"safekeeping-{incidents}.sqlite3"
    if path.exists():
        return path, None
    building = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    seconds = generate(building, incidents)
    building.replace(path)
    return path, seconds


def writer_pauses(db: Path, during: float | None = None, work: object = None) -> dict[str, float]:
    """Start the writer, run ``work`` (or wait ``during`` seconds), stop it, its figures."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    if callable(work):
        work()
    else:
        time.sleep(during or 0)
    out, _ = child.communicate("stop\n", timeout=120)
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=256)
    args = parser.parse_args()
    cached, built_s = cached_database(args.incidents)
    with tempfile.TemporaryDirectory(prefix="safekeeping-bench-", dir=CACHE) as folder:
        work_db = Path(folder) / "console.sqlite3"
        t0 = time.perf_counter()
        shutil.copyfile(cached, work_db)
        floor_s = time.perf_counter() - t0
        with work_db.open("rb+") as file:  # the copy's data on the disk, as a backup's is
            os.fsync(file.fileno())
        floor_synced_s = time.perf_counter() - t0
        copies = Path(folder) / "backups"
        copies.mkdir()
        baseline = writer_pauses(work_db, during=3.0)
        results = []
        copied_at: list[float] = []

        def step(remaining: int, total: int) -> None:
            if remaining == 0:
                copied_at.append(time.perf_counter())

        def run_backup() -> None:
            started = time.perf_counter()
            results.append(back_up(work_db, copies, pages=args.pages, after_step=step))
            results.append(started)  # type: ignore[arg-type]

        during = writer_pauses(work_db, work=run_backup)
        result, started = results[0], results[1]
        check = check_copy(result.path)
    print(
        json.dumps(
            {
                "benchmark": "safekeeping",
                "incidents": args.incidents,
                "database_mb": round(result.copy.size / 1_048_576, 1),
                "built_s": None if built_s is None else round(built_s, 1),
                "backup_s": round(result.seconds, 2),
                "backup_copy_phase_s": round(copied_at[0] - started, 2),  # type: ignore[operator]
                "backup_check_hash_rename_s": round(
                    result.seconds - (copied_at[0] - started),  # type: ignore[operator]
                    2,
                ),
                "pages_per_step": args.pages,
                "longest_step_ms": round(result.longest_step_seconds * 1000, 2),
                "writer_commits_during_backup": during["commits"],
                "writer_longest_pause_ms": round(during["max_ms"], 2),
                "writer_p99_pause_ms": round(during["p99_ms"], 2),
                "writer_longest_pause_without_backup_ms": round(baseline["max_ms"], 2),
                "copy_checked": check.revision is not None,
                "floor_plain_file_copy_s": round(floor_s, 2),
                "floor_file_copy_and_fsync_s": round(floor_synced_s, 2),
                "backup_vs_floor": round(result.seconds / floor_synced_s, 2),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
