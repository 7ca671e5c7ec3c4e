"""Settings → Mail…: the mailboxes email intake reads, with Add…, Edit… and Remove….

Everyone may look; only a team lead or an admin changes them (the service says so too).
Reading and removing run off the GUI thread; each mailbox's form is a
:class:`~console.ui.mail.mailbox_form.MailboxForm`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.mail import Mailbox
from console.qt.worker import Dispatcher
from console.services.mailboxes import MailboxService
from console.ui.forms import error_label, error_text, hint_label, if_alive
from console.ui.mail.mailbox_form import AFTER_LABELS, MailboxForm, StorePassword, TestConnection

__all__ = ["READ_ONLY_NOTE", "MailSettingsDialog", "after_text", "server_text"]

READ_ONLY_NOTE = "Only a team lead or an admin changes the mailboxes email is read from."
INTRO = (
    "Email intake reads these mailboxes over IMAP with verified TLS. Mail from a contact on "
    "a customer's support list opens an incident; mail from anyone else waits in the Inbox. "
    "Passwords are kept in your system's keyring, never in the database."
)
_HEADERS = ("Name", "Server", "Folder", "After import", "Read")


def server_text(mailbox: Mailbox) -> str:
    """``user@host:port``, with STARTTLS said where it is used."""
    text = f"{mailbox.username}@{mailbox.host}:{mailbox.port}"
    return f"{text} (STARTTLS)" if mailbox.starttls else text


def after_text(mailbox: Mailbox) -> str:
    if mailbox.after == "move":
        return f"Move to {mailbox.move_to}"
    return AFTER_LABELS.get(mailbox.after, mailbox.after)


class MailSettingsDialog(QDialog):
    """``may_edit``: the signed-in agent is a lead or an admin; else the list is read-only."""

    mailboxes_changed = Signal()  # a mailbox was saved or removed: the reader starts anew
    data_loaded = Signal()

    def __init__(
        self,
        service: MailboxService,
        may_edit: bool,
        store_password: StorePassword,
        test: TestConnection,
        dispatcher: Dispatcher,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._may_edit = may_edit
        self._store_password = store_password
        self._test = test
        self._dispatcher = dispatcher
        self._mailboxes: list[Mailbox] = []
        self.form: MailboxForm | None = None  # the open Add…/Edit… form
        self.remove_box: QMessageBox | None = None  # the last "remove it?" question
        self.setWindowTitle("Mail settings")
        self.resize(820, 460)
        self._build()
        self._connect_signals()
        self.reload()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        outer.addWidget(intro)
        self.read_only_note = hint_label(READ_ONLY_NOTE)
        self.read_only_note.setVisible(not self._may_edit)
        outer.addWidget(self.read_only_note)
        self.general_error = error_label()
        outer.addWidget(self.general_error)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(list(_HEADERS))
        self.table.setUniformRowHeights(True)
        header = self.table.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        outer.addWidget(self.table, 1)
        self.empty_note = hint_label("No mailbox yet: email intake reads nothing.")
        outer.addWidget(self.empty_note)

        row = QHBoxLayout()
        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.remove_button = QPushButton("Remove…")
        for button in (self.add_button, self.edit_button, self.remove_button):
            row.addWidget(button)
            button.setVisible(self._may_edit)
        row.addStretch(1)
        outer.addLayout(row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        outer.addWidget(self.buttons)
        self._show_selection()

    def _connect_signals(self) -> None:
        self.buttons.rejected.connect(self.reject)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.table.itemSelectionChanged.connect(self._show_selection)
        self.table.itemActivated.connect(self._on_table_item_activated)

    # -- the list ---------------------------------------------------------------------------

    def reload(self) -> None:
        self._dispatcher.submit(
            self._service.mailboxes, if_alive(self, self._on_loaded), if_alive(self, self._fail)
        )

    def _on_loaded(self, mailboxes: Any) -> None:
        chosen = self.selected()
        self._mailboxes = list(mailboxes)
        self.table.clear()
        for mailbox in self._mailboxes:
            item = QTreeWidgetItem(
                [
                    mailbox.name,
                    server_text(mailbox),
                    mailbox.folder,
                    after_text(mailbox),
                    "Yes" if mailbox.enabled else "No (turned off)",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, mailbox.id)
            self.table.addTopLevelItem(item)
            if chosen is not None and chosen.id == mailbox.id:
                self.table.setCurrentItem(item)
        self.empty_note.setVisible(not self._mailboxes)
        self._show_selection()
        self.data_loaded.emit()

    def mailboxes(self) -> list[Mailbox]:
        return list(self._mailboxes)

    def selected(self) -> Mailbox | None:
        item = self.table.currentItem()
        if item is None or not item.isSelected():
            return None
        chosen = item.data(0, Qt.ItemDataRole.UserRole)
        return next((m for m in self._mailboxes if m.id == chosen), None)

    def select(self, name: str) -> None:
        for index in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(index)
            if item is not None and item.text(0) == name:
                self.table.setCurrentItem(item)
                return

    @Slot()
    def _show_selection(self) -> None:
        chosen = self.selected() is not None
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def _fail(self, error: Exception) -> None:
        self.general_error.setText(error_text(error))
        self.general_error.show()

    # -- actions ----------------------------------------------------------------------------

    def _open_form(self, mailbox: Mailbox | None) -> None:
        if not self._may_edit:
            return
        form = MailboxForm(
            self._service, self._store_password, self._test, self._dispatcher, mailbox, self
        )
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.mailbox_saved.connect(self._on_form_mailbox_saved)
        form.destroyed.connect(lambda: setattr(self, "form", None))
        self.form = form
        form.open()

    @Slot()
    def _on_add_button_clicked(self) -> None:
        self._open_form(None)

    @Slot()
    def _on_edit_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self._open_form(chosen)

    @Slot(QTreeWidgetItem, int)
    def _on_table_item_activated(self, _item: QTreeWidgetItem, _column: int) -> None:
        self._on_edit_button_clicked()

    @Slot(object)
    def _on_form_mailbox_saved(self, _mailbox: object) -> None:
        self.general_error.hide()
        self.mailboxes_changed.emit()
        self.reload()

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None or not self._may_edit:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove mailbox",
            f"Stop reading {chosen.name} and remove it? Mail already imported stays; the "
            "mailbox on the server is not touched.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the name is as someone typed it
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Remove")
        service, mailbox_id = self._service, chosen.id

        def finished(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self._dispatcher.submit(
                    lambda: service.delete(mailbox_id),
                    if_alive(self, self._on_removed),
                    if_alive(self, self._fail),
                )

        box.finished.connect(finished)
        if self.remove_box is not None:
            self.remove_box.deleteLater()
        self.remove_box = box
        box.open()

    def _on_removed(self, _: object) -> None:
        self.general_error.hide()
        self.mailboxes_changed.emit()
        self.reload()
