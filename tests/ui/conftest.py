"""Queue fixtures: the demo database at a fixed instant, a fake clock, fake timers.

The demo (a team, twelve customers, ~300 incidents of which ~40 are open in every SLA state)
is built once per session through the services, then copied for each test, so a test may
change it freely. Nothing here is autouse: other screens' tests bring their own fixtures.
"""

from __future__ import annotations

import gc
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QObject, QThreadPool, Signal

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent
from console.qt import ticker as ticker_module
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.demo import build_demo
from db.engine import open_database
from db.store import SqliteStore
from tests.clock import ManualClock

# Wednesday 4 March 2026, 14:30 UTC: the GMT window is open, Pacific (06:30 PST) and
# Australian Eastern (01:30 AEDT on Thursday) are closed, so every clock state occurs.
NOW = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)
AGENT_ZONE = ZoneInfo("Europe/London")
WORKSTATION = "ws-queue-test"


class FakeClock(ManualClock):
    def __init__(self, start: datetime = NOW) -> None:
        super().__init__(start)


class FakeTimer(QObject):
    """A QTimer stand-in that never fires by itself: tests call ``fire()`` or the slot."""

    timeout = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._interval = 0
        self._single = False
        self._active = False

    def setInterval(self, msec: int) -> None:
        self._interval = msec

    def interval(self) -> int:
        return self._interval

    def setSingleShot(self, single: bool) -> None:
        self._single = single

    def isSingleShot(self) -> bool:
        return self._single

    def start(self, msec: int | None = None) -> None:
        if msec is not None:
            self._interval = msec
        self._active = True

    def stop(self) -> None:
        self._active = False

    def isActive(self) -> bool:
        return self._active

    def fire(self) -> None:
        if self._single:
            self._active = False
        self.timeout.emit()


@dataclass(frozen=True)
class QueueWorld:
    context: ConsoleContext
    clock: FakeClock
    store: SqliteStore
    path: Path

    @property
    def actor(self) -> Agent:
        return self.context.actor


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database at NOW, built once; tests get copies."""
    path = tmp_path_factory.mktemp("queue-demo") / "demo.sqlite3"
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    build_demo(store, now=NOW, workstation_id=WORKSTATION)
    store.close()  # checkpoints the WAL into the file
    return path


def _busiest_agent(store: SqliteStore) -> Agent:
    """The agent with the most open incidents: "mine" is never empty for them."""
    with store.read() as tx:
        counts = Counter(s.assignee_id for s in tx.incidents.open_incidents() if s.assignee_id)
        agent_id = counts.most_common(1)[0][0]
        agent = tx.agents.get(agent_id)
    assert agent is not None
    return agent


def make_context(store: SqliteStore, clock: FakeClock, actor: Agent, path: Path) -> ConsoleContext:
    hlc = HybridLogicalClock(WORKSTATION, lambda: int(clock.now().timestamp() * 1000))
    return ConsoleContext.build(store, clock, actor, WORKSTATION, hlc, AGENT_ZONE, str(path))


@pytest.fixture
def queue_world(demo_template: Path, tmp_path: Path) -> Iterator[QueueWorld]:
    path = tmp_path / "console.sqlite3"
    shutil.copyfile(demo_template, path)
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    clock = FakeClock()
    context = make_context(store, clock, _busiest_agent(store), path)
    yield QueueWorld(context=context, clock=clock, store=store, path=path)
    QThreadPool.globalInstance().waitForDone()
    store.close()


@pytest.fixture
def dispatcher(qtbot: object) -> Iterator[Dispatcher]:
    jobs = Dispatcher()
    yield jobs
    jobs.wait_for_done()
    # Free this test's Qt objects here, on the GUI thread, never from a worker's collection.
    gc.collect()


@pytest.fixture
def fake_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ticker's timers never fire on their own: tests drive ``tick()`` themselves."""
    monkeypatch.setattr(ticker_module, "QTimer", FakeTimer)
