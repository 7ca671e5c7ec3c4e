"""A customer's incidents as a table: open ones (live state, assignee) or past ones (resolved
date, first-response outcome). Rows are frozen values from the service; "Show more" appends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from console.domain.clock_model import ClockState
from console.domain.outcomes import Outcome
from console.services.customer_incidents import CustomerIncident
from console.ui.incident.timeline import STATUS_TEXT
from console.ui.theme import current_theme

_LOUD = (ClockState.AT_RISK, ClockState.BREACHED)
_SCORED = (Outcome.MET, Outcome.MISSED)
INCIDENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1

OUTCOME_TEXT = {
    Outcome.MET: "Met",
    Outcome.MISSED: "Missed",
    Outcome.PENDING: "Pending",
    Outcome.EXCLUDED: "Excluded",
    Outcome.NOT_APPLICABLE: "—",
}


class OpenColumn(IntEnum):
    NUMBER = 0
    PRIORITY = 1
    STATUS = 2
    LIVE = 3
    TITLE = 4
    ASSIGNEE = 5


class PastColumn(IntEnum):
    NUMBER = 0
    PRIORITY = 1
    TITLE = 2
    RESOLVED = 3
    OUTCOME = 4


_OPEN_HEADS = ("Number", "Priority", "Status", "Live state", "Title", "Assignee")
_PAST_HEADS = ("Number", "Priority", "Title", "Resolved", "First response")
_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def resolved_text(incident: CustomerIncident, zone: tzinfo) -> str:
    at = incident.summary.resolved_at
    return f"{at.astimezone(zone):%d %b %Y}" if at is not None else "—"


class CustomerIncidentModel(QAbstractTableModel):
    """One customer's open (``past=False``) or past incidents, in the service's order."""

    def __init__(self, past: bool, zone: tzinfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._past = past
        self._zone = zone
        self._rows: list[CustomerIncident] = []

    # -- changes -----------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[CustomerIncident]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append(self, rows: Sequence[CustomerIncident]) -> None:
        known = {r.summary.id for r in self._rows}
        fresh = [r for r in rows if r.summary.id not in known]
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(fresh)
        self.endInsertRows()

    def incident_at(self, row: int) -> CustomerIncident:
        return self._rows[row]

    # -- Qt ----------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(_PAST_HEADS if self._past else _OPEN_HEADS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            heads = _PAST_HEADS if self._past else _OPEN_HEADS
            return heads[section] if 0 <= section < len(heads) else None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        incident = self._rows[index.row()]
        if role == INCIDENT_ID_ROLE:
            return incident.summary.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if self._past:
                text = self._past_text(incident, index.column())
            else:
                text = self._open_text(incident, index.column())
            if role == Qt.ItemDataRole.ToolTipRole:
                return text if index.column() in self._wide_columns() and text else None
            return text
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(incident, index.column())
        return None

    # -- cells -------------------------------------------------------------------------------

    def _wide_columns(self) -> tuple[int, ...]:
        return (PastColumn.TITLE,) if self._past else (OpenColumn.TITLE, OpenColumn.LIVE)

    def _open_text(self, incident: CustomerIncident, column: int) -> str:
        s = incident.summary
        if column == OpenColumn.NUMBER:
            return s.number
        if column == OpenColumn.PRIORITY:
            return s.priority
        if column == OpenColumn.STATUS:
            return STATUS_TEXT.get(s.status, s.status.value)
        if column == OpenColumn.LIVE:
            return incident.live or "—"
        if column == OpenColumn.TITLE:
            return s.title
        return incident.assignee or "Unassigned"

    def _past_text(self, incident: CustomerIncident, column: int) -> str:
        s = incident.summary
        if column == PastColumn.NUMBER:
            return s.number
        if column == PastColumn.PRIORITY:
            return s.priority
        if column == PastColumn.TITLE:
            return s.title
        if column == PastColumn.RESOLVED:
            return resolved_text(incident, self._zone)
        return OUTCOME_TEXT[incident.outcome]

    def _colour(self, incident: CustomerIncident, column: int) -> Any:
        theme = current_theme()
        if self._past and column == PastColumn.OUTCOME and incident.outcome in _SCORED:
            return theme.state_color(incident.outcome.value)
        if not self._past and column == OpenColumn.LIVE and incident.state in _LOUD:
            return theme.state_color(incident.state.value if incident.state else "")
        if column == (PastColumn.PRIORITY if self._past else OpenColumn.PRIORITY):
            return theme.priority_color(incident.summary.priority)
        return None
