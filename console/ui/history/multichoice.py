"""A drop-down of checkable choices that reads, closed, as a summary ("P1, P2", "3 plans").

It is a ``QComboBox`` with a single item (the summary) so it looks, sizes, focuses and is
announced like the single-choice boxes beside it; opening it shows a list of check boxes
instead of the usual list. The first row, "Any …", is ticked when nothing else is and clears
the rest when ticked. Long lists get a search box above them. Space ticks the current row,
Enter or Escape closes; every tick emits ``chosen_changed`` at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QHideEvent,
    QKeyEvent,
    QMouseEvent,
    QPalette,
    QResizeEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionComboBox,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from console.ui.forms import plain_label, plain_tip

SEARCH_FROM = 15  # more choices than this and the list gets a search box
VISIBLE_ROWS = 14
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1
_INDEX = QModelIndex | QPersistentModelIndex


class _TickAnywhere(QStyledItemDelegate):
    """Ticks a row on a click anywhere in it, or on Space; the popup decides what follows."""

    tick_requested = Signal(int)  # row

    def sizeHint(self, option: QStyleOptionViewItem, index: _INDEX) -> QSize:
        """Rows as tall as a drop-down's, easy to hit."""
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), max(hint.height(), option.fontMetrics.height() + 10))

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: _INDEX,
    ) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonRelease:
            assert isinstance(event, QMouseEvent)
            spot = event.position().toPoint()
            if event.button() == Qt.MouseButton.LeftButton and option.rect.contains(spot):
                self.tick_requested.emit(index.row())
                return True
        elif kind == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Select):
                self.tick_requested.emit(index.row())
                return True
        return False


