"""Queue benchmark (DESIGN §9): the SLA tick, start-up to a painted queue, resident memory.

Run as ``python -m tests.bench.queue`` (offscreen); prints one JSON object per group:

* ``queue_tick``: GUI-thread time of one tick (the ticker's slot, the repaint it causes and
  the GUI-thread collector's turn) with 1 000 and with 100 000 open incidents, and their
  ratio. The rows are built in memory with every incident's clocks really evaluated (no
  database), then shown in two 1366×768 queues that tick in turn, so the noise of a shared
  machine falls on both alike.
* ``queue_startup``: opening a real SQLite file of 200 000 incidents (5 000 open) until the
  queue's first paint with rows; measured in a fresh process, generation excluded.
* ``queue_memory``: resident memory with the 100 000-row queue alive.
* ``queue_gui_cpu``: GUI-thread CPU time per second of real time (``time.thread_time`` of
  the GUI thread around the running event loop, real timers, the clock moving with real
  time) with 100 000 open, beside the floor measured in the same process: a bare table of
  as many rows repainting one column of its visible rows each second. Measured in a fresh
  process, the two in turn, twice.
* ``queue_shift``: the same queue over a simulated day that crosses the opening and closing
  of every support window: a tick each second around each edge until every due re-read is
  done, every 30 s in between; GUI-thread CPU of the worst tick (slot, repaint, collector),
  how long each edge's re-reads took to drain, and resident memory at the start and the end
  (creep per hour), with the notifier listening.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="qt-runtime-"))
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTableView

from console.domain.clock_model import Terms
from console.domain.clocks import evaluate
from console.domain.events import EventKind, IncidentEvent
from console.domain.ids import HybridLogicalClock
from console.domain.policy import Policy, WindowSpec, load_default_policy
from console.domain.projection import project
from console.domain.reading import read
from console.domain.records import Agent, IncidentSummary, Role, Status
from console.qt import ticker as ticker_module
from console.qt.gc import GuiThreadCollector
from console.qt.notifier import Notifier
from console.qt.ticker import Reevaluation, SlaTicker
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext, SystemClock
from console.services.open_incidents import OpenIncident
from console.services.seed import builtin_window_id, seed_defaults
from console.ui.queue.loading import QueueSnapshot
from console.ui.queue.model import QueueRow
from console.ui.queue.view import QueueView
from console.ui.theme import apply_theme
from db.engine import open_database
from db.store import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
FMT = "%Y-%m-%d %H:%M:%S.%f"
PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_WEIGHTS = (1, 3, 5, 6)
PLANS = ("standard", "advanced", "premium", "premium_plus")
TITLES = (
    "Checkout returns 502 Bad Gateway",
    "SSO login loop for some users",
    "Webhook deliveries delayed by hours",
    "Nightly export job stalls at 80 %",
    "Password reset emails not arriving",
    "Dashboard charts empty after upgrade",
    "Question about data retention settings",
    "Typo in admin guide section 4.2",
)
HOT = 60  # incidents due within the hour in every data set: the busiest screen
HOT_CUSTOMER = "Hot Desk Logistics"
TICK_BUDGET_MS = 2.0
RATIO_BUDGET = 1.5
CPU_BUDGET_MS_PER_S = 2.0  # the console's own GUI-thread work beyond the floor's repaint
CPU_RATIO_BUDGET = 1.25  # DESIGN §9: at most this times the bare table
WORST_TICK_BUDGET_MS = 50.0
CREEP_BUDGET_MB_PER_H = 0.5
STARTUP_BUDGET_S = 1.5
RSS_BUDGET_MB = 400


class ManualTimer(QObject):
    """The ticker's timers, stopped: the benchmark calls ``tick()`` itself, never twice."""

    timeout = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._active = False

    def setInterval(self, msec: int) -> None: ...
    def setSingleShot(self, single: bool) -> None: ...

    def start(self, msec: int | None = None) -> None:
        self._active = True

    def stop(self) -> None:
        self._active = False

    def isActive(self) -> bool:
        return self._active


class BenchClock:
    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, at: datetime) -> None:
        self._now = at


