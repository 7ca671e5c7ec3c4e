"""Issue 13: saved views in the queue, through the real main window. An agent narrows the
queue (unassigned, the two most urgent priorities, clocks at risk), saves that as a named
view shared with the team, and gets it back later from the Views menu, the View menu or the
command palette; the clock filter shows only what is burning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from console.domain.clock_model import ClockState
from console.domain.views import ViewFilter
from console.ui.queue.views import ManageViewsDialog, SaveViewDialog
from console.ui.shell.main_window import MainWindow
from console.ui.shell.shortcuts import window_actions
from tests.ui.incident_fixtures import (
    IncidentWorld,
    dispatcher,
    open_p1,
    open_standard,
    window,
    world,
)

__all__ = ["dispatcher", "window", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SHOTS = Path("/tmp/shots/13")


def shown_ids(window: MainWindow) -> set[str]:
    proxy = window.queue.proxy
    return {proxy.row_at(r).id for r in range(proxy.rowCount())}


def test_save_the_filters_as_a_shared_view_and_get_them_back_from_the_menus(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    urgent = open_p1(world)
    high = open_standard(world, "Invoices not generated", "P2")
    normal = open_standard(world, "Typo on the login page", "P3")
    taken = open_standard(world, "Report export slow", "P2")
    world.context.incidents.assign(taken.id, world.context.actor.id)
    queue = window.queue
    with qtbot.waitSignal(queue.clocks_ready, timeout=20_000):
        queue.reload()
    assert len(shown_ids(window)) == 4

    # Narrow the queue: nobody's yet, P1 and P2 together (one choice in the priority filter).
    queue.unassigned.setChecked(True)
    queue.priority_filter.setCurrentIndex(queue.priority_filter.findText("P1–P2"))
    assert shown_ids(window) == {urgent.id, high.id}

    queue.views_menu.aboutToShow.emit()
    labels = [a.text() for a in queue.views_menu.actions()]
    assert "No saved views yet" in labels
    save = next(a for a in queue.views_menu.actions() if a.text() == "Save current filters…")
    save.trigger()
    dialog = queue.views_dialog
    assert isinstance(dialog, SaveViewDialog)
    assert "Unassigned" in dialog.what.text() and "P1, P2" in dialog.what.text()
    dialog.save_button.click()  # no name yet: said under the name, nothing saved
    qtbot.waitUntil(lambda: bool(dialog.errors.message("name")))
    assert dialog.isVisible()
    assert world.context.views.views() == []
    dialog.name.setText("Unassigned P1–P2")
    dialog.shared.setChecked(True)
    with qtbot.waitSignal(queue.views_loaded, timeout=10_000):
        dialog.save_button.click()
    assert window.statusBar().currentMessage() == (
        "Saved the view “Unassigned P1–P2”, shared with the team."
    )
    assert queue.views_button.text() == "Views: Unassigned P1–P2"
    [stored] = world.context.views.views()
    assert stored.shared and stored.owner_id == world.context.actor.id
    assert stored.filter == ViewFilter(unassigned=True, priorities=("P1", "P2"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "saved_view_applied.png"))

    # Clear: every open incident again, and the button no longer claims the view.
    queue.clear_filters.click()
    assert len(shown_ids(window)) == 4
    assert queue.views_button.text() == "Views"

    # View → Saved views lists it by name, and so does the command palette.
    menu_labels = [a.text() for a in window.saved_views_menu.actions()]
    assert "View: Unassigned P1–P2  (shared)" in menu_labels
    palette = {found.label: found.action for found in window_actions(window)}
    chosen = palette["View: Unassigned P1–P2  (shared)"]
    window.nav.setCurrentRow(3)  # from another screen: it brings the queue back
    chosen.trigger()
    assert window.pages.currentWidget() is window.work_splitter
    assert queue.unassigned.isChecked()
    assert queue.priority_filter.currentText() == "P1–P2"
    assert shown_ids(window) == {urgent.id, high.id}
    assert queue.views_button.text() == "Views: Unassigned P1–P2"
    assert normal.id not in shown_ids(window)

    # Changing any filter afterwards means it is no longer that view.
    queue.unassigned.setChecked(False)
    assert queue.views_button.text() == "Views"


def test_the_clock_filter_shows_only_incidents_at_risk_or_breached(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    burning = open_p1(world)  # a Premium P1's first response is at risk from arrival
    calm = open_standard(world, "Typo on the login page", "P4")
    queue = window.queue
    with qtbot.waitSignal(queue.clocks_ready, timeout=20_000):
        queue.reload()
    proxy = queue.proxy
    states = {proxy.row_at(r).id: proxy.row_at(r).state for r in range(proxy.rowCount())}
    assert states[burning.id] is ClockState.AT_RISK
    assert states[calm.id] is not ClockState.AT_RISK
    queue.clock_filter.setCurrentIndex(queue.clock_filter.findText("Breached or at risk"))
    assert shown_ids(window) == {burning.id}
    queue.clock_filter.setCurrentIndex(queue.clock_filter.findText("Breached"))
    assert shown_ids(window) == set()
    assert queue.empty.isVisible() or queue.pages.currentWidget() is queue.empty


def test_manage_views_renames_unshares_and_deletes_after_asking(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    views = world.context.views
    views.save("Mine first", ViewFilter(mine=True), shared=True)
    views.save("Everything", ViewFilter(status="all"), shared=False)
    queue = window.queue
    with qtbot.waitSignal(queue.views_loaded, timeout=10_000):
        queue.load_views()
    queue.manage_views()
    dialog = queue.views_dialog
    assert isinstance(dialog, ManageViewsDialog)
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == [
        "Everything",
        "Mine first  (shared)",
    ]
    dialog.list.setCurrentRow(1)
    assert dialog.share.text() == "Keep it to myself"
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        dialog.share.click()
    qtbot.waitUntil(lambda: not next(v for v in views.views() if v.name == "Mine first").shared)

    dialog.list.setCurrentRow(0)
    dialog.delete.click()
    box = dialog.confirm
    assert box is not None and "Everything" in box.text()
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        box.button(box.StandardButton.Yes).click()
    assert [v.name for v in views.views()] == ["Mine first"]
    qtbot.waitUntil(lambda: [v.name for v in queue.saved_views] == ["Mine first"])
    dialog.reject()
    QApplication.processEvents()
    assert queue.views_dialog is None
