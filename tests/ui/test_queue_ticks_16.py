"""A window's edge makes many incidents due at once: the ticker re-reads them in chunks, the
rows on screen show the new reading at once, and the counts catch up within a few ticks."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from console.domain import wording
from console.domain.clock_model import ClockState
from console.qt.notifier import Notice, NotificationBanner
from console.qt.ticker import Reevaluation, SlaTicker
from console.qt.worker import Dispatcher
from console.ui.queue.model import countdown_cell, reading_at
from console.ui.queue.view import QueueView
from tests.ui.conftest import AGENT_ZONE, FakeClock, QueueWorld

pytestmark = [
    pytest.mark.usefixtures("fake_timers"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


class SlowSubject:
    """Each re-read costs a millisecond on the ticker's (fake) stopwatch."""

    def __init__(self, watch: list[int]) -> None:
        self.watch = watch
        self.asked: list[str] = []
        self.settled = 0

    def reevaluate(self, incident_id: str, now: datetime) -> Reevaluation:
        self.watch[0] += 1
        self.asked.append(incident_id)
        return Reevaluation("running", "paused", None)

    def settle(self) -> None:
        self.settled += 1


def slow_ticker(clock: FakeClock, budget_s: float = 0.1) -> tuple[SlaTicker, SlowSubject]:
    watch = [0]  # milliseconds
    ticker = SlaTicker(clock, budget_s=budget_s, timer=lambda: watch[0] / 1000)
    subject = SlowSubject(watch)
    ticker.attach(subject)
    return ticker, subject


def test_a_window_edge_is_re_read_in_chunks_over_several_ticks(qtbot: Any) -> None:
    clock = FakeClock()
    ticker, subject = slow_ticker(clock)
    edge = clock.now() + timedelta(minutes=5)
    early = edge - timedelta(seconds=1)
    ticker.reset([(edge, f"i{n:03d}") for n in range(300)] + [(early, "early")])
    changes: list[tuple[str, str, str]] = []
    ticker.incident_state_changed.connect(lambda *c: changes.append(c))
    clock.set(edge)
    ticker.tick()
    assert subject.asked[0] == "early"  # the earliest due first
    assert len(subject.asked) == 100  # a tick's budget, not the whole edge
    assert ticker.backlog() == 301 - len(subject.asked)
    assert subject.settled == 1  # the counts are said once a chunk
    ticks = 1
    while ticker.backlog():
        clock.advance(timedelta(seconds=1))
        ticker.tick()
        ticks += 1
    assert 3 <= ticks <= 4  # a hundred a tick (give or take one: float budgets)
    assert sorted(subject.asked) == sorted(["early", *(f"i{n:03d}" for n in range(300))])
    assert len(changes) == 301 and subject.settled == ticks
    clock.advance(timedelta(seconds=1))
    ticker.tick()
    assert subject.settled == ticks  # nothing re-read: nothing to say


def test_a_slow_machine_still_drains_the_backlog(qtbot: Any) -> None:
    clock = FakeClock()
    ticker, subject = slow_ticker(clock, budget_s=0.0)
    ticker.reset([(clock.now(), f"i{n}") for n in range(120)])
    ticker.tick()
    assert len(subject.asked) == SlaTicker.MIN_PER_TICK
    ticker.tick()
    ticker.tick()
    assert ticker.backlog() == 0 and len(subject.asked) == 120


def test_while_hidden_a_backlog_is_taken_a_chunk_a_second(qtbot: Any) -> None:
    clock = FakeClock()
    ticker, subject = slow_ticker(clock, budget_s=0.0)
    ticker.reset([(clock.now() + timedelta(seconds=10), f"i{n}") for n in range(120)])
    timer: Any = ticker._transition  # the single-shot FakeTimer
    assert timer.isActive() and timer.interval() == 10_000
    clock.advance(timedelta(seconds=10))
    timer.fire()
    assert len(subject.asked) == SlaTicker.MIN_PER_TICK
    assert timer.isActive() and timer.interval() == SlaTicker.INTERVAL_MS
    timer.fire()
    timer.fire()
    assert ticker.backlog() == 0 and len(subject.asked) == 120
    assert not timer.isActive()  # nothing more is scheduled


CHUNK = 2  # re-reads a tick in the queue test (no time budget): the demo's edges are small


def _window_edge(view: QueueView) -> datetime:
    """The instant at which most rows change together (a window opens or closes)."""
    due = Counter(row.next_at for row in view.model.rows() if row.next_at is not None)
    at, count = max(due.items(), key=lambda item: (item[1], -item[0].timestamp()))
    assert count > 2 * CHUNK, "the demo has several rows on one window"
    return at


def test_rows_on_screen_show_the_edge_at_once_and_the_counts_catch_up(
    qtbot: Any, queue_world: QueueWorld, dispatcher: Dispatcher
) -> None:
    ticker = SlaTicker(queue_world.clock, budget_s=0.0, min_per_tick=CHUNK)
    view = QueueView(queue_world.context, dispatcher, ticker)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    with qtbot.waitSignal(view.clocks_ready, timeout=20_000):
        view.show()
    edge = _window_edge(view)
    due = [row.id for row in view.model.rows() if row.next_at == edge]
    due_by_then = view.ticker.backlog(edge)  # the edge's rows and whatever came due before
    assert due_by_then >= len(due)
    queue_world.clock.set(edge)
    counted: list[int] = []
    view.model.state_counts_changed.connect(lambda: counted.append(1))
    view.ticker.tick()
    assert view.ticker.backlog() == due_by_then - CHUNK
    assert len(counted) <= 1  # once for the chunk, not once a row
    for incident_id in due:  # not re-read yet or re-read: every cell reads the edge's state
        position = view.model.row_of(incident_id)
        assert position is not None
        row = view.model.row_at(position)
        fresh = row.at(edge)
        assert view.model.cell(position) == countdown_cell(fresh, edge, AGENT_ZONE)
        assert reading_at(row, edge) == fresh.reading
    ticks = 1
    while view.ticker.backlog():
        view.ticker.tick()
        ticks += 1
    assert ticks == -(-due_by_then // CHUNK)
    expected = Counter(row.at(edge).state for row in view.model.rows())
    assert view.model.state_counts() == expected
    shown = view.count.text()
    for state in (ClockState.AT_RISK, ClockState.BREACHED):
        assert f"{expected[state]} {wording.state_words(state)}" in shown


def _notice(number: str) -> Notice:
    return Notice(f"id-{number}", number, "Checkout returns 502", "Northwind", None)


def test_the_banner_takes_the_colours_of_each_notice_state(qtbot: Any) -> None:
    banner = NotificationBanner()
    qtbot.addWidget(banner)
    banner.show_notice(_notice("INC-1"), ClockState.AT_RISK)
    at_risk = banner.styleSheet()
    banner.show_notice(_notice("INC-2"), ClockState.AT_RISK)
    assert banner.styleSheet() == at_risk and "INC-2" in banner.text_label.text()
    banner.show_notice(_notice("INC-3"), ClockState.BREACHED)
    assert banner.styleSheet() != at_risk and "INC-3" in banner.text_label.text()
    banner.show_notice(_notice("INC-4"), ClockState.AT_RISK)
    assert banner.styleSheet() == at_risk
