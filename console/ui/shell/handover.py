"""What a rebuilt main window takes over from the one it replaces (a theme switch).

A theme switch builds the window anew so every icon takes the new colours. The agent must not
notice anything else: the page, the open incident, the queue's search, filters and sort, and
the window's geometry carry over. ``capture`` reads them from the old window's public
widgets; ``restore`` puts them on the new one. Filter choices read from the database
(priorities, windows) are only there once the new queue has loaded, so those wait for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt

if TYPE_CHECKING:
    from PySide6.QtWidgets import QComboBox

    from console.ui.shell.main_window import MainWindow


@dataclass(frozen=True)
class WindowState:
    geometry: QByteArray
    state: QByteArray
    page: int
    incident_id: str  # "" when the detail pane is closed
    split_sizes: tuple[int, ...]
    search: str
    mine: bool
    unassigned: bool
    combos: tuple[tuple[str, object], ...]  # (combo's object name in the queue, its data)
    header: QByteArray
    sort_column: int
    sort_order: Qt.SortOrder


_COMBOS = ("priority_filter", "status_filter", "window_filter", "clock_filter")


def _combos(window: MainWindow) -> dict[str, QComboBox]:
    queue = window.queue
    return {name: getattr(queue, name) for name in _COMBOS if hasattr(queue, name)}


def capture(window: MainWindow) -> WindowState:
    queue = window.queue
    header = queue.table.horizontalHeader()
    open_id = window.detail.incident_id() if window.detail_pane.isVisible() else ""
    return WindowState(
        geometry=window.saveGeometry(),
        state=window.saveState(),
        page=window.nav.currentRow(),
        incident_id=open_id,
        split_sizes=tuple(window.work_splitter.sizes()),
        search=queue.search.text(),
        mine=queue.mine.isChecked(),
        unassigned=queue.unassigned.isChecked(),
        combos=tuple((name, combo.currentData()) for name, combo in _combos(window).items()),
        header=queue.header_state(),
        sort_column=header.sortIndicatorSection(),
        sort_order=header.sortIndicatorOrder(),
    )


def restore(window: MainWindow, saved: WindowState) -> None:
    queue = window.queue
    window.restoreGeometry(saved.geometry)
    window.restoreState(saved.state)
    queue.restore_header_state(saved.header)
    queue.table.sortByColumn(saved.sort_column, saved.sort_order)
    queue.search.setText(saved.search)
    queue.mine.setChecked(saved.mine)
    queue.unassigned.setChecked(saved.unassigned)
    _restore_combos(window, saved)
    if saved.incident_id:
        window.open_incident(saved.incident_id)
        window.work_splitter.setSizes(list(saved.split_sizes))
    window.nav.setCurrentRow(saved.page)
    if saved.incident_id or _unmatched(window, saved):
        # Choices read from the database, and the open incident's row: once the queue has them.

        def again(_count: int) -> None:
            queue.loaded.disconnect(again)
            _restore_combos(window, saved)
            if saved.incident_id and window.detail.incident_id() == saved.incident_id:
                queue.select_incident(saved.incident_id)

        queue.loaded.connect(again)


def _restore_combos(window: MainWindow, saved: WindowState) -> None:
    combos = _combos(window)
    for name, data in saved.combos:
        combo = combos.get(name)
        if combo is not None and combo.currentData() != data:
            window.queue.set_choice(combo, data)


def _unmatched(window: MainWindow, saved: WindowState) -> list[str]:
    combos = _combos(window)
    return [
        name for name, data in saved.combos if name in combos and combos[name].currentData() != data
    ]
