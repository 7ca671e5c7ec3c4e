"""The queue's table view: row activation by key, the title column's share of the width,
and a repaint of exactly the cells that changed (a tick repaints the visible countdowns
every second, all shift long)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, Qt, Signal, Slot
from PySide6.QtGui import QAccessible, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QTableView, QWidget

from console.ui.queue.delegate import QueueDelegate
from console.ui.queue.model import Column

__all__ = ["QueueTable"]

_TITLE_MIN = 220


class QueueTable(QTableView):
    """The queue table: Enter/Return activates the current row like a double click; the
    title takes the width the other columns leave, but never less than ``_TITLE_MIN``
    (narrower, the table scrolls sideways instead of squeezing titles to nothing)."""

    activated_by_key = Signal(QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.horizontalHeader().sectionResized.connect(self._on_header_section_resized)

    def fit_title(self) -> None:
        header = self.horizontalHeader()
        if header.count() <= Column.TITLE:
            return
        others = sum(
            header.sectionSize(c)
            for c in range(header.count())
            if c != Column.TITLE and not header.isSectionHidden(c)
        )
        width = max(_TITLE_MIN, self.viewport().width() - others)
        if header.sectionSize(Column.TITLE) != width:
            header.resizeSection(Column.TITLE, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_title()

    @Slot(int, int, int)
    def _on_header_section_resized(self, section: int, old: int, new: int) -> None:
        if section != Column.TITLE:
            self.fit_title()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_by_key.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            delegate = self.itemDelegate()
            if isinstance(delegate, QueueDelegate):
                delegate.forget_layout()
        super().changeEvent(event)

    # -- repainting -------------------------------------------------------------------------

    def dataChanged(
        self,
        topLeft: QModelIndex | QPersistentModelIndex,
        bottomRight: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        """Repaint exactly the changed range.

        Qt repaints a range one pixel wider and taller than it is, which drags the next
        column's cells into every tick's repaint and doubles its cost. With accessibility
        on, Qt's own handling also tells assistive tools, so it keeps the job.
        """
        single = topLeft == bottomRight
        if single or QAccessible.isActive() or not self.isVisible():
            super().dataChanged(topLeft, bottomRight, list(roles))
            return
        header = self.horizontalHeader()
        lefts = [
            (header.sectionViewportPosition(c), header.sectionSize(c))
            for c in range(topLeft.column(), bottomRight.column() + 1)
            if not header.isSectionHidden(c)
        ]
        if not lefts:
            return
        left = min(x for x, _ in lefts)
        right = max(x + width for x, width in lefts)
        top = self.rowViewportPosition(topLeft.row())
        bottom = self.rowViewportPosition(bottomRight.row()) + self.rowHeight(bottomRight.row())
        rect = QRect(left, top, right - left, bottom - top).intersected(self.viewport().rect())
        if not rect.isEmpty():
            self.viewport().update(rect)
