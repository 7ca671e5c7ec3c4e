"""A customer's support list in contact order, reorderable by drag and drop.

A drop moves the row at once (``moveRows``) and then says so with ``contact_moved``; the
editor saves the move through the service and keeps it on its undo stack. A reload from the
database emits the narrowest change that turns the shown list into the stored one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, Qt, Signal

from console.domain.records import Contact
from console.ui.customers.common import pretty_phone
from console.ui.customers.rows import Index, RecordTableModel
from console.ui.forms import plain_tip

CONTACT_MIME = "application/x-support-console-contact"
CONTACT_ROLE = Qt.ItemDataRole.UserRole + 1


class ContactColumn(IntEnum):
    NAME = 0
    ROLE = 1
    EMAILS = 2
    PHONES = 3


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class ContactListModel(RecordTableModel[Contact]):
    """Contacts in the order the vendor calls them; the vertical header numbers that order."""

    contact_moved = Signal(str, int, int)  # contact id, from row, to row (after the move)
    headers = ("Name", "Role", "Email", "Phone")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._locked = False

    @property
    def contacts(self) -> list[Contact]:
        return self.records

    def set_contacts(self, contacts: Sequence[Contact]) -> None:
        """Show ``contacts`` (already in order), changing only what differs."""
        self.set_records(contacts)

    def set_locked(self, locked: bool) -> None:
        """While a save is on its way, drags and drops are refused so moves never overtake."""
        self._locked = locked

    # -- Qt model ----------------------------------------------------------------------------

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Vertical
            and 0 <= section < len(self._rows)
        ):
            return "Contacted first" if section == 0 else f"Contacted {ordinal(section + 1)}"
        return super().headerData(section, orientation, role)

    def cell(self, contact: Contact, column: int, role: int) -> Any:
        if role == CONTACT_ROLE:
            return contact
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        tip = role == Qt.ItemDataRole.ToolTipRole
        separator = "\n" if tip else ", "
        if column == ContactColumn.NAME:
            text = contact.name
        elif column == ContactColumn.ROLE:
            text = contact.role
        elif column == ContactColumn.EMAILS:
            text = separator.join(contact.emails)
        else:
            text = separator.join(pretty_phone(p) for p in contact.phones)
        return plain_tip(text) if tip else text

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled if not self._locked else Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self._locked:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    # -- drag and drop -----------------------------------------------------------------------

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [CONTACT_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data = QMimeData()
        ids = [self._rows[r].id for r in rows[:1]]  # one contact moves at a time
        data.setData(CONTACT_MIME, QByteArray(json.dumps(ids).encode()))
        return data

    def _dragged(self, data: QMimeData) -> int | None:
        if not data.hasFormat(CONTACT_MIME):
            return None
        try:
            ids = json.loads(bytes(data.data(CONTACT_MIME).data()).decode())
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
            return None
        return self.row_of(ids[0])

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        return (
            not self._locked
            and action == Qt.DropAction.MoveAction
            and self._dragged(data) is not None
        )

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        source = self._dragged(data)
        assert source is not None
        if row < 0:  # dropped onto a row (goes before it) or below the last one
            row = parent.row() if parent.isValid() else len(self._rows)
        return self.moveRows(QModelIndex(), source, 1, QModelIndex(), row)

    def moveRows(
        self,
        sourceParent: Index,
        sourceRow: int,
        count: int,
        destinationParent: Index,
        destinationChild: int,
    ) -> bool:
        if (
            self._locked
            or sourceParent.isValid()
            or destinationParent.isValid()
            or count != 1
            or not 0 <= sourceRow < len(self._rows)
            or not 0 <= destinationChild <= len(self._rows)
        ):
            return False
        contact_id = self._rows[sourceRow].id
        if not self.move_row(sourceRow, destinationChild):
            return False
        to_row = self.row_of(contact_id)
        assert to_row is not None
        self.contact_moved.emit(contact_id, sourceRow, to_row)
        return True
