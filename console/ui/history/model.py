"""History rows fetched a page at a time: ``canFetchMore``/``fetchMore`` ask the Dispatcher.

Rows come in the service's order: newest first, or by relevance when searching. Sorting by
a column (a click on its title) reads every remaining page first, then sorts what it holds;
``order_text`` says which order the rows are in.

The view scrolls near the end, Qt calls ``fetchMore``, one page of ``PAGE`` rows is read off
the GUI thread and appended with ``beginInsertRows``. A new filter is a reset; results of a
load started under an older filter are dropped (``_generation``). Nothing else is cached, so
a history of millions of incidents costs only the pages someone scrolled through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from console.domain.outcomes import Outcome
from console.qt.worker import Dispatcher
from console.services.ports import IncidentFilter
from console.services.review import PAGE, HistoryRow, ReviewService
from console.ui.forms import plain_tip
from console.ui.table_model import HeaderedTableModel
from console.ui.theme import current_theme

ROW_ROLE = Qt.ItemDataRole.UserRole + 1

_STATUS = {
    "open": "Open",
    "waiting_on_customer": "Waiting",
    "resolved": "Resolved",
    "excluded": "Excluded",
}
_OUTCOME = {
    Outcome.MET: "Met",
    Outcome.MISSED: "Missed",
    Outcome.PENDING: "Pending",
    Outcome.EXCLUDED: "Excluded",
    Outcome.NOT_APPLICABLE: "—",
}
_OUTCOME_TIPS = {
    Outcome.MET: "Answered at or before the first-response deadline",
    Outcome.MISSED: "No response by the first-response deadline, or a late one",
    Outcome.PENDING: "No response yet; the deadline is still ahead",
    Outcome.EXCLUDED: "Excluded from support: left out of attainment",
    Outcome.NOT_APPLICABLE: "No first-response target applies",
}
_OUTCOME_STATES = {
    Outcome.MET: "met",
    Outcome.MISSED: "missed",
    Outcome.EXCLUDED: "not_applicable",
}


def _priority_rank(priority: str) -> tuple[int, str]:
    digits = "".join(c for c in priority if c.isdigit())
    return (int(digits) if digits else 99, priority)


_OUTCOME_ORDER = {
    Outcome.MISSED: 0,
    Outcome.PENDING: 1,
    Outcome.MET: 2,
    Outcome.EXCLUDED: 3,
    Outcome.NOT_APPLICABLE: 4,
}
SORT_ALL_LIMIT = 50_000  # a column sort reads every page up to this many rows


class HistoryModel(HeaderedTableModel):
    NUMBER, OPENED, CUSTOMER, PLAN, PRIORITY, TITLE, STATUS, OUTCOME, LEVEL = range(9)
    _TITLES = (  # the columns' names in words (the titles abbreviate some)
        "Number",
        "Opened",
        "Customer",
        "Plan",
        "Priority",
        "Title",
        "Status",
        "First response",
        "Escalation level",
    )
    _HEADERS = (
        "Number",
        "Opened",
        "Customer",
        "Plan",
        "P",
        "Title",
        "Status",
        "First response",
        "Esc.",
    )

    loading_changed = Signal(bool)
    page_loaded = Signal(int)  # rows held after the page arrived
    load_failed = Signal(object)  # the exception
    sorted = Signal()  # the rows were put in a column's order (or back in the service's)

    def __init__(
        self,
        review: ReviewService,
        dispatcher: Dispatcher,
        zone: tzinfo,
        parent: QObject | None = None,
        page_size: int = PAGE,
    ) -> None:
        super().__init__(parent)
        self._review = review
        self._dispatcher = dispatcher
        self._zone = zone
        self.page_size = page_size
        self.filter = IncidentFilter()
        self.plan_names: Mapping[str, str] = {}
        self._rows: list[HistoryRow] = []
        self._generation = 0
        self._fetching = False
        self._exhausted = True  # nothing to fetch until a filter is set
        self._server: list[HistoryRow] = []  # the rows in the service's order
        self._sort: tuple[int, Qt.SortOrder] | None = None  # a column's order, or None

    # -- loading ----------------------------------------------------------------------------

    def set_filter(self, flt: IncidentFilter) -> None:
        """Start over with ``flt``: drop the rows held, then fetch the first page."""
        self._generation += 1
        self.beginResetModel()
        self.filter = flt
        self._rows = []
        self._server = []
        self._exhausted = False
        self._set_fetching(False)
        self.endResetModel()
        self.fetchMore(QModelIndex())

    @property
    def fetching(self) -> bool:
        return self._fetching

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if parent.isValid() or self._exhausted or self._fetching:
            return
        self._set_fetching(True)
        generation, flt, offset = self._generation, self.filter, len(self._rows)
        review, size = self._review, self.page_size

        def current() -> bool:
            return shiboken6.isValid(self) and generation == self._generation

        def done(page: list[HistoryRow]) -> None:
            if current():
                self._append(page)

        def failed(error: Exception) -> None:
            if current():
                self._set_fetching(False)
                self._exhausted = True
                self.load_failed.emit(error)

        self._dispatcher.submit(
            lambda: review.history_page(flt, limit=size, offset=offset), done, failed
        )

    def _append(self, page: list[HistoryRow]) -> None:
        self._exhausted = len(page) < self.page_size
        self._server.extend(page)
        if len(self._server) >= SORT_ALL_LIMIT and self._sort is not None:
            self._exhausted = True
        if self._sort is not None:
            self._set_fetching(False)
            if not self._exhausted:
                self.fetchMore(QModelIndex())  # a column sort needs every row
                return
            self._apply_sort()
            self.page_loaded.emit(len(self._rows))
            return
        if page:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()
        self._set_fetching(False)
        self.page_loaded.emit(len(self._rows))

    def replace_row(self, fresh: HistoryRow) -> bool:
        """Show ``fresh`` in place of the row of the same incident (reopened, reassigned…);
        False if that incident is not among the rows held."""
        incident_id = fresh.summary.id
        self._server = [fresh if r.summary.id == incident_id else r for r in self._server]
        for index, held in enumerate(self._rows):
            if held.summary.id == incident_id:
                self._rows[index] = fresh
                last = self.columnCount() - 1
                self.dataChanged.emit(self.index(index, 0), self.index(index, last))
                return True
        return False

    # -- sorting ----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Rows by ``column`` (every page is read first); -1: the service's own order."""
        wanted = (column, order) if 0 <= column < len(self._HEADERS) else None
        if wanted == self._sort:
            return
        self._sort = wanted
        if wanted is not None and not self._exhausted:
            if not self._fetching:
                self.fetchMore(QModelIndex())  # _append sorts once every page is in
            return
        self._apply_sort()

    @property
    def sort_column(self) -> tuple[int, Qt.SortOrder] | None:
        return self._sort

    def _apply_sort(self) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self._rows
        if self._sort is None:
            rows = list(self._server)
        else:
            column, order = self._sort
            rows = sorted(
                self._server,
                key=lambda r: self.sort_key(r, column),
                reverse=order == Qt.SortOrder.DescendingOrder,
            )
        if len(old) == len(rows):
            where = {id(r): i for i, r in enumerate(rows)}
            for persistent in self.persistentIndexList():
                if persistent.isValid() and persistent.row() < len(old):
                    new_row = where[id(old[persistent.row()])]
                    self.changePersistentIndex(persistent, self.index(new_row, persistent.column()))
            self._rows = rows
        else:
            self._rows = rows
            self.changePersistentIndexList(
                self.persistentIndexList(), [QModelIndex()] * len(self.persistentIndexList())
            )
        self.layoutChanged.emit()
        self.sorted.emit()

    def sort_key(self, row: HistoryRow, column: int) -> Any:
        """What ``column`` sorts by: absolute values (a time, a rank), text case-folded."""
        keys: dict[int, Callable[[HistoryRow], Any]] = {
            self.NUMBER: lambda r: r.summary.number,
            self.OPENED: lambda r: r.summary.opened_at,
            self.CUSTOMER: lambda r: r.customer.casefold(),
            self.PLAN: lambda r: self.plan_names.get(r.summary.plan, r.summary.plan).casefold(),
            self.PRIORITY: lambda r: _priority_rank(r.summary.priority),
            self.TITLE: lambda r: r.summary.title.casefold(),
            self.STATUS: lambda r: _STATUS.get(r.summary.status.value, "").casefold(),
            self.OUTCOME: lambda r: _OUTCOME_ORDER[r.outcome],
            self.LEVEL: lambda r: r.summary.escalation_level,
        }
        return keys[column](row)

    def order_text(self) -> str:
        """Which order the rows are in, in words."""
        if self._sort is not None:
            column, order = self._sort
            way = "ascending" if order == Qt.SortOrder.AscendingOrder else "descending"
            return f"Sorted by {self._TITLES[column]} ({way})"
        if self.filter.text.strip():
            return "Sorted by relevance (best match first)"
        return "Newest first"

    def _set_fetching(self, fetching: bool) -> None:
        if fetching != self._fetching:
            self._fetching = fetching
            self.loading_changed.emit(fetching)

    def row(self, row: int) -> HistoryRow:
        return self._rows[row]

    # -- Qt model API -----------------------------------------------------------------------

    def _row_total(self) -> int:
        return len(self._rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        summary = row.summary
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NUMBER:
                return summary.number
            if column == self.OPENED:
                return summary.opened_at.astimezone(self._zone).strftime("%d %b %Y %H:%M")
            if column == self.CUSTOMER:
                return row.customer
            if column == self.PLAN:
                return self.plan_names.get(summary.plan, summary.plan)
            if column == self.PRIORITY:
                return summary.priority
            if column == self.TITLE:
                return summary.title
            if column == self.STATUS:
                return _STATUS.get(summary.status.value, summary.status.value)
            if column == self.OUTCOME:
                return _OUTCOME[row.outcome]
            if column == self.LEVEL:
                return f"E{summary.escalation_level}" if summary.escalation_level else ""
        if role == Qt.ItemDataRole.ToolTipRole and column in (self.TITLE, self.CUSTOMER):
            return plain_tip(summary.title if column == self.TITLE else row.customer)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.OUTCOME:
            return _OUTCOME_TIPS[row.outcome]
        if role == Qt.ItemDataRole.ForegroundRole and column == self.OUTCOME:
            state = _OUTCOME_STATES.get(row.outcome)
            return current_theme().state_color(state) if state else None
        return None
