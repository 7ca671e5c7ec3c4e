"""Escalated and eligible incidents as table rows; three columns move with time.

``set_items`` replaces the rows (a reload); ``tick`` moves every item to "now"
(``EscalationItem.at``: arithmetic until its clocks' next change, then one re-read) and
emits ``dataChanged`` for the cells whose text changed, nothing else. Colours come from
the typed state of each item's reading, never from the words shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from console.domain.clock_model import ClockState
from console.domain.wording import business_note, format_wall
from console.services.escalations import EscalationItem, order_key
from console.ui.forms import plain_tip
from console.ui.table_model import HeaderedTableModel
from console.ui.theme import current_theme

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ToolTipRole,
]


def since_text(item: EscalationItem, now: datetime) -> str:
    """How long since the next level was earned, or (nothing more to earn) since the level
    reached was recorded."""
    since = item.standing.since
    return format_wall(max(now - since, timedelta(0))) if since else "—"


@dataclass(frozen=True, slots=True)
class TickResult:
    changed: int  # cells whose text changed
    reordered: bool  # the items no longer stand in ``order_key`` order: reload to re-sort


class EscalationModel(HeaderedTableModel):
    NUMBER, PRIORITY, TITLE, LEVEL, SINCE, RESPONSE = range(6)
    _HEADERS = (
        "Number",
        "P",
        "Customer and title",
        "Escalation",
        "Since",
        "Response",
    )
    _TIMED = (LEVEL, SINCE, RESPONSE)  # LEVEL changes when a higher level is earned

    def __init__(self, zone: tzinfo, now: datetime, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._now = now
        self._items: list[EscalationItem] = []
        self._texts: dict[int, list[str]] = {column: [] for column in self._TIMED}

    # -- changes ----------------------------------------------------------------------------

    def set_items(self, items: Sequence[EscalationItem], now: datetime) -> None:
        self.beginResetModel()
        self._now = now
        self._items = [item.at(now) for item in items]
        self._texts = {
            column: [self._timed(column, i) for i in self._items] for column in self._TIMED
        }
        self.endResetModel()

    def tick(self, now: datetime) -> TickResult:
        """Move every item to ``now``; say how many cells changed and whether the order did."""
        self._now = now
        self._items = [item.at(now) for item in self._items]
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
        keys = [order_key(item) for item in self._items]
        return TickResult(changed, keys != sorted(keys))

    def _emit(self, first: int, last: int, column: int) -> None:
        self.dataChanged.emit(self.index(first, column), self.index(last, column), _ROLES)

    def _timed(self, column: int, item: EscalationItem) -> str:
        if column == self.SINCE:
            return since_text(item, self._now)
        if column == self.LEVEL:
            return item.standing.short_label
        return "\n".join(line for line in item.standing.response_lines(self._zone) if line)

    def item(self, row: int) -> EscalationItem:
        return self._items[row]

    def items(self) -> list[EscalationItem]:
        return list(self._items)

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
        if role == ITEM_ROLE:
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            if column in self._TIMED:
                return self._texts[column][index.row()]
            summary = item.summary
            return {
                self.NUMBER: summary.number,
                self.PRIORITY: summary.priority,
                self.TITLE: f"{item.customer}\n{summary.title}",  # two lines a row
            }.get(column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(item, column)
        if role == Qt.ItemDataRole.BackgroundRole and column == self.RESPONSE:
            reading = item.standing.reading
            return current_theme().state_tint(reading.state.value) if reading.is_live else None
        return None

    def _foreground(self, item: EscalationItem, column: int) -> Any:
        found = item.standing
        theme = current_theme()
        if column == self.RESPONSE:
            reading = found.reading
            if found.responded_late:  # keeps the right to escalate, but is not urgent
                return theme.muted
            if reading.state is ClockState.RUNNING:
                return None
            return theme.state_color(reading.state.value)
        if column == self.LEVEL and found.may_escalate:
            return theme.state_color(ClockState.AT_RISK.value)
        return None

    def _tooltip(self, item: EscalationItem, column: int) -> str | None:
        found, summary = item.standing, item.summary
        if column in (self.SINCE, self.LEVEL):
            return plain_tip(
                "\n".join([found.label, *found.since_sentences(self._now, self._zone)])
            )
        if column == self.RESPONSE:
            lines = found.response_sentences(self._zone)
            if found.reading.business_day is not None:
                lines.append(business_note(found.reading.business_day))
            return plain_tip("\n".join(lines))
        if column == self.TITLE:
            return plain_tip(f"{item.customer}: {summary.title}")
        if column == self.PRIORITY:
            return plain_tip(f"Priority {summary.priority}")
        return None
