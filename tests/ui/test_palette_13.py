"""Ctrl+K command palette and Help → Keyboard shortcuts (issue 13), on real windows."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QToolBar, QTreeWidget

from console.qt.settings import Settings
from console.qt.worker import Dispatcher
from console.ui.shell.palette import CommandPalette, install_palette, match_score
from console.ui.shell.shortcuts import keyboard_shortcuts_dialog, shortcuts_text
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world"]

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", r"This plugin does not support raise\(\)"
)


class Desk(QMainWindow):
    """A small real window: two menus (one with a submenu), a toolbar, a disabled action."""

    def __init__(self) -> None:
        super().__init__()
        self.resize(1366, 768)
        self.fired: list[str] = []

        def action(text: str, keys: str = "") -> QAction:
            act = QAction(text, self)
            if keys:
                act.setShortcut(QKeySequence(keys))
            act.triggered.connect(lambda: self.fired.append(text.replace("&", "")))
            return act

        self.new_action = action("&New incident…", "Ctrl+N")
        self.respond_action = action("Respond…", "Ctrl+R")
        self.respond_action.setEnabled(False)
        self.respond_action.setToolTip("Open an incident first")
        self.escalate_action = action("Escalate…", "Ctrl+E")
        self.escalate_action.setEnabled(False)  # no tooltip beyond its name
        self.quit_action = action("Quit", "Ctrl+Q")
        self.board_action = action("Wallboard", "Ctrl+Shift+B")
        self.assignee_action = action("Show assignee")  # no key
        self.refresh_action = action("Refresh", "F5")
        incident = self.menuBar().addMenu("&Incident")
        for act in (self.new_action, self.respond_action, self.escalate_action):
            incident.addAction(act)
        incident.addSeparator()
        incident.addAction(self.quit_action)
        view = self.menuBar().addMenu("&View")
        view.addAction(self.board_action)
        columns = view.addMenu("&Columns")
        columns.addAction(self.assignee_action)
        bar = QToolBar("Queue tools", self)
        bar.addAction(self.refresh_action)
        self.addToolBar(bar)


@pytest.fixture
def desk(qtbot) -> Desk:
    window = Desk()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window


def open_palette(qtbot, window: QMainWindow) -> CommandPalette:
    palette = window.findChild(CommandPalette) or install_palette(window)  # the console's own
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)  # Ctrl+K is a window key
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(palette.isVisible)
    return palette


def labels(palette: CommandPalette) -> list[str]:
    tree = palette.list
    return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]


def test_ctrl_k_lists_every_enabled_action_with_its_menu_and_keys(qtbot, desk: Desk) -> None:
    palette = open_palette(qtbot, desk)
    tree = palette.list
    rows = {tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(len(palette.rows))}
    for label, group, keys in (
        ("New incident…", "Incident", "Ctrl+N"),
        ("Quit", "Incident", "Ctrl+Q"),
        ("Wallboard", "View", "Ctrl+Shift+B"),
        ("Show assignee", "View › Columns", ""),
        ("Refresh", "Queue tools", "F5"),
    ):
        assert rows[label].text(1) == group and rows[label].text(2) == keys
    assert "Command palette…" not in rows  # not itself
    qtbot.waitUntil(palette.search.hasFocus)  # type at once
    assert tree.currentItem().text(0) == "New incident…"


def test_disabled_actions_are_greyed_last_with_the_reason_and_do_not_run(qtbot, desk: Desk) -> None:
    palette = open_palette(qtbot, desk)
    shown = labels(palette)
    assert shown[-2:] == [
        "Respond… — Open an incident first",
        "Escalate… — not available now",
    ]
    last = palette.list.topLevelItem(len(shown) - 2)
    assert not last.flags() & Qt.ItemFlag.ItemIsEnabled  # painted grey by the style
    qtbot.keyClicks(palette.search, "respond")
    assert labels(palette) == ["Respond… — Open an incident first"]
    assert palette.list.currentItem() is None  # nothing to run
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert palette.isVisible() and desk.fired == []
    palette._run(palette.rows[0])  # a click on the grey row says why, runs nothing
    assert palette.status.text() == "Respond…: Open an incident first"
    assert desk.fired == []


def test_typing_filters_case_insensitively_and_enter_runs_the_chosen_action(
    qtbot, desk: Desk
) -> None:
    palette = open_palette(qtbot, desk)
    qtbot.keyClicks(palette.search, "WALL")
    assert labels(palette) == ["Wallboard"]
    palette.search.clear()
    qtbot.keyClicks(palette.search, "nwinc")  # letters in order: fuzzy
    assert labels(palette)[0] == "New incident…"
    palette.search.clear()
    qtbot.keyClicks(palette.search, "e")
    first = labels(palette)[0]
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    second = palette.list.currentItem().text(0)
    assert second != first and "—" not in second  # Down skips to the next runnable one
    with qtbot.waitSignal(palette.action_chosen):
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert desk.fired == [second]
    assert not palette.isVisible()


def test_the_palette_outlives_a_full_collection_without_a_python_reference(
    qtbot, desk: Desk
) -> None:
    install_palette(desk)  # main_window.py need not keep what this returns
    gc.collect()
    desk.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is desk)
    qtbot.keyClick(desk, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    palette = desk.findChild(CommandPalette)
    assert palette is not None
    qtbot.waitUntil(palette.isVisible)


def test_esc_closes_the_palette_and_runs_nothing(qtbot, desk: Desk) -> None:
    palette = open_palette(qtbot, desk)
    qtbot.keyClicks(palette.search, "quit")
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)
    assert not palette.isVisible() and desk.fired == []


def test_actions_added_after_install_are_listed_next_time(qtbot, desk: Desk) -> None:
    palette = install_palette(desk)
    late = QAction("Team sync…", desk)
    desk.menuBar().addMenu("&Settings").addAction(late)
    palette.popup()
    qtbot.keyClicks(palette.search, "sync")
    assert labels(palette) == ["Team sync…"]


def test_match_score_prefers_prefix_then_word_then_substring_then_letters() -> None:
    assert match_score("new", "New incident…") == 0
    word, middle = match_score("inc", "New incident…"), match_score("cid", "New incident…")
    fuzzy = match_score("nwi", "New incident…")
    assert word is not None and middle is not None and fuzzy is not None
    assert 0 < word < middle < fuzzy
    assert match_score("xyz", "New incident…") is None


def test_keyboard_shortcuts_lists_every_action_with_keys_grouped_by_menu(qtbot, desk: Desk) -> None:
    text = shortcuts_text(desk)
    blocks = {b.splitlines()[0]: b.splitlines()[1:] for b in text.strip().split("\n\n")}
    assert list(blocks) == ["Incident", "View", "Queue tools"]
    assert [line.split()[0] for line in blocks["Incident"]] == [
        "New",
        "Respond…",
        "Escalate…",
        "Quit",
    ]
    assert blocks["View"] == ["  Wallboard   Ctrl+Shift+B"]
    assert "Show assignee" not in text  # no key: not listed
    dialog = keyboard_shortcuts_dialog(desk)
    qtbot.addWidget(dialog)
    dialog.show()
    tree = dialog.findChild(QTreeWidget, "shortcuts")
    groups = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [g.text(0) for g in groups] == ["Incident", "View", "Queue tools"]
    assert [(c.text(0), c.text(1)) for c in (groups[0].child(i) for i in range(4))] == [
        ("New incident…", "Ctrl+N"),
        ("Respond…", "Ctrl+R"),
        ("Escalate…", "Ctrl+E"),
        ("Quit", "Ctrl+Q"),
    ]
    assert dialog.windowTitle() == "Keyboard shortcuts"


def test_the_palette_on_the_real_main_window_runs_view_wallboard(
    qtbot, review_world: ReviewWorld, dispatcher: Dispatcher, fake_timers: None, tmp_path: Path
) -> None:
    from console.ui.shell.main_window import MainWindow

    window = MainWindow(review_world.context, dispatcher, Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    palette = open_palette(qtbot, window)
    assert palette is window.command_palette  # Ctrl+K is the one the main window installed
    rows = {r.label: r for r in palette.rows}
    assert "Keyboard shortcuts…" in rows and rows["Keyboard shortcuts…"].group == "Help"
    assert rows["Notifications…"].group == "Settings"  # the console's own menus hold them
    assert rows["Recent notifications…"].group == "View"
    assert rows["Recent notifications…"].keys == "Ctrl+Shift+M"
    assert rows["New incident…"].keys == "Ctrl+N" and rows["New incident…"].group == "Incident"
    assert rows["Wallboard"].keys == "Ctrl+Shift+B" and rows["Wallboard"].group == "View"
    assert "Agents…" in rows and "Support policy…" in rows
    qtbot.keyClicks(palette.search, "wallboard")
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.wallboard is not None)
    dispatcher.wait_for_done()
    assert window.wallboard is not None
    window.wallboard.close()
    qtbot.waitUntil(lambda: window.wallboard is None)
    text = shortcuts_text(window)
    assert "Incident\n" in text and "Ctrl+Shift+B" in text
    QApplication.processEvents()
