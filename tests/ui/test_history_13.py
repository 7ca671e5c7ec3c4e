"""Issue 13: History says how its results are ordered and sorts by any column; the
attainment month axis runs by calendar (empty months included); "By plan" names the plans
in full."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCharts import QBarCategoryAxis
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QApplication

from console.qt.worker import Dispatcher
from console.services.ports import AttainmentRow
from console.services.review import Breakdown
from console.ui.history import HistoryView
from console.ui.history.attainment import AttainmentPanel
from console.ui.history.model import HistoryModel
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world"]

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)
SHOTS = Path("/tmp/shots/13")


@pytest.fixture
def view(qtbot: Any, review_world: ReviewWorld, dispatcher: Dispatcher) -> Iterator[HistoryView]:
    widget = HistoryView(review_world.context, dispatcher)
    qtbot.addWidget(widget)
    widget.resize(1216, 700)
    with qtbot.waitSignals([widget.filtered, widget.model.page_loaded], timeout=10_000):
        widget.show()
    yield widget
    dispatcher.wait_for_done()


def _keys(view: HistoryView, column: int) -> list[Any]:
    model = view.model
    return [model.sort_key(model.row(r), column) for r in range(model.rowCount())]


def test_results_say_how_they_are_ordered(qtbot: Any, view: HistoryView) -> None:
    assert "Newest first" in view.order_label.text()
    with qtbot.waitSignals([view.filtered, view.model.page_loaded], timeout=10_000):
        view.filters.search.setText("login")
        view.filters.search.returnPressed.emit()
    qtbot.waitUntil(lambda: "Sorted by relevance" in view.order_label.text())
    assert view.order_label.isVisible()


def test_clicking_a_column_title_sorts_by_it_and_says_so(qtbot: Any, view: HistoryView) -> None:
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(HistoryModel.CUSTOMER) + 10
    with qtbot.waitSignal(view.model.sorted, timeout=10_000):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    keys = _keys(view, HistoryModel.CUSTOMER)
    assert keys == sorted(keys) and len(set(keys)) > 1
    assert not view.model.canFetchMore(QModelIndex())  # every row, not one page, sorted
    assert "Sorted by Customer" in view.order_label.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    view.grab().save(str(SHOTS / "tables_history_sorted.png"))
    for column in range(view.model.columnCount()):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            view.table.sortByColumn(column, order)
            qtbot.waitUntil(lambda: not view.model.fetching)
            keys = _keys(view, column)
            expected = sorted(keys, reverse=order == Qt.SortOrder.DescendingOrder)
            assert keys == expected, view.model.headerData(column, Qt.Orientation.Horizontal)
    # Back to the service's own order.
    view.default_order_button.click()
    assert "Newest first" in view.order_label.text()
    opened = [view.model.row(r).summary.opened_at for r in range(view.model.rowCount())]
    assert opened == sorted(opened, reverse=True)


def _row(plan: str, month: str, met: int = 1, missed: int = 0) -> AttainmentRow:
    return AttainmentRow(priority="P2", plan=plan, month=month, met=met, missed=missed)


def test_the_month_axis_runs_by_calendar_with_empty_months(qtbot: Any) -> None:
    panel = AttainmentPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()
    panel.show_rows([_row("standard", "2025-11"), _row("standard", "2026-02", 0, 1)])
    headers = [
        panel.model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(panel.model.columnCount())
    ]
    assert headers == ["Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026", "Total"]
    assert panel.model.index(0, 1).data() == "—"  # December: nothing fell due
    axis = panel.chart_view.chart().axes(Qt.Orientation.Horizontal)[0]
    assert isinstance(axis, QBarCategoryAxis)
    assert axis.categories() == ["Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026"]


def test_by_plan_names_the_plans_in_full(qtbot: Any) -> None:
    panel = AttainmentPanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    names = {
        "standard": "Standard",
        "advanced": "Advanced",
        "premium": "Premium",
        "premium_plus": "Premium Plus",
    }
    panel.set_labels(Breakdown.PRIORITY, {"P1": "P1", "P2": "P2"})
    panel.set_labels(Breakdown.PLAN, names)
    panel.show()
    panel.show_rows([_row(plan, "2026-01") for plan in names])
    panel.breakdown.setCurrentIndex(panel.breakdown.findData(Breakdown.PLAN))
    QApplication.processEvents()
    rows = panel.table.verticalHeader()
    metrics = rows.fontMetrics()
    for section, name in enumerate(names.values()):
        assert panel.model.headerData(section, Qt.Orientation.Vertical) == name
        assert rows.width() >= metrics.horizontalAdvance(name) + 8, name
    SHOTS.mkdir(parents=True, exist_ok=True)
    panel.grab().save(str(SHOTS / "tables_history_by_plan.png"))


def test_by_plan_in_the_history_view_names_the_plans_in_full(qtbot: Any, view: HistoryView) -> None:
    view.tabs.setCurrentWidget(view.attainment)
    panel = view.attainment
    panel.breakdown.setCurrentIndex(panel.breakdown.findData(Breakdown.PLAN))
    QApplication.processEvents()
    rows = panel.table.verticalHeader()
    metrics = rows.fontMetrics()
    SHOTS.mkdir(parents=True, exist_ok=True)
    view.grab().save(str(SHOTS / "tables_history_attainment.png"))
    for section in range(panel.model.rowCount()):
        name = str(panel.model.headerData(section, Qt.Orientation.Vertical))
        assert rows.width() >= metrics.horizontalAdvance(name) + 8, name