class PaintWatch(QObject):
    """Notes the first paint of a widget once ``ready()`` holds."""

    def __init__(self, widget: Any, ready: Callable[[], bool]) -> None:
        super().__init__()
        self.at: float | None = None
        self.count = 0
        self._ready = ready
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._ready():
            self.count += 1
            if self.at is None:
                self.at = time.perf_counter()
        return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def window_snapshot(spec: WindowSpec, window_id: str) -> dict[str, Any]:
    return {
        "id": window_id,
        "name": spec.name,
        "zone": spec.zone,
        "hours": spec.hours,
        "holidays": [d.isoformat() for d in spec.holidays],
        "holiday_country": spec.holiday_country,
        "holiday_subdivision": spec.holiday_subdivision,
    }


class Incidents:
    """Realistic incidents: a customer mix over every plan and window, opened over 3 days."""

    def __init__(self, policy: Policy, now: datetime, seed: int = 11) -> None:
        self.policy, self.now = policy, now
        self.rng = random.Random(seed)
        self.windows = [(builtin_window_id(s.id), s) for s in policy.windows]
        self.terms = {
            (plan, window_id): Terms.of(plan, spec)
            for plan in PLANS
            for window_id, spec in self.windows
        }
        self.customers = [
            (f"00000000-0000-7000-a000-{i:012d}", f"Customer {i:03d}", PLANS[i % 4], i % 3)
            for i in range(400)
        ]
        # Its own customer, so the busiest screen is the same rows whatever the queue size.
        self.hot = ("00000000-0000-7000-a000-999999999999", HOT_CUSTOMER, "premium", 2)
        self.agents = [(f"00000000-0000-7000-b000-{i:012d}", f"Agent {i:02d}") for i in range(20)]

    def events(self, n: int) -> tuple[list[IncidentEvent], tuple[str, str, str, int]]:
        """The events of open incident ``n``, and (customer id, name, plan, window index)."""
        rng = self.rng
        customer = self.customers[n % len(self.customers)]
        if n < HOT:  # due within the hour on a 2 h wall-clock target: seconds tick on screen
            customer = self.hot
        customer_id, _, plan, window = customer
        window_id, spec = self.windows[window]
        incident_id = f"00000000-0000-7000-8000-{n:012d}"
        if n < HOT:
            opened = self.now - timedelta(minutes=rng.uniform(62, 115))
            priority = "P2"
        else:
            opened = self.now - timedelta(seconds=rng.uniform(60, 3 * 86_400))
            priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
        data = {
            "number": f"INC-BENCH-{n + 1:07d}",
            "customer_id": customer_id,
            "title": rng.choice(TITLES),
            "channel": "web",
            "priority": priority,
            "proposed_priority": priority,
            "plan": plan,
            "window": window_snapshot(spec, window_id),
            "policy_version": 1,
        }
        events = [
            IncidentEvent(f"{incident_id}-o", incident_id, EventKind.OPENED, opened, data=data)
        ]
        if rng.random() < 0.6:
            agent_id, agent_name = rng.choice(self.agents)
            at = opened + timedelta(minutes=rng.uniform(1, 10))
            if at < self.now:
                assigned = {"agent_id": agent_id, "agent_name": agent_name}
                events.append(
                    IncidentEvent(
                        f"{incident_id}-a", incident_id, EventKind.ASSIGNED, at, data=assigned
                    )
                )
        if rng.random() < 0.3:
            at = opened + timedelta(minutes=rng.uniform(5, 60))
            if at < self.now:
                events.append(
                    IncidentEvent(f"{incident_id}-r", incident_id, EventKind.RESPONDED, at)
                )
        return events, customer

    def summary(self, events: list[IncidentEvent], plan: str, window: int) -> IncidentSummary:
        terms = self.terms[(plan, self.windows[window][0])]
        number = str(events[0].data["number"])
        return project(events, terms, self.policy, number, 1)

    def rows(self, count: int) -> list[QueueRow]:
        """``count`` open incidents as queue rows, each with its clocks evaluated at now and
        read as ``context.open_incidents`` reads them."""
        agents = dict(self.agents)
        rows = []
        for n in range(count):
            events, (_, name, plan, window) = self.events(n)
            terms = self.terms[(plan, self.windows[window][0])]
            clocks = evaluate(events, terms, self.policy, self.now)
            summary = self.summary(events, plan, window)
            incident = OpenIncident(
                summary=summary,
                customer=name,
                window_id=self.windows[window][0],
                window_name=self.windows[window][1].name,
                assignee=agents.get(summary.assignee_id or "", ""),
                clocks=clocks,
                reading=read(clocks),
            )
            rows.append(QueueRow.of(incident))
        return rows


