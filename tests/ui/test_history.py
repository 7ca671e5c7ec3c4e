"""History review on the demo database: lazy paging, filters, search, attainment, exports."""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QPushButton, QToolButton

from console.qt.worker import Dispatcher
from console.services.incidents import NewIncident
from console.services.ports import IncidentFilter
from console.services.review import CSV_COLUMNS
from console.ui.history import HistoryView
from console.ui.history.model import HistoryModel
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

HOSTILE = ('=HYPERLINK("http://evil.example","Click me")', "+1", "-2", "@SUM(A1:A9)")


def check_model(model: Any) -> QAbstractItemModelTester:
    """Check every change ``model`` makes from now on (the model keeps the tester alive)."""
    mode = QAbstractItemModelTester.FailureReportingMode.Warning
    return QAbstractItemModelTester(model, mode, model)


@pytest.fixture
def view(qtbot, review_world: ReviewWorld, dispatcher: Dispatcher) -> Iterator[HistoryView]:
    widget = HistoryView(review_world.context, dispatcher)
    qtbot.addWidget(widget)
    widget.resize(1196, 720)
    check_model(widget.model)
    check_model(widget.attainment.model)
    with qtbot.waitSignals([widget.filtered, widget.model.page_loaded], timeout=10_000):
        widget.show()
    yield widget
    dispatcher.wait_for_done()


def count(world: ReviewWorld, flt: IncidentFilter) -> int:
    return world.review.history_count(flt)


def rows(view: HistoryView) -> list[Any]:
    return [view.model.row(r) for r in range(view.model.rowCount())]


def refilter(qtbot, view: HistoryView, change: Callable[[], None]) -> None:
    with qtbot.waitSignals([view.filtered, view.model.page_loaded], timeout=10_000):
        change()


def fetch_all(qtbot, model: HistoryModel) -> None:
    while model.canFetchMore(QModelIndex()):
        with qtbot.waitSignal(model.page_loaded):
            model.fetchMore(QModelIndex())


def test_pages_load_lazily_two_hundred_at_a_time(
    qtbot, view: HistoryView, review_world: ReviewWorld
) -> None:
    total = count(review_world, IncidentFilter())
    assert total == 300
    assert view.model.rowCount() == 200
    assert view.model.canFetchMore(QModelIndex())
    assert view.status.text() == "300 incidents match · 200 loaded, scroll for more"
    with qtbot.waitSignal(view.model.page_loaded):
        view.table.scrollToBottom()  # the view asks for more near the end
        qtbot.waitUntil(lambda: view.model.fetching or view.model.rowCount() > 200)
    assert view.model.rowCount() == 300
    assert not view.model.canFetchMore(QModelIndex())
    opened = [r.summary.opened_at for r in rows(view)]
    assert opened == sorted(opened, reverse=True)  # newest first
    assert len({r.summary.id for r in rows(view)}) == 300
    assert view.status.text() == "300 incidents match"


def test_small_pages_fetch_until_exhausted(
    qtbot, review_world: ReviewWorld, dispatcher: Dispatcher
) -> None:
    model = HistoryModel(review_world.review, dispatcher, review_world.context.agent_zone, None, 40)
    check_model(model)
    with qtbot.waitSignal(model.page_loaded):
        model.set_filter(IncidentFilter(priorities=("P2",)))
    assert model.rowCount() == 40
    fetch_all(qtbot, model)
    assert model.rowCount() == count(review_world, IncidentFilter(priorities=("P2",)))
    assert {model.row(r).summary.priority for r in range(model.rowCount())} == {"P2"}


def test_a_new_filter_drops_a_page_still_loading(
    qtbot, review_world: ReviewWorld, dispatcher: Dispatcher
) -> None:
    model = HistoryModel(review_world.review, dispatcher, review_world.context.agent_zone)
    check_model(model)
    model.set_filter(IncidentFilter(priorities=("P1",)))
    with qtbot.waitSignal(model.page_loaded):
        model.set_filter(IncidentFilter(priorities=("P4",)))
    dispatcher.wait_for_done()
    qtbot.waitUntil(lambda: not dispatcher.busy)
    assert {model.row(r).summary.priority for r in range(model.rowCount())} == {"P4"}


@pytest.mark.parametrize(
    ("combo", "value", "check", "flt"),
    [
        (
            "priority",
            "P1",
            lambda r: r.summary.priority == "P1",
            IncidentFilter(priorities=("P1",)),
        ),
        ("outcome", True, lambda r: r.outcome == "met", IncidentFilter(met=True)),
        ("outcome", False, lambda r: r.outcome == "missed", IncidentFilter(met=False)),
        ("excluded", True, lambda r: r.summary.excluded, IncidentFilter(excluded=True)),
        ("excluded", False, lambda r: not r.summary.excluded, IncidentFilter(excluded=False)),
    ],
)
def test_filters_narrow_the_list_and_the_count(
    qtbot,
    view: HistoryView,
    review_world: ReviewWorld,
    combo: str,
    value: object,
    check: Callable[[Any], bool],
    flt: IncidentFilter,
) -> None:
    box = getattr(view.filters, combo)
    refilter(qtbot, view, lambda: box.setCurrentIndex(box.findData(value)))
    expected = count(review_world, flt)
    assert 0 < expected < 300
    assert view.matched == expected
    fetch_all(qtbot, view.model)
    assert view.model.rowCount() == expected
    assert all(check(r) for r in rows(view))


