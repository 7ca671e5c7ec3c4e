"""Issue 13: select several incidents in the queue and act on them at once, through the real
main window: take them, change their priority with one reason, add a note; undo puts back
what each one had, and an incident the action cannot apply to is named, not silently lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from console.domain.events import EventKind
from console.ui.queue.bulk import BulkTextDialog, PriorityChoiceDialog
from console.ui.queue.model import Column
from console.ui.queue.proxy import ALL_STATUSES
from console.ui.shell.main_window import MainWindow
from tests.ui.incident_fixtures import IncidentWorld, dispatcher, open_standard, window, world

__all__ = ["dispatcher", "window", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SHOTS = Path("/tmp/shots/13")


def reload(qtbot: Any, window: MainWindow) -> None:
    with qtbot.waitSignal(window.queue.clocks_ready, timeout=20_000):
        window.queue.reload()


def select(qtbot: Any, window: MainWindow, ids: list[str]) -> None:
    """Ctrl-click each incident's row, as an agent would."""
    table = window.queue.table
    table.clearSelection()
    for incident_id in ids:
        row = window.queue.proxy.proxy_row(incident_id)
        assert row is not None
        rect = table.visualRect(window.queue.proxy.index(row, Column.NUMBER))
        qtbot.mouseClick(
            table.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            rect.center(),
        )
    assert sorted(window.queue.selected_incident_ids()) == sorted(ids)


def assignee(world: IncidentWorld, incident_id: str) -> str | None:
    return world.context.incidents.summary(incident_id).assignee_id


def test_take_three_skips_the_resolved_one_in_words_and_undo_gives_each_back(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    me = world.context.actor
    colleague = next(a for a in world.agents if a.id != me.id)
    first = open_standard(world, "Printer queue stuck")
    second = open_standard(world, "Scanner offline")
    third = open_standard(world, "VPN drops every hour")
    done = open_standard(world, "Old question")
    world.context.incidents.assign(second.id, colleague.id)
    world.context.incidents.resolve(done.id, "Answered by phone.")
    queue = window.queue
    queue.status_filter.setCurrentIndex(queue.status_filter.findData(ALL_STATUSES))
    qtbot.waitUntil(lambda: queue.proxy.proxy_row(done.id) is not None, timeout=20_000)
    reload(qtbot, window)
    qtbot.waitUntil(lambda: queue.proxy.proxy_row(done.id) is not None, timeout=20_000)

    select(qtbot, window, [first.id, second.id, third.id, done.id])
    assert queue.bulk_bar.isVisible()
    assert queue.bulk_bar.count.text() == "4 selected"
    with qtbot.waitSignal(queue.bulk_finished, timeout=20_000) as finished:
        queue.bulk_bar.take.click()
    words = finished.args[0]
    number = world.context.incidents.summary(done.id).number
    assert words == f"Assigned 3 to you; 1 skipped: {number} is resolved."
    assert queue.result_strip.text.text() == words
    assert queue.result_strip.undo.isVisible()
    assert window.statusBar().currentMessage() == words
    assert {assignee(world, i) for i in (first.id, second.id, third.id)} == {me.id}
    assert assignee(world, done.id) is None  # the resolved one was left alone
    # The queue's rows say so without a reload (each row is read again off the GUI thread).

    def shows_me(incident_id: str) -> bool:
        row = queue.proxy.proxy_row(incident_id)
        return row is not None and me.name in str(queue.proxy.index(row, Column.ASSIGNEE).data())

    qtbot.waitUntil(lambda: all(shows_me(i) for i in (first.id, second.id, third.id)))
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "bulk_take.png"))

    # Meanwhile a lead hands the third to the colleague: undo must not take it back.
    world.context.incidents.assign(third.id, colleague.id)
    third_number = world.context.incidents.summary(third.id).number
    with qtbot.waitSignal(queue.bulk_finished, timeout=20_000) as undone:
        queue.result_strip.undo.click()
    assert undone.args[0] == (
        f"Undone on 2; 1 could not be undone: {third_number} was changed again since."
    )
    assert assignee(world, first.id) is None
    assert assignee(world, second.id) == colleague.id  # back to the colleague, not to nobody
    assert assignee(world, third.id) == colleague.id  # the later change stands
    assert not queue.result_strip.undo.isVisible()  # undo is not undone twice


