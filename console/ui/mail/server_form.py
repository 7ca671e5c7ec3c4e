"""What the mailbox form and the sending-account form share: testing the connection and
saving with the password kept in the keyring, both off the GUI thread, each answer in words.

A subclass builds its fields (among them ``password``, ``test_result`` and ``errors``), and
says how its record is checked (``_validate``), whether it needs a password to be saved
(``_needs_password``) and what it is called (``what``: "mailbox", "account").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.qt.worker import Dispatcher
from console.services.validation import ValidationError
from console.ui.forms import (
    FieldErrors,
    choose_ca_file,
    error_text,
    if_alive,
    plain_label,
    submit_on_ctrl_enter,
    with_error,
)
from console.ui.theme import current_theme

__all__ = ["KEEP_PASSWORD", "ServerForm", "failure_words"]

KEEP_PASSWORD = "Stored in your keyring: leave empty to keep it"


def failure_words(error: BaseException) -> str:
    """A failed connection's words (the adapters' are written for people); never a traceback."""
    if isinstance(error, ValidationError):
        return error_text(error)
    message = getattr(error, "message", "")
    if isinstance(message, str) and message:
        return message
    return str(error) or error_text(error)


class ServerForm(QDialog):
    """The Test connection and Save flows of a mail server's form."""

    what = "record"  # "mailbox", "account": named in the password message
    new_password = ""  # the password field's placeholder while none is stored
    password: QLineEdit
    test_result: QLabel
    errors: FieldErrors
    _dispatcher: Dispatcher
    _service: Any  # saves the record: ``save(draft) -> saved``
    _store_password: Callable[[Any, str], None]
    _test: Callable[[Any, str], str]

    # -- what a subclass says ---------------------------------------------------------------

    def draft(self) -> Any:
        raise NotImplementedError

    def _validate(self, draft: Any) -> Any:
        raise NotImplementedError

    def _needs_password(self, draft: Any) -> bool:
        """Whether saving ``draft`` with no password typed must be refused."""
        return not draft.id

    def _set_busy(self, busy: bool) -> None:
        raise NotImplementedError

    def _on_record_saved(self, saved: Any) -> None:
        """Keep ``saved`` (saving again changes it, not a second one) and say so."""
        raise NotImplementedError

    def _emit_tested(self, ok: bool, words: str) -> None:
        """Say a connection test ended (the subclass's ``connection_tested`` signal)."""

    # -- building ---------------------------------------------------------------------------

    def _ca_row(self) -> QWidget:
        """The CA certificate file, with its Choose… button (``ca_file``, ``ca_button``)."""
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText("The system's trusted authorities")
        self.ca_button = QPushButton("Choose…")
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.ca_file, 1)
        layout.addWidget(self.ca_button)
        return row

    def _add_fields(
        self,
        outer: QVBoxLayout,
        rows: Sequence[tuple[str, str, QWidget, QWidget | None]],
    ) -> None:
        """The fields (key, label, widget, hint), each with its message under it, then the
        Test connection row and Save / Cancel (Ctrl+Enter saves)."""
        form = QFormLayout()
        for key, label, widget, hint in rows:
            box, message = with_error(widget, hint)
            form.addRow(label, box)
            self.errors.add(key, widget, message)
        outer.addLayout(form)
        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.test_result = plain_label()  # the server's words, as it said them
        self.test_result.setWordWrap(True)
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        outer.addLayout(test_row)
        outer.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        outer.addWidget(self.buttons)
        submit_on_ctrl_enter(self, self.save_button)
        self.buttons.accepted.connect(self._on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.ca_button.clicked.connect(self._on_ca_button_clicked)

    @Slot()
    def _on_ca_button_clicked(self) -> None:
        if choose_ca_file(self, self.ca_file, "Choose the mail server's certificate authority"):
            self.errors.resolve("ca_file")

    # -- testing ----------------------------------------------------------------------------

    @Slot()
    def _on_test_button_clicked(self) -> None:
        draft, password, test, check = (
            self.draft(),
            self.password.text(),
            self._test,
            self._validate,
        )
        self.errors.clear()
        self._show_result(None, "Connecting…")
        self._set_busy(True)
        self._dispatcher.submit(
            lambda: test(check(draft), password),
            if_alive(self, self._on_tested),
            if_alive(self, self._on_test_failed),
        )

    def _on_tested(self, words: object) -> None:
        self._set_busy(False)
        self._show_result(True, str(words))

    def _on_test_failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, ValidationError):
            self.errors.show(error.errors)
            self._show_result(False, "Fix the fields marked above first.")
        else:
            self._show_result(False, failure_words(error))

    def _show_result(self, ok: bool | None, words: str) -> None:
        if ok is None:
            self.test_result.setStyleSheet("")
        else:
            colour = current_theme().state_color("met" if ok else "breached").name()
            self.test_result.setStyleSheet(f"color: {colour};")
        self.test_result.setText(words)
        if ok is not None:
            self._emit_tested(ok, words)

    # -- saving -----------------------------------------------------------------------------

    @Slot()
    def _on_save_clicked(self) -> None:
        draft, password = self.draft(), self.password.text()
        service, keep, check = self._service, self._store_password, self._validate
        needs = self._needs_password(draft)
        self.errors.clear()
        self._set_busy(True)

        def save() -> tuple[Any, str]:
            if needs and not password:
                errors: dict[str, str] = {}
                try:
                    check(draft)
                except ValidationError as error:
                    errors = error.errors
                errors["password"] = "Enter the password the server signs in with."
                raise ValidationError(errors)
            saved = service.save(draft)
            if not password:
                return saved, ""
            try:
                keep(saved, password)
            except Exception as error:  # the keyring's refusal, in words
                return saved, failure_words(error)
            return saved, ""

        self._dispatcher.submit(
            save, if_alive(self, self._on_saved), if_alive(self, self._on_failed)
        )

    def _on_saved(self, result: object) -> None:
        saved, refused = result if isinstance(result, tuple) else (result, "")
        self._set_busy(False)
        self.password.clear()
        self.password.setPlaceholderText(KEEP_PASSWORD if not refused else self.new_password)
        self._on_record_saved(saved)
        if refused:
            self.errors.show(
                {"password": f"The {self.what} was saved, but not its password: {refused}"}
            )
            return
        self.accept()

    def _on_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.errors.show_exception(error)
