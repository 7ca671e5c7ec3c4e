"""The queue's table view: row activation by key, the columns fitted to the width (the
title takes what is left; when that is too little the least useful columns step aside and
the countdown narrows), and a repaint of exactly the cells that changed (a tick repaints
the visible countdowns every second, all shift long)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, Qt, Signal, Slot
from PySide6.QtGui import QAccessible, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from console.ui.queue.delegate import QueueDelegate
from console.ui.queue.model import Column

__all__ = ["QueueTable"]

TITLE_MIN = 140
# What steps aside first when the table is too narrow for every column (beside the detail
# pane): the window, the escalation level, the status; then the countdown narrows to its
# compact width (its detail shortens to the state in words); the customer goes last.
# Number, priority, countdown, title and assignee always stay.
DROP_ORDER: tuple[Column, ...] = (Column.WINDOW, Column.ESCALATION, Column.STATUS)
LAST_DROP: tuple[Column, ...] = (Column.CUSTOMER,)


class QueueTable(QTableView):
    """The queue table: Enter/Return activates the current row like a double click.

    Columns are fitted to the width: the title takes what the others leave, never less than
    ``TITLE_MIN``; when that is too little the columns of ``DROP_ORDER`` are hidden for
    room one by one, then the countdown narrows to ``countdown_compact``, then the customer
    goes. The person's own choices (``chosen_hidden``, the widths they dragged) are kept
    apart and come back as soon as there is room.
    """

    activated_by_key = Signal(QModelIndex)
    columns_fitted = Signal()  # the columns hidden for room changed
    layout_changed_by_user = Signal()  # a column was dragged wider, narrower or elsewhere

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.countdown_compact = 0
        self._chosen_hidden: set[int] = set()
        self._room_hidden: frozenset[int] = frozenset()
        self._widths: dict[int, int] = {}
        self._fitting = False
        header = self.horizontalHeader()
        header.sectionResized.connect(self._on_header_section_resized)
        header.sectionMoved.connect(self._on_header_section_moved)

    # -- the person's choices ---------------------------------------------------------------

    def chosen_hidden(self) -> frozenset[int]:
        return frozenset(self._chosen_hidden)

    def hidden_for_room(self) -> frozenset[int]:
        return self._room_hidden

    def set_chosen_hidden(self, columns: Iterable[int]) -> None:
        self._chosen_hidden = {int(c) for c in columns if c != Column.TITLE}
        self.fit_columns()

    def set_widths(self, widths: dict[int, int]) -> None:
        """The widths columns have when there is room (what a person dragged them to)."""
        self._widths.update((int(c), w) for c, w in widths.items() if c != Column.TITLE)
        self.fit_columns()

    def chosen_width(self, column: int) -> int:
        return self._widths.get(column) or self.horizontalHeader().sectionSize(column)

    def widths(self) -> dict[int, int]:
        return dict(self._widths)

    # -- fitting ----------------------------------------------------------------------------

    def fit_title(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        header = self.horizontalHeader()
        if header.count() <= Column.ASSIGNEE or self._fitting:
            return
        self._fitting = True
        try:
            self._fit(header)
        finally:
            self._fitting = False

    def _fit(self, header: QHeaderView) -> None:
        room = self.viewport().width()
        shown = [c for c in Column if c not in self._chosen_hidden and c != Column.TITLE]
        widths = {c: self.chosen_width(c) for c in Column if c != Column.TITLE}
        countdown = widths[Column.COUNTDOWN]
        dropped: set[int] = set()

        def need() -> int:
            return TITLE_MIN + sum(widths[c] for c in shown if c not in dropped)

        for column in DROP_ORDER:
            if need() <= room:
                break
            if column in shown:
                dropped.add(column)
        if need() > room and self.countdown_compact:
            widths[Column.COUNTDOWN] = max(
                min(countdown, self.countdown_compact), countdown - (need() - room)
            )
        for column in LAST_DROP:
            if need() > room and column in shown:
                dropped.add(column)
        for column in Column:
            hidden = column in self._chosen_hidden or column in dropped
            if header.isSectionHidden(column) != hidden:
                header.setSectionHidden(column, hidden)
            if (
                not hidden
                and column != Column.TITLE
                and header.sectionSize(column) != widths[column]
            ):
                header.resizeSection(column, widths[column])
        others = sum(widths[c] for c in shown if c not in dropped)
        title = max(TITLE_MIN, room - others)
        if header.sectionSize(Column.TITLE) != title:
            header.resizeSection(Column.TITLE, title)
        room_hidden = frozenset(dropped)
        if room_hidden != self._room_hidden:
            self._room_hidden = room_hidden
            self.columns_fitted.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    @Slot(int, int, int)
    def _on_header_section_resized(self, section: int, old: int, new: int) -> None:
        if self._fitting or section == Column.TITLE or new <= 0:
            return
        self._widths[section] = new
        self.fit_columns()
        self.layout_changed_by_user.emit()

    @Slot(int, int, int)
    def _on_header_section_moved(self, logical: int, old: int, new: int) -> None:
        self.layout_changed_by_user.emit()

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