def test_priority_for_several_asks_the_reason_once_and_records_it_on_each(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    a = open_standard(world, "Reports are slow", "P3")
    b = open_standard(world, "Exports time out", "P3")
    c = open_standard(world, "Login page typo", "P2")
    reload(qtbot, window)
    queue = window.queue
    select(qtbot, window, [a.id, b.id, c.id])
    queue.bulk_bar.priority.click()
    qtbot.waitUntil(lambda: isinstance(queue.bulk_dialog, PriorityChoiceDialog))
    dialog = queue.bulk_dialog
    assert isinstance(dialog, PriorityChoiceDialog)
    assert dialog.windowTitle() == "Change the priority of 3 incidents"
    dialog.priority.setCurrentIndex(dialog.priority.findData("P2"))
    dialog.ok_button.click()  # no reason yet: refused in words, nothing changed
    assert dialog.isVisible()
    assert dialog.error.text() == "Say why the priority changes."
    assert world.context.incidents.summary(a.id).priority == "P3"
    dialog.reason.setPlainText("Customer's month-end close depends on it.")
    with qtbot.waitSignal(queue.bulk_finished, timeout=20_000) as finished:
        dialog.ok_button.click()
    number_c = world.context.incidents.summary(c.id).number
    assert finished.args[0] == f"Changed 2 to P2; 1 skipped: {number_c} is already P2."
    for incident_id in (a.id, b.id):
        details = world.context.incidents.details(incident_id)
        assert details.summary.priority == "P2"
        changes = [e for e in details.events if e.kind is EventKind.PRIORITY_CHANGED]
        assert len(changes) == 1
        assert "month-end close" in str(changes[0].data)

    with qtbot.waitSignal(queue.bulk_finished, timeout=20_000):
        queue.result_strip.undo.click()
    assert {world.context.incidents.summary(i).priority for i in (a.id, b.id)} == {"P3"}
    assert world.context.incidents.summary(c.id).priority == "P2"


def test_a_note_on_several_goes_on_each_says_it_cannot_be_undone_and_the_open_detail_shows_it(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    a = open_standard(world, "Mail delayed")
    b = open_standard(world, "Mail bounced")
    reload(qtbot, window)
    queue = window.queue
    with qtbot.waitSignal(window.detail.incident_loaded, timeout=20_000):
        window.open_incident(a.id)
    select(qtbot, window, [a.id, b.id])
    queue.bulk_bar.note.click()
    dialog = queue.bulk_dialog
    assert isinstance(dialog, BulkTextDialog)
    dialog.text.setPlainText("Upstream provider incident, tracking it.")
    with (
        qtbot.waitSignal(window.detail.incident_loaded, timeout=20_000),
        qtbot.waitSignal(queue.bulk_finished, timeout=20_000) as finished,
    ):
        dialog.ok_button.click()
    assert finished.args[0] == "Added a note to 2. Notes cannot be undone."
    assert not queue.result_strip.undo.isVisible()
    for incident_id in (a.id, b.id):
        notes = [
            e
            for e in world.context.incidents.details(incident_id).events
            if e.kind is EventKind.NOTE
        ]
        assert len(notes) == 1
    assert queue.bulk_dialog is None
    assert not any(isinstance(w, QDialog) and w.isVisible() for w in window.findChildren(QDialog))


def test_ctrl_enter_in_a_text_box_submits_the_dialog(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    """Enter alone starts a new line in the note; Ctrl+Enter adds it, as in any mail program."""
    a = open_standard(world, "Mail delayed")
    b = open_standard(world, "Mail bounced")
    reload(qtbot, window)
    queue = window.queue
    select(qtbot, window, [a.id, b.id])
    queue.bulk_bar.note.click()
    dialog = queue.bulk_dialog
    assert isinstance(dialog, BulkTextDialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.text.setFocus()
    qtbot.keyClicks(dialog.text, "First line")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return)
    assert dialog.isVisible()  # Enter: a new line, not a submit
    qtbot.keyClicks(dialog.text, "second line")
    with qtbot.waitSignal(queue.bulk_finished, timeout=20_000):
        qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    [note] = [e for e in world.context.incidents.details(a.id).events if e.kind is EventKind.NOTE]
    assert note.data["text"] == "First line\nsecond line"