def scratch_context(folder: Path, clock: Any) -> tuple[ConsoleContext, SqliteStore]:
    """A context over an empty database: the tick benchmark never reads it."""
    path = folder / "scratch.sqlite3"
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    actor = Agent(id="00000000-0000-7000-b000-000000000000", name="Agent 00", role=Role.AGENT)
    hlc = HybridLogicalClock("bench")
    context = ConsoleContext.build(
        store, clock, actor, "bench", hlc, ZoneInfo("Europe/London"), str(path)
    )
    return context, store


def settle(app: QApplication, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()


class Screen:
    """One queue on screen with its own clock, ticked by hand as the app's timers would."""

    def __init__(self, app: QApplication, rows: list[QueueRow], now: datetime, folder: Path):
        self.app = app
        self.count = len(rows)
        self.clock = BenchClock(now)
        self.context, self.store = scratch_context(folder, self.clock)
        self.view = QueueView(self.context, Dispatcher(), SlaTicker(self.clock))
        windows = tuple(sorted({(r.window_id, r.window_name) for r in rows[:1000]}))
        self.view.apply_snapshot(QueueSnapshot(tuple(rows), windows, PRIORITIES, now))
        self.view.resize(1366, 768)
        self.view.show()
        settle(app)
        self.reread = 0
        original = self.view.model.reevaluate

        def counting(incident_id: str, now: datetime) -> Reevaluation | None:
            self.reread += 1
            return original(incident_id, now)

        self.view.model.reevaluate = counting  # type: ignore[method-assign]

    def tick(self, collector: GuiThreadCollector) -> tuple[float, float, float]:
        """One second of the queue's GUI-thread work: the ticker's slot, the repaint it asked
        for and the collector's turn. Returns (slot, whole, collector) in ms."""
        self.clock.advance(timedelta(seconds=1))
        t0 = time.perf_counter()
        self.view.ticker.tick()
        t1 = time.perf_counter()
        self.app.processEvents()  # the repaint the tick asked for
        t2 = time.perf_counter()
        collector.collect()  # the app's GUI-thread collector runs once a second too
        t3 = time.perf_counter()
        return (t1 - t0) * 1000, (t3 - t0) * 1000, (t3 - t2) * 1000

    def scroll_to_seconds(self) -> None:
        """The busiest screen: rows due within the hour, every countdown changing each second."""
        scroll_to_first_due_after(self.view, self.clock.now() + timedelta(minutes=3))
        settle(self.app)

    def visible_rows(self) -> int:
        return sum(b - a + 1 for a, b in self.view.visible_source_ranges())

    def close(self) -> None:
        self.view.close()
        self.store.close()


def time_ticks(
    screens: list[Screen], collector: GuiThreadCollector, ticks: int
) -> dict[int, dict[str, float]]:
    """Median and p95 of one tick on each screen; the screens tick in turn, so the noise of
    a shared machine falls on all of them alike and their ratio holds."""
    for _ in range(10):  # warm up caches (pixmaps, laid-out text)
        for screen in screens:
            screen.tick(collector)
    watches = {s.count: PaintWatch(s.view.table.viewport(), lambda: True) for s in screens}
    times: dict[int, list[tuple[float, float, float]]] = {s.count: [] for s in screens}
    for screen in screens:
        screen.reread = 0
    for _ in range(ticks):
        for screen in screens:
            times[screen.count].append(screen.tick(collector))
    figures = {}
    for screen in screens:
        slot, total, collected = zip(*times[screen.count], strict=True)
        figures[screen.count] = {
            "slot_median_ms": statistics.median(slot),
            "median_ms": statistics.median(total),
            "p95_ms": percentile(list(total), 0.95),
            "gc_mean_ms": statistics.fmean(collected),
            "repaints_per_tick": watches[screen.count].count / ticks,
            "rows_reread_per_tick": screen.reread / ticks,
        }
        screen.view.table.viewport().removeEventFilter(watches[screen.count])
    return figures


def scroll_to_first_due_after(view: QueueView, at: datetime) -> None:
    first = next(
        r
        for r in range(view.proxy.rowCount())
        if (deadline := view.proxy.row_at(r).summary.next_deadline) is not None and deadline > at
    )
    view.table.scrollTo(view.proxy.index(first, 0), QAbstractItemView.ScrollHint.PositionAtTop)


def measure_ticks(
    screens: list[Screen], collector: GuiThreadCollector, ticks: int
) -> dict[int, dict[str, float]]:
    """Ticks at the top of the queue, where every visible countdown shows seconds, and the
    same searched down to one customer."""
    results: dict[int, dict[str, float]] = {s.count: {} for s in screens}
    for count, figures in time_ticks(screens, collector, ticks).items():
        results[count].update({f"tick_{k}": v for k, v in figures.items()})
    for screen in screens:
        screen.scroll_to_seconds()
        results[screen.count]["visible_rows"] = screen.visible_rows()
    for count, figures in time_ticks(screens, collector, ticks).items():
        results[count].update({f"busy_tick_{k}": v for k, v in figures.items()})
    # Searched: the rows on screen are scattered through the source model, so each tick
    # sends one range per row.
    for screen in screens:
        screen.view.search.setText(HOT_CUSTOMER)
        screen.scroll_to_seconds()
    for count, figures in time_ticks(screens, collector, ticks).items():
        results[count].update({f"filtered_tick_{k}": v for k, v in figures.items()})
    return results


def rss_mb() -> tuple[float, float]:
    """(current VmRSS, peak ru_maxrss) in MB."""
    current = 0.0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


def tick_groups(small: int, large: int, ticks: int, hours: float) -> Iterator[dict[str, Any]]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, "light")
    ticker_module.QTimer = ManualTimer  # type: ignore[misc,assignment]
    policy = load_default_policy()
    now = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)
    setup: dict[str, float] = {}
    screens: list[Screen] = []
    collector = GuiThreadCollector()  # as in the app: no collection but the GUI thread's
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as tmp:
        for count in (small, large):
            folder = Path(tmp) / str(count)
            folder.mkdir()
            t0 = time.perf_counter()
            rows = Incidents(policy, now).rows(count)
            setup[str(count)] = time.perf_counter() - t0
            screens.append(Screen(app, rows, now, folder))
            del rows
        gc.collect()
        gc.disable()
        try:
            by_count = measure_ticks(screens, collector, ticks)
        finally:
            gc.enable()
        results = {str(count): figures for count, figures in by_count.items()}
        screens[0].close()  # the memory figure is the large queue's alone
        gc.collect()
        current, peak = rss_mb()
        small_busy = results[str(small)]["busy_tick_median_ms"]
        large_busy = results[str(large)]["busy_tick_median_ms"]
        large_typical = results[str(large)]["tick_median_ms"]
        ratio = large_busy / small_busy
        typical_ratio = large_typical / max(results[str(small)]["tick_median_ms"], 1e-9)
        yield {
            "benchmark": "queue_tick",
            "measures": (
                "median wall ms of GUI-thread work per tick (ticker slot + the repaint it "
                "causes + the GUI-thread collector's turn), 1366x768, the two queues ticking "
                "in turn; typical = top of the queue, busy = a screen on which every "
                "countdown changes each second, busy_searched = the same searched down to "
                "one customer (no budget: its rows are scattered through the queue)"
            ),
            "ticks": ticks,
            "visible_rows": int(results[str(large)]["visible_rows"]),
            "rows_built_s": {k: round(v, 1) for k, v in setup.items()},
            **{
                count: {
                    "typical_ms": round(f["tick_median_ms"], 3),
                    "typical_p95_ms": round(f["tick_p95_ms"], 3),
                    "busy_ms": round(f["busy_tick_median_ms"], 3),
                    "busy_p95_ms": round(f["busy_tick_p95_ms"], 3),
                    "busy_slot_ms": round(f["busy_tick_slot_median_ms"], 3),
                    "busy_searched_ms": round(f["filtered_tick_median_ms"], 3),
                    "rows_reread_per_tick": round(f["busy_tick_rows_reread_per_tick"], 2),
                    "gc_mean_ms": round(f["busy_tick_gc_mean_ms"], 3),
                }
                for count, f in results.items()
            },
            "ratio_busy_large_to_small": round(ratio, 2),
            "ratio_typical_large_to_small": round(typical_ratio, 2),
            "tick_budget_ms": TICK_BUDGET_MS,
            "ratio_budget": RATIO_BUDGET,
            "within_budget": large_busy <= TICK_BUDGET_MS and ratio <= RATIO_BUDGET,
        }
        yield {
            "benchmark": "queue_memory",
            "open_incidents": large,
            "rss_mb": round(current, 1),
            "peak_rss_mb": round(peak, 1),
            "rss_budget_mb": RSS_BUDGET_MB,
            "within_budget": current <= RSS_BUDGET_MB,
        }
        if hours > 0:
            gc.disable()  # as the app runs: the GUI thread's collector alone
            try:
                yield shift_group(screens[1], collector, hours)
            finally:
                gc.enable()
        screens[1].close()