def test_customer_and_period_filters(qtbot, view: HistoryView, review_world: ReviewWorld) -> None:
    customers = view.filters.customer
    customer_id = customers.itemData(1)
    refilter(qtbot, view, lambda: customers.setCurrentIndex(1))
    assert {r.summary.customer_id for r in rows(view)} == {customer_id}
    assert view.matched == count(review_world, IncidentFilter(customer_id=customer_id))
    period = view.filters.period
    refilter(qtbot, view, lambda: period.setCurrentIndex(period.findData(7)))
    since = review_world.clock.now() - timedelta(days=7)
    assert all(r.summary.opened_at >= since for r in rows(view))
    assert "Opened in the last 7 days" in view.filters.describe()
    refilter(qtbot, view, view.filters.clear)
    assert view.matched == 300
    assert view.filters.describe() == ["No filters: every incident"]


def test_full_text_search(qtbot, view: HistoryView, review_world: ReviewWorld) -> None:
    view.filters.search.setText("checkout 502")
    refilter(qtbot, view, view.filters.apply)  # what the typing pause does
    found = rows(view)
    assert found and view.matched == len(found) == count(
        review_world, IncidentFilter(text="checkout 502")
    )
    assert all("502" in r.summary.title or "checkout" in r.summary.title.lower() for r in found)
    view.filters.search.setText("nothing-matches-this")
    refilter(qtbot, view, view.filters.apply)
    assert view.model.rowCount() == 0 and view.matched == 0


def test_the_selected_row_reads_read_only(qtbot, view: HistoryView) -> None:
    with qtbot.waitSignal(view.detail.loaded) as loaded:
        view.select_row(3)
    summary = view.model.row(3).summary
    assert loaded.args == [summary.id]
    assert summary.number in view.detail.heading.text()
    assert view.detail.timeline.rowCount() >= 1
    buttons = {b.text() for b in view.detail.findChildren(QPushButton)}
    buttons |= {b.text() for b in view.detail.findChildren(QToolButton)}
    assert not buttons & {"Respond", "Escalate", "Resolve", "Reopen", "Assign", "Note"}


def test_attainment_by_priority_and_plan(
    qtbot, view: HistoryView, review_world: ReviewWorld
) -> None:
    panel = view.attainment
    expected = review_world.review.attainment(IncidentFilter())
    assert panel.rows == expected
    table = panel.pivot()
    assert table.total.met == sum(r.met for r in expected)
    assert table.total.missed == sum(r.missed for r in expected)
    model = panel.model
    assert model.rowCount() == len(table.groups) + 1  # the groups, then All
    assert model.columnCount() == len(table.months) + 1  # the months, then Total
    assert model.headerData(len(table.groups), _vertical()) == "All"
    chart = panel.chart_view.chart()
    assert [s.name() for s in chart.series()] == [*table.groups, "All"]
    panel.breakdown.setCurrentIndex(1)  # by plan
    assert panel.model.table.by.value == "plan"


def _vertical() -> Any:
    from PySide6.QtCore import Qt

    return Qt.Orientation.Vertical


def open_hostile(world: ReviewWorld) -> None:
    with world.store.read() as tx:
        customer = next(c for c in tx.customers.list() if c.contacts)
    for title in HOSTILE:
        world.context.incidents.open_incident(
            NewIncident(
                customer_id=customer.id,
                contact_id=customer.contacts[0].id,
                title=title,
                channel="web",
                proposed_priority="P3",
                priority="P3",
            )
        )


def test_export_csv_neutralises_hostile_cells(
    qtbot, view: HistoryView, review_world: ReviewWorld, tmp_path: Path
) -> None:
    open_hostile(review_world)
    path = tmp_path / "out" / "history.csv"
    path.parent.mkdir()
    with qtbot.waitSignal(view.exported, timeout=20_000) as exported:
        export = view.export_csv(path)
        assert export is not None and not view.csv_button.isEnabled()
    assert exported.args == [str(path)]
    with path.open(encoding="utf-8-sig", newline="") as source:
        table = list(csv.reader(source))
    assert table[0] == list(CSV_COLUMNS)
    assert len(table) == 1 + 304
    title = CSV_COLUMNS.index("Title")
    hostile_rows = [row[title] for row in table if row[title].lstrip("'") in HOSTILE]
    assert sorted(hostile_rows) == sorted(f"'{t}" for t in HOSTILE)
    for row in table[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert view.notice.text() == f"Exported 304 incidents to {path}."
    assert view.csv_button.isEnabled() and view.export is None


def test_cancelling_an_export_writes_no_file(
    qtbot, view: HistoryView, review_world: ReviewWorld, tmp_path: Path, monkeypatch: Any
) -> None:
    gate = threading.Event()
    real = view._review.export_csv

    def held(*args: Any, **kwargs: Any) -> int:
        assert gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(view._review, "export_csv", held)
    path = tmp_path / "out" / "history.csv"
    path.parent.mkdir()
    export = view.export_csv(path)
    assert export is not None
    cancel = export.dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    cancel.click()
    assert export.cancel_requested
    with qtbot.waitSignal(export.cancelled):
        gate.set()
    assert not path.exists() and list(path.parent.iterdir()) == []
    assert view.notice.text() == "Export cancelled: no file was written."
    assert view.csv_button.isEnabled()


def test_pdf_report_is_written(qtbot, view: HistoryView, tmp_path: Path) -> None:
    priority = view.filters.priority
    refilter(qtbot, view, lambda: priority.setCurrentIndex(priority.findData("P2")))
    path = tmp_path / "report.pdf"
    with qtbot.waitSignal(view.exported):
        view.write_report(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert b"/Image" in data  # the chart went in as a picture
    assert view.notice.text() == f"Saved the report to {path}."
