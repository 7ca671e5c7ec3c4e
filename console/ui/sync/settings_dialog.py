"""Sync settings: server address, TLS mode, team, user and password, and a connection test.

The password goes to the operating system's keyring (through the service), never to a file;
an empty password field keeps the stored one. TLS starts at "Verify" (the server's
certificate checked against the system's authorities, or a CA file the user picks); a weaker
mode stays selectable on purpose, with a warning under the choice saying what it risks.
Loading, testing and saving run off the GUI thread. Below the form, the edits that lost to a
concurrent edit: which value, and to whom.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.sync import SyncConflict, SyncService, SyncSettings, TlsMode
from console.services.validation import ValidationError
from console.ui.forms import (
    FieldErrors,
    choose_ca_file,
    error_label,
    error_text,
    hint_label,
    plain_label,
    with_error,
)
from console.ui.theme import current_theme

_TLS_LABELS = {
    TlsMode.DISABLE: "Off (trusted network only)",
    TlsMode.PREFER: "Prefer (encrypt if the server can)",
    TlsMode.REQUIRE: "Require (always encrypt)",
    TlsMode.VERIFY_FULL: "Verify (encrypt and check the server's certificate)",
}

# What each weaker mode risks, said under the choice (Verify needs no warning).
TLS_WARNINGS = {
    TlsMode.DISABLE: (
        "Warning: nothing is encrypted. Anyone on the network between you and the server "
        "can read and change everything sent, your team's incidents and customers included. "
        "Your password itself is never sent (SCRAM is required). Use only on a network you "
        "fully trust."
    ),
    TlsMode.PREFER: (
        "Warning: anyone on the network path can quietly turn encryption off, then read and "
        "change everything sent, your team's incidents and customers included. Your password "
        "itself is never sent (SCRAM is required). Choose Verify unless you must."
    ),
    TlsMode.REQUIRE: (
        "Warning: the server's certificate is not checked. Your password is never sent and a "
        "relaying impostor is caught (SCRAM with channel binding is required), but anyone who "
        "has copied the server's password store could pose as it. Choose Verify when you can."
    ),
}

CA_HINT = (
    "Empty: the server's certificate is checked against the authorities your system "
    "trusts. Choose a file when your organisation signs the server's certificate itself "
    "(used with Verify only)."
)


class SyncSettingsDialog(QDialog):
    settings_saved = Signal(object)  # SyncSettings
    sync_turned_off = Signal()
    connection_tested = Signal(bool, str)  # succeeded, what the server (or the error) said
    data_loaded = Signal()

    def __init__(
        self,
        context: ConsoleContext,
        sync_service: SyncService,
        parent: QWidget | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._service = sync_service
        self._dispatcher = dispatcher or Dispatcher(self)
        self.busy = False
        self.setWindowTitle("Sync settings")
        self.resize(640, 520)
        self._build()
        self._connect_signals()
        self._set_busy(True)
        self._dispatcher.submit(self._read, self._on_loaded, self._on_failed)

    # -- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        intro = QLabel(
            "Share one queue with your team through a PostgreSQL server. Everything stays on "
            "this computer as well, so the console keeps working when the server cannot be "
            "reached. The password is kept in your system's keyring."
        )
        intro.setWordWrap(True)
        outer.addWidget(intro)
        self.general_error = error_label()
        outer.addWidget(self.general_error)
        self.errors = FieldErrors(self.general_error)
        form = QFormLayout()
        self.url = QLineEdit()
        self.url.setPlaceholderText("postgresql://sync.example.com:5432/support")
        self.tls_mode = QComboBox()
        for mode, label in _TLS_LABELS.items():
            self.tls_mode.addItem(label, mode.value)
        self.tls_mode.setCurrentIndex(self.tls_mode.findData(TlsMode.VERIFY_FULL.value))
        self.tls_warning = error_label()  # shown for a weaker mode, in the theme's red
        self.tls_warning.setObjectName("tlsWarning")
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText("The system's trusted authorities")
        self.ca_button = QPushButton("Choose…")
        self.ca_row = QWidget()
        ca_layout = QHBoxLayout(self.ca_row)
        ca_layout.setContentsMargins(0, 0, 0, 0)
        ca_layout.addWidget(self.ca_file, 1)
        ca_layout.addWidget(self.ca_button)
        self.ca_hint = hint_label(CA_HINT)
        self.team = QLineEdit()
        self.team.setPlaceholderText("support_eu")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.stored_note = error_label()  # the stored address held a password: said once
        self.stored_note.setObjectName("storedAddressNote")
        for key, label, widget, hint in (
            ("url", "Server address", self.url, self.stored_note),
            ("tls_mode", "Encryption (TLS)", self.tls_mode, self.tls_warning),
            ("ca_file", "Certificate authority", self.ca_row, self.ca_hint),
            ("team", "Team", self.team, None),
            ("user", "User name", self.user, None),
            ("password", "Password", self.password, None),
        ):
            box, message = with_error(widget, hint)
            form.addRow(label, box)
            self.errors.add(key, widget, message)
        outer.addLayout(form)
        self._show_tls_warning()

        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test connection")
        self.test_result = plain_label()  # a server's error, word for word
        self.test_result.setWordWrap(True)
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        outer.addLayout(test_row)

        group = QGroupBox("Edits that lost to someone else's at the same time")
        lines = QVBoxLayout(group)
        self.conflicts = QListWidget()
        self.conflicts.setWordWrap(True)
        lines.addWidget(self.conflicts)
        outer.addWidget(group, 1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.turn_off_button = self.buttons.addButton(
            "Turn sync off", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.turn_off_button.hide()
        outer.addWidget(self.buttons)

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self._on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.turn_off_button.clicked.connect(self._on_turn_off_button_clicked)
        self.tls_mode.currentIndexChanged.connect(self._on_tls_mode_current_index_changed)
        self.ca_button.clicked.connect(self._on_ca_button_clicked)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in (self.test_button, self.buttons, self.url, self.team, self.user):
            widget.setEnabled(not busy)
        self.ca_row.setEnabled(not busy and self._verifying())

    def _verifying(self) -> bool:
        return bool(self.tls_mode.currentData() == TlsMode.VERIFY_FULL.value)

    def _show_tls_warning(self) -> None:
        warning = TLS_WARNINGS.get(TlsMode(self.tls_mode.currentData()), "")
        self.tls_warning.setText(warning)
        self.tls_warning.setVisible(bool(warning))
        self.ca_row.setEnabled(not self.busy and self._verifying())

    @Slot(int)
    def _on_tls_mode_current_index_changed(self, _: int) -> None:
        self._show_tls_warning()

    @Slot()
    def _on_ca_button_clicked(self) -> None:
        if choose_ca_file(self, self.ca_file, "Choose the certificate authority's file"):
            self.errors.resolve("ca_file")

    # -- values -----------------------------------------------------------------------------

    def current_settings(self) -> SyncSettings:
        return SyncSettings(
            url=self.url.text(),
            tls_mode=TlsMode(self.tls_mode.currentData()),
            team=self.team.text(),
            user=self.user.text(),
            ca_file=self.ca_file.text(),
        )

    def _read(self) -> tuple[SyncSettings | None, bool, list[SyncConflict]]:
        settings = self._service.settings()
        stored = settings is not None and self._service.has_password(settings)
        return settings, stored, self._service.conflicts(100)

    def _on_loaded(self, loaded: Any) -> None:
        settings, stored, conflicts = loaded
        if settings is not None:
            self.url.setText(settings.url)
            self.tls_mode.setCurrentIndex(self.tls_mode.findData(settings.tls_mode.value))
            self.team.setText(settings.team)
            self.user.setText(settings.user)
            self.ca_file.setText(settings.ca_file)
            self.turn_off_button.show()
            if settings.scrubbed:
                self.stored_note.setText(
                    "The stored address held a password; it is no longer used or shown. "
                    "Enter the password below and save to remove it from this computer."
                )
                self.stored_note.show()
        else:
            self.user.setText(self._context.actor.email.split("@")[0])
        if stored:
            self.password.setPlaceholderText("Stored in your keyring: leave empty to keep it")
        self.conflicts.clear()
        for conflict in conflicts:
            self.conflicts.addItem(conflict.describe())
        if not conflicts:
            self.conflicts.addItem("None.")
        self._set_busy(False)
        self.data_loaded.emit()

    # -- actions ----------------------------------------------------------------------------

    @Slot()
    def _on_test_button_clicked(self) -> None:
        settings, password = self.current_settings(), self.password.text()
        self.errors.clear()
        self.test_result.setText("Connecting…")
        self._set_busy(True)
        self._dispatcher.submit(
            lambda: self._service.test_connection(settings, password or None),
            self._on_tested,
            self._on_test_failed,
        )

    def _on_tested(self, message: object) -> None:
        self._set_busy(False)
        self._show_result(True, str(message))

    def _on_test_failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, ValidationError):
            self.errors.show(error.errors)
            self._show_result(False, "Fix the settings marked below.")
        else:
            self._show_result(False, error_text(error))

    def _show_result(self, ok: bool, message: str) -> None:
        colour = current_theme().state_color("met" if ok else "breached").name()
        self.test_result.setStyleSheet(f"color: {colour};")
        self.test_result.setText(message)
        self.connection_tested.emit(ok, message)

    @Slot()
    def _on_save_clicked(self) -> None:
        settings, password = self.current_settings(), self.password.text()
        self.errors.clear()
        self._set_busy(True)
        self._dispatcher.submit(
            lambda: self._service.configure(settings, password or None),
            self._on_saved,
            self._on_failed,
        )

    def _on_saved(self, settings: object) -> None:
        self._set_busy(False)
        self.settings_saved.emit(settings)
        self.accept()

    @Slot()
    def _on_turn_off_button_clicked(self) -> None:
        self._set_busy(True)
        self._dispatcher.submit(self._service.disable, self._on_turned_off, self._on_failed)

    def _on_turned_off(self, _: object) -> None:
        self._set_busy(False)
        self.sync_turned_off.emit()
        self.accept()

    def _on_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.errors.show_exception(error)