# -- GUI-thread CPU over real time, and a simulated shift -----------------------------------


class BareTable:
    """The floor: a bare QTableView over a QStandardItemModel (Qt's own, in C++) of ``rows``
    rows, the countdown text of its visible rows set once a second (what any table showing
    live countdowns costs, and no more)."""

    def __init__(self, rows: int) -> None:
        self.model = QStandardItemModel(rows, 9)
        for row in range(rows):
            for column in range(9):
                text = f"{TITLES[(row + column) % len(TITLES)][: 12 + column]} {row}"
                self.model.setItem(row, column, QStandardItem(text))
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.resize(1366, 768)
        self.second = 0
        self.timer = QTimer()
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        self.second += 1
        first = max(self.view.rowAt(0), 0)
        last = self.view.rowAt(self.view.viewport().height() - 1)
        last = self.model.rowCount() - 1 if last < 0 else last
        for row in range(first, last + 1):
            left = 86_400 - (row * 37 + self.second) % 86_400
            text = f"{left // 3600} h {left // 60 % 60:02d} m {left % 60:02d} s"
            self.model.setData(self.model.index(row, 6), text)

    def start(self) -> None:
        self.view.show()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.view.hide()


class RealTimeClock:
    """Real time moving on from ``start`` (the instant the rows were worked out at)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


def gui_cpu_over(app: QApplication, seconds: float) -> float:
    """GUI-thread CPU ms per second of real time while the event loop runs ``seconds``."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    wall0, cpu0 = time.monotonic(), time.thread_time()
    loop.exec()
    return (time.thread_time() - cpu0) * 1000 / (time.monotonic() - wall0)


