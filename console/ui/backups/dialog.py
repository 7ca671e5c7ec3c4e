"""Settings → Backups…: where the copies go, daily on or off, how many are kept, "Back up now",
the copies the folder's list records, and Restore…."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.qt.backup_worker import BackupWorker
from console.qt.worker import Dispatcher
from console.services.backups import MAX_KEEP, BackupService, BackupSettings, BackupStatus
from console.services.validation import ValidationError
from console.ui.forms import error_label, error_text, hint_label, if_alive, plain_label
from safekeeping.backup import BackupCopy, BackupResult, CopyCheck, RestoreResult

__all__ = ["BackupsDialog", "restore_question"]

Confirm = Callable[[QWidget, str], bool]
Inform = Callable[[QWidget, str], None]


def _ask(parent: QWidget, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Warning, "Restore a backup", text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).setText("Restore and close the console")
    return box.exec() == QMessageBox.StandardButton.Yes


def _tell(parent: QWidget, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, "Restore a backup", text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"  # pragma: no cover


def restore_question(
    check: CopyCheck, db_path: Path, sync_on: bool, zone: tzinfo | None = None
) -> str:
    """What the user is asked before a restore, in plain words."""
    made = (
        f"made {check.created_at.astimezone(zone):%a %d %b %Y %H:%M}"
        if check.created_at
        else "chosen"
    )
    lines = [
        f"Restore the copy {made} ({check.path.name}) in place of {db_path}?",
        "",
        f"The database as it is now is kept beside it as {db_path.name}.replaced-<time>; "
        "nothing is deleted. Work done since the copy was made is only in that kept file.",
        "",
        "The console closes after the restore: start it again to work on the restored copy.",
    ]
    if check.older_schema:
        lines.append("The copy is from an earlier version; it is brought up to date on start.")
    if sync_on:
        lines += [
            "",
            "Team sync is on: when the console starts again it pulls the server's copy of the "
            "team's changes back, so everything shared since this copy was made returns.",
        ]
    return "\n".join(lines)


class BackupsDialog(QDialog):
    """Reads and writes through :class:`BackupService`, always off the GUI thread."""

    settings_saved = Signal(object)  # BackupSettings
    restored = Signal(object)  # RestoreResult: the console should close now

    def __init__(
        self,
        service: BackupService,
        dispatcher: Dispatcher,
        worker: BackupWorker | None = None,
        parent: QWidget | None = None,
        *,
        zone: tzinfo | None = None,
        confirm: Confirm = _ask,
        inform: Inform = _tell,
        may_restore: bool = True,
    ) -> None:
        """``may_restore``: whether this person may put a backup in place of the team's
        database (leads and admins); others see the copies and may back up now."""
        super().__init__(parent)
        self._may_restore = may_restore
        self.setWindowTitle("Backups")
        self.resize(720, 520)
        self._service = service
        self._dispatcher = dispatcher
        self._worker = worker
        self._zone = zone
        self._confirm = confirm
        self._inform = inform
        self._copies: list[BackupCopy] = []

        self.folder = QLineEdit()
        self.folder.setPlaceholderText(str(service.default_folder))
        self.choose = QPushButton("Choose…")
        self.choose.clicked.connect(self._on_choose_clicked)
        self.folder_hint = hint_label()
        self.folder_error = error_label()
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose)
        self.daily = QCheckBox("Back up every day while the console runs")
        self.keep_daily = QSpinBox()
        self.keep_weekly = QSpinBox()
        for spin in (self.keep_daily, self.keep_weekly):
            spin.setRange(1, MAX_KEEP)
        self.keep_error = error_label()
        self.save = QPushButton("Save settings")
        self.save.clicked.connect(self._on_save_clicked)

        form = QFormLayout()
        form.addRow("Folder", folder_row)
        form.addRow("", self.folder_hint)
        form.addRow("", self.folder_error)
        form.addRow("", self.daily)
        form.addRow("Days kept", self.keep_daily)
        form.addRow("Weeks kept", self.keep_weekly)
        form.addRow("", self.keep_error)

        self.status_line = plain_label()
        self.status_line.setWordWrap(True)
        self.back_up_now = QPushButton("Back up now")
        self.back_up_now.clicked.connect(self._on_back_up_now_clicked)
        now_row = QHBoxLayout()
        now_row.addWidget(self.status_line, 1)
        now_row.addWidget(self.back_up_now)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Made", "Size", "SHA-256", "Schema"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self.restore_button = QPushButton("Restore…")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self._on_restore_clicked)
        self.restore_file = QPushButton("Restore from a file…")
        self.restore_file.clicked.connect(self._on_restore_file_clicked)
        if not may_restore:
            why = "Only a team lead or an admin may restore a backup."
            for button in (self.restore_button, self.restore_file):
                button.setToolTip(why)
            self.restore_file.setEnabled(False)
        self.message = error_label()
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.restore_file)
        buttons.addStretch(1)
        buttons.addWidget(self.save)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(now_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        if worker is not None:
            worker.backup_made.connect(self._on_worker_backup_made)
            worker.backup_failed.connect(self._on_worker_backup_failed)
        self.reload()

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        service = self._service
        self._dispatcher.submit(
            lambda: (service.settings(), service.status(), service.copies()),
            if_alive(self, self._show_loaded),
            if_alive(self, self._show_error),
        )

    def _show_loaded(self, loaded: tuple[BackupSettings, BackupStatus, list[BackupCopy]]) -> None:
        settings, status, copies = loaded
        self.folder.setText(settings.folder)
        self.daily.setChecked(settings.daily)
        self.keep_daily.setValue(settings.keep_daily)
        self.keep_weekly.setValue(settings.keep_weekly)
        self._show_status(status)
        self._copies = copies
        self.table.setRowCount(len(copies))
        for row, copy in enumerate(copies):
            made = copy.created_at.astimezone(self._zone)
            cells = (
                f"{made:%a %d %b %Y %H:%M}",
                _size(copy.size),
                copy.sha256[:16],
                copy.schema_revision or "",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(copy.sha256 if column == 2 else copy.file)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _show_status(self, status: BackupStatus) -> None:
        if not status.chosen:
            self.folder_hint.setText(
                f"No folder chosen: copies go to {status.folder}, on the database's own disk, "
                "so a failed disk would lose both. Choose a folder on another disk or a "
                "network share."
            )
        elif status.shares_disk:
            self.folder_hint.setText(
                f"{status.folder} is on the database's own disk: a failed disk would lose both."
            )
        else:
            self.folder_hint.setText("")
        if status.last is not None:
            at = status.last.at.astimezone(self._zone)
            text = f"Last good backup: {at:%a %d %b %Y %H:%M} ({status.last.file})."
        else:
            text = "No backup has been made yet."
        if status.error:
            text += f"\nThe last attempt failed: {status.error}"
        self.status_line.setText(text)

    def _show_error(self, error: Exception) -> None:
        self.message.setText(error_text(error))
        self.message.show()

    # -- settings -----------------------------------------------------------------------------

    def current_settings(self) -> BackupSettings:
        return BackupSettings(
            folder=self.folder.text().strip(),
            daily=self.daily.isChecked(),
            keep_daily=self.keep_daily.value(),
            keep_weekly=self.keep_weekly.value(),
        )

    @Slot()
    def _on_choose_clicked(self) -> None:
        start = self.folder.text() or str(self._service.default_folder)
        chosen = QFileDialog.getExistingDirectory(self, "Folder for backups", start)
        if chosen:
            self.folder.setText(chosen)

    @Slot()
    def _on_save_clicked(self) -> None:
        for label in (self.folder_error, self.keep_error, self.message):
            label.hide()
        settings = self.current_settings()
        self._dispatcher.submit(
            lambda: self._service.save_settings(settings),
            if_alive(self, self._saved),
            if_alive(self, self._not_saved),
        )

    def _saved(self, settings: BackupSettings) -> None:
        self.settings_saved.emit(settings)
        self.reload()

    def _not_saved(self, error: Exception) -> None:
        if isinstance(error, ValidationError):
            for key, label in (
                ("folder", self.folder_error),
                ("keep_daily", self.keep_error),
                ("keep_weekly", self.keep_error),
            ):
                if key in error.errors:
                    label.setText(error.errors[key])
                    label.show()
            return
        self._show_error(error)

    # -- backing up ---------------------------------------------------------------------------

    @Slot()
    def _on_back_up_now_clicked(self) -> None:
        self.message.hide()
        self.back_up_now.setEnabled(False)
        self.status_line.setText("Backing up…")
        if self._worker is not None:
            if not self._worker.back_up_now():
                self.back_up_now.setEnabled(True)
            return
        self._dispatcher.submit(
            self._service.backup_now,
            if_alive(self, self._on_worker_backup_made),
            if_alive(self, lambda e: self._on_worker_backup_failed(error_text(e))),
        )

    @Slot(object)
    def _on_worker_backup_made(self, result: BackupResult) -> None:
        self.back_up_now.setEnabled(True)
        if result.warnings:
            self.message.setText("\n".join(result.warnings))
            self.message.show()
        self.reload()

    @Slot(str)
    def _on_worker_backup_failed(self, text: str) -> None:
        self.back_up_now.setEnabled(True)
        self.message.setText(text)
        self.message.show()
        self.reload()

    # -- restore ------------------------------------------------------------------------------

    def selected_copy(self) -> BackupCopy | None:
        rows = self.table.selectionModel().selectedRows()
        return self._copies[rows[0].row()] if rows else None

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self.restore_button.setEnabled(self._may_restore and self.selected_copy() is not None)

    @Slot()
    def _on_restore_clicked(self) -> None:
        copy = self.selected_copy()
        if copy is not None:
            self.restore_copy(self._service.folder(self.current_settings()) / copy.file)

    @Slot()
    def _on_restore_file_clicked(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self,
            "Backup copy to restore",
            str(self._service.folder(self.current_settings())),
            "Support Console databases (*.sqlite3);;All files (*)",
        )
        if chosen:
            self.restore_copy(Path(chosen))

    def restore_copy(self, path: Path) -> None:
        """Check the copy (off the GUI thread), ask, then restore and say so."""
        self.message.hide()
        service = self._service
        self._dispatcher.submit(
            lambda: (service.check(path), service.sync_on()),
            if_alive(self, self._ask_restore),
            if_alive(self, self._show_error),
        )

    def _ask_restore(self, checked: tuple[CopyCheck, bool]) -> None:
        check, sync_on = checked
        question = restore_question(check, self._service.db_path, sync_on, self._zone)
        if not self._confirm(self, question):
            return
        self.setEnabled(False)
        self._dispatcher.submit(
            lambda: self._service.restore(check.path),
            if_alive(self, self._restored),
            if_alive(self, self._restore_failed),
        )

    def _restored(self, result: RestoreResult) -> None:
        kept = ", ".join(str(p) for p in result.replaced)
        self._inform(
            self,
            f"The copy was restored. The database as it was is kept as {kept}.\n"
            "The console closes now: start it again to work on the restored copy.",
        )
        self.restored.emit(result)
        self.accept()

    def _restore_failed(self, error: Any) -> None:
        self.setEnabled(True)
        self._show_error(error)
