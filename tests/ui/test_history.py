"""History review on the demo database: lazy paging, filters, search, attainment, exports."""

from __future__ import annotations

import csv
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QPushButton, QToolButton

from console.domain.outcomes import Outcome
from console.qt.worker import Dispatcher
from console.services.incidents import NewIncident
from console.services.ports import IncidentFilter
from console.services.review import CSV_COLUMNS, Breakdown
from console.ui.history import HistoryView
from console.ui.history.filters import FilterBar
from console.ui.history.model import HistoryModel
from console.ui.history.multichoice import VALUE_ROLE, MultiChoice
from console.ui.history.report import (
    CHART_TITLES,
    MissedList,
    chart_image,
    report_html,
    write_pdf,
)
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world"]

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",  # the drop-downs' popups, offscreen
    "This plugin does not support grabbing the keyboard",
)

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


def pick(combo: str, value: object) -> Callable[[FilterBar], None]:
    """Choose ``value`` in the filter bar's single-choice ``combo``."""

    def choose(bar: FilterBar) -> None:
        box = getattr(bar, combo)
        box.setCurrentIndex(box.findData(value))

    return choose


@pytest.mark.parametrize(
    ("choose", "check", "flt"),
    [
        (
            lambda bar: bar.priority.set_chosen(["P1"]),
            lambda r: r.summary.priority == "P1",
            IncidentFilter(priorities=("P1",)),
        ),
        (
            pick("outcome", Outcome.MET),
            lambda r: r.outcome is Outcome.MET,
            IncidentFilter(outcome=Outcome.MET),
        ),
        (
            pick("outcome", Outcome.MISSED),
            lambda r: r.outcome is Outcome.MISSED,
            IncidentFilter(outcome=Outcome.MISSED),
        ),
        (
            pick("outcome", Outcome.PENDING),
            lambda r: r.outcome is Outcome.PENDING,
            IncidentFilter(outcome=Outcome.PENDING),
        ),
        (pick("excluded", True), lambda r: r.summary.excluded, IncidentFilter(excluded=True)),
        (
            pick("excluded", False),
            lambda r: not r.summary.excluded,
            IncidentFilter(excluded=False),
        ),
    ],
)
def test_filters_narrow_the_list_and_the_count(
    qtbot,
    view: HistoryView,
    review_world: ReviewWorld,
    choose: Callable[[FilterBar], None],
    check: Callable[[Any], bool],
    flt: IncidentFilter,
) -> None:
    refilter(qtbot, view, lambda: choose(view.filters))
    expected = count(review_world, flt)
    assert 0 < expected < 300
    assert view.matched == expected
    fetch_all(qtbot, view.model)
    assert view.model.rowCount() == expected
    assert all(check(r) for r in rows(view))


def test_customer_and_period_filters(qtbot, view: HistoryView, review_world: ReviewWorld) -> None:
    customers = view.filters.customer
    customer_id = offered(customers)[0]
    refilter(qtbot, view, lambda: customers.set_chosen([customer_id]))
    assert {r.summary.customer_id for r in rows(view)} == {customer_id}
    assert view.matched == count(review_world, IncidentFilter(customer_ids=(customer_id,)))
    period = view.filters.period
    refilter(qtbot, view, lambda: period.setCurrentIndex(period.findData(7)))
    since = review_world.clock.now() - timedelta(days=7)
    assert all(r.summary.opened_at >= since for r in rows(view))
    assert "Opened in the last 7 days" in view.filters.describe()
    refilter(qtbot, view, view.filters.clear)
    assert view.matched == 300
    assert view.filters.describe() == ["No filters: every incident"]


def offered(choice: MultiChoice) -> list[str]:
    """The values a multi-choice box offers, in its order ("Any" left out)."""
    items = (choice.choices.item(row) for row in range(1, choice.choices.rowCount()))
    return [str(item.data(VALUE_ROLE)) for item in items]


def row_of(choice: MultiChoice, value: str) -> int:
    return offered(choice).index(value) + 1


def tick_with_keyboard(qtbot, choice: MultiChoice, values: list[str]) -> None:
    """Open with Space, move to each value and tick it with Space, close with Escape."""
    qtbot.keyClick(choice, Qt.Key.Key_Space)
    listing = choice.popup.list
    assert choice.popup.isVisible()
    for value in values:
        listing.setCurrentIndex(choice.choices.index(row_of(choice, value), 0))
        qtbot.keyClick(listing, Qt.Key.Key_Space)
    qtbot.keyClick(listing, Qt.Key.Key_Escape)
    assert not choice.popup.isVisible()


def tick_with_mouse(qtbot, choice: MultiChoice, values: list[str]) -> None:
    """Open with a click, click each value's row (its name, not only its box), click away."""
    qtbot.mouseClick(choice, Qt.MouseButton.LeftButton)
    listing = choice.popup.list
    assert choice.popup.isVisible()
    for value in values:
        spot = listing.visualRect(choice.choices.index(row_of(choice, value), 0)).center()
        qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    assert choice.popup.isVisible()  # ticking keeps it open for the next one
    choice.hidePopup()