def gui_cpu_group(count: int, seconds: float) -> dict[str, Any]:
    """Real timers, real time: the queue of ``count`` open incidents and the bare-table floor,
    in turn, twice each."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, "light")
    policy = load_default_policy()
    now = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)  # a Wednesday afternoon, far from any edge
    rows = Incidents(policy, now).rows(count)
    collector = GuiThreadCollector()  # as main.py runs it
    collector.start()
    floors: list[float] = []
    figures: list[float] = []
    with tempfile.TemporaryDirectory(prefix="queue-cpu-") as tmp:
        clock = RealTimeClock(now)
        context, store = scratch_context(Path(tmp), clock)
        ticker = SlaTicker(clock)
        view = QueueView(context, Dispatcher(), ticker)
        windows = tuple(sorted({(r.window_id, r.window_name) for r in rows[:1000]}))
        view.apply_snapshot(QueueSnapshot(tuple(rows), windows, PRIORITIES, now))
        del rows
        view.resize(1366, 768)
        bare = BareTable(count)
        gc.collect()
        for _ in range(2):
            bare.start()
            gui_cpu_over(app, 2)  # settle: first paints, laid-out text
            floors.append(gui_cpu_over(app, seconds / 2))
            bare.stop()
            view.show()
            # the busiest screen: rows due within the hour, every countdown moving each second
            scroll_to_first_due_after(view, clock.now() + timedelta(minutes=3))
            gui_cpu_over(app, 2)
            figures.append(gui_cpu_over(app, seconds / 2))
            view.hide()
        reread_backlog = ticker.backlog()
        view.close()
        store.close()
    collector.stop()
    floor, figure = statistics.fmean(floors), statistics.fmean(figures)
    own = figure - floor
    return {
        "benchmark": "queue_gui_cpu",
        "measures": (
            "GUI-thread CPU ms per second of real time (time.thread_time around the running "
            "event loop, real timers, GUI-thread collector on), 1366x768, the queue scrolled to "
            "the rows due within the hour (every countdown on screen moves each second); "
            "floor = a bare QTableView over a QStandardItemModel of as many rows, the "
            "countdown text of its visible rows set each second; own = figure - floor"
        ),
        "open_incidents": count,
        "seconds": seconds,
        "ms_per_s": round(figure, 3),
        "runs_ms_per_s": [round(f, 3) for f in figures],
        "floor_ms_per_s": round(floor, 3),
        "floor_runs_ms_per_s": [round(f, 3) for f in floors],
        "own_ms_per_s": round(own, 3),
        "ratio_to_floor": round(figure / floor, 2) if floor else None,
        "due_left_unread": reread_backlog,
        "own_budget_ms_per_s": CPU_BUDGET_MS_PER_S,
        "ratio_budget": CPU_RATIO_BUDGET,
        "within_budget": own <= CPU_BUDGET_MS_PER_S and figure <= CPU_RATIO_BUDGET * floor,
    }


def window_edges(policy: Policy, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Every opening and closing of every support window between ``start`` and ``end``."""
    edges = []
    for spec in policy.windows:
        calendar = spec.calendar()
        at = start
        while True:
            edge = calendar.next_close(at) if calendar.is_open(at) else calendar.next_open(at)
            if edge is None or edge > end:
                break
            kind = "closes" if calendar.is_open(at) else "opens"
            edges.append((edge, f"{spec.name} {kind}"))
            at = edge
    return sorted(edges)


