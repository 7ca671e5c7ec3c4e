"""SLA attainment: % of first responses met by month, per priority or per plan.

Each first response counts in the month of its deadline under the priority that set that
deadline; pending and excluded ones are shown beside the percentage, never in it.

The chart draws one line per group and a bold one for all of them; the table below holds
the same figures with totals both ways. ``build_chart`` is shared with the PDF report, which
draws its own copy off screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QAbstractTableModel,
    QMargins,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.services.ports import AttainmentRow
from console.services.review import Breakdown, Pivot, Tally, pivot
from console.ui.forms import esc, set_markup, set_plain

ALL = "All"
SERIES_COLOURS = ("#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41")


def month_label(month: str) -> str:
    """``2026-03`` → ``Mar 2026``."""
    year, number = month.split("-")
    return date(int(year), int(number), 1).strftime("%b %Y")


def calendar_months(months: Sequence[str]) -> tuple[str, ...]:
    """Every month from the first of ``months`` to the last, the empty ones too, so the
    axis runs by calendar: ``("2025-11", "2026-02")`` → Nov, Dec, Jan, Feb."""
    if not months:
        return ()
    first, last = min(months), max(months)
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    filled = []
    while (year, month) <= end:
        filled.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(filled)


def group_label(labels: Mapping[str, str], group: str) -> str:
    """A group's name; an empty key (a plan not recorded on old incidents) says so."""
    return labels.get(group, group) or "(not recorded)"


def percent_text(tally: Tally) -> str:
    return "—" if tally.percent is None else f"{tally.percent:.0f} %"


def counts_text(tally: Tally) -> str:
    """Every outcome counted, e.g. "3 met, 1 missed, 2 pending, 0 excluded"."""
    return (
        f"{tally.met:,} met, {tally.missed:,} missed, {tally.pending:,} pending, "
        f"{tally.excluded:,} excluded"
    )


def build_chart(table: Pivot, labels: Mapping[str, str], dark: bool = False) -> QChart:
    """A line chart of % met per month: one line per group, a bold one for all."""
    chart = QChart()
    chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
    chart.setBackgroundRoundness(0)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    axis_x = QBarCategoryAxis()
    axis_x.append([month_label(m) for m in table.months] or ["—"])
    axis_y = QValueAxis()
    axis_y.setRange(0, 100)
    axis_y.setTickCount(6)
    axis_y.setLabelFormat("%d %%")
    axis_y.setTitleText("First responses met")
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    lines = [(g, group_label(labels, g), table.cell) for g in table.groups]
    for index, (group, name, cell) in enumerate(lines):
        series = QLineSeries()
        series.setName(esc(name))  # legends and axis labels of a chart are rich text
        series.setPointsVisible(True)
        series.setPen(QPen(QColor(SERIES_COLOURS[index % len(SERIES_COLOURS)]), 2))
        for x, month in enumerate(table.months):
            tally = cell(group, month)
            if tally.percent is not None:
                series.append(x, tally.percent)
        chart.addSeries(series)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
    overall = QLineSeries()
    overall.setName(ALL)
    overall.setPointsVisible(True)
    pen = QPen(QColor("#eeeeee" if dark else "#212121"), 3.5)
    pen.setStyle(Qt.PenStyle.DashLine)
    overall.setPen(pen)
    for x, month in enumerate(table.months):
        percent = table.month_total(month).percent
        if percent is not None:
            overall.append(x, percent)
    chart.addSeries(overall)
    overall.attachAxis(axis_x)
    overall.attachAxis(axis_y)
    return chart


