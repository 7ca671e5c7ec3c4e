"""Settings → Mail…: the mailboxes email intake reads (tab "Reading (IMAP)") and the SMTP
accounts the outbox sends answers through (tab "Sending (SMTP)"), each with Add…, Edit… and
Remove…, and Test for a sending account.

Everyone may look; only a team lead or an admin changes them (the services say so too).
Reading, removing and testing run off the GUI thread; each mailbox's form is a
:class:`~console.ui.mail.mailbox_form.MailboxForm`, each account's a
:class:`~console.ui.mail.smtp_form.SmtpForm`.
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
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.mail import Mailbox
from console.domain.outbound import SmtpAccount
from console.qt.worker import Dispatcher
from console.services.mailboxes import MailboxService
from console.services.outbox import SendingAccounts
from console.services.validation import ValidationError
from console.ui.forms import (
    error_label,
    error_text,
    hint_label,
    if_alive,
    plain_label,
    plain_tip,
)
from console.ui.mail.mailbox_form import AFTER_LABELS, MailboxForm, StorePassword, TestConnection
from console.ui.mail.smtp_form import SmtpForm, StoreSmtpPassword, TestSmtp
from console.ui.theme import current_theme

__all__ = [
    "READ_ONLY_NOTE",
    "SMTP_READ_ONLY_NOTE",
    "MailSettingsDialog",
    "account_text",
    "after_text",
    "server_text",
]

READ_ONLY_NOTE = "Only a team lead or an admin changes the mailboxes email is read from."
SMTP_READ_ONLY_NOTE = "Only a team lead or an admin changes the servers mail is sent through."
SMTP_INTRO = (
    "Answers by email go out through the first enabled account, over TLS or STARTTLS with "
    "verified certificates; they wait in the Outbox while the server cannot be reached. "
    "Passwords are kept in your system's keyring, never in the database."
)
_SMTP_HEADERS = ("Name", "Server", "From", "Copy to Sent", "Sends")
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


def account_text(account: SmtpAccount) -> str:
    """``smtp.vendor.example:587 (STARTTLS)`` or ``…:465 (TLS)``."""
    how = "STARTTLS" if account.security == "starttls" else "TLS"
    return f"{account.host}:{account.port} ({how})"


def _signs_in(account: SmtpAccount) -> str:
    if account.username:
        return f"Signs in as {account.username}"
    return "Sends without signing in"


def _from_text(account: SmtpAccount) -> str:
    if account.from_name:
        return f"{account.from_name} <{account.from_address}>"
    return account.from_address


class MailSettingsDialog(QDialog):
    """``may_edit``: the signed-in agent is a lead or an admin; else the list is read-only."""

    mailboxes_changed = Signal()  # a mailbox was saved or removed: the reader starts anew
    accounts_changed = Signal()  # a sending account was saved or removed
    data_loaded = Signal()

    def __init__(
        self,
        service: MailboxService,
        may_edit: bool,
        store_password: StorePassword,
        test: TestConnection,
        dispatcher: Dispatcher,
        parent: QWidget | None = None,
        *,
        accounts: SendingAccounts | None = None,
        store_smtp_password: StoreSmtpPassword | None = None,
        test_smtp: TestSmtp | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._may_edit = may_edit
        self._store_password = store_password
        self._test = test
        self._dispatcher = dispatcher
        self._accounts_service = accounts
        self._store_smtp_password = store_smtp_password
        self._test_smtp = test_smtp
        self._mailboxes: list[Mailbox] = []
        self._accounts: list[SmtpAccount] = []
        self.form: MailboxForm | None = None  # the open Add…/Edit… form
        self.smtp_form: SmtpForm | None = None  # the open sending account's form
        self.remove_box: QMessageBox | None = None  # the last "remove it?" question
        self.setWindowTitle("Mail settings")
        self.resize(860, 500)
        self._build()
        self._connect_signals()
        self.reload()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)
        reading = QWidget()
        self.tabs.addTab(reading, "Reading (IMAP)")
        self._build_reading(QVBoxLayout(reading))
        self.sending_tab = QWidget()
        self.tabs.addTab(self.sending_tab, "Sending (SMTP)")
        self._build_sending(QVBoxLayout(self.sending_tab))
        self.tabs.setTabVisible(1, self._accounts_service is not None)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        outer.addWidget(self.buttons)
        self._show_selection()
        self._show_account_selection()

    def _build_reading(self, outer: QVBoxLayout) -> None:
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

    def _build_sending(self, outer: QVBoxLayout) -> None:
        intro = QLabel(SMTP_INTRO)
        intro.setWordWrap(True)
        outer.addWidget(intro)
        self.smtp_read_only_note = hint_label(SMTP_READ_ONLY_NOTE)
        self.smtp_read_only_note.setVisible(not self._may_edit)
        outer.addWidget(self.smtp_read_only_note)
        self.smtp_error = error_label()
        outer.addWidget(self.smtp_error)
        self.smtp_table = QTreeWidget()
        self.smtp_table.setRootIsDecorated(False)
        self.smtp_table.setHeaderLabels(list(_SMTP_HEADERS))
        self.smtp_table.setUniformRowHeights(True)
        header = self.smtp_table.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        outer.addWidget(self.smtp_table, 1)
        self.smtp_empty_note = hint_label(
            "No sending account yet: answers by email cannot be sent, only recorded."
        )
        outer.addWidget(self.smtp_empty_note)
        row = QHBoxLayout()
        self.smtp_add_button = QPushButton("Add…")
        self.smtp_edit_button = QPushButton("Edit…")
        self.smtp_remove_button = QPushButton("Remove…")
        for button in (self.smtp_add_button, self.smtp_edit_button, self.smtp_remove_button):
            row.addWidget(button)
            button.setVisible(self._may_edit)
        self.smtp_test_button = QPushButton("Test")
        self.smtp_test_button.setToolTip("Connect to the chosen account's server and sign in")
        self.smtp_test_button.setVisible(self._may_edit and self._test_smtp is not None)
        row.addWidget(self.smtp_test_button)
        self.smtp_test_result = plain_label()  # the server's words, as it said them
        self.smtp_test_result.setWordWrap(True)
        row.addWidget(self.smtp_test_result, 1)
        outer.addLayout(row)

    def _connect_signals(self) -> None:
        self.buttons.rejected.connect(self.reject)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.table.itemSelectionChanged.connect(self._show_selection)
        self.table.itemActivated.connect(self._on_table_item_activated)
        self.smtp_add_button.clicked.connect(self._on_smtp_add_button_clicked)
        self.smtp_edit_button.clicked.connect(self._on_smtp_edit_button_clicked)
        self.smtp_remove_button.clicked.connect(self._on_smtp_remove_button_clicked)
        self.smtp_test_button.clicked.connect(self._on_smtp_test_button_clicked)
        self.smtp_table.itemSelectionChanged.connect(self._show_account_selection)
        self.smtp_table.itemActivated.connect(self._on_smtp_table_item_activated)

    # -- the list ---------------------------------------------------------------------------

    def reload(self) -> None:
        service, accounts = self._service, self._accounts_service

        def read() -> tuple[list[Mailbox], list[SmtpAccount] | None]:
            return service.mailboxes(), accounts.accounts() if accounts is not None else None

        self._dispatcher.submit(read, if_alive(self, self._on_read), if_alive(self, self._fail))

    def _on_read(self, result: Any) -> None:
        mailboxes, accounts = result
        self._on_loaded(mailboxes)
        if accounts is not None:
            self._show_accounts(accounts)
        self.data_loaded.emit()

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

    # -- sending accounts -------------------------------------------------------------------

    def _show_accounts(self, accounts: list[SmtpAccount]) -> None:
        chosen = self.selected_account()
        self._accounts = list(accounts)
        names = {m.id: m.name for m in self._mailboxes}
        self.smtp_table.clear()
        for account in self._accounts:
            copy = "—"
            if account.sent_mailbox_id:
                mailbox = names.get(account.sent_mailbox_id, "a removed mailbox")
                copy = f"{mailbox}: {account.sent_folder}"
            item = QTreeWidgetItem(
                [
                    account.name,
                    account_text(account),
                    _from_text(account),
                    copy,
                    "Yes" if account.enabled else "No (turned off)",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, account.id)
            item.setToolTip(1, plain_tip(_signs_in(account)))
            self.smtp_table.addTopLevelItem(item)
            if chosen is not None and chosen.id == account.id:
                self.smtp_table.setCurrentItem(item)
        self.smtp_empty_note.setVisible(not self._accounts)
        self._show_account_selection()

    def accounts(self) -> list[SmtpAccount]:
        return list(self._accounts)

    def selected_account(self) -> SmtpAccount | None:
        item = self.smtp_table.currentItem()
        if item is None or not item.isSelected():
            return None
        chosen = item.data(0, Qt.ItemDataRole.UserRole)
        return next((a for a in self._accounts if a.id == chosen), None)

    def select_account(self, name: str) -> None:
        self.tabs.setCurrentWidget(self.sending_tab)
        for index in range(self.smtp_table.topLevelItemCount()):
            item = self.smtp_table.topLevelItem(index)
            if item is not None and item.text(0) == name:
                self.smtp_table.setCurrentItem(item)
                return

    @Slot()
    def _show_account_selection(self) -> None:
        chosen = self.selected_account() is not None
        for button in (self.smtp_edit_button, self.smtp_remove_button, self.smtp_test_button):
            button.setEnabled(chosen)

    def _smtp_fail(self, error: Exception) -> None:
        self.smtp_error.setText(error_text(error))
        self.smtp_error.show()

    def _open_smtp_form(self, account: SmtpAccount | None) -> None:
        service, keep, test = self._accounts_service, self._store_smtp_password, self._test_smtp
        if not self._may_edit or service is None:
            return
        form = SmtpForm(
            service,
            keep or _no_keyring,
            test or _no_test,
            self._dispatcher,
            self._mailboxes,
            account,
            self,
        )
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.account_saved.connect(self._on_smtp_form_account_saved)
        form.destroyed.connect(lambda: setattr(self, "smtp_form", None))
        self.smtp_form = form
        form.open()

    @Slot()
    def _on_smtp_add_button_clicked(self) -> None:
        self._open_smtp_form(None)

    @Slot()
    def _on_smtp_edit_button_clicked(self) -> None:
        chosen = self.selected_account()
        if chosen is not None:
            self._open_smtp_form(chosen)

    @Slot(QTreeWidgetItem, int)
    def _on_smtp_table_item_activated(self, _item: QTreeWidgetItem, _column: int) -> None:
        self._on_smtp_edit_button_clicked()

    @Slot(object)
    def _on_smtp_form_account_saved(self, _account: object) -> None:
        self.smtp_error.hide()
        self.accounts_changed.emit()
        self.reload()

    @Slot()
    def _on_smtp_test_button_clicked(self) -> None:
        chosen, test = self.selected_account(), self._test_smtp
        if chosen is None or test is None:
            return
        self.smtp_test_result.setStyleSheet("")
        self.smtp_test_result.setText(f"Connecting to {chosen.host}…")
        self.smtp_test_button.setEnabled(False)
        self._dispatcher.submit(
            lambda: test(chosen, ""),
            if_alive(self, lambda words: self._smtp_tested(True, str(words))),
            if_alive(self, lambda error: self._smtp_tested(False, _said(error))),
        )

    def _smtp_tested(self, ok: bool, words: str) -> None:
        colour = current_theme().state_color("met" if ok else "breached").name()
        self.smtp_test_result.setStyleSheet(f"color: {colour};")
        self.smtp_test_result.setText(words)
        self._show_account_selection()

    @Slot()
    def _on_smtp_remove_button_clicked(self) -> None:
        chosen, service = self.selected_account(), self._accounts_service
        if chosen is None or service is None or not self._may_edit:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove sending account",
            f"Stop sending mail through {chosen.name} and remove it? Mail waiting in the "
            "Outbox goes out through the next enabled account, or waits for one.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the name is as someone typed it
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Remove")
        account_id = chosen.id

        def finished(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self._dispatcher.submit(
                    lambda: service.delete(account_id),
                    if_alive(self, self._on_smtp_removed),
                    if_alive(self, self._smtp_fail),
                )

        box.finished.connect(finished)
        if self.remove_box is not None:
            self.remove_box.deleteLater()
        self.remove_box = box
        box.open()

    def _on_smtp_removed(self, _: object) -> None:
        self.smtp_error.hide()
        self.accounts_changed.emit()
        self.reload()


def _said(error: BaseException) -> str:
    """A failed test's words (the adapter's are written for people); never a traceback."""
    if isinstance(error, ValidationError):
        return error_text(error)
    return str(error) or error_text(error)


def _no_keyring(_account: SmtpAccount, _password: str) -> None:
    raise RuntimeError("No keyring is available here to keep the password.")


def _no_test(_account: SmtpAccount, _password: str) -> str:
    raise RuntimeError("Testing the connection is not available here.")
