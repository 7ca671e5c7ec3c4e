"""The policy's version history, newest first: number, author, when it was saved, and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import Qt

from console.domain.explain import when
from console.domain.records import PolicyVersion
from console.services.policy import reason_of
from console.ui.customers.rows import RecordTableModel


class PolicyVersionModel(RecordTableModel[PolicyVersion]):
    headers = ("Version", "Author", "Saved", "Reason")

    def __init__(self, zone: tzinfo, parent: Any = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._current = 0

    def set_versions(self, versions: Sequence[PolicyVersion]) -> None:
        """Show ``versions`` newest first (a save adds one row at the top)."""
        current = max((v.version for v in versions), default=0)
        if current != self._current:
            self._current = current  # the old "current" row says so no more
            old = [row for row, v in enumerate(self._rows) if v.version != current]
            if old:
                self.dataChanged.emit(self.index(old[0], 0), self.index(old[-1], 0))
        self.set_records(sorted(versions, key=lambda v: v.version, reverse=True))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return None
        return super().headerData(section, orientation, role)

    def cell(self, version: PolicyVersion, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                current = version.version == self._current
                return f"{version.version}" + (" (current)" if current else "")
            if column == 1:
                return version.author
            if column == 2:
                return when(version.created_at, self._zone)
            return reason_of(version) or "—"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None
