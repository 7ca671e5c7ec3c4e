"""Issue 13, the incident's path through the main window: resolve and stay on it, reopen from
History (its button and its keys), take it with Ctrl+T, dialogs that start from where the
incident stands, and a theme switch that keeps what the agent was looking at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QToolButton

import main
from console.domain.ids import HybridLogicalClock
from console.domain.records import Status
from console.qt import ticker as ticker_module
from console.qt.settings import Settings
from console.qt.sync_worker import SyncWorker
from console.qt.worker import Dispatcher
from console.services.sync import SyncService, projection_rebuilder
from console.ui.incident.change_dialogs import AssignDialog, PriorityDialog
from console.ui.incident.text_dialogs import ReopenDialog, ResolveDialog
from console.ui.shell.main_window import MainWindow
from console.ui.theme import apply_theme
from db.sync.backend import SqlSyncBackend
from tests.ui.conftest import FakeTimer
from tests.ui.incident_fixtures import (
    IncidentWorld,
    dispatcher,
    open_p1,
    open_standard,
    show_main_window,
    world,
)

__all__ = ["dispatcher", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SHOTS = Path("/tmp/shots/13")


def shot(widget: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"actions_{name}.png"))


def status_text(window: MainWindow) -> str:
    return window.statusBar().currentMessage()


@pytest.fixture
def fake_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ticker_module, "QTimer", FakeTimer)


@dataclass(frozen=True)
class Desk:
    resolved_id: str  # a Hollybrook P3, resolved without a response
    open_id: str  # a Northwind P1, open and unassigned


@pytest.fixture
def desk(world: IncidentWorld) -> Desk:
    first = open_standard(world, "Printing to the office printer fails")
    second = open_p1(world)
    world.context.incidents.resolve(first.id, "Replaced the print queue; confirmed by phone.")
    return Desk(resolved_id=first.id, open_id=second.id)


@pytest.fixture
def window(
    qtbot: Any,
    world: IncidentWorld,
    desk: Desk,
    dispatcher: Dispatcher,
    tmp_path: Path,
    fake_timers: None,
) -> Iterator[MainWindow]:
    win = show_main_window(qtbot, world, dispatcher, tmp_path / "settings.ini")
    yield win
    qtbot.waitUntil(lambda: not dispatcher.busy)


def go_to_history_row(qtbot: Any, window: MainWindow, incident_id: str) -> None:
    """History, with ``incident_id``'s row selected and its detail read."""
    history = window.history
    with qtbot.waitSignal(history.filtered, timeout=20_000):
        window.nav.setCurrentRow(3)
    qtbot.waitUntil(lambda: history.model.rowCount() > 0)
    rows = [history.model.row(r).summary.id for r in range(history.model.rowCount())]
    with qtbot.waitSignal(history.detail.loaded, timeout=20_000):
        history.select_row(rows.index(incident_id))
        qtbot.waitUntil(lambda: history.detail.incident_id() == incident_id)


# -- 1. Reopen from History -------------------------------------------------------------------


def test_historys_detail_reopens_a_resolved_incident_with_the_queues_reopen_dialog(
    qtbot: Any, window: MainWindow, desk: Desk, world: IncidentWorld
) -> None:
    resolved = desk.resolved_id
    go_to_history_row(qtbot, window, resolved)
    detail = window.history.detail
    assert "Resolved" in detail.heading.text()
    buttons = {b.text(): b for b in detail.findChildren(QToolButton) if b.isVisible()}
    assert buttons["Reopen"].isEnabled()
    assert "Respond" not in buttons and "Resolve" not in buttons  # closed: reopen first
    window.resize(1366, 768)
    shot(window, "history_detail_reopen")

    buttons["Reopen"].click()
    dialog = detail.dialog
    assert isinstance(dialog, ReopenDialog)  # the very dialog the queue's detail opens
    assert dialog.windowTitle().startswith("Reopen")
    dialog.text.setPlainText("The printer fails again since this morning.")
    with qtbot.waitSignals([window.queue.incident_refreshed, detail.loaded], timeout=10_000):
        dialog.ok_button.click()
    summary = world.context.incidents.summary(resolved)
    assert summary.status is Status.OPEN
    assert "Open" in detail.heading.text() and "Resolved" not in detail.heading.text()
    assert status_text(window) == f"{summary.number} reopened."
    assert window.queue.proxy.proxy_row(resolved) is not None  # back in the queue
    assert not buttons["Reopen"].isEnabled()  # open now: nothing to reopen
    model = window.history.model
    row = next(r for r in range(model.rowCount()) if model.row(r).summary.id == resolved)
    status = model.index(row, model.STATUS)
    qtbot.waitUntil(lambda: model.data(status) != "Resolved")  # the list row, not only the pane
    assert model.row(row).summary.status is Status.OPEN


