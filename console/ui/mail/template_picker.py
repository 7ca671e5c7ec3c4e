"""The compose box's "/" list: type "/" at the start of a line to pick a mail template.

The list follows what is typed after the "/" (a part of the template's name); Up and Down
move in it, Enter (or Tab) puts the rendered template in place of the "/…" text, Esc closes
it and leaves the text alone. The list never takes the focus: typing goes on in the box.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPlainTextEdit

__all__ = ["TemplatePicker", "attach_template_picker"]

_KEY_ROLE = Qt.ItemDataRole.UserRole


class TemplatePicker(QObject):
    """Watches one compose box; ``popup`` is the list while it shows."""

    def __init__(
        self,
        edit: QPlainTextEdit,
        choices: Callable[[], list[tuple[str, str]]],
        render: Callable[[str], str],
    ) -> None:
        super().__init__(edit)
        self._edit = edit
        self._choices = choices
        self._render = render
        self._slash = -1  # where the "/" is while the list shows
        self.popup = QListWidget(edit)
        self.popup.setObjectName("templatePicker")
        self.popup.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.popup.setAccessibleName("Mail templates")
        self.popup.itemClicked.connect(lambda _item: self.choose())
        self.popup.hide()
        edit.installEventFilter(self)
        edit.textChanged.connect(self._follow)
        edit.cursorPositionChanged.connect(self._follow)

    @property
    def query(self) -> str:
        """What follows the "/" up to the cursor."""
        if self._slash < 0:
            return ""
        text = self._edit.toPlainText()
        return text[self._slash + 1 : self._edit.textCursor().position()]

    def shown(self) -> list[str]:
        """The names the list offers now."""
        return [self.popup.item(i).text() for i in range(self.popup.count())]

    def open(self, slash: int) -> None:
        self._slash = slash
        self._fill()

    def close(self) -> None:
        self._slash = -1
        self.popup.hide()

    def choose(self) -> None:
        """The highlighted template, rendered, in place of the "/…" text."""
        item = self.popup.currentItem()
        if item is None or self._slash < 0:
            self.close()
            return
        key = str(item.data(_KEY_ROLE))
        start, end = self._slash, self._edit.textCursor().position()
        self.close()
        try:
            text = self._render(key)
        except Exception as exc:  # shown in words: the template cannot render here
            self._edit.setToolTip(str(exc))
            return
        cursor = self._edit.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text)
        self._edit.setTextCursor(cursor)

    # -- events -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._edit or event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if self._slash >= 0:
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab):
                if self.popup.count():
                    self.choose()
                    return True
                self.close()
                return False
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                row = self.popup.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                if 0 <= row < self.popup.count():
                    self.popup.setCurrentRow(row)
                return True
            return False
        if event.text() == "/" and self._at_line_start():
            cursor = self._edit.textCursor()
            cursor.insertText("/")
            self._edit.setTextCursor(cursor)
            self.open(cursor.position() - 1)
            return True
        return False

    def _at_line_start(self) -> bool:
        cursor = self._edit.textCursor()
        if cursor.hasSelection():
            return False
        before = cursor.block().text()[: cursor.positionInBlock()]
        return not before.strip()

    def _follow(self) -> None:
        if self._slash < 0:
            return
        text = self._edit.toPlainText()
        at = self._edit.textCursor().position()
        if at <= self._slash or self._slash >= len(text) or text[self._slash] != "/":
            self.close()
            return
        typed = text[self._slash + 1 : at]
        if "\n" in typed or "\u2029" in typed:
            self.close()
            return
        self._fill()

    def _fill(self) -> None:
        wanted = self.query.casefold().strip()
        self.popup.clear()
        for key, name in self._choices():
            if not wanted or wanted in name.casefold() or wanted in key.casefold():
                item = QListWidgetItem(name)
                item.setData(_KEY_ROLE, key)
                self.popup.addItem(item)
        if not self.popup.count():
            self.popup.hide()
            return
        self.popup.setCurrentRow(0)
        rect = self._edit.cursorRect()
        viewport = self._edit.viewport()
        where = viewport.mapTo(self._edit, rect.bottomLeft())
        self.popup.setFixedWidth(max(220, self.popup.sizeHintForColumn(0) + 24))
        rows = min(self.popup.count(), 8)
        self.popup.setFixedHeight(rows * max(self.popup.sizeHintForRow(0), 18) + 6)
        self.popup.move(where)
        self.popup.show()
        self.popup.raise_()


def attach_template_picker(
    edit: QPlainTextEdit,
    choices: Callable[[], list[tuple[str, str]]],
    render: Callable[[str], str],
) -> None:
    """Give ``edit`` the "/" template list: ``choices`` gives (key, name) pairs, ``render``
    a template's body for the incident being answered."""
    picker = TemplatePicker(edit, choices, render)
    edit.setProperty("templatePicker", True)
    edit.__dict__["template_picker"] = picker  # kept with the box it serves
