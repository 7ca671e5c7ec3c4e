"""Start-up benchmark (DESIGN §9): from spawning ``main.py --db PATH`` to the end of the first
paint of the queue with rows, 200 000 incidents of which 5 000 are open, ≤ 1.5 s.

Run as ``python -m tests.bench.startup [--runs N]``; prints one JSON object. Every sample is
a fresh process under ``QT_QPA_PLATFORM=offscreen``: the parent notes ``time.monotonic()``
just before spawning it, and the console, started with ``SUPPORT_CONSOLE_EXIT_AFTER_PAINT=1``,
prints the monotonic time at the end of its first paint of the queue with rows, then quits
as a user closing the window would (so the next start is a clean one). The floor, spawned the
same way in the same run and interleaved with the console's samples, is a bare PySide6 window
holding a 5 000-row QTableView. One unmeasured run of each comes first (it fills the page
cache and the bytecode cache, and for the console records the first clean close). Both run
with Python's bytecode cached (``PYTHONPYCACHEPREFIX`` in the cache folder, even where
``PYTHONDONTWRITEBYTECODE`` is set), as an installed application has it.

The database is bulk-loaded as ``tests/bench/queue.py`` does and cached between runs in
``<tmp>/support-console-bench/``; each benchmark works on a copy, with one agent remembered as
signed in so no dialog stands in the way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.queue import generate

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(tempfile.gettempdir()) / "support-console-bench"
BUDGET_S = 1.5
RATIO_BUDGET = 4.0
PAINTED = "PAINTED "  # the line the console prints at the end of its first queue paint
AGENT_KEY = "workstation.agent_id"  # console.services.workstation: who is remembered

FLOOR = r"""
import sys, time
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

ROWS, COLUMNS = 5000, 8

class Model(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else ROWS
    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else COLUMNS
    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return f"INC-{index.row():07d} cell {index.column()}"
        return None

class Watch(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen = True
            QTimer.singleShot(0, self.painted)
        return False
    def painted(self):
        print(f"PAINTED {time.monotonic():.6f}", flush=True)
        app.quit()

app = QApplication(sys.argv[:1])
window = QMainWindow()
table = QTableView()
table.setModel(Model(table))
table.setSortingEnabled(True)
window.setCentralWidget(table)
window.resize(1366, 768)
watch = Watch()
watch.seen = False
table.viewport().installEventFilter(watch)
window.show()
sys.exit(app.exec())
"""


def cached_database(incidents: int, open_count: int) -> tuple[Path, float | None]:
    """The bulk-loaded database (built once); the seconds building took, if it was built."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"startup-{incidents}-{open_count}.sqlite3"
    if path.exists():
        return path, None
    building = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    seconds = generate(building, incidents, open_count)
    remember_an_agent(building)
    building.replace(path)
    return path, seconds


def remember_an_agent(path: Path) -> None:
    """Someone is signed in (as a console remembers its agent): no dialog at start."""
    con = sqlite3.connect(path)
    try:
        (agent_id,) = con.execute(  # an agent: a lead or an admin is asked a passphrase
            "SELECT id FROM agents WHERE role = 'agent' AND deleted = 0 ORDER BY id LIMIT 1"
        ).fetchone()
        con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (AGENT_KEY, agent_id))
        con.commit()
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the file itself
    finally:
        con.close()


def spawn(command: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``command`` to the PAINTED time it prints."""
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    painted = [line for line in result.stdout.splitlines() if line.startswith(PAINTED)]
    if result.returncode != 0 or not painted:
        raise SystemExit(
            f"{command[1:3]} exited {result.returncode} without a paint:\n{result.stderr}"
        )
    return float(painted[0].removeprefix(PAINTED)) - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--open", type=int, default=5_000)
    args = parser.parse_args()
    cached, built_s = cached_database(args.incidents, args.open)
    with tempfile.TemporaryDirectory(prefix="startup-bench-", dir=CACHE) as folder:
        home = Path(folder)
        db = home / "console.sqlite3"
        shutil.copyfile(cached, db)
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            # Bytecode cached, as an installed application has it (pip compiles on install),
            # kept out of the checkout; the warm-up runs write it.
            "PYTHONPYCACHEPREFIX": str(CACHE / "pycache"),
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "SUPPORT_CONSOLE_EXIT_AFTER_PAINT": "1",
        }
        console = [sys.executable, str(ROOT / "main.py"), "--db", str(db)]
        floor = [sys.executable, "-c", FLOOR]
        spawn(console, env)  # warm-up: page cache, and the first clean close recorded
        spawn(floor, env)
        ours: list[float] = []
        bare: list[float] = []
        for _ in range(args.runs):
            ours.append(spawn(console, env))
            bare.append(spawn(floor, env))
        size_mb = db.stat().st_size / 1_048_576
    result: dict[str, Any] = {
        "benchmark": "startup",
        "measures": (
            "seconds from spawning main.py --db to the end of the first paint of the queue "
            "with rows (offscreen, a fresh process each run); floor: a bare PySide6 window "
            "with a 5 000-row QTableView spawned the same way, interleaved"
        ),
        "incidents": args.incidents,
        "open_incidents": args.open,
        "db_size_mb": round(size_mb, 1),
        "built_s": None if built_s is None else round(built_s, 1),
        "runs": args.runs,
        "startup_min_s": round(min(ours), 3),
        "startup_median_s": round(statistics.median(ours), 3),
        "floor_min_s": round(min(bare), 3),
        "floor_median_s": round(statistics.median(bare), 3),
        "ratio_median": round(statistics.median(ours) / statistics.median(bare), 2),
        "budget_s": BUDGET_S,
        "ratio_budget": RATIO_BUDGET,
    }
    result["within_budget"] = (
        result["startup_median_s"] <= BUDGET_S and result["ratio_median"] <= RATIO_BUDGET
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