class PivotModel(QAbstractTableModel):
    """Rows: groups then All; columns: months then Total; cells: % met (with counts)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table = Pivot(by=Breakdown.PRIORITY, groups=(), months=())
        self.labels: Mapping[str, str] = {}

    def set_pivot(self, table: Pivot, labels: Mapping[str, str]) -> None:
        self.beginResetModel()
        self.table, self.labels = table, labels
        self.endResetModel()

    def tally(self, row: int, column: int) -> Tally:
        table = self.table
        group = table.groups[row] if row < len(table.groups) else None
        month = table.months[column] if column < len(table.months) else None
        if group is None and month is None:
            return table.total
        if group is None:
            assert month is not None
            return table.month_total(month)
        if month is None:
            return table.group_total(group)
        return table.cell(group, month)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or not self.table.groups else len(self.table.groups) + 1

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.table.months) + 1

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation is Qt.Orientation.Horizontal:
            if 0 <= section < len(self.table.months):
                return month_label(self.table.months[section])
            return "Total" if section == len(self.table.months) else None
        if 0 <= section < len(self.table.groups):
            return group_label(self.labels, self.table.groups[section])
        return ALL if section == len(self.table.groups) else None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not (
            0 <= index.row() < self.rowCount() and 0 <= index.column() < self.columnCount()
        ):
            return None
        tally = self.tally(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{percent_text(tally)} ({tally.total})" if tally.total else "—"
        if role == Qt.ItemDataRole.ToolTipRole:
            return counts_text(tally)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.FontRole and (
            index.row() == len(self.table.groups) or index.column() == len(self.table.months)
        ):
            font = QFont()
            font.setBold(True)
            return font
        return None


class AttainmentPanel(QWidget):
    breakdown_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[AttainmentRow] = []
        self.labels: dict[Breakdown, Mapping[str, str]] = {}
        self.order: dict[Breakdown, tuple[str, ...]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.breakdown = QComboBox()
        self.breakdown.addItem("By priority", Breakdown.PRIORITY)
        self.breakdown.addItem("By plan", Breakdown.PLAN)
        self.headline = QLabel()
        top.addWidget(QLabel("First-response attainment"))
        top.addWidget(self.breakdown)
        top.addSpacing(12)
        top.addWidget(self.headline, 1)
        layout.addLayout(top)
        self.chart_view = QChartView()
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(220)
        self.model = PivotModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setMinimumSectionSize(72)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.chart_view)
        self.split.addWidget(self.table)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 0)
        self.split.setChildrenCollapsible(False)
        layout.addWidget(self.split, 1)
        self.breakdown.currentIndexChanged.connect(self._on_breakdown_current_index_changed)

    def set_labels(self, by: Breakdown, labels: Mapping[str, str]) -> None:
        """How to name groups (plan ids → plan names), in the order they are listed."""
        self.labels[by] = labels
        self.order[by] = tuple(labels)

    def show_rows(self, rows: list[AttainmentRow]) -> None:
        self.rows = rows
        self._redraw()

    def pivot(self, by: Breakdown | None = None) -> Pivot:
        """The rows by ``by`` and month, every calendar month between the first and the
        last included (a month where nothing fell due reads "—")."""
        by = by or Breakdown(self.breakdown.currentData())
        table = pivot(self.rows, by, self.order.get(by, ()))
        return replace(table, months=calendar_months(table.months))

    def _redraw(self) -> None:
        by = Breakdown(self.breakdown.currentData())
        table = self.pivot(by)
        labels = self.labels.get(by, {})
        self.model.set_pivot(table, labels)
        self._fit_row_titles()
        self._fit_table()
        old = self.chart_view.chart()
        dark = self.palette().window().color().lightness() < 128
        self.chart_view.setChart(build_chart(table, labels, dark))
        if old is not None:
            old.deleteLater()
        total = table.total
        if total.total:
            set_markup(self.headline, f"<b>{percent_text(total)}</b> met · {counts_text(total)}")
        elif total.counted:
            set_plain(self.headline, f"No first response decided yet · {counts_text(total)}")
        else:
            set_plain(self.headline, "No first response under these filters.")
        self.headline.setToolTip(
            "Met or missed counts decided first responses; pending ones can still be met; "
            "excluded incidents are counted apart. Grouped by the priority that set the "
            "deadline and the month it fell in."
        )

    def _fit_row_titles(self) -> None:
        """Row titles (plan names, priorities) shown whole, never cut to their first letters."""
        rows = self.table.verticalHeader()
        metrics = rows.fontMetrics()
        names = [
            str(self.model.headerData(r, Qt.Orientation.Vertical) or "")
            for r in range(self.model.rowCount())
        ]
        widest = max((metrics.horizontalAdvance(n) for n in names), default=0)
        rows.setMinimumWidth(widest + 24)

    def _fit_table(self) -> None:
        """Room for every row of the table; the chart takes the rest."""
        rows = max(self.model.rowCount(), 1)
        height = (
            self.table.horizontalHeader().sizeHint().height()
            + rows * self.table.verticalHeader().defaultSectionSize()
            + 2 * self.table.frameWidth()
            + self.table.horizontalScrollBar().sizeHint().height()
        )
        total = sum(self.split.sizes())
        if total > height:
            self.split.setSizes([total - height, height])

    @Slot(int)
    def _on_breakdown_current_index_changed(self, _: int) -> None:
        self._redraw()
        self.breakdown_changed.emit()
