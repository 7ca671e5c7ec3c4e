"""History review (DESIGN §7): search and filter every incident, attainment, exports.

The incident list pages lazily (``HistoryModel``); the match count and the attainment
figures are read alongside on the Dispatcher whenever the filters change. Exports take the
filters in force: CSV through a cancellable worker, a PDF report drawn here.
"""

from __future__ import annotations

from pathlib import Path

import qtawesome as qta
import shiboken6
from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain.explain import when
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.ports import AttainmentRow, IncidentFilter
from console.services.review import Breakdown, HistoryRow
from console.ui.forms import error_label, error_text, if_alive, page_title, plain_label
from console.ui.history.attainment import AttainmentPanel
from console.ui.history.detail import HistoryDetail
from console.ui.history.filters import FilterBar
from console.ui.history.model import HistoryModel
from console.ui.history.report import (
    CsvExport,
    MissedList,
    chart_image,
    report_html,
    write_pdf,
)
from console.ui.incident.files import FileFolder

Choices = tuple[list[tuple[str, str]], tuple[str, ...], list[tuple[str, str]]]


class HistoryView(QWidget):
    filtered = Signal()  # count and attainment for the current filters are shown
    exported = Signal(str)  # a CSV or PDF file was written

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._review = context.review
        self._generation = 0
        self._started = False
        self.matched: int | None = None
        self.export: CsvExport | None = None
        self.model = HistoryModel(self._review, dispatcher, context.agent_zone, self)
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        title = page_title("History")
        self.status = plain_label()
        self.csv_button = QPushButton(qta.icon("mdi6.file-delimited-outline"), "Export CSV…")
        self.pdf_button = QPushButton(qta.icon("mdi6.file-pdf-box"), "PDF report…")
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.status, 1)
        top.addWidget(self.csv_button)
        top.addWidget(self.pdf_button)
        outer.addLayout(top)
        self.filters = FilterBar(self._context.clock, self._context.agent_zone)
        outer.addWidget(self.filters)
        # Which order the rows are in (newest first, relevance, or a column), and the way
        # back to the service's own order after a click on a column title.
        order = QHBoxLayout()
        order.setContentsMargins(0, 0, 0, 0)
        self.order_icon = QLabel()
        self.order_label = plain_label()
        self.order_label.setObjectName("hint")
        self.default_order_button = QPushButton("Back to newest first")
        self.default_order_button.setFlat(True)
        self.default_order_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.default_order_button.hide()
        order.addWidget(self.order_icon)
        order.addWidget(self.order_label)
        order.addWidget(self.default_order_button)
        order.addStretch(1)
        outer.addLayout(order)
        self.banner = error_label()
        outer.addWidget(self.banner)
        self.notice = plain_label()  # names the file written, as typed
        self.notice.setObjectName("hint")
        self.notice.hide()
        outer.addWidget(self.notice)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.setSortingEnabled(True)  # a click on a column title sorts by it
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(HistoryModel.TITLE, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (HistoryModel.NUMBER, 116),
            (HistoryModel.OPENED, 124),
            (HistoryModel.CUSTOMER, 150),
            (HistoryModel.PLAN, 96),
            (HistoryModel.PRIORITY, 34),
            (HistoryModel.STATUS, 74),
            (HistoryModel.OUTCOME, 96),
            (HistoryModel.LEVEL, 40),
        ):
            self.table.setColumnWidth(column, width)
        self.detail = HistoryDetail(self._context, self._dispatcher)
        # the list keeps the full width it needs; the incident reads below it
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.table)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)
        self.split.setChildrenCollapsible(False)
        self.attainment = AttainmentPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.split, qta.icon("mdi6.format-list-bulleted"), "Incidents")
        self.tabs.addTab(self.attainment, qta.icon("mdi6.chart-line"), "Attainment")
        outer.addWidget(self.tabs, 1)

    def _connect_signals(self) -> None:
        self.filters.filter_changed.connect(self.set_filter)
        self.model.page_loaded.connect(self._on_model_page_loaded)
        self.model.load_failed.connect(self._show_error)
        self.model.sorted.connect(self._show_order)
        self.model.loading_changed.connect(self._show_order)
        self.default_order_button.clicked.connect(self._on_default_order_button_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.csv_button.clicked.connect(self._on_csv_button_clicked)
        self.pdf_button.clicked.connect(self._on_pdf_button_clicked)

    # -- loading -----------------------------------------------------------------------------

    def start(self) -> None:
        """Load the filter choices and the first page (done once, on first show)."""
        if self._started:
            return
        self._started = True
        review, customers, policy = self._review, self._context.customers, self._context.policy

        def job() -> Choices:
            _, current = policy.current()
            names = [(c.id, c.name) for c in customers.customers()]
            return names, review.priorities(), [(p.id, p.name) for p in current.plans]

        self._dispatcher.submit(
            job, if_alive(self, self._on_choices), if_alive(self, self._show_error)
        )

    def _on_choices(self, choices: Choices) -> None:
        customers, priorities, plans = choices
        self.filters.set_choices(customers, priorities, plans)
        self.model.plan_names = dict(plans)
        self.attainment.set_labels(Breakdown.PLAN, dict(plans))
        self.attainment.set_labels(Breakdown.PRIORITY, {p: p for p in priorities})
        self.set_filter(self.filters.current())

    @Slot(str)
    def refresh_incident(self, incident_id: str) -> None:
        """An incident changed (reopened here, resolved in the queue…): its row, if shown,
        reads as it stands now, without starting the search over."""
        review = self._review

        def done(row: HistoryRow | None) -> None:
            if row is not None:
                self.model.replace_row(row)

        self._dispatcher.submit(lambda: review.history_row(incident_id), if_alive(self, done))

    @Slot(object)
    def set_filter(self, flt: IncidentFilter) -> None:
        """Show ``flt``'s incidents (first page now, more on scrolling), count and attainment."""
        self.banner.hide()
        self._generation += 1
        generation, review = self._generation, self._review
        self.matched = None
        self.status.setText("Searching…")
        self.model.set_filter(flt)
        self._show_order()

        def job() -> tuple[int, list[AttainmentRow]]:
            return review.filtered(flt)

        def done(result: tuple[int, list[AttainmentRow]]) -> None:
            if shiboken6.isValid(self) and generation == self._generation:
                self.matched, rows = result
                self.attainment.show_rows(rows)
                self._show_status()
                self.filtered.emit()

        def failed(error: Exception) -> None:
            if shiboken6.isValid(self) and generation == self._generation:
                self._show_error(error)

        self._dispatcher.submit(job, done, failed)

    @Slot(int)
    def _on_model_page_loaded(self, _: int) -> None:
        self._show_status()
        if not self.model.rowCount():
            self.detail.show_incident("")  # nothing matches: no incident left on show
        elif not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def _show_status(self) -> None:
        shown = self.model.rowCount()
        if self.matched is None:
            self.status.setText(f"{shown:,} incidents loaded…")
            return
        noun = "incident matches" if self.matched == 1 else "incidents match"
        more = f" · {shown:,} loaded, scroll for more" if shown < self.matched else ""
        self.status.setText(f"{self.matched:,} {noun}{more}")

    @Slot()
    def _show_order(self) -> None:
        model = self.model
        sorting = model.sort_column is not None
        text = model.order_text()
        if sorting and model.fetching:
            text += " — reading every matching incident to sort them…"
        icon = (
            "mdi6.sort"
            if sorting
            else (
                "mdi6.text-search" if model.filter.text.strip() else "mdi6.sort-calendar-descending"
            )
        )
        colour = self.palette().color(self.palette().ColorRole.PlaceholderText)
        self.order_icon.setPixmap(qta.icon(icon, color=colour).pixmap(16, 16))
        self.order_label.setText(text)
        self.default_order_button.setText(
            "Back to relevance order" if model.filter.text.strip() else "Back to newest first"
        )
        self.default_order_button.setVisible(sorting)

    @Slot()
    def _on_default_order_button_clicked(self) -> None:
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.sort(-1)
        self._show_order()

    @Slot(object)
    def _show_error(self, error: object) -> None:
        self.banner.setText(error_text(error))
        self.banner.show()

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.detail.show_incident(self.model.row(rows[0].row()).summary.id if rows else "")

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    # -- exports -----------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    @Slot()
    def _on_csv_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export incidents to CSV",
            str(FileFolder.start() / "incidents.csv"),
            "CSV files (*.csv)",
        )
        if path:
            FileFolder.remember([Path(path)])
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> CsvExport | None:
        """Write the incidents the filters select to ``path``, with a progress dialog."""
        if self.export is not None:
            return None
        export = CsvExport(self._review, self._dispatcher, self.filters.current(), path, self)
        export.finished.connect(self._on_export_finished)
        export.cancelled.connect(self._on_export_cancelled)
        export.failed.connect(self._on_export_failed)
        self.export = export
        self.csv_button.setEnabled(False)
        return export

    @Slot(int)
    def _on_export_finished(self, written: int) -> None:
        path = self.export.path if self.export else Path()
        self._export_over()
        self._say(f"Exported {written:,} incidents to {path}.")
        self.exported.emit(str(path))

    @Slot()
    def _on_export_cancelled(self) -> None:
        self._export_over()
        self._say("Export cancelled: no file was written.")

    @Slot(object)
    def _on_export_failed(self, error: object) -> None:
        self._export_over()
        self._show_error(error)

    def _export_over(self) -> None:
        self.export = None
        self.csv_button.setEnabled(True)

    @Slot()
    def _on_pdf_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save the attainment report",
            str(FileFolder.start() / "attainment-report.pdf"),
            "PDF files (*.pdf)",
        )
        if path:
            FileFolder.remember([Path(path)])
            self.write_report(Path(path))

    def write_report(self, path: Path) -> None:
        """Print the attainment report for the filters in force to ``path``.

        The missed incidents are read off the GUI thread first; the PDF is drawn here.
        """
        flt, review = self.filters.current(), self._review
        self.pdf_button.setEnabled(False)

        def done(missed: tuple[int, list[HistoryRow]]) -> None:
            self.pdf_button.setEnabled(True)
            self._print_report(path, *missed)

        def failed(error: Exception) -> None:
            self.pdf_button.setEnabled(True)
            self._show_error(error)

        self._dispatcher.submit(
            lambda: review.missed(flt), if_alive(self, done), if_alive(self, failed)
        )

    def _print_report(self, path: Path, missed_total: int, missed: list[HistoryRow]) -> None:
        panel = self.attainment
        tables = {by: panel.pivot(by) for by in Breakdown}
        labels = {b: panel.labels.get(b, {}) for b in Breakdown}
        zone = self._context.agent_zone
        now = self._context.clock.now()
        heading = f"Prepared by {self._context.actor.name} on {when(now, zone)}"
        bodies = [
            report_html(
                heading=heading,
                filters=self.filters.describe(),
                tables=tables,
                labels=labels,
                matched=self.matched,
                missed=MissedList(missed, missed_total, zone, self.model.plan_names),
                missed_on_new_page=new_page,
            )
            for new_page in (False, True)
        ]
        charts = {by: chart_image(tables[by], labels[by]) for by in Breakdown}
        write_pdf(path, bodies, charts)
        self._say(f"Saved the report to {path}.")
        self.exported.emit(str(path))

    # -- showing -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.start()
