"""The wallboard on the demo database, driven by the injected clock and the SLA ticker."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from console.domain.clock_model import INSTANT, ClockState
from console.domain.wording import countdown, headline
from console.qt.gc import GuiThreadCollector
from console.qt.settings import Settings
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.board import BOARD_HORIZON, BoardItem, tile_text
from console.ui.board import Wallboard
from console.ui.board.tile import Tile
from tests.ui.conftest import AGENT_ZONE
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world"]

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", r"This plugin does not support raise\(\)"
)

SECOND = timedelta(seconds=1)


@pytest.fixture
def ticker(qtbot, review_world: ReviewWorld, fake_timers: None) -> SlaTicker:
    """The one scheduler, with timers that never fire by themselves: tests call ``tick``."""
    return SlaTicker(review_world.clock)


@pytest.fixture
def board(
    qtbot, review_world: ReviewWorld, dispatcher: Dispatcher, ticker: SlaTicker
) -> Iterator[Wallboard]:
    widget = Wallboard(review_world.context, dispatcher, ticker)
    qtbot.addWidget(widget)
    widget.resize(1920, 1080)
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.show()
    yield widget
    dispatcher.wait_for_done()


def tile_of(board: Wallboard, incident_id: str) -> Tile:
    return next(t for t in board.visible_tiles() if t.item and t.item.incident_id == incident_id)


def states(board: Wallboard) -> dict[str, ClockState]:
    return {t.item.incident_id: t.text.state for t in board.visible_tiles() if t.item and t.text}


def tick_to(review_world: ReviewWorld, ticker: SlaTicker, at: datetime) -> None:
    review_world.clock.set(at)
    ticker.tick()


def test_tiles_go_by_priority_then_breached_at_risk_the_rest_then_time_left(
    board: Wallboard,
) -> None:
    shown, now = board.shown, board._ticker.now()
    rank = {p: i for i, p in enumerate(board.priorities)}
    assert [rank[i.priority] for i in shown] == sorted(rank[i.priority] for i in shown)
    first = shown[0]
    assert first.priority == "P1" and first.state is ClockState.BREACHED
    # every P1, at risk or on track, comes before the first P2 breach …
    first_p2 = next(n for n, i in enumerate(shown) if i.priority == "P2")
    assert {i.priority for i in shown[:first_p2]} == {"P1"}
    assert ClockState.AT_RISK in {i.state for i in shown[:first_p2]}
    assert shown[first_p2].state is ClockState.BREACHED
    # … and the week-old P3 breaches come after every P1 and P2
    old_p3 = [
        n
        for n, i in enumerate(shown)
        if i.priority == "P3" and i.deadline and now - i.deadline > timedelta(days=5)
    ]
    assert old_p3 and min(old_p3) > max(n for n, i in enumerate(shown) if i.priority == "P2")
    # within a priority: breached (most overdue first), at risk, then the rest by time left
    for priority in board.priorities:
        group = [i for i in shown if i.priority == priority]
        urgency = [min(i.reading.urgency, 2) for i in group]
        assert urgency == sorted(urgency), priority
        for level in (0, 1, 2):
            deadlines = [i.deadline for i, u in zip(group, urgency, strict=True) if u == level]
            assert deadlines == sorted(deadlines), (priority, level)
    # the first page holds the breached P1s
    page = board.page_items()
    assert all(i.priority == "P1" for i in page[:4])


def test_each_tile_says_what_the_live_reading_says(board: Wallboard) -> None:
    now = board._ticker.now()
    for tile in board.visible_tiles():
        assert tile.item is not None and tile.text is not None
        reading = tile.item.live(now)
        assert tile.text.headline == headline(reading)
        assert tile.text.countdown == countdown(reading, AGENT_ZONE)
        assert tile.text.state is reading.state


def test_the_escalation_2_incident_shows_its_escalation_2_clock(board: Wallboard) -> None:
    now = board._ticker.now()
    escalated = [i for i in board.shown if i.reading.escalation_level == 2]
    assert len(escalated) == 2
    for item in escalated:
        tile = tile_of(board, item.incident_id)  # P1 on track: on the first page
        assert tile.text is not None
        assert tile.text.headline == "Escalation 2 response · on track"
        assert item.deadline is not None
        left = item.deadline - now
        assert timedelta(minutes=30) < left < timedelta(hours=1)
        assert tile.text.countdown == f"{left.seconds // 60} m {left.seconds % 60:02d} s"
        # the first response is long breached, but it is not the clock to act on
        assert item.incident.clocks is not None
        assert item.incident.clocks.first_response.state is ClockState.BREACHED
        assert "over" not in tile.text.countdown


def test_counts_are_the_breached_and_at_risk_readings_by_priority(board: Wallboard) -> None:
    counts = board.counts.counts
    readings = [i.reading for i in board.items]
    for priority in board.priorities:
        mine = Counter(r.state for r in readings if r.priority == priority)
        assert counts.breached[priority] == mine[ClockState.BREACHED]
        assert counts.at_risk[priority] == mine[ClockState.AT_RISK]
    assert sum(counts.breached.values()) >= 4 and sum(counts.at_risk.values()) >= 4
    tiled = Counter((i.priority, i.state) for i in board.shown)
    assert counts.breached["P1"] == tiled["P1", ClockState.BREACHED]  # each has a tile


def test_a_tick_one_second_past_a_deadline_flips_that_tile_and_the_counts(
    board: Wallboard, review_world: ReviewWorld, ticker: SlaTicker
) -> None:
    soonest = min(
        (i for i in board.items if i.reading.next_change_at),
        key=lambda i: i.reading.next_change_at,
    )
    assert soonest.state is ClockState.AT_RISK and soonest.deadline is not None
    deadline = soonest.deadline
    assert soonest.reading.next_change_at == deadline + INSTANT  # its next change is the breach
    priority, loads = soonest.priority, board.loads
    before = board.counts.counts

    tick_to(review_world, ticker, deadline - SECOND)
    tile = tile_of(board, soonest.incident_id)
    assert tile.text is not None and tile.text.countdown == "0 m 01 s"
    tick_to(review_world, ticker, deadline)  # at the deadline a response still meets
    assert tile.text.state is ClockState.AT_RISK and tile.text.countdown == "0 m 00 s"
    assert board.counts.counts == before
    was = states(board)

    tick_to(review_world, ticker, deadline + SECOND)
    tile = tile_of(board, soonest.incident_id)
    assert tile.text is not None and tile.text.state is ClockState.BREACHED
    assert tile.text.headline == f"{soonest.reading.clock.kind.label} · breached"
    assert tile.text.countdown == "0 m 01 s over"
    now = states(board)
    assert {k for k in now if now[k] != was.get(k)} == {soonest.incident_id}
    after = board.counts.counts
    assert after.breached[priority] == before.breached[priority] + 1
    assert after.at_risk[priority] == before.at_risk[priority] - 1
    others = [p for p in board.priorities if p != priority]
    assert [after.breached[p] for p in others] == [before.breached[p] for p in others]
    assert [after.at_risk[p] for p in others] == [before.at_risk[p] for p in others]
    assert board.loads == loads  # the domain re-read it: no database read


def test_a_deadline_coming_within_the_horizon_gets_a_tile_without_a_reload(
    board: Wallboard, review_world: ReviewWorld, ticker: SlaTicker
) -> None:
    now = ticker.now()
    outside = [i for i in board.items if i not in board.shown and i.deadline is not None]
    coming = min(outside, key=lambda i: i.deadline)
    assert coming.deadline is not None
    enters = coming.deadline - BOARD_HORIZON
    assert enters > now
    loads = board.loads
    tick_to(review_world, ticker, enters - SECOND)
    assert coming.incident_id not in {i.incident_id for i in board.shown}
    tick_to(review_world, ticker, enters)
    assert coming.incident_id in {i.incident_id for i in board.shown}
    assert board.loads == loads


def test_a_quiet_tick_repaints_nothing_and_a_second_repaints_only_changed_tiles(
    board: Wallboard, review_world: ReviewWorld, ticker: SlaTicker
) -> None:
    visible = board.visible_tiles()
    repaints = [t.repaints for t in visible]
    counts_repaints = board.counts.repaints
    ticker.tick()  # nothing moved: nothing repaints
    assert [t.repaints for t in visible] == repaints

    then = ticker.now()
    now = review_world.clock.advance(SECOND)
    ticker.tick()
    quiet = 0
    for tile, before in zip(visible, repaints, strict=True):
        item = tile.item
        assert isinstance(item, BoardItem)
        moved = tile_text(item, now, AGENT_ZONE) != tile_text(item, then, AGENT_ZONE)
        assert tile.repaints == before + moved, item.number
        assert item.deadline is not None
        if abs(item.deadline - now) < timedelta(hours=1):
            assert moved  # seconds are shown below an hour
        quiet += not moved
    assert quiet, "countdowns of more than an hour sit still for a second"
    assert board.counts.repaints == counts_repaints


def test_pages_turn_every_twelve_ticks(
    board: Wallboard, review_world: ReviewWorld, ticker: SlaTicker
) -> None:
    board.resize(1366, 768)
    assert board.per_page == 9
    pages = board.page_count
    assert pages == -(-len(board.shown) // 9) >= 2
    seen = [t.item.number for t in board.visible_tiles() if t.item]
    for page in range(1, pages):
        for _ in range(11):
            ticker.tick()
        assert board.page == page - 1
        ticker.tick()
        assert board.page == page
        showing = [t.item.number for t in board.visible_tiles() if t.item]
        assert showing == [i.number for i in board.shown[page * 9 : page * 9 + 9]]
        seen += showing
    assert seen == [i.number for i in board.shown]
    for _ in range(12):
        ticker.tick()
    assert board.page == 0
    assert f"Page 1 of {pages}" in board._header_text


def test_the_data_is_read_again_every_thirty_ticks(
    qtbot, board: Wallboard, review_world: ReviewWorld, ticker: SlaTicker
) -> None:
    target = next(i for i in board.items if i.state is ClockState.BREACHED)
    review_world.context.incidents.resolve(target.incident_id, "Fixed")
    loads = board.loads
    for _ in range(29):
        ticker.tick()
    assert board.loads == loads and not board._dispatcher.busy
    with qtbot.waitSignal(board.loaded):
        ticker.tick()
    assert target.incident_id not in {i.incident_id for i in board.items}
    breached = board.counts.counts.breached
    assert sum(breached.values()) == sum(1 for i in board.items if i.state is ClockState.BREACHED)


def test_an_unchanged_reload_repaints_no_tile(qtbot, board: Wallboard) -> None:
    visible = board.visible_tiles()
    repaints = [t.repaints for t in visible]
    with qtbot.waitSignal(board.loaded):
        board.reload()
    assert [t.repaints for t in visible] == repaints


def test_the_board_owns_no_timer_and_lets_the_ticker_go_when_hidden(
    board: Wallboard, review_world: ReviewWorld, ticker: SlaTicker
) -> None:
    assert board.findChildren(QTimer) == []
    assert ticker.running
    board.hide()
    assert not ticker.running
    repaints = [t.repaints for t in board.tiles]
    review_world.clock.advance(SECOND)
    ticker.tick()  # another screen's tick: a hidden board paints nothing
    assert [t.repaints for t in board.tiles] == repaints


def test_fonts_scale_with_the_screen(qtbot, board: Wallboard) -> None:
    board.resize(3840, 2160)
    big = board.unit
    board.resize(1366, 768)
    assert big / board.unit == pytest.approx(2160 / 768, rel=0.01)
    assert board.tiles[0].unit == board.unit
    board.resize(3840, 2160)
    assert board.per_page == 9  # the same layout, only larger


def test_a_failed_reload_keeps_the_last_data_and_says_so(
    qtbot, board: Wallboard, review_world: ReviewWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = list(board.shown)

    def broken() -> list[object]:
        raise OSError("disk unplugged")

    monkeypatch.setattr(review_world.context.open_incidents, "tracked", broken)
    board.reload()
    qtbot.waitUntil(lambda: "Cannot read the database since" in board._header_text)
    assert board.shown == shown
    monkeypatch.undo()
    with qtbot.waitSignal(board.loaded):
        board.reload()
    assert "Cannot read" not in board._header_text


def test_the_wallboard_opened_from_the_view_menu_outlives_a_full_collection(
    qtbot, review_world: ReviewWorld, dispatcher: Dispatcher, fake_timers: None, tmp_path: Path
) -> None:
    from console.ui.shell.main_window import MainWindow

    window = MainWindow(review_world.context, dispatcher, Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    window.board_action.trigger()  # View → Wallboard (Ctrl+Shift+B)
    dispatcher.wait_for_done()
    qtbot.waitUntil(lambda: not dispatcher.busy)  # its first read is on screen

    collector = GuiThreadCollector()  # as main.py runs it: automatic collection off
    saved = gc.get_threshold()
    collector.start()
    gc.set_threshold(10, 2, 2)  # Python's schedule, only sooner
    try:
        kept: list[object] = []
        done = []
        while 2 not in done and len(done) < 100:  # until the collector runs a full one
            for _ in range(20):
                cycle: list[object] = []
                cycle.append(cycle)
                kept.append(cycle)
            done.append(collector.collect())
        assert 2 in done
    finally:
        gc.set_threshold(*saved)
        collector.stop()
    QApplication.processEvents()
    boards = [w for w in QApplication.topLevelWidgets() if isinstance(w, Wallboard)]
    assert len(boards) == 1 and boards[0].isVisible()
    assert window.wallboard is boards[0]

    window.board_action.trigger()  # a second time: the same board comes forward
    assert [w for w in QApplication.topLevelWidgets() if isinstance(w, Wallboard)] == boards
    boards[0].close()  # Esc on the board: deleted on close, and the window lets it go
    del boards
    qtbot.waitUntil(lambda: window.wallboard is None)
    assert not any(
        isinstance(w, Wallboard) and shiboken6.isValid(w) for w in QApplication.topLevelWidgets()
    )


_BARE_X = """
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from console.ui.forms import show_full_screen
app = QApplication([])
window = QWidget()
show_full_screen(window)
assert QTest.qWaitForWindowExposed(window, 10_000)
geometry = window.windowHandle().geometry()
print(geometry.width(), geometry.height())
"""


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_the_wallboard_fills_a_bare_x_screen_with_no_window_manager() -> None:
    # Kiosk TVs run a bare X server: showFullScreen alone left a 100x30 window in a corner.
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", sys.executable, "-c", _BARE_X],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["1366", "768"]
