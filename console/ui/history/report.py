"""The printable attainment report (PDF) and the CSV export with its progress dialog.

The PDF is a ``QTextDocument``: the filters used, the headline figures, the chart drawn off
screen as an image, and the attainment tables by priority and by plan, printed to a
``QPdfWriter``. The CSV export runs ``ReviewService.export_csv`` on the Dispatcher; its
progress crosses back to the GUI thread as a queued signal, and Cancel sets a flag the
export reads between batches.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import shiboken6
from PySide6.QtCore import QMarginsF, QObject, QRectF, QSize, QSizeF, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import QGraphicsScene, QProgressDialog, QWidget

from console.qt.worker import Dispatcher
from console.services.ports import IncidentFilter
from console.services.review import Breakdown, Cancelled, Pivot, ReviewService, Tally
from console.ui.history.attainment import build_chart, group_label, month_label, percent_text

CHART_SIZE = QSize(900, 380)  # in the report's own units (1/96 inch) …
CHART_SCALE = 3  # … drawn at three times that for print
PAGE_BREAK = " style='page-break-before: always'"  # the tables start on a page of their own


def chart_image(table: Pivot, labels: Mapping[str, str]) -> QImage:
    """The attainment chart drawn off screen, sharp enough to print."""
    scene = QGraphicsScene()
    chart = build_chart(table, labels)
    scene.addItem(chart)
    chart.resize(QSizeF(CHART_SIZE))
    chart.layout().activate()  # place axes and series now, not on the next event loop turn
    image = QImage(CHART_SIZE * CHART_SCALE, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(CHART_SCALE)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene.render(painter, QRectF(0, 0, CHART_SIZE.width(), CHART_SIZE.height()), chart.rect())
    painter.end()
    return image


def _table_html(title: str, table: Pivot, labels: Mapping[str, str], new_page: bool) -> str:
    head = "".join(f"<th>{month_label(m)}</th>" for m in table.months)
    rows = []
    for group in table.groups:
        cells = "".join(f"<td>{_cell(table.cell(group, m))}</td>" for m in table.months)
        name = html.escape(group_label(labels, group))
        rows.append(
            f"<tr><th align='left'>{name}</th>{cells}"
            f"<td><b>{_cell(table.group_total(group))}</b></td></tr>"
        )
    totals = "".join(f"<td><b>{_cell(table.month_total(m))}</b></td>" for m in table.months)
    rows.append(f"<tr><th align='left'>All</th>{totals}<td><b>{_cell(table.total)}</b></td></tr>")
    return (
        f"<h3{PAGE_BREAK if new_page else ''}>{html.escape(title)}</h3>"
        "<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
        f"<tr><th></th>{head}<th>Total</th></tr>{''.join(rows)}</table>"
    )


def _cell(tally: Tally) -> str:
    if not tally.total:
        return "—"
    return f"{percent_text(tally)}<br><small>{tally.met}/{tally.total}</small>"


def report_html(
    *,
    heading: str,
    filters: Sequence[str],
    tables: Mapping[Breakdown, Pivot],
    labels: Mapping[Breakdown, Mapping[str, str]],
    matched: int | None,
) -> str:
    first = next(iter(tables.values()))
    total = first.total
    lines = "".join(f"<li>{html.escape(f)}</li>" for f in filters)
    figure = (
        f"<p><b>{percent_text(total)}</b> of first responses met: {total.met} met, "
        f"{total.missed} missed"
        + (f", out of {matched} incidents matching the filters" if matched is not None else "")
        + ". Excluded incidents are left out of attainment; incidents whose first response "
        "is not yet due are not counted.</p>"
        if total.total
        else "<p>No first response has come due under these filters.</p>"
    )
    parts = [
        "<html><body style='font-family: sans-serif; font-size: 10pt'>",
        f"<h1>SLA attainment report</h1><p>{html.escape(heading)}</p>",
        f"<h3>Filters</h3><ul>{lines}</ul>",
        figure,
        f"<p><img src='chart://attainment' width='{CHART_SIZE.width()}' "
        f"height='{CHART_SIZE.height()}'></p>",
    ]
    titles = {Breakdown.PRIORITY: "By priority and month", Breakdown.PLAN: "By plan and month"}
    for index, (by, table) in enumerate(tables.items()):
        parts.append(_table_html(titles[by], table, labels.get(by, {}), new_page=index == 0))
    parts.append("</body></html>")
    return "".join(parts)


def write_pdf(path: Path, body: str, chart: QImage) -> None:
    """Print the report to ``path`` (A4 landscape)."""
    writer = QPdfWriter(str(path))
    writer.setTitle("SLA attainment report")
    writer.setCreator("Support Console")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Landscape,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    document = QTextDocument()
    document.addResource(
        QTextDocument.ResourceType.ImageResource, QUrl("chart://attainment"), chart
    )
    document.setHtml(body)
    document.print_(writer)  # paginates to the writer's page, with page numbers


class CsvExport(QObject):
    """One CSV export in flight: a progress dialog that can cancel, results as signals."""

    progressed = Signal(int, int)  # done, total (emitted from the worker thread)
    finished = Signal(int)  # rows written
    cancelled = Signal()
    failed = Signal(object)

    def __init__(
        self,
        review: ReviewService,
        dispatcher: Dispatcher,
        flt: IncidentFilter,
        path: Path,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self._stop = threading.Event()
        self.dialog = QProgressDialog("Exporting incidents…", "Cancel", 0, 0, parent)
        self.dialog.setWindowTitle("Export to CSV")
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setMinimumDuration(400)
        self.dialog.canceled.connect(self._on_dialog_canceled)
        self.progressed.connect(self._on_progressed)
        stop, progress = self._stop.is_set, self.progressed.emit

        def job() -> int:
            return review.export_csv(flt, path, progress=progress, cancelled=stop)

        dispatcher.submit(job, self._on_done, self._on_failed)

    @property
    def cancel_requested(self) -> bool:
        return self._stop.is_set()

    @Slot()
    def _on_dialog_canceled(self) -> None:
        self._stop.set()
        self.dialog.setLabelText("Cancelling…")

    @Slot(int, int)
    def _on_progressed(self, done: int, total: int) -> None:
        if self._stop.is_set():
            return
        self.dialog.setMaximum(max(total, 1))
        self.dialog.setValue(done)
        self.dialog.setLabelText(f"Exporting incidents… {done:,} of {total:,}")

    def _close(self) -> None:
        self.dialog.hide()
        self.dialog.deleteLater()
        self.deleteLater()

    def _on_done(self, written: int) -> None:
        if not shiboken6.isValid(self):
            return
        self._close()
        self.finished.emit(written)

    def _on_failed(self, error: Exception) -> None:
        if not shiboken6.isValid(self):
            return
        self._close()
        if isinstance(error, Cancelled):
            self.cancelled.emit()
        else:
            self.failed.emit(error)