def shift_group(screen: Screen, collector: GuiThreadCollector, hours: float) -> dict[str, Any]:
    """``screen`` ticked over ``hours`` of simulated time that cross every window's edges."""
    app = screen.app
    view, clock = screen.view, screen.clock
    notifier = Notifier(screen.context.actor.id, use_tray=False, beep=lambda: None)
    view.incident_state_changed.connect(notifier.on_state_changed)
    view.table.scrollToTop()
    settle(app)
    start = clock.now()
    end = start + timedelta(hours=hours)
    edges = window_edges(load_default_policy(), start, end)
    per_edge: list[dict[str, Any]] = []
    worst = {"cpu_ms": 0.0, "wall_ms": 0.0, "at": ""}
    ticks: list[float] = []
    rss: list[tuple[float, float]] = []

    def one_tick() -> float:
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        view.ticker.tick()
        app.processEvents()
        collector.collect()
        cpu, wall = (time.thread_time() - cpu0) * 1000, (time.perf_counter() - wall0) * 1000
        ticks.append(cpu)
        if cpu > worst["cpu_ms"]:
            worst.update(cpu_ms=cpu, wall_ms=wall, at=clock.now().isoformat())
        return cpu

    def coarse_until(at: datetime) -> None:
        while clock.now() + timedelta(seconds=30) < at:
            clock.advance(timedelta(seconds=30))
            one_tick()

    gc.collect()
    rss.append((0.0, rss_mb()[0]))
    for edge, name in edges:
        coarse_until(edge - timedelta(seconds=3))
        clock.set(edge - timedelta(seconds=3))
        edge_ticks: list[float] = []
        drained = None
        for second in range(1, 3600):
            clock.advance(timedelta(seconds=1))
            edge_ticks.append(one_tick())
            if clock.now() >= edge and view.ticker.backlog() == 0:
                drained = second - 3
                break
        per_edge.append(
            {
                "edge": f"{name} {edge.isoformat()}",
                "drained_after_s": drained,
                "worst_tick_ms": round(max(edge_ticks), 2),
                "cpu_s": round(sum(edge_ticks) / 1000, 2),
                "mean_ms_per_s": round(statistics.fmean(edge_ticks), 2),
            }
        )
        gc.collect()
        rss.append(((clock.now() - start).total_seconds() / 3600, rss_mb()[0]))
    coarse_until(end)
    gc.collect()
    rss.append((hours, rss_mb()[0]))
    # creep: from the first edge on (the start has not yet re-read anything)
    (h0, m0), (h1, m1) = rss[1], rss[-1]
    creep = (m1 - m0) / (h1 - h0) if h1 > h0 else 0.0
    view.incident_state_changed.disconnect(notifier.on_state_changed)
    return {
        "benchmark": "queue_shift",
        "measures": (
            "GUI-thread CPU ms of one tick (ticker slot + repaint + the collector's turn), a "
            "tick each second around each window edge until every due re-read is done, every "
            "30 s in between; resident MB after each edge; notifier listening"
        ),
        "open_incidents": screen.count,
        "simulated_hours": hours,
        "ticks": len(ticks),
        "edges": per_edge,
        "worst_tick_cpu_ms": round(worst["cpu_ms"], 2),
        "worst_tick_wall_ms": round(worst["wall_ms"], 2),
        "worst_tick_at": worst["at"],
        "p99_tick_ms": round(percentile(ticks, 0.99), 2),
        "rss_mb_by_hour": [(round(h, 2), round(m, 1)) for h, m in rss],
        "creep_mb_per_h": round(creep, 2),
        "notices_said": len(notifier.history),
        "transitions_remembered": notifier.remembered,
        "worst_tick_budget_ms": WORST_TICK_BUDGET_MS,
        "creep_budget_mb_per_h": CREEP_BUDGET_MB_PER_H,
        "within_budget": worst["cpu_ms"] <= WORST_TICK_BUDGET_MS
        and worst["wall_ms"] <= WORST_TICK_BUDGET_MS
        and creep <= CREEP_BUDGET_MB_PER_H,
    }


