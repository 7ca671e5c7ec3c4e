"""A table model over frozen records with ids, that applies reloads as the narrowest change.

A reload that only edited rows repaints them; one that appended, removed or moved a single
row says exactly that (insert, remove, move); anything else resets. Lists here are short
(a support list, an escalation ladder), so finding the change by comparison is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_HasId)


def one_removed(old: Sequence[str], new: Sequence[str]) -> int | None:
    """The row whose removal turns ``old`` into ``new``, if exactly one does."""
    if len(new) != len(old) - 1:
        return None
    for row in range(len(old)):
        if list(old[:row]) + list(old[row + 1 :]) == list(new):
            return row
    return None


def one_moved(old: Sequence[str], new: Sequence[str]) -> tuple[int, int] | None:
    """(source, destination in Qt's counting) when ``new`` is ``old`` with one row moved."""
    if len(old) != len(new) or sorted(old) != sorted(new) or list(old) == list(new):
        return None
    for source, item in enumerate(old):
        rest = list(old[:source]) + list(old[source + 1 :])
        target = list(new).index(item)
        if [*rest[:target], item, *rest[target:]] == list(new):
            return source, target if target < source else target + 1
    return None


class RecordTableModel(QAbstractTableModel, Generic[R]):
    """Rows of records; subclasses give ``headers`` and ``cell``."""

    headers: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []

    # -- feeding -----------------------------------------------------------------------------

    @property
    def records(self) -> list[R]:
        return list(self._rows)

    def ids(self) -> list[str]:
        return [r.id for r in self._rows]

    def row_of(self, record_id: str) -> int | None:
        for row, record in enumerate(self._rows):
            if record.id == record_id:
                return row
        return None

    def set_records(self, records: Sequence[R]) -> None:
        new = list(records)
        old_ids, new_ids = self.ids(), [r.id for r in new]
        if old_ids == new_ids:
            self._replace_changed(new)
        elif new_ids[:-1] == old_ids:
            row = len(old_ids)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.append(new[-1])
            self.endInsertRows()
            self._replace_changed(new)
        elif new_ids[1:] == old_ids:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._rows.insert(0, new[0])
            self.endInsertRows()
            self._numbers_changed(0, len(self._rows) - 1)
            self._replace_changed(new)
        elif (removed := one_removed(old_ids, new_ids)) is not None:
            self.beginRemoveRows(QModelIndex(), removed, removed)
            del self._rows[removed]
            self.endRemoveRows()
            self._numbers_changed(removed, len(self._rows) - 1)
            self._replace_changed(new)
        elif (move := one_moved(old_ids, new_ids)) is not None:
            self.move_row(*move)
            self._replace_changed(new)
        else:
            self.beginResetModel()
            self._rows = new
            self.endResetModel()

    def _replace_changed(self, new: list[R]) -> None:
        changed = [row for row, (a, b) in enumerate(zip(self._rows, new, strict=True)) if a != b]
        self._rows = new
        if changed:
            self.dataChanged.emit(
                self.index(changed[0], 0), self.index(changed[-1], len(self.headers) - 1)
            )

    def move_row(self, source: int, destination: int) -> bool:
        """Move one row so it sits before ``destination`` (Qt's counting, before the move)."""
        if destination in (source, source + 1):
            return False
        if not self.beginMoveRows(QModelIndex(), source, source, QModelIndex(), destination):
            return False
        record = self._rows.pop(source)
        target = destination if destination < source else destination - 1
        self._rows.insert(target, record)
        self.endMoveRows()
        self._numbers_changed(min(source, target), max(source, target))
        return True

    def _numbers_changed(self, first: int, last: int) -> None:
        """The vertical header numbers the order: rows that changed place get new numbers."""
        if 0 <= first <= last:
            self.headerDataChanged.emit(Qt.Orientation.Vertical, first, last)

    # -- Qt model ----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
            return self.headers[section]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self.headers):
            return None
        return self.cell(self._rows[index.row()], index.column(), role)

    def cell(self, record: R, column: int, role: int) -> Any:
        raise NotImplementedError
