"""Backups: the status-bar item, Settings → Backups… and the worker that backs up by itself."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer

from console.qt.backup_worker import BackupWorker
from console.qt.worker import Dispatcher
from console.services.backups import BackupService
from console.services.context import ConsoleContext
from console.ui.backups.dialog import BackupsDialog, restore_question
from console.ui.backups.status_widget import BackupStatusWidget
from console.ui.shell.main_window import MainWindow

__all__ = ["BackupStatusWidget", "BackupsDialog", "restore_question", "wire_backups"]


class _StopOnClose(QObject):
    """Stops the window's backup checks when the window closes (a theme switch builds a new
    window with its own worker; the old one must not go on checking)."""

    def __init__(self, worker: BackupWorker, parent: QObject) -> None:
        super().__init__(parent)
        self._worker = worker

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self._worker.stop()
        return False


def wire_backups(window: MainWindow, context: ConsoleContext, dispatcher: Dispatcher) -> None:
    """The last good backup in the status bar, Settings → Backups…, and daily backups off
    the GUI thread (checked now, then hourly). After a restore the console closes."""
    service = BackupService(context.store, context.clock, context.db_path)
    worker = BackupWorker(service, window)
    status = BackupStatusWidget(context.clock.now, context.agent_zone)
    window.statusBar().addPermanentWidget(status)
    worker.status_changed.connect(status.show_status)
    worker.backup_started.connect(status.show_running)
    worker.backup_failed.connect(
        lambda text: window.statusBar().showMessage(f"Backup failed: {text}", 30_000)
    )

    def after_restore(_result: object) -> None:
        worker.stop()
        window.close()
        QTimer.singleShot(0, QCoreApplication.quit)

    def open_settings() -> None:
        dialog = BackupsDialog(
            service,
            dispatcher,
            worker,
            window,
            zone=context.agent_zone,
            may_restore=context.actor.role.may_edit_policy,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.restored.connect(after_restore)
        dialog.open()

    status.clicked.connect(open_settings)
    window.add_settings_action("Backups…", "mdi6.database-export-outline", open_settings)
    window.installEventFilter(_StopOnClose(worker, window))
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(worker.stop)
    worker.start()