# -- start-up ------------------------------------------------------------------------------


def generate(path: Path, total: int, open_count: int) -> float:
    """Bulk-load ``total`` incidents (the first ``open_count`` open); seconds taken."""
    started = time.perf_counter()
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    seed_defaults(store, SystemClock(), HybridLogicalClock("bench"))
    store.close()
    policy = load_default_policy()
    now = datetime.now(UTC)
    incidents = Incidents(policy, now, seed=7)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.executemany(
        "INSERT INTO agents (id, name, role, email, hlc, deleted)"
        " VALUES (?, ?, 'agent', '', '', 0)",
        incidents.agents,
    )
    con.executemany(
        "INSERT INTO customers (id, name, plan, window_id, csm_name, csm_email, csm_phone, hlc,"
        " deleted) VALUES (?, ?, ?, ?, '', '', '', '', 0)",
        [
            (c, name, plan, incidents.windows[w][0])
            for c, name, plan, w in (*incidents.customers, incidents.hot)
        ],
    )
    columns = (
        "pk, id, number, customer_id, title, priority, proposed_priority, status, channel,"
        " opened_at, opened_month, policy_version, plan, assignee_id, escalation_level,"
        " next_deadline, first_response_due, first_response_at, first_response_met, excluded,"
        " resolved_at, updated_at"
    )
    insert = f"INSERT INTO incidents ({columns}) VALUES ({', '.join('?' * 22)})"

    def when(at: datetime | None) -> str | None:
        return at.astimezone(UTC).strftime(FMT) if at is not None else None

    batch = 20_000
    for offset in range(0, total, batch):
        rows, events, fts = [], [], []
        for n in range(offset, min(offset + batch, total)):
            timeline, (_, _, plan, window) = incidents.events(n)
            if n >= open_count:  # history: resolved long ago
                shift = timedelta(days=30 + n % 700)
                timeline = [
                    IncidentEvent(e.id, e.incident_id, e.kind, e.at - shift, data=e.data)
                    for e in timeline
                ]
                resolved_at = timeline[-1].at + timedelta(hours=6)
                timeline.append(
                    IncidentEvent(
                        f"{timeline[0].incident_id}-z",
                        timeline[0].incident_id,
                        EventKind.RESOLVED,
                        resolved_at,
                        data={"text": "Fixed."},
                    )
                )
            s = incidents.summary(timeline, plan, window)
            rows.append(
                (
                    n + 1,
                    s.id,
                    s.number,
                    s.customer_id,
                    s.title,
                    s.priority,
                    s.proposed_priority,
                    s.status.value,
                    s.channel,
                    when(s.opened_at),
                    s.opened_at.astimezone(UTC).strftime("%Y-%m"),
                    1,
                    plan,
                    s.assignee_id,
                    s.escalation_level,
                    when(s.next_deadline),
                    when(s.first_response_due),
                    when(s.first_response_at),
                    s.first_response_met,
                    False,
                    when(s.resolved_at),
                    when(s.updated_at),
                )
            )
            events += [
                (e.id, e.incident_id, e.kind.value, when(e.at), json.dumps(dict(e.data)))
                for e in timeline
            ]
            fts.append((n + 1, s.number, s.title, s.title))
        con.executemany(insert, rows)
        con.executemany(
            "INSERT INTO incident_events (id, incident_id, kind, at, author, origin, hlc, data)"
            " VALUES (?, ?, ?, ?, 'bench', '', '', ?)",
            events,
        )
        con.executemany(
            "INSERT INTO incident_fts (rowid, number, title, body) VALUES (?, ?, ?, ?)", fts
        )
        con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with sqlite3.connect(path) as check:
        opened = check.execute(
            "SELECT count(*) FROM incidents WHERE status IN (?, ?)",
            (Status.OPEN.value, Status.WAITING_ON_CUSTOMER.value),
        ).fetchone()[0]
    assert opened == open_count, (opened, open_count)
    return time.perf_counter() - started


