"""One mailbox's form (Settings → Mail… → Add… / Edit…): where intake reads mail from.

Saving goes through ``MailboxService.save`` off the GUI thread, each message under its field;
the password goes to the injected ``store_password`` callable (the keyring, in the console),
never to the database. An empty password on edit keeps the stored one. **Test connection**
runs the injected ``test`` callable off the GUI thread and shows its words under the form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.domain.mail import AFTER_IMPORT, Mailbox
from console.qt.worker import Dispatcher
from console.services.mailboxes import MailboxService, validate
from console.ui.forms import (
    FieldErrors,
    error_label,
    hint_label,
)
from console.ui.mail.server_form import KEEP_PASSWORD, ServerForm

__all__ = ["AFTER_LABELS", "MailboxForm", "StorePassword", "TestConnection"]

#: ``store_password(mailbox, password)``: keeps it, or raises with words saying why not.
StorePassword = Callable[[Mailbox, str], None]
#: ``test(mailbox, password) -> words``; "" for the password means the stored one. Raises with
#: words (the server's refusal) when the connection fails.
TestConnection = Callable[[Mailbox, str], str]

AFTER_LABELS = {
    "leave": "Leave it as it is",
    "seen": "Mark it as seen",
    "move": "Move it to a folder…",
}
assert tuple(AFTER_LABELS) == AFTER_IMPORT

CA_HINT = (
    "Empty: the server's certificate is checked against the authorities your system trusts. "
    "Choose a file when your organisation signs the mail server's certificate itself."
)
NEW_PASSWORD = "The password the server signs in with"


class MailboxForm(ServerForm):
    """Add (``mailbox`` None) or edit one mailbox; ``mailbox_saved`` once it is stored."""

    what = "mailbox"
    new_password = NEW_PASSWORD
    mailbox_saved = Signal(object)  # Mailbox
    connection_tested = Signal(bool, str)  # succeeded, the words shown

    def __init__(
        self,
        service: MailboxService,
        store_password: StorePassword,
        test: TestConnection,
        dispatcher: Dispatcher,
        mailbox: Mailbox | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._store_password = store_password
        self._test = test
        self._dispatcher = dispatcher
        self._mailbox = mailbox
        self.busy = False
        self.setWindowTitle("Edit mailbox" if mailbox else "Add a mailbox")
        self.resize(620, 600)
        self._build()
        self._connect_signals()
        self._fill(mailbox or Mailbox(id="", name="", host=""))

    # -- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.general_error = error_label()
        outer.addWidget(self.general_error)
        self.errors = FieldErrors(self.general_error)
        self.name = QLineEdit()
        self.name.setPlaceholderText("support@vendor.example")
        self.host = QLineEdit()
        self.host.setPlaceholderText("imap.vendor.example")
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("INBOX")
        self.after = QComboBox()
        for key, label in AFTER_LABELS.items():
            self.after.addItem(label, key)
        self.move_to = QLineEdit()
        self.move_to.setPlaceholderText("INBOX/Imported")
        self.ca_row = self._ca_row()
        self.starttls = QCheckBox("Use STARTTLS on port 143 instead of TLS from the start")
        self.enabled = QCheckBox("Read this mailbox")
        self._add_fields(
            outer,
            (
                ("name", "Name", self.name, None),
                ("host", "IMAP server", self.host, None),
                ("port", "Port", self.port, None),
                ("username", "User name", self.username, None),
                ("password", "Password", self.password, None),
                ("folder", "Folder", self.folder, None),
                ("after", "After import", self.after, None),
                ("move_to", "Move to folder", self.move_to, None),
                ("ca_file", "CA certificate", self.ca_row, hint_label(CA_HINT)),
                ("starttls", "", self.starttls, None),
                ("enabled", "", self.enabled, None),
            ),
        )

    def _connect_signals(self) -> None:
        self.after.currentIndexChanged.connect(self._on_after_current_index_changed)

    def _fill(self, mailbox: Mailbox) -> None:
        self.name.setText(mailbox.name)
        self.host.setText(mailbox.host)
        self.port.setValue(mailbox.port)
        self.username.setText(mailbox.username)
        self.folder.setText(mailbox.folder)
        self.after.setCurrentIndex(max(0, self.after.findData(mailbox.after)))
        self.move_to.setText(mailbox.move_to)
        self.ca_file.setText(mailbox.ca_file)
        self.starttls.setChecked(mailbox.starttls)
        self.enabled.setChecked(mailbox.enabled)
        self.password.setPlaceholderText(KEEP_PASSWORD if mailbox.id else NEW_PASSWORD)
        self._show_move_to()

    def _show_move_to(self) -> None:
        self.move_to.setEnabled(not self.busy and self.after.currentData() == "move")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in (self.test_button, self.save_button):
            widget.setEnabled(not busy)
        self._show_move_to()

    @Slot(int)
    def _on_after_current_index_changed(self, _: int) -> None:
        self._show_move_to()

    # -- values -----------------------------------------------------------------------------

    def draft(self) -> Mailbox:
        """The mailbox as the form says it (with the edited one's id)."""
        return Mailbox(
            id=self._mailbox.id if self._mailbox else "",
            name=self.name.text(),
            host=self.host.text(),
            port=self.port.value(),
            username=self.username.text(),
            folder=self.folder.text(),
            after=str(self.after.currentData()),
            move_to=self.move_to.text(),
            ca_file=self.ca_file.text(),
            starttls=self.starttls.isChecked(),
            enabled=self.enabled.isChecked(),
        )

    # -- actions ----------------------------------------------------------------------------

    def _validate(self, draft: Any) -> Any:
        return validate(draft)

    def _on_record_saved(self, saved: Any) -> None:
        self._mailbox = saved
        self.mailbox_saved.emit(saved)

    def _emit_tested(self, ok: bool, words: str) -> None:
        self.connection_tested.emit(ok, words)

    def mailbox(self) -> Mailbox | None:
        return replace(self._mailbox) if self._mailbox else None