class ChoicePopup(QFrame):
    """The open drop-down: an optional search box over a list of check boxes."""

    ticked = Signal(int)  # row
    closed = Signal()

    def __init__(self, owner: MultiChoice, model: QStandardItemModel, noun: str) -> None:
        super().__init__(owner, Qt.WindowType.Popup)
        self._owner = owner
        self._noun = noun
        self.setFrameShape(QFrame.Shape.Box)
        self.setForegroundRole(QPalette.ColorRole.Mid)  # the theme's border colour
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(f"Find a {noun}…")
        self.search.setAccessibleName(f"Find a {noun}")
        self.search.setAccessibleDescription(
            f"Narrows the list; Down moves into it, Enter ticks the highlighted {noun}"
        )
        self.list = QListView()
        self.list.setModel(model)
        self.list.setAccessibleName(owner.accessibleName())
        self.list.setAccessibleDescription("Space ticks or unticks; Enter or Escape closes")
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setUniformItemSizes(True)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.none_found = plain_label()  # quotes what was typed
        self.none_found.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.none_found.hide()
        self.delegate = _TickAnywhere(self.list)
        self.list.setItemDelegate(self.delegate)
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.none_found)
        layout.addWidget(self.list)
        self.setFocusProxy(self.list)
        self.delegate.tick_requested.connect(self.ticked)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.installEventFilter(self)
        self.list.installEventFilter(self)

    def open_below(self, anchor: QWidget) -> None:
        """Show under ``anchor`` (above it when the screen has no room below), ready to type."""
        searching = self.list.model().rowCount() - 1 > SEARCH_FROM
        self.search.setVisible(searching)
        self.search.clear()
        count = self.list.model().rowCount()
        rows = min(count, VISIBLE_ROWS)
        margins = self._layout.contentsMargins()
        chrome = 2 * self.frameWidth() + 2 * self.list.frameWidth()
        scroll = self.list.verticalScrollBar().sizeHint().width() if count > rows else 0
        width = max(
            anchor.width(),
            self.list.sizeHintForColumn(0) + scroll + chrome + margins.left() + margins.right(),
        )
        height = rows * max(self.list.sizeHintForRow(0), 1) + chrome + margins.top()
        height += margins.bottom()
        if searching:
            height += self.search.sizeHint().height() + self._layout.spacing()
        screen = anchor.screen().availableGeometry()
        width = min(width, max(anchor.width(), screen.width() // 3))
        below = anchor.mapToGlobal(QPoint(0, anchor.height()))
        place = QRect(below, QSize(width, height))
        if place.bottom() > screen.bottom():
            above = anchor.mapToGlobal(QPoint(0, 0)) - QPoint(0, height)
            place.moveTop(max(screen.top(), above.y()))
        place.moveLeft(max(screen.left(), min(place.left(), screen.right() - width)))
        self.setGeometry(place)
        self.show()
        self.list.setCurrentIndex(self.list.model().index(self._first_ticked(), 0))
        (self.search if searching else self.list).setFocus(Qt.FocusReason.PopupFocusReason)

    def _first_ticked(self) -> int:
        chosen = self._owner.chosen_rows()
        return chosen[0] if chosen else 0

    def filter(self, text: str) -> None:
        """Show only the choices whose name contains ``text`` ("Any" always stays)."""
        needle = text.strip().casefold()
        model = self.list.model()
        first = -1
        for row in range(model.rowCount()):
            name = str(model.index(row, 0).data())
            hidden = row > 0 and needle not in name.casefold()
            self.list.setRowHidden(row, hidden)
            if first < 0 and not hidden and (row > 0 or not needle):
                first = row
        if first >= 0:
            self.list.setCurrentIndex(model.index(first, 0))
        self.none_found.setText(f"No {self._noun} matches “{text.strip()}”")
        self.none_found.setVisible(bool(needle) and first <= 0)

    @Slot(str)
    def _on_search_text_changed(self, text: str) -> None:
        self.filter(text)

    def _tick_highlighted(self) -> None:
        current = self.list.currentIndex()
        if current.isValid() and not self.list.isRowHidden(current.row()):
            self.ticked.emit(current.row())
            self.search.selectAll()  # typing again starts a new search

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """In the search box Enter ticks the highlighted row and Down moves into the list;
        typing in the list goes to the search box."""
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        assert isinstance(event, QKeyEvent)
        if watched is self.search and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._tick_highlighted()
            return True
        if watched is self.search and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.list.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        text = event.text()
        if watched is self.list and self.search.isVisible() and text.strip() and text.isprintable():
            self.search.setFocus(Qt.FocusReason.OtherFocusReason)
            self.search.insert(text)
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            self.hide()
            return
        if key == Qt.Key.Key_Up and self.search.isVisible() and self.list.hasFocus():
            self.search.setFocus(Qt.FocusReason.BacktabFocusReason)
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on the owner while open only closes (it must not reopen at once)."""
        spot = event.globalPosition().toPoint()
        owner = QRect(self._owner.mapToGlobal(QPoint(0, 0)), self._owner.size())
        if not self.rect().contains(event.position().toPoint()) and owner.contains(spot):
            self.setAttribute(Qt.WidgetAttribute.WA_NoMouseReplay)
        super().mousePressEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.closed.emit()


class MultiChoice(QComboBox):
    """Pick any number of (value, name) choices; none picked means no restriction."""

    chosen_changed = Signal()

    def __init__(
        self,
        label: str,
        any_text: str,
        noun: tuple[str, str],
        tip: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._label = label
        self._tip = tip or label
        self._any = any_text
        self._noun, self._nouns = noun
        self.setAccessibleName(label)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.addItem(any_text)
        self.choices = QStandardItemModel(self)
        self.popup = ChoicePopup(self, self.choices, self._noun)
        self.popup.ticked.connect(self._on_popup_ticked)
        self.popup.closed.connect(self._on_popup_closed)
        self.set_choices(())

    # -- the choices --------------------------------------------------------------------------

    def set_choices(self, items: Sequence[tuple[str, str]]) -> None:
        """Offer (value, name) ``items``, keeping the chosen ones that are still offered."""
        keep = set(self.chosen())
        self.choices.clear()
        self.choices.appendRow(self._item(self._any, None))
        for value, name in items:
            self.choices.appendRow(self._item(name, value))
        self._set_ticks(keep)
        self.updateGeometry()

    def _item(self, name: str, value: str | None) -> QStandardItem:
        item = QStandardItem(name)
        item.setData(value, VALUE_ROLE)
        item.setToolTip(plain_tip(name))
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )
        item.setCheckState(Qt.CheckState.Unchecked)
        return item

    def chosen(self) -> tuple[str, ...]:
        """The values ticked, in the list's order; empty for any."""
        return tuple(str(item.data(VALUE_ROLE)) for item in self._ticked())

    def chosen_rows(self) -> list[int]:
        rows = range(1, self.choices.rowCount())
        return [r for r in rows if self.choices.item(r).checkState() == Qt.CheckState.Checked]

    def chosen_names(self) -> list[str]:
        return [item.text() for item in self._ticked()]

    def _ticked(self) -> list[QStandardItem]:
        return [self.choices.item(row) for row in self.chosen_rows()]

    def set_chosen(self, values: Iterable[str]) -> None:
        """Tick exactly ``values`` (others unticked); emits ``chosen_changed`` if that changes."""
        before = self.chosen()
        self._set_ticks(set(values))
        if self.chosen() != before:
            self.chosen_changed.emit()

    def clear_choice(self) -> None:
        self.set_chosen(())

    def toggle(self, row: int) -> None:
        """What ticking ``row`` in the list does: row 0 ("Any") clears, others flip."""
        if row <= 0:
            self.clear_choice()
            return
        item = self.choices.item(row)
        chosen = set(self.chosen())
        chosen ^= {str(item.data(VALUE_ROLE))}
        self.set_chosen(chosen)

    def _set_ticks(self, values: set[str]) -> None:
        ticked = 0
        for row in range(1, self.choices.rowCount()):
            item = self.choices.item(row)
            on = str(item.data(VALUE_ROLE)) in values
            ticked += on
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        if self.choices.rowCount():
            self.choices.item(0).setCheckState(
                Qt.CheckState.Unchecked if ticked else Qt.CheckState.Checked
            )
        self._show_summary()

    # -- the closed box -----------------------------------------------------------------------

    def summary(self, room: int | None = None) -> str:
        """The chosen names if they fit in ``room`` pixels (the box's own by default)."""
        names = self.chosen_names()
        if not names:
            return self._any
        joined = ", ".join(names)
        if room is None:
            room = self._text_room()
        if len(names) == 1 or self.fontMetrics().horizontalAdvance(joined) <= room:
            return joined
        return f"{len(names)} {self._nouns}"

    def describe(self) -> str:
        """In words for a report: "Priority: P1 or P2"; "" when any."""
        names = self.chosen_names()
        if not names:
            return ""
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        return f"{self._label}: {listed}"

    def _show_summary(self) -> None:
        names = self.chosen_names()
        text = self.summary()
        self.setItemText(0, text)
        self.setToolTip(plain_tip(f"{self._tip}: {', '.join(names) if names else 'any'}"))
        self.setAccessibleDescription(
            f"{', '.join(names) if names else self._any}. Choose one or more; none means any"
        )

    def _text_room(self) -> int:
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox,
            option,
            QStyle.SubControl.SC_ComboBoxEditField,
            self,
        )
        return field.width() - 4

    def _width_for(self, texts: Iterable[str]) -> int:
        metrics = self.fontMetrics()
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        wide = max(metrics.horizontalAdvance(t) for t in texts)
        size = self.style().sizeFromContents(
            QStyle.ContentsType.CT_ComboBox, option, QSize(wide + 4, metrics.height()), self
        )
        return size.width()

    def sizeHint(self) -> QSize:
        """Wide enough for "Any …", the longest name and the two longest side by side."""
        names = sorted(
            (self.choices.item(r).text() for r in range(1, self.choices.rowCount())),
            key=self.fontMetrics().horizontalAdvance,
            reverse=True,
        )
        texts = [self._any, f"{len(names)} {self._nouns}", *names[:1]]
        if len(names) >= 2:
            texts.append(", ".join(names[1::-1]))
        return QSize(self._width_for(texts), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        texts = [self._any, f"{self.choices.rowCount() - 1} {self._nouns}"]
        return QSize(self._width_for(texts), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_summary()

    # -- opening and closing -----------------------------------------------------------------

    def showPopup(self) -> None:
        self.popup.open_below(self)

    def hidePopup(self) -> None:
        self.popup.hide()

    @Slot(int)
    def _on_popup_ticked(self, row: int) -> None:
        self.toggle(row)

    @Slot()
    def _on_popup_closed(self) -> None:
        self.update()  # the box draws as closed again
