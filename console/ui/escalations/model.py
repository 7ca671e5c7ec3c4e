"""Escalated and eligible incidents as table rows, with two columns that move with time.

``set_items`` replaces the rows (a reload); ``tick`` re-reads only the two time columns at
"now" and emits ``dataChanged`` for the cells whose text changed, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from console.domain.countdown import format_duration
from console.domain.explain import when
from console.services.review import EscalationItem
from console.ui.table_model import HeaderedTableModel
from console.ui.theme import current_theme

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1


def since_text(item: EscalationItem, now: datetime) -> str:
    since = item.standing.eligible_since
    return format_duration(max(now - since, timedelta(0))) if since else "—"


def response_text(item: EscalationItem, now: datetime) -> str:
    clock = item.standing.response
    if clock is None:
        return "responded"
    if clock.deadline is None:
        return "paused (waiting on the customer)"
    left = clock.deadline - now
    if left.total_seconds() >= 0:
        return f"{format_duration(left)} left"
    return f"{format_duration(-left)} overdue"


class EscalationModel(HeaderedTableModel):
    NUMBER, PRIORITY, CUSTOMER, TITLE, LEVEL, SINCE, RESPONSE = range(7)
    _HEADERS = (
        "Number",
        "P",
        "Customer",
        "Title",
        "Escalation",
        "Eligible for",
        "Response",
    )
    _TIMED = (SINCE, RESPONSE)

    def __init__(self, zone: tzinfo, now: datetime, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._now = now
        self._items: list[EscalationItem] = []
        self._texts: dict[int, list[str]] = {column: [] for column in self._TIMED}

    # -- changes ----------------------------------------------------------------------------

    def set_items(self, items: Sequence[EscalationItem], now: datetime) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._now = now
        self._texts = {
            column: [self._timed(column, i) for i in self._items] for column in self._TIMED
        }
        self.endResetModel()

    def tick(self, now: datetime) -> int:
        """Move the time columns to ``now``; returns how many cells changed."""
        self._now = now
        changed = 0
        for column in self._TIMED:
            texts = self._texts[column]
            first = -1
            for row, item in enumerate(self._items):
                text = self._timed(column, item)
                if text != texts[row]:
                    texts[row] = text
                    changed += 1
                    first = row if first < 0 else first
                    continue
                if first >= 0:
                    self._emit(first, row - 1, column)
                    first = -1
            if first >= 0:
                self._emit(first, len(self._items) - 1, column)
        return changed

    def _emit(self, first: int, last: int, column: int) -> None:
        self.dataChanged.emit(
            self.index(first, column), self.index(last, column), [Qt.ItemDataRole.DisplayRole]
        )

    def _timed(self, column: int, item: EscalationItem) -> str:
        if column == self.SINCE:
            return since_text(item, self._now)
        return response_text(item, self._now)

    def item(self, row: int) -> EscalationItem:
        return self._items[row]

    def row_of(self, incident_id: str) -> int:
        return next((r for r, i in enumerate(self._items) if i.summary.id == incident_id), -1)

    # -- Qt model API -----------------------------------------------------------------------

    def _row_total(self) -> int:
        return len(self._items)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item, column = self._items[index.row()], index.column()
        summary, standing = item.summary, item.standing
        if role == ITEM_ROLE:
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            if column in self._TIMED:
                return self._texts[column][index.row()]
            return {
                self.NUMBER: summary.number,
                self.PRIORITY: summary.priority,
                self.CUSTOMER: item.incident.customer,
                self.TITLE: summary.title,
                self.LEVEL: standing.short_label,
            }.get(column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.SINCE and standing.eligible_since is not None:
                what = standing.eligible_level or standing.level
                since = when(standing.eligible_since, self._zone)
                return f"Eligible for Escalation {what} since {since}"
            if column == self.RESPONSE and standing.response and standing.response.deadline:
                clock = standing.response
                assert clock.deadline is not None
                return f"{clock.kind.label} due {when(clock.deadline, self._zone)}"
            if column == self.TITLE:
                return summary.title
            if column == self.LEVEL:
                return standing.label
            if column == self.PRIORITY:
                return f"Priority {summary.priority}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.RESPONSE and self._texts[column][index.row()].endswith("overdue"):
                return current_theme().state_color("breached")
            if column == self.LEVEL and standing.eligible_level is not None:
                return current_theme().state_color("at_risk")
        return None
