"""Wallboard filters (issue 13): ``--board --window NAME --priority P1,P2`` and the board's
own combos. The data has no teams, so a board is filtered by support window and priority."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from console.domain.clock_model import ClockState
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.board import BoardFilter, BoardFilterError, resolve_board_filter
from console.ui.board import Wallboard
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world"]

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", r"This plugin does not support raise\(\)"
)

ROOT = Path(__file__).resolve().parents[2]
PRIORITIES = ("P1", "P2", "P3", "P4")


def windows_of(world: ReviewWorld) -> dict[str, str]:
    return {w.name: w.id for w in world.context.customers.windows()}


# -- the filter itself (Qt-free) -----------------------------------------------------------------


def test_a_window_is_named_by_name_in_any_case_or_by_id_and_may_repeat() -> None:
    known = [("w-gmt", "GMT"), ("w-pac", "Pacific"), ("w-aus", "Australian Eastern")]
    chosen = resolve_board_filter(known, PRIORITIES, ["gmt", "w-pac", "GMT"], ["p2,P1"])
    assert chosen.windows == (("w-gmt", "GMT"), ("w-pac", "Pacific"))
    assert chosen.priorities == ("P1", "P2")  # the policy's order
    assert chosen.label == "GMT + Pacific · P1, P2"
    assert resolve_board_filter(known, PRIORITIES).is_everything


def test_unknown_windows_and_priorities_are_refused_in_words() -> None:
    known = [("w-gmt", "GMT"), ("w-pac", "Pacific")]
    with pytest.raises(BoardFilterError) as refused:
        resolve_board_filter(known, PRIORITIES, ["Mars"], ["P1,P9"])
    assert str(refused.value) == (
        'No support window is called "Mars". The windows are: GMT, Pacific. '
        'There is no priority "P9". The priorities are: P1, P2, P3, P4.'
    )


# -- the board -----------------------------------------------------------------------------------


@pytest.fixture
def ticker(qtbot, review_world: ReviewWorld, fake_timers: None) -> SlaTicker:
    return SlaTicker(review_world.clock)


def make_board(
    qtbot, world: ReviewWorld, dispatcher: Dispatcher, ticker: SlaTicker, flt: BoardFilter
) -> Wallboard:
    board = Wallboard(world.context, dispatcher, ticker, board_filter=flt)
    qtbot.addWidget(board)
    board.resize(1920, 1080)
    with qtbot.waitSignal(board.loaded, timeout=10_000):
        board.show()
    return board


@pytest.fixture
def gmt_board(
    qtbot, review_world: ReviewWorld, dispatcher: Dispatcher, ticker: SlaTicker
) -> Iterator[Wallboard]:
    gmt = windows_of(review_world)["GMT"]
    flt = BoardFilter(windows=((gmt, "GMT"),), priorities=("P1", "P2"))
    yield make_board(qtbot, review_world, dispatcher, ticker, flt)
    dispatcher.wait_for_done()


def test_a_filtered_board_shows_only_matching_incidents_and_counts_them_alone(
    gmt_board: Wallboard, review_world: ReviewWorld
) -> None:
    gmt = windows_of(review_world)["GMT"]
    assert gmt_board.shown and gmt_board.visible_tiles()
    assert {t.item.incident.window_name for t in gmt_board.visible_tiles() if t.item} == {"GMT"}
    assert {i.incident.window_id for i in gmt_board.shown} == {gmt}
    assert {i.priority for i in gmt_board.shown} <= {"P1", "P2"}
    everything = [i for i in gmt_board.loaded_items if i.incident.window_id != gmt]
    assert everything, "the demo has incidents in other windows: they are left out"
    mine = Counter((i.priority, i.state) for i in gmt_board.items)
    counts = gmt_board.counts.counts
    for priority in PRIORITIES:
        assert counts.breached[priority] == mine[priority, ClockState.BREACHED]
        assert counts.at_risk[priority] == mine[priority, ClockState.AT_RISK]
    assert counts.breached["P3"] == counts.at_risk["P3"] == 0


def test_the_board_names_its_filter_in_the_header(gmt_board: Wallboard) -> None:
    bar = gmt_board.filters
    assert bar.window_choice.currentText() == "GMT"
    assert bar.priority_choice.currentText() == "P1, P2"
    assert bar.isVisible() and bar.window_choice.isVisible()
    geometry = bar.geometry()
    header = round(gmt_board.unit * 2.6)
    assert geometry.top() >= 0 and geometry.bottom() < header  # in the header, not on tiles
    assert geometry.left() > gmt_board.unit * 5  # after the title
    for combo in (bar.window_choice, bar.priority_choice):
        assert combo.width() >= combo.sizeHint().width()  # nothing clipped


def test_choosing_in_the_board_combo_changes_what_it_shows_without_a_reload(
    qtbot, gmt_board: Wallboard, review_world: ReviewWorld
) -> None:
    combo = gmt_board.filters.window_choice
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "All windows",
        "Australian Eastern",
        "GMT",
        "Pacific",
    ]
    loads = gmt_board.loads
    with qtbot.waitSignal(gmt_board.filter_changed) as changed:
        qtbot.keyClick(combo, Qt.Key.Key_Down)  # GMT → Pacific, as a user's arrow key does
    assert combo.currentText() == "Pacific"
    assert changed.args[0].window_label == "Pacific"
    assert gmt_board.shown
    assert {i.incident.window_name for i in gmt_board.shown} == {"Pacific"}
    assert gmt_board.loads == loads  # the data already read is filtered again
    with qtbot.waitSignal(gmt_board.filter_changed):
        combo.setCurrentIndex(0)
        combo.activated.emit(0)
    priorities = gmt_board.filters.priority_choice
    with qtbot.waitSignal(gmt_board.filter_changed):
        priorities.setCurrentIndex(0)
        priorities.activated.emit(0)
    assert gmt_board.board_filter.is_everything
    assert len(gmt_board.items) == len(gmt_board.loaded_items)


def test_an_empty_filtered_board_says_what_it_filters(
    qtbot, review_world: ReviewWorld, dispatcher: Dispatcher, ticker: SlaTicker
) -> None:
    board = make_board(
        qtbot, review_world, dispatcher, ticker, BoardFilter(windows=(("nowhere", "Mars"),))
    )
    assert board.shown == []
    assert board.empty_text().startswith("Nothing in Mars is at risk or breached.")
    long = BoardFilter(windows=(("a", "Australian Eastern"), ("b", "New Zealand and Pacific")))
    board.set_filter(long)
    text, font = board.empty_text(), board.empty_font()
    widest = max(QFontMetrics(font).horizontalAdvance(line) for line in text.splitlines())
    assert widest <= board.width() - board.unit  # the sentence fits across the board


# -- the command line ----------------------------------------------------------------------------


def run_main(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local"),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
        timeout=120,  # a window that opened would wait for ever: the test would time out
    )


def test_bad_window_and_priority_names_exit_2_with_words_before_any_window(
    demo_template: Path, tmp_path: Path
) -> None:
    db = tmp_path / "board.sqlite3"
    shutil.copyfile(demo_template, db)
    done = run_main(tmp_path, "--db", str(db), "--board", "--window", "Mars", "--window", "gmt")
    assert done.returncode == 2
    assert 'No support window is called "Mars"' in done.stderr
    assert "The windows are: Australian Eastern, GMT, Pacific." in done.stderr
    done = run_main(tmp_path, "--db", str(db), "--board", "--priority", "P1,P7")
    assert done.returncode == 2
    assert 'There is no priority "P7". The priorities are: P1, P2, P3, P4.' in done.stderr
    done = run_main(tmp_path, "--db", str(db), "--window", "GMT")  # without --board
    assert done.returncode == 2 and "add --board" in done.stderr


def test_the_command_line_filter_is_checked_against_the_database(
    review_world: ReviewWorld,
) -> None:
    sys.path.insert(0, str(ROOT))
    from main import board_filter_for, build_parser

    args = build_parser().parse_args(["--board", "--window", "pacific", "--priority", "P1,P2"])
    assert args.board_windows == ["pacific"] and args.board_priorities == ["P1,P2"]
    chosen = board_filter_for(review_world.context, args.board_windows, args.board_priorities)
    assert chosen.windows == ((windows_of(review_world)["Pacific"], "Pacific"),)
    assert chosen.priorities == ("P1", "P2")
    assert board_filter_for(review_world.context, [], []).is_everything
