"""The new-incident form's files (DESIGN §7): the list to attach, each with its size.

Files are only listed here; they are read when the form is submitted. A file over the size
limit stays on the list with a red mark, so the service's message under it names a file the
agent can see and remove.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QSize, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from console.services.attachment_rules import name_problem, not_a_file, shown_name
from console.services.validation import ATTACHMENT_LIMIT, format_size
from console.ui.forms import error_colour, plain_tip, with_error
from console.ui.incident.files import FileFolder


def _look(path: Path) -> tuple[int, int, bool]:
    """The kind (``st_mode``) and size of what ``path`` names, and whether through a link,
    without opening it."""
    info = os.stat(path)
    return info.st_mode, info.st_size, stat.S_ISLNK(os.lstat(path).st_mode)


class _FileList(QListWidget):
    """The attachment list: small until there is room to grow."""

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), 96)


class AttachmentPicker(QGroupBox):
    """The files to attach: add, remove, and see each one's size against the limit."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self._paths: list[Path] = []
        layout = QVBoxLayout(self)
        self.list = _FileList()
        self.list.setMinimumHeight(72)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(qta.icon("mdi6.paperclip"), "Add files…")
        self.remove_button = QPushButton(qta.icon("mdi6.close"), "Remove")
        self.remove_button.setEnabled(False)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        limit = QLabel(f"Up to {format_size(ATTACHMENT_LIMIT)} each")
        limit.setObjectName("hint")
        buttons.addWidget(limit)
        box, self.error = with_error(self.list)  # the form's FieldErrors shows messages here
        layout.addWidget(box)
        layout.addLayout(buttons)

        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.list.itemSelectionChanged.connect(self._on_list_selection_changed)

    def add(self, paths: list[Path]) -> None:
        """Add files to attach (each shown with its size; ones that cannot be are flagged).

        A file over the limit, a name that hides characters and anything that is not a
        regular file (a FIFO, a device, a socket, a link to one: looked at, never opened)
        get a red mark at once, with the reason in the tooltip; the service's message
        under the list names them again when the form is submitted.
        """
        for path in paths:
            if path in self._paths:
                continue
            shown = shown_name(path.name)
            try:
                mode, size, link = _look(path)
            except OSError:
                mode, size, link = stat.S_IFREG, -1, False
            self._paths.append(path)
            text = f"{shown} · {format_size(size)}" if size >= 0 else shown
            item = QListWidgetItem(qta.icon("mdi6.file-outline"), text)
            problem = name_problem(path.name)
            if not stat.S_ISREG(mode):
                problem = not_a_file(path.name, mode, link=link)
            elif size > ATTACHMENT_LIMIT:
                problem = problem or f"Larger than {format_size(ATTACHMENT_LIMIT)}"
            if problem:
                item.setIcon(qta.icon("mdi6.alert-circle", color=error_colour()))
            item.setToolTip(plain_tip("\n".join(filter(None, [shown_name(str(path)), problem]))))
            self.list.addItem(item)

    def paths(self) -> list[Path]:
        """The chosen files, in the order they were added."""
        return list(self._paths)

    @Slot()
    def _on_add_button_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self.window(), "Attach log files or data", str(FileFolder.start())
        )
        paths = [Path(p) for p in names]
        FileFolder.remember(paths)
        self.add(paths)

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        selected = self.list.selectedItems()
        for row in sorted((self.list.row(item) for item in selected), reverse=True):
            self.list.takeItem(row)
            del self._paths[row]

    @Slot()
    def _on_list_selection_changed(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))
