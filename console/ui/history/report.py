"""The printable attainment report (PDF) and the CSV export with its progress dialog.

The PDF is a ``QTextDocument``: the filters used, the headline figures (met, missed,
pending, excluded), the charts by priority and by plan drawn off screen as images, each under
its heading, the attainment tables, and the missed first responses with their deadlines,
laid out in pages here and printed to a ``QPdfWriter``. Page one holds the figures and both
charts, page two the tables, then the missed list (its header repeated on each page): no
heading is left alone at the foot of a page and no page is nearly blank.

The CSV export runs ``ReviewService.export_csv`` on the Dispatcher; its progress crosses
back to the GUI thread as a queued signal, and Cancel sets a flag the export reads between
batches.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

import shiboken6
from PySide6.QtCore import QMarginsF, QObject, QRectF, QSize, QSizeF, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
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
from console.services.review import (
    Breakdown,
    Cancelled,
    HistoryRow,
    Pivot,
    ReviewService,
    Tally,
)
from console.ui.history.attainment import build_chart, group_label, month_label, percent_text

CHART_SIZE = QSize(505, 370)  # in the report's own units (1/96 inch): two side by side …
CHART_SCALE = 3  # … drawn at three times that for print
CHART_TITLES = {
    Breakdown.PRIORITY: "First responses met, by priority",
    Breakdown.PLAN: "First responses met, by plan",
}
TABLE_TITLES = {
    Breakdown.PRIORITY: "By priority and month",
    Breakdown.PLAN: "By plan and month",
}
_TABLE = "border='1' cellspacing='0' cellpadding='2' width='100%'"
# The tables start a page of their own (page one is the figures and charts); the missed list
# follows them or starts a page, whichever breaks better (``write_pdf``).
NEW_PAGE = " style='page-break-before: always'"
# The missed list's columns and their share of the page's width.
MISSED_COLUMNS = (
    ("Number", 12),
    ("Received", 11),
    ("Customer", 14),
    ("Plan", 8),
    ("Priority", 5),
    ("Deadline", 12),
    ("First response", 11),
    ("Title", 27),
)


def chart_url(by: Breakdown) -> str:
    return f"chart://{by.value}"


def chart_image(table: Pivot, labels: Mapping[str, str]) -> QImage:
    """The attainment chart drawn off screen, sharp enough to print."""
    scene = QGraphicsScene()
    chart = build_chart(table, labels)
    for axis in chart.axes(Qt.Orientation.Horizontal):  # whole month names, never "Sep …"
        axis.setTruncateLabels(False)
        if len(table.months) > 4:
            axis.setLabelsAngle(-45)
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


@dataclass(frozen=True)
class MissedList:
    """The missed first responses under the filters: up to a page-able number, and how many."""

    rows: Sequence[HistoryRow]
    total: int
    zone: tzinfo
    plan_names: Mapping[str, str] = field(default_factory=dict)


def _table_html(title: str, table: Pivot, labels: Mapping[str, str], new_page: bool) -> str:
    head = "".join(f"<th>{month_label(m)}</th>" for m in table.months)
    rows = []
    for group in table.groups:
        cells = "".join(f"<td>{_cell(table.cell(group, m))}</td>" for m in table.months)
        name = html.escape(group_label(labels, group))
        rows.append(
            f"<tr><th align='left' nowrap>{name}</th>{cells}"
            f"<td><b>{_cell(table.group_total(group))}</b></td></tr>"
        )
    totals = "".join(f"<td><b>{_cell(table.month_total(m))}</b></td>" for m in table.months)
    rows.append(f"<tr><th align='left'>All</th>{totals}<td><b>{_cell(table.total)}</b></td></tr>")
    return (
        f"<h3{NEW_PAGE if new_page else ''}>{html.escape(title)}</h3>"
        f"<table {_TABLE}><thead><tr><th></th>{head}<th>Total</th></tr></thead>"
        f"{''.join(rows)}</table>"
    )


def _cell(tally: Tally) -> str:
    """ "75 %" over "3/4" (met of those decided), and how many are still pending."""
    if not tally.total and not tally.pending:
        return "—"
    notes = [f"{tally.met}/{tally.total}"] if tally.total else []
    notes += [f"{tally.pending} pending"] if tally.pending else []
    return f"{percent_text(tally)}<br><small>{' · '.join(notes)}</small>"


def _charts_html() -> str:
    cells = "".join(
        f"<td width='50%'><h3>{html.escape(CHART_TITLES[by])}</h3>"
        f"<img src='{chart_url(by)}' width='{CHART_SIZE.width()}' "
        f"height='{CHART_SIZE.height()}'></td>"
        for by in Breakdown
    )
    return (
        f"<table width='100%' cellspacing='0' cellpadding='0'><tr>{cells}</tr></table>"
        "<p><small>% of first responses met, of those decided (met or missed), in the month "
        "of their deadline; dashed: all of them.</small></p>"
    )


def _at(at: datetime | None, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%d %b %Y %H:%M") if at else "—"


def _missed_html(missed: MissedList, new_page: bool) -> str:
    zone = missed.zone
    zone_name = html.escape(str(getattr(zone, "key", None) or zone))
    if not missed.total:
        return "<h2>Missed first responses</h2><p>None under these filters.</p>"
    shown = len(missed.rows)
    note = (
        f"<p>The newest {shown:,} of {missed.total:,} are listed; the CSV export lists all.</p>"
        if shown < missed.total
        else ""
    )
    rows = []
    for row in missed.rows:
        s = row.summary
        plan = missed.plan_names.get(s.plan, s.plan)
        response = _at(s.first_response_at, zone) if s.first_response_at else "no response"
        rows.append(
            "<tr>"
            f"<td>{html.escape(s.number)}</td>"
            f"<td>{_at(s.opened_at, zone)}</td>"
            f"<td>{html.escape(row.customer)}</td>"
            f"<td>{html.escape(plan)}</td>"
            f"<td>{html.escape(s.outcome_priority or s.priority)}</td>"
            f"<td><b>{_at(s.outcome_due, zone)}</b></td>"
            f"<td>{response}</td>"
            f"<td>{html.escape(s.title)}</td>"
            "</tr>"
        )
    head = "".join(f"<th align='left' width='{w}%'>{h}</th>" for h, w in MISSED_COLUMNS)
    return (
        f"<h2{NEW_PAGE if new_page else ''}>Missed first responses ({missed.total:,})</h2>"
        f"<p>Deadlines and times in {zone_name}; the priority is the one whose target set "
        "the deadline.</p>"
        f"{note}<table {_TABLE} style='font-size: 8pt'><thead><tr>{head}</tr></thead>"
        f"{''.join(rows)}</table>"
    )


def report_html(
    *,
    heading: str,
    filters: Sequence[str],
    tables: Mapping[Breakdown, Pivot],
    labels: Mapping[Breakdown, Mapping[str, str]],
    matched: int | None,
    missed: MissedList,
    missed_on_new_page: bool = False,
) -> str:
    """The report as rich text; the missed list follows the tables, or starts a page."""
    first = next(iter(tables.values()))
    total = first.total
    lines = "".join(f"<li>{html.escape(f)}</li>" for f in filters)
    out_of = f" Incidents matching the filters: {matched:,}." if matched is not None else ""
    if total.counted:
        figure = (
            f"<p><b>{percent_text(total)}</b> of first responses met: <b>{total.met:,}</b> met, "
            f"<b>{total.missed:,}</b> missed, {total.pending:,} pending (no response yet, "
            f"deadline still ahead), {total.excluded:,} excluded (counted apart, never met or "
            f"missed).{out_of}</p>"
        )
    else:
        figure = f"<p>No first response under these filters.{out_of}</p>"
    parts = [
        "<html><body style='font-family: sans-serif; font-size: 9pt'>",
        f"<h1>SLA attainment report</h1><p>{html.escape(heading)}</p>",
        f"<p><b>Filters:</b></p><ul>{lines}</ul>",
        figure,
        _charts_html(),
    ]
    for index, (by, table) in enumerate(tables.items()):
        parts.append(_table_html(TABLE_TITLES[by], table, labels.get(by, {}), index == 0))
    parts.append(_missed_html(missed, missed_on_new_page))
    parts.append("</body></html>")
    return "".join(parts)


@dataclass(frozen=True)
class Printed:
    """What ``write_pdf`` printed: which body, on how many pages, how well they broke."""

    body: int
    pages: int
    orphans: int  # headings left alone at the foot of a page
    last_page_fill: float  # how far down the last page the content reaches, 0 to 1


def write_pdf(path: Path, bodies: Sequence[str], charts: Mapping[Breakdown, QImage]) -> Printed:
    """Print the report to ``path`` (A4 landscape, numbered pages).

    ``bodies`` are the same report laid out in different ways, best first: the first whose
    pages break well (no heading left alone at a page's foot, a last page at least
    ``LAST_PAGE_FILL`` full) is printed, else the one whose last page is fullest. The pages
    are laid out here, on the writer itself, so what is judged is what is printed.
    """
    writer = QPdfWriter(str(path))
    writer.setTitle("SLA attainment report")
    writer.setCreator("Support Console")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Landscape,
            QMarginsF(12, 12, 12, 12),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    documents = [_paginated(_document(body, charts), writer) for body in bodies]
    verdicts = [_breaks(document) for document in documents]
    good = [i for i, (orphans, _) in enumerate(verdicts) if not orphans] or list(range(len(bodies)))
    chosen = next(
        (i for i in good if verdicts[i][1] >= LAST_PAGE_FILL),
        max(good, key=lambda i: verdicts[i][1]),
    )
    _print(documents[chosen], writer)
    orphans, fill = verdicts[chosen]
    return Printed(chosen, documents[chosen].pageCount(), orphans, fill)


LAST_PAGE_FILL = 0.3  # share of the last page's height its content must reach
FOOTER_MM = 8  # room at the foot of each page for its number


def _document(body: str, charts: Mapping[Breakdown, QImage]) -> QTextDocument:
    document = QTextDocument()
    for by, image in charts.items():
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(chart_url(by)), image)
    document.setHtml(body)
    return document


def _paginated(document: QTextDocument, writer: QPdfWriter) -> QTextDocument:
    """``document`` laid out in pages of the writer's paint rectangle, in its pixels.

    Sizes in the rich text (images, frame margins) are in screen pixels; the layout scales
    them to the writer's resolution.
    """
    screen = QGuiApplication.primaryScreen()
    dpi = screen.logicalDotsPerInchY() if screen is not None else 96.0
    document.documentLayout().setPaintDevice(writer)
    document.setPageSize(QSizeF(writer.width(), writer.height()))
    frame = document.rootFrame().frameFormat()
    frame.setMargin(0)
    frame.setBottomMargin(FOOTER_MM / 25.4 * dpi)
    document.rootFrame().setFrameFormat(frame)
    return document


def _breaks(document: QTextDocument) -> tuple[int, float]:
    """How a paginated ``document`` breaks: how many headings are left alone at the foot of
    a page, and how far down its last page the content reaches (0 to 1)."""
    layout, height = document.documentLayout(), document.pageSize().height()
    orphans, bottom = 0, 0.0
    block = document.begin()
    while block.isValid():
        box = layout.blockBoundingRect(block)
        following = block.next()
        if block.blockFormat().headingLevel() and following.isValid():
            after = layout.blockBoundingRect(following)
            orphans += int(box.top() // height) != int(after.bottom() // height)
        if block.text().strip():
            bottom = max(bottom, box.bottom())
        block = following
    pages = max(document.pageCount(), 1)
    return orphans, (bottom - (pages - 1) * height) / height


def _print(document: QTextDocument, writer: QPdfWriter) -> None:
    """Draw a paginated ``document`` page by page, each numbered "n of N" at its foot."""
    width, height = document.pageSize().width(), document.pageSize().height()
    pages = document.pageCount()
    painter = QPainter(writer)
    try:
        font = QFont(document.defaultFont())
        font.setPointSizeF(8)
        for page in range(pages):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(0, -page * height)
            document.drawContents(painter, QRectF(0, page * height, width, height))
            painter.restore()
            painter.setFont(font)
            painter.drawText(
                QRectF(0, 0, width, height),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                f"Page {page + 1} of {pages}",
            )
    finally:
        painter.end()


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