def startup_group(total: int, open_count: int) -> dict[str, Any]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, "light")
    with tempfile.TemporaryDirectory(prefix="queue-startup-") as tmp:
        path = Path(tmp) / "bench.sqlite3"
        generate_s = generate(path, total, open_count)
        size_mb = path.stat().st_size / 1_048_576
        gc.collect()
        dispatcher = Dispatcher()
        t0 = time.perf_counter()
        store = SqliteStore(open_database(path))  # as main.py does: with its quick_check
        opened_s = time.perf_counter() - t0
        with store.read() as tx:
            actor = tx.agents.list()[0]
        context = ConsoleContext.build(
            store,
            SystemClock(),
            actor,
            "bench",
            HybridLogicalClock("bench"),
            ZoneInfo("Europe/London"),
            str(path),
        )
        view = QueueView(context, dispatcher, SlaTicker(context.clock))
        view.resize(1366, 768)
        watch = PaintWatch(view.table.viewport(), lambda: view.model.rowCount() > 0)
        clocks: list[float] = []
        view.clocks_ready.connect(lambda: clocks.append(time.perf_counter()))
        view.show()
        while watch.at is None:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        painted_s = watch.at - t0
        rows = view.model.rowCount()
        while not clocks:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        all_clocks_s = clocks[0] - t0
        dispatcher.wait_for_done()
        view.close()
        store.close()
    return {
        "benchmark": "queue_startup",
        "incidents": total,
        "open_incidents": open_count,
        "rows_shown": rows,
        "generate_s": round(generate_s, 1),
        "db_size_mb": round(size_mb, 1),
        "open_store_s": round(opened_s, 3),
        "startup_to_painted_s": round(painted_s, 3),
        "all_clocks_worked_out_s": round(all_clocks_s, 3),
        "startup_budget_s": STARTUP_BUDGET_S,
        "within_budget": painted_s <= STARTUP_BUDGET_S and rows == open_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--open", type=int, default=5_000)
    parser.add_argument("--seconds", type=float, default=24, help="real ticking, in total")
    parser.add_argument("--hours", type=float, default=24, help="simulated shift (0: none)")
    parser.add_argument("--only", choices=("ticks", "startup", "cpu"))
    args = parser.parse_args()
    if args.only == "startup":
        print(json.dumps(startup_group(args.incidents, args.open)), flush=True)
        return
    if args.only == "cpu":
        print(json.dumps(gui_cpu_group(args.large, args.seconds)), flush=True)
        return
    if args.only is None:  # each in a fresh process: nothing warm, nothing in the way
        command = [sys.executable, "-m", "tests.bench.queue", "--only", "startup"]
        command += ["--incidents", str(args.incidents), "--open", str(args.open)]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        print(result.stdout.strip().splitlines()[-1], flush=True)
        command = [sys.executable, "-m", "tests.bench.queue", "--only", "cpu"]
        command += ["--large", str(args.large), "--seconds", str(args.seconds)]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        print(result.stdout.strip().splitlines()[-1], flush=True)
    for group in tick_groups(args.small, args.large, args.ticks, args.hours):
        print(json.dumps(group), flush=True)


if __name__ == "__main__":
    main()