def test_two_priorities_and_two_plans_narrow_the_list_and_attainment(
    qtbot, view: HistoryView, review_world: ReviewWorld
) -> None:
    everything = review_world.review.attainment(IncidentFilter())
    bar = view.filters
    refilter(qtbot, view, lambda: tick_with_keyboard(qtbot, bar.priority, ["P1", "P2"]))
    refilter(qtbot, view, lambda: tick_with_keyboard(qtbot, bar.plan, ["premium", "premium_plus"]))
    flt = IncidentFilter(priorities=("P1", "P2"), plans=("premium", "premium_plus"))
    assert bar.current() == flt
    expected = count(review_world, flt)
    assert 0 < expected < count(review_world, IncidentFilter(priorities=("P1", "P2")))
    assert view.matched == expected
    fetch_all(qtbot, view.model)
    assert view.model.rowCount() == expected
    assert {r.summary.priority for r in rows(view)} == {"P1", "P2"}
    assert {r.summary.plan for r in rows(view)} == {"premium", "premium_plus"}
    attained = view.attainment.rows
    assert attained == review_world.review.attainment(flt) != everything
    assert {r.priority for r in attained} == {"P1", "P2"}
    assert {r.plan for r in attained} == {"premium", "premium_plus"}
    assert (bar.priority.currentText(), bar.plan.toolTip()) == (
        "P1, P2",
        "Plan the incident was opened under: Premium, Premium Plus",
    )

    refilter(qtbot, view, bar.clear_button.click)
    assert bar.current() == IncidentFilter()
    assert view.matched == 300
    assert view.attainment.rows == everything
    assert (bar.priority.currentText(), bar.plan.currentText()) == ("Any priority", "Any plan")


def test_two_customers_narrow_the_list_and_attainment(
    qtbot, view: HistoryView, review_world: ReviewWorld
) -> None:
    customers = view.filters.customer
    assert customers.currentText() == "Any customer"
    assert customers.accessibleName() == "Customer"
    chosen = offered(customers)[1:3]
    refilter(qtbot, view, lambda: tick_with_mouse(qtbot, customers, chosen[:1]))
    refilter(qtbot, view, lambda: tick_with_mouse(qtbot, customers, chosen[1:]))
    flt = IncidentFilter(customer_ids=tuple(chosen))
    assert customers.chosen() == tuple(chosen)
    expected = count(review_world, flt)
    assert view.matched == expected
    assert max(count(review_world, IncidentFilter(customer_ids=(c,))) for c in chosen) < expected
    fetch_all(qtbot, view.model)
    assert view.model.rowCount() == expected
    assert {r.summary.customer_id for r in rows(view)} == set(chosen)
    assert view.attainment.rows == review_world.review.attainment(flt)
    assert sum(r.met + r.missed for r in view.attainment.rows) < sum(
        r.met + r.missed for r in review_world.review.attainment(IncidentFilter())
    )
    # ticking "Any customer" is the way back to every customer
    refilter(qtbot, view, lambda: customers.toggle(0))
    assert customers.chosen() == () and view.matched == 300


def customer_names(bar: FilterBar) -> list[str]:
    items = (bar.customer.choices.item(r) for r in range(1, bar.customer.choices.rowCount()))
    return [item.text() for item in items]


def test_the_words_line_lists_every_value_chosen(qtbot, view: HistoryView) -> None:
    bar = view.filters
    names = dict(zip(offered(bar.customer), customer_names(bar), strict=True))
    first, second = offered(bar.customer)[:2]

    def choose() -> None:
        bar.period.setCurrentIndex(bar.period.findData(-1))
        bar.date_from.setDate(QDate(2026, 1, 1))
        bar.date_to.setDate(QDate(2026, 3, 31))
        bar.customer.set_chosen([second, first])
        bar.priority.set_chosen(["P2", "P1"])
        bar.plan.set_chosen(["premium", "premium_plus", "standard"])
        bar.outcome.setCurrentIndex(bar.outcome.findData(Outcome.MISSED))

    refilter(qtbot, view, choose)
    assert bar.describe() == [
        "Opened from 01 Jan 2026 to 31 Mar 2026",
        f"Customer: {names[first]} or {names[second]}",
        "Priority: P1 or P2",
        "Plan: Standard, Premium or Premium Plus",
        "First response missed",
    ]
    refilter(qtbot, view, lambda: bar.customer.set_chosen([first]))
    assert f"Customer: {names[first]}" in bar.describe()


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
    assert view.detail.details is None  # no incident left on show from the earlier list


