"""The wallboard on the demo database, driven by the injected clock and its timer slots."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from console.qt.worker import Dispatcher
from console.services.review import BoardState, board_counts, board_tiles
from console.ui.board import Wallboard
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def board(qtbot, review_world: ReviewWorld, dispatcher: Dispatcher) -> Iterator[Wallboard]:
    widget = Wallboard(review_world.context, dispatcher)
    qtbot.addWidget(widget)
    widget.resize(1920, 1080)
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.show()
    yield widget
    dispatcher.wait_for_done()


def test_counts_by_priority_match_the_open_incidents(
    board: Wallboard, review_world: ReviewWorld
) -> None:
    now = review_world.clock.now()
    items = review_world.review.board()
    assert board.items == items
    counts = board.counts.counts
    assert counts == board_counts(items, now, ("P1", "P2", "P3", "P4"))
    assert sum(counts.breached.values()) >= 4 and sum(counts.at_risk.values()) >= 4
    # every count is the number of incidents in that state, by priority
    for priority in ("P1", "P2", "P3", "P4"):
        states = [i.state(now) for i in items if i.priority == priority]
        assert counts.breached[priority] == states.count(BoardState.BREACHED)
        assert counts.at_risk[priority] == states.count(BoardState.AT_RISK)


def test_tiles_come_about_to_breach_first_then_breached(
    board: Wallboard, review_world: ReviewWorld
) -> None:
    now = review_world.clock.now()
    assert board.shown == board_tiles(board.items, now)
    states = [i.state(now) for i in board.shown]
    first_breached = states.index(BoardState.BREACHED)
    assert BoardState.BREACHED not in states[:first_breached]
    assert set(states[first_breached:]) == {BoardState.BREACHED}
    coming = board.shown[:first_breached]
    assert [i.deadline for i in coming] == sorted(i.deadline for i in coming)
    visible = [t for t in board.tiles if t.isVisible()]
    assert [t.item for t in visible] == board.page_items()
    assert visible[0].face is not None
    assert visible[0].face.countdown == board.shown[0].countdown(now)


def test_pages_turn_by_themselves_when_the_tiles_overflow(
    qtbot, board: Wallboard, review_world: ReviewWorld
) -> None:
    board.resize(1366, 768)
    assert board.per_page == 9
    pages = board.page_count
    assert pages == -(-len(board.shown) // 9) >= 2
    assert board._pager.isActive()
    seen = [t.item.number for t in board.tiles if t.isVisible() and t.item]
    for page in range(1, pages):
        board._on_pager_timeout()
        assert board.page == page
        now_showing = [t.item.number for t in board.tiles if t.isVisible() and t.item]
        assert now_showing == [i.number for i in board.shown[page * 9 : page * 9 + 9]]
        seen += now_showing
    assert seen == [i.number for i in board.shown]
    board._on_pager_timeout()
    assert board.page == 0
    assert f"Page 1 of {pages}" in board._header_text


def test_a_quiet_tick_repaints_nothing_and_seconds_repaint_only_their_tiles(
    board: Wallboard, review_world: ReviewWorld
) -> None:
    clock = review_world.clock
    visible = [t for t in board.tiles if t.isVisible()]
    repaints = [t.repaints for t in visible]
    board._on_tick_timeout()  # nothing moved: nothing repaints
    assert [t.repaints for t in visible] == repaints

    then = clock.now()
    now = clock.advance(timedelta(seconds=1))
    board._on_tick_timeout()
    quiet = 0
    for tile, before in zip(visible, repaints, strict=True):
        assert tile.item is not None
        moved = tile.item.countdown(now) != tile.item.countdown(then)
        assert tile.repaints == before + moved, tile.item.number
        assert tile.face is not None and tile.face.countdown == tile.item.countdown(now)
        if abs(tile.item.deadline - now) < timedelta(hours=1):
            assert moved  # seconds are shown below an hour
        quiet += not moved
    assert quiet, "countdowns of more than an hour sit still for a second"


def test_the_timer_wakes_when_the_next_visible_text_changes(
    board: Wallboard, review_world: ReviewWorld
) -> None:
    clock = review_world.clock
    for _ in range(5):
        now = clock.now()
        wake = board.next_wake(now)
        assert now <= wake <= now + timedelta(minutes=1)
        items = board.page_items()
        before = [(i.countdown(now), i.state(now)) for i in items]
        if wake - now > timedelta(milliseconds=1):  # nothing changes before the wake-up …
            almost = wake - timedelta(milliseconds=1)
            assert [(i.countdown(almost), i.state(almost)) for i in items] == before
        after = wake + timedelta(microseconds=1)  # … and something does right after it
        changed = [(i.countdown(after), i.state(after)) for i in items] != before
        assert changed or after.minute != now.minute or wake == board._next_event
        clock.set(after)
        board._on_tick_timeout()


def test_an_incident_turning_at_risk_updates_the_counts_without_a_reload(
    board: Wallboard, review_world: ReviewWorld
) -> None:
    clock = review_world.clock
    now = clock.now()
    upcoming = sorted(
        i for i in (item.next_transition(now) for item in board.items) if i is not None
    )
    assert upcoming
    loads = board.loads
    before = board.counts.counts
    clock.set(upcoming[0])
    board._on_tick_timeout()
    assert board.loads == loads  # no database read
    assert board.counts.counts == board_counts(board.items, upcoming[0], board.priorities)
    assert board.counts.counts != before


def test_reload_on_its_slow_timer(qtbot, board: Wallboard, review_world: ReviewWorld) -> None:
    assert board._reloader.isActive() and board._reloader.interval() == 30_000
    incidents = review_world.context.incidents
    target = next(
        i for i in board.items if i.state(review_world.clock.now()) is BoardState.BREACHED
    )
    incidents.resolve(target.incident_id, "Fixed")
    with qtbot.waitSignal(board.loaded):
        board._on_reloader_timeout()
    assert target.incident_id not in {i.incident_id for i in board.items}
    breached = board.counts.counts.breached
    assert sum(breached.values()) == sum(
        1 for i in board.items if i.state(review_world.clock.now()) is BoardState.BREACHED
    )


def test_an_unchanged_reload_repaints_no_tile(qtbot, board: Wallboard) -> None:
    visible = [t for t in board.tiles if t.isVisible()]
    repaints = [t.repaints for t in visible]
    with qtbot.waitSignal(board.loaded):
        board.reload()
    assert [t.repaints for t in visible] == repaints


def test_timers_stop_when_hidden(board: Wallboard) -> None:
    board.hide()
    assert not board._tick.isActive()
    assert not board._pager.isActive()
    assert not board._reloader.isActive()


def test_fonts_scale_with_the_screen(qtbot, board: Wallboard) -> None:
    board.resize(3840, 2160)
    big = board.unit
    board.resize(1366, 768)
    assert big / board.unit == pytest.approx(2160 / 768, rel=0.01)
    assert board.tiles[0].unit == board.unit
    board.resize(3840, 2160)
    assert board.per_page == 9  # the same layout, only larger


def test_a_failed_reload_keeps_the_last_data_and_says_so(
    qtbot, board: Wallboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = list(board.shown)

    def broken() -> list[object]:
        raise OSError("disk unplugged")

    monkeypatch.setattr(board._review, "board", broken)
    board.reload()
    qtbot.waitUntil(lambda: "Cannot read the database since" in board._header_text)
    assert board.shown == shown
    monkeypatch.undo()
    with qtbot.waitSignal(board.loaded):
        board.reload()
    assert "Cannot read" not in board._header_text
