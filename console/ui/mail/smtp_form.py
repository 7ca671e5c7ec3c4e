"""One SMTP account's form (Settings → Mail… → Sending (SMTP) → Add… / Edit…): the server
the outbox sends answers through.

Saving goes through ``SendingAccounts.save`` off the GUI thread, each message under its
field; the password goes to the injected ``store_password`` callable (the keyring, in the
console), never to the database, and is never shown back: an empty password on edit keeps
the stored one. The port follows the security choice (465 for TLS, 587 for STARTTLS) unless
someone typed another. **Test connection** runs the injected ``test`` callable off the GUI
thread and shows its words under the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.domain.mail import Mailbox
from console.domain.outbound import SmtpAccount
from console.qt.worker import Dispatcher
from console.services.outbox import SendingAccounts, validate_account
from console.ui.forms import (
    FieldErrors,
    error_label,
    hint_label,
    plain_label,
)
from console.ui.mail.mailbox_form import CA_HINT
from console.ui.mail.server_form import KEEP_PASSWORD, ServerForm

__all__ = [
    "DEFAULT_PORTS",
    "NO_COPY",
    "SECURITY_LABELS",
    "SmtpForm",
    "StoreSmtpPassword",
    "TestSmtp",
]

#: ``store_password(account, password)``: keeps it, or raises with words saying why not.
StoreSmtpPassword = Callable[[SmtpAccount, str], None]
#: ``test(account, password) -> words``; "" for the password means the stored one. Raises
#: with words (the server's refusal) when the connection fails.
TestSmtp = Callable[[SmtpAccount, str], str]

SECURITY_LABELS = {
    "starttls": "STARTTLS (port 587)",
    "tls": "TLS from the start (port 465)",
}
DEFAULT_PORTS = {"starttls": 587, "tls": 465}
NO_COPY = "No copy"
NEW_PASSWORD = "Empty: send without signing in (a relay that trusts this network)"
SENT_HINT = "A copy of each mail sent goes to this IMAP mailbox's folder, for the team to see."
USER_HINT = "Empty: the server takes mail without signing in."


class SmtpForm(ServerForm):
    """Add (``account`` None) or edit one SMTP account; ``account_saved`` once stored.
    ``mailboxes``: the IMAP mailboxes a copy of sent mail may go to."""

    what = "account"
    new_password = NEW_PASSWORD
    account_saved = Signal(object)  # SmtpAccount
    connection_tested = Signal(bool, str)  # succeeded, the words shown

    def __init__(
        self,
        service: SendingAccounts,
        store_password: StoreSmtpPassword,
        test: TestSmtp,
        dispatcher: Dispatcher,
        mailboxes: Sequence[Mailbox] = (),
        account: SmtpAccount | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._store_password = store_password
        self._test = test
        self._dispatcher = dispatcher
        self._mailboxes = list(mailboxes)
        self._account = account
        self.busy = False
        self.setWindowTitle("Edit sending account" if account else "Add a sending account")
        self.resize(640, 660)
        self._build()
        self._connect_signals()
        self._fill(account or SmtpAccount(id="", name="", host=""))

    # -- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.general_error = error_label()
        outer.addWidget(self.general_error)
        self.errors = FieldErrors(self.general_error)
        self.name = QLineEdit()
        self.name.setPlaceholderText("support@vendor.example")
        self.host = QLineEdit()
        self.host.setPlaceholderText("smtp.vendor.example")
        self.security = QComboBox()
        for key, label in SECURITY_LABELS.items():
            self.security.addItem(label, key)
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.from_address = QLineEdit()
        self.from_address.setPlaceholderText("support@vendor.example")
        self.from_name = QLineEdit()
        self.from_name.setPlaceholderText("Vendor Support")
        self.ca_row = self._ca_row()
        self.sent_mailbox = QComboBox()
        self.sent_mailbox.addItem(NO_COPY, "")
        for mailbox in self._mailboxes:
            self.sent_mailbox.addItem(mailbox.name, mailbox.id)
        self.sent_folder = QLineEdit()
        self.sent_folder.setPlaceholderText("Sent")
        self.sent_row = QWidget()
        sent_layout = QHBoxLayout(self.sent_row)
        sent_layout.setContentsMargins(0, 0, 0, 0)
        sent_layout.addWidget(self.sent_mailbox, 1)
        sent_layout.addWidget(plain_label("folder"))
        sent_layout.addWidget(self.sent_folder, 1)
        self.enabled = QCheckBox("Send mail through this account")
        self._add_fields(
            outer,
            (
                ("name", "Name", self.name, None),
                ("host", "SMTP server", self.host, None),
                ("security", "Security", self.security, None),
                ("port", "Port", self.port, None),
                ("username", "User name", self.username, hint_label(USER_HINT)),
                ("password", "Password", self.password, None),
                ("from_address", "From address", self.from_address, None),
                ("from_name", "Display name", self.from_name, None),
                ("ca_file", "CA certificate", self.ca_row, hint_label(CA_HINT)),
                ("sent_folder", "Copy to Sent", self.sent_row, hint_label(SENT_HINT)),
                ("enabled", "", self.enabled, None),
            ),
        )

    def _connect_signals(self) -> None:
        self.security.currentIndexChanged.connect(self._on_security_current_index_changed)
        self.sent_mailbox.currentIndexChanged.connect(self._on_sent_mailbox_changed)

    def _fill(self, account: SmtpAccount) -> None:
        self.name.setText(account.name)
        self.host.setText(account.host)
        self._security_shown = account.security
        self.security.setCurrentIndex(max(0, self.security.findData(account.security)))
        self.port.setValue(account.port)
        self.username.setText(account.username)
        self.from_address.setText(account.from_address)
        self.from_name.setText(account.from_name)
        self.ca_file.setText(account.ca_file)
        index = self.sent_mailbox.findData(account.sent_mailbox_id)
        if index < 0 and account.sent_mailbox_id:  # the mailbox was removed meanwhile
            self.sent_mailbox.addItem("(a removed mailbox)", account.sent_mailbox_id)
            index = self.sent_mailbox.count() - 1
        self.sent_mailbox.setCurrentIndex(max(0, index))
        self.sent_folder.setText(account.sent_folder)
        self.enabled.setChecked(account.enabled)
        self.password.setPlaceholderText(KEEP_PASSWORD if account.id else NEW_PASSWORD)
        self._show_sent_folder()

    def _show_sent_folder(self) -> None:
        self.sent_folder.setEnabled(not self.busy and bool(self.sent_mailbox.currentData()))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in (self.test_button, self.save_button):
            widget.setEnabled(not busy)
        self._show_sent_folder()

    @Slot(int)
    def _on_security_current_index_changed(self, _: int) -> None:
        """The port follows the choice, unless someone typed a port of their own."""
        chosen = str(self.security.currentData())
        before = DEFAULT_PORTS.get(self._security_shown)
        if self.port.value() in (0, before):
            self.port.setValue(DEFAULT_PORTS[chosen])
        self._security_shown = chosen

    @Slot(int)
    def _on_sent_mailbox_changed(self, _: int) -> None:
        self._show_sent_folder()

    # -- values -----------------------------------------------------------------------------

    def draft(self) -> SmtpAccount:
        """The account as the form says it (with the edited one's id)."""
        return SmtpAccount(
            id=self._account.id if self._account else "",
            name=self.name.text(),
            host=self.host.text(),
            port=self.port.value(),
            security=str(self.security.currentData()),
            username=self.username.text(),
            from_address=self.from_address.text(),
            from_name=self.from_name.text(),
            ca_file=self.ca_file.text(),
            sent_mailbox_id=str(self.sent_mailbox.currentData() or ""),
            sent_folder=self.sent_folder.text(),
            enabled=self.enabled.isChecked(),
        )

    # -- actions ----------------------------------------------------------------------------

    def _validate(self, draft: Any) -> Any:
        return validate_account(draft)

    def _needs_password(self, draft: Any) -> bool:
        return not draft.id and bool(draft.username.strip())

    def _on_record_saved(self, saved: Any) -> None:
        self._account = saved
        self.account_saved.emit(saved)

    def _emit_tested(self, ok: bool, words: str) -> None:
        self.connection_tested.emit(ok, words)

    def account(self) -> SmtpAccount | None:
        return replace(self._account) if self._account else None