def test_ctrl_o_in_history_opens_historys_selection_never_the_queues(
    qtbot: Any, window: MainWindow, desk: Desk
) -> None:
    resolved = desk.resolved_id
    open_id = desk.open_id
    assert window.queue.select_incident(open_id)  # the queue has another incident selected
    go_to_history_row(qtbot, window, resolved)
    with qtbot.waitSignal(window.detail.incident_loaded, timeout=10_000) as loaded:
        qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert loaded.args == [resolved]
    assert window.detail.incident_id() == resolved
    assert window.detail.status.text().startswith("Resolved")
    # The queue does not highlight the other incident beside a detail that shows this one.
    assert window.queue.selected_incident_id() is None


def test_the_reopen_keys_in_history_reopen_historys_selection(
    qtbot: Any, window: MainWindow, desk: Desk
) -> None:
    resolved = desk.resolved_id
    open_id = desk.open_id
    window.queue.select_incident(open_id)
    go_to_history_row(qtbot, window, resolved)
    keys = window.reopen_action.shortcut().toString()
    assert keys == "Ctrl+Shift+O"
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_O, modifiers)
    dialog = window.history.detail.dialog
    assert isinstance(dialog, ReopenDialog)
    assert dialog.incident_id == resolved
    dialog.reject()


def test_the_reopen_keys_beside_the_queue_reopen_the_detail_shown(
    qtbot: Any, window: MainWindow, desk: Desk
) -> None:
    window.queue.select_incident(desk.open_id)
    with qtbot.waitSignal(window.detail.incident_loaded):
        window.open_incident(desk.resolved_id)  # not in the open queue: nothing highlighted
    assert window.queue.selected_incident_id() is None
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_O, modifiers)
    dialog = window.detail.dialog
    assert isinstance(dialog, ReopenDialog)
    assert dialog.incident_id == desk.resolved_id
    dialog.text.setPlainText("The printer queue is stuck again.")
    dialog.ok_button.click()
    # Back in the open queue, and highlighted there: the row and the detail agree again.
    qtbot.waitUntil(lambda: window.queue.selected_incident_id() == desk.resolved_id)
    assert window.detail.incident_id() == desk.resolved_id


# -- 2. Resolve and stay on it ---------------------------------------------------------------


def test_after_resolve_the_detail_stays_on_the_resolved_incident_and_says_so(
    qtbot: Any, window: MainWindow, desk: Desk, world: IncidentWorld
) -> None:
    third = open_standard(world, "Timetable export is empty", "P2")
    window.queue.refresh_incident(third.id)
    qtbot.waitUntil(lambda: window.queue.proxy.proxy_row(third.id) is not None)
    open_id = desk.open_id
    assert window.queue.select_incident(open_id)
    with qtbot.waitSignal(window.detail.incident_loaded):
        window.open_incident(open_id)

    dialog = window.detail.resolve()
    assert isinstance(dialog, ResolveDialog)
    dialog.text.setPlainText("Restarted the gateway; the customer confirmed.")
    dialog.message.setPlainText("We restarted the gateway: checkout works again.")
    dialog.ok_button.click()
    with qtbot.waitSignal(window.queue.incident_refreshed, timeout=10_000):
        dialog.confirm()
    qtbot.waitUntil(lambda: window.detail.status.text().startswith("Resolved"))
    # The queue settles: the resolved row is gone and no other row took the highlight.
    qtbot.waitUntil(lambda: window.queue.selected_incident_id() is None)

    number = world.context.incidents.summary(open_id).number
    assert window.detail.incident_id() == open_id  # not silently another incident
    assert window.detail.status.text().startswith("Resolved")
    assert window.detail.closed_note.isVisible()
    assert "Resolved" in window.detail.closed_note.text()
    assert window.detail.action_buttons["reopen"].isEnabled()
    assert not window.detail.action_buttons["respond"].isEnabled()
    assert status_text(window) == f"{number} resolved."
    # It left the open queue: nothing is highlighted beside it, not the row that slid up.
    assert window.queue.proxy.proxy_row(open_id) is None
    assert window.queue.selected_incident_id() is None
    shot(window, "detail_after_resolve")

    # Choosing another row in the queue shows that one: the highlight and detail agree.
    with qtbot.waitSignal(window.detail.incident_loaded):
        window.queue.select_incident(third.id)
    assert window.detail.incident_id() == window.queue.selected_incident_id() == third.id


# -- 3. Take it, Unassign, and dialogs that start from the incident's state ------------------