def test_the_selected_row_offers_only_what_a_past_incident_allows(qtbot, view: HistoryView) -> None:
    with qtbot.waitSignal(view.detail.loaded) as loaded:
        view.select_row(3)
    summary = view.model.row(3).summary
    assert loaded.args == [summary.id]
    assert summary.number in view.detail.heading.text()
    assert view.detail.timeline.rowCount() >= 1
    buttons = {b.text() for b in view.detail.findChildren(QPushButton)}
    buttons |= {b.text() for b in view.detail.findChildren(QToolButton)}
    assert not buttons & {"Respond", "Escalate", "Resolve"}
    assert {"Reopen", "Note", "Assign"} <= buttons


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
        assert source.readline().startswith("# Filters: No filters: every incident")
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
    refilter(qtbot, view, lambda: view.filters.priority.set_chosen(["P2"]))
    path = tmp_path / "report.pdf"
    with qtbot.waitSignal(view.exported):
        view.write_report(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert b"/Image" in data  # the chart went in as a picture
    assert view.notice.text() == f"Saved the report to {path}."


@pytest.mark.parametrize(
    ("outcome", "counted"),
    [
        (Outcome.MET, lambda t: t.met),
        (Outcome.MISSED, lambda t: t.missed),
        (Outcome.PENDING, lambda t: t.pending),
    ],
)
def test_the_outcome_filter_lists_exactly_what_attainment_counts(
    qtbot, view: HistoryView, outcome: Outcome, counted: Callable[[Any], int]
) -> None:
    everything = view.attainment.pivot().total
    refilter(qtbot, view, lambda: pick("outcome", outcome)(view.filters))
    assert view.matched == counted(everything) > 0
    fetch_all(qtbot, view.model)
    assert view.model.rowCount() == counted(everything)
    assert {r.outcome for r in rows(view)} == {outcome}
    narrowed = view.attainment.pivot().total  # attainment follows the filter too
    assert counted(narrowed) == counted(everything)
    assert narrowed.counted == counted(everything)
    column = HistoryModel.OUTCOME
    shown = {view.model.index(r, column).data() for r in range(view.model.rowCount())}
    assert shown == {outcome.value.capitalize()}
    tip = view.model.index(0, column).data(Qt.ItemDataRole.ToolTipRole)
    assert tip and "deadline" in tip


def test_the_csv_never_calls_a_passed_deadline_pending(
    qtbot, view: HistoryView, review_world: ReviewWorld, tmp_path: Path
) -> None:
    path = tmp_path / "history.csv"
    with qtbot.waitSignal(view.exported, timeout=20_000):
        view.export_csv(path)
    with path.open(encoding="utf-8-sig", newline="") as source:
        assert source.readline().startswith("# Filters: ")
        table = list(csv.DictReader(source))
    now = review_world.clock.now().astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    outcomes = Counter(row["First response"] for row in table)
    assert outcomes["pending"] > 0 and outcomes["missed"] > 0
    for row in table:
        if row["First response"] == "pending":
            assert row["First response due (UTC)"] >= now, row
    total = view.attainment.pivot().total
    assert (outcomes["met"], outcomes["missed"], outcomes["pending"], outcomes["excluded"]) == (
        total.met,
        total.missed,
        total.pending,
        total.excluded,
    )


def test_the_pdf_report_lists_the_missed_incidents_under_chart_headings(
    qtbot, view: HistoryView, review_world: ReviewWorld, tmp_path: Path
) -> None:
    total, missed = review_world.review.missed(IncidentFilter())
    assert total == len(missed) == view.attainment.pivot().total.missed > 0
    panel = view.attainment
    body = report_html(
        heading="Prepared for a test",
        filters=view.filters.describe(),
        tables={by: panel.pivot(by) for by in Breakdown},
        labels={by: panel.labels.get(by, {}) for by in Breakdown},
        matched=view.matched,
        missed=MissedList(missed, total, review_world.context.agent_zone),
    )
    for title in CHART_TITLES.values():
        assert f"<h3>{title}</h3><img" in body
    assert f"Missed first responses ({total})" in body
    zone = review_world.context.agent_zone
    for row in missed:
        assert row.summary.number in body
        assert row.summary.outcome_due is not None
        assert row.summary.outcome_due.astimezone(zone).strftime("%d %b %Y %H:%M") in body
    path = tmp_path / "report.pdf"
    with qtbot.waitSignal(view.exported, timeout=20_000):
        view.write_report(path)
    assert path.read_bytes().count(b"/Subtype /Image") >= 2  # both charts went in

    # However the missed list falls, no heading is left at a page's foot and the last page
    # is not nearly blank: the layout that breaks well is the one printed.
    charts = {by: chart_image(panel.pivot(by), panel.labels.get(by, {})) for by in Breakdown}
    for count in (total, 12, 30, 31, 33, 40):
        bodies = [
            report_html(
                heading="Prepared for a test",
                filters=["No filters: every incident"],
                tables={by: panel.pivot(by) for by in Breakdown},
                labels={by: panel.labels.get(by, {}) for by in Breakdown},
                matched=view.matched,
                missed=MissedList(missed[:count], count, zone),
                missed_on_new_page=new_page,
            )
            for new_page in (False, True)
        ]
        printed = write_pdf(tmp_path / f"report-{count}.pdf", bodies, charts)
        assert printed.orphans == 0, count
        assert printed.pages >= 2
        assert printed.last_page_fill >= 0.3, (count, printed)