def test_ctrl_t_takes_the_selected_incident_and_unassign_gives_it_back(
    qtbot: Any, window: MainWindow, desk: Desk, world: IncidentWorld
) -> None:
    open_id = desk.open_id
    me = world.context.actor
    assert world.context.incidents.summary(open_id).assignee_id is None
    assert window.take_action.shortcut().toString() == "Ctrl+T"
    menu = window.menuBar().actions()[0].menu()
    assert isinstance(menu, QMenu)
    assert window.take_action in menu.actions() and window.unassign_action in menu.actions()
    assert "Ctrl+T" in window.take_action.toolTip()

    window.queue.select_incident(open_id)  # detail closed: the queue's selection
    with qtbot.waitSignal(window.queue.incident_refreshed, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    summary = world.context.incidents.summary(open_id)
    assert summary.assignee_id == me.id
    assert status_text(window) == f"{summary.number} assigned to you."

    with qtbot.waitSignal(window.detail.incident_loaded):
        window.open_incident(open_id)
    detail = window.detail
    assert f"assigned to {me.name}" in detail.customer.text()
    assert not detail.take_button.isEnabled()
    assert detail.take_button.toolTip() == "It is already yours."
    with qtbot.waitSignal(detail.incident_loaded, timeout=10_000):
        detail.unassign_button.click()
    assert world.context.incidents.summary(open_id).assignee_id is None
    assert detail.customer.text().endswith("unassigned")
    assert status_text(window) == f"{summary.number} unassigned."
    assert detail.take_button.isEnabled() and "Ctrl+T" in detail.take_button.toolTip()


def test_assign_offers_unassigned_and_starts_from_the_current_assignee(
    qtbot: Any, window: MainWindow, desk: Desk, world: IncidentWorld
) -> None:
    open_id = desk.open_id
    lead = world.agents[0]
    with qtbot.waitSignal(window.detail.incident_loaded):
        window.open_incident(open_id)
    dialog = window.detail.assign()
    assert isinstance(dialog, AssignDialog)
    assert dialog.agent.itemText(0) == "Unassigned"
    assert dialog.agent.currentText() == "Unassigned"  # nobody has it yet
    dialog.agent.setCurrentIndex(dialog.agent.findData(lead.id))
    with qtbot.waitSignal(window.detail.incident_loaded, timeout=10_000):
        dialog.ok_button.click()
    assert status_text(window).endswith(f"assigned to {lead.name}.")
    again = window.detail.assign()
    assert isinstance(again, AssignDialog)
    assert again.agent.currentData() == lead.id  # the lead has it: the dialog says so
    again.reject()


def test_change_priority_starts_from_the_current_priority(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    third = open_standard(world, "Slow logins for teachers", "P3")
    with qtbot.waitSignal(window.detail.incident_loaded):
        window.open_incident(third.id)
    dialog = window.detail.change_priority()
    assert isinstance(dialog, PriorityDialog)
    assert dialog.priority.currentData() == "P3"
    assert dialog.priority.currentText().endswith("(current)")
    dialog.reject()


# -- 4. A theme switch keeps the state -------------------------------------------------------


@pytest.fixture
def light_again() -> Iterator[None]:
    yield
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "light")


def test_a_theme_switch_keeps_the_open_incident_search_filters_and_sort(
    qtbot: Any,
    world: IncidentWorld,
    dispatcher: Dispatcher,
    tmp_path: Path,
    fake_timers: None,
    light_again: None,
) -> None:
    """Through the composition root's own rebuild (``main.open_main_window``)."""
    incidents = [open_standard(world, f"Checkout step {n} fails", "P2") for n in range(3)]
    open_p1(world)
    context = world.context
    hlc = HybridLogicalClock("ws-test", lambda: int(world.clock.now().timestamp() * 1000))
    service = SyncService(
        SqlSyncBackend(
            context.store.database,  # type: ignore[attr-defined]
            workstation_id=context.workstation_id,
            hlc=hlc,
            author=context.actor.name,
            rebuild=projection_rebuilder(context.clock, context.workstation_id, hlc),
        )
    )
    worker = SyncWorker(service)
    settings = Settings(tmp_path / "settings.ini")
    old = main.open_main_window(context, dispatcher, settings, service, worker)
    old.resize(1366, 768)
    qtbot.waitUntil(lambda: old.queue.proxy.rowCount() == 4, timeout=20_000)
    queue = old.queue
    queue.search.setText("Checkout step")
    queue.priority_filter.setCurrentIndex(queue.priority_filter.findData("P2"))
    queue.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: queue.proxy.rowCount() == 3)
    chosen = incidents[1].id
    with qtbot.waitSignal(old.detail.incident_loaded):
        old.open_incident(chosen)

    old.theme_action.trigger()  # View → Dark theme
    new = next(
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, MainWindow) and w is not old and w.isVisible()
    )
    qtbot.addWidget(new)
    qtbot.waitUntil(lambda: new.detail.incident_id() == chosen and new.detail.details is not None)
    qtbot.waitUntil(lambda: new.queue.priority_filter.currentData() == "P2", timeout=20_000)
    header = new.queue.table.horizontalHeader()
    assert new.theme_action.isChecked()
    assert new.detail_pane.isVisible()
    assert new.queue.search.text() == "Checkout step"
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        0,
        Qt.SortOrder.DescendingOrder,
    )
    qtbot.waitUntil(lambda: new.queue.proxy.rowCount() == 3)
    assert new.queue.selected_incident_id() == chosen
    new.close()
