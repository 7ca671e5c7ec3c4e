"""Backups while the console runs: checked on start and then hourly, made off the GUI thread.

A QTimer on the GUI thread only starts a Python thread; that thread asks the Qt-free
:class:`BackupService` whether a backup is due and makes it. What happened comes back as
signals, queued to this object on the GUI thread. A failed attempt (a full disk, an absent
network share) is retried on the next check, since the last good backup stays old.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from console.services.backups import BackupService, BackupStatus
from safekeeping.backup import BackupRefused, BackupResult

__all__ = ["CHECK_INTERVAL_MS", "BackupWorker"]

CHECK_INTERVAL_MS = 60 * 60 * 1000


class BackupWorker(QObject):
    """``start`` with the window; ``back_up_now`` for the Settings button."""

    backup_started = Signal()
    backup_made = Signal(object)  # BackupResult
    backup_failed = Signal(str)  # the reason, in words
    status_changed = Signal(object)  # BackupStatus, after every check
    _finished = Signal(object, str, object)  # result | None, error, status (worker thread)

    def __init__(
        self,
        service: BackupService,
        parent: QObject | None = None,
        *,
        interval_ms: int = CHECK_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._thread: threading.Thread | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._on_timer_timeout)
        self._finished.connect(self._on_thread_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Check now (off the GUI thread), then every hour."""
        self.timer.start()
        self._run(forced=False)

    def stop(self, wait_seconds: float = 5.0) -> bool:
        """Stop checking; wait a little for a backup in flight (a kill leaves only a
        temporary file, which the next backup removes)."""
        self.timer.stop()
        thread = self._thread
        if thread is None:
            return True
        thread.join(wait_seconds)
        return not thread.is_alive()

    @Slot()
    def back_up_now(self) -> bool:
        """Make a copy now, due or not; False if one is already under way."""
        return self._run(forced=True)

    @Slot()
    def _on_timer_timeout(self) -> None:
        self._run(forced=False)

    def _run(self, *, forced: bool) -> bool:
        if self.busy:
            return False
        if forced:
            self.backup_started.emit()
        self._thread = threading.Thread(
            target=self._work, args=(forced,), name="backup", daemon=True
        )
        self._thread.start()
        return True

    def _work(self, forced: bool) -> None:
        """On the backup thread: never touches a widget, only emits."""
        result: BackupResult | None = None
        error = ""
        try:
            result = self._service.backup_now() if forced else self._service.backup_if_due()
        except BackupRefused as refused:
            error = refused.message
        except Exception as exc:  # a database problem: said in words, retried next check
            error = getattr(exc, "message", "") or f"The backup failed: {exc}"
        try:
            status: BackupStatus | None = self._service.status()
        except Exception:  # the status bar keeps what it showed
            status = None
        self._finished.emit(result, error, status)

    @Slot(object, str, object)
    def _on_thread_finished(
        self, result: BackupResult | None, error: str, status: BackupStatus | None
    ) -> None:
        if self._thread is not None:  # it emitted as its last act: the next check may run
            self._thread.join(1.0)
            if not self._thread.is_alive():
                self._thread = None
        if error:
            self.backup_failed.emit(error)
        elif result is not None:
            self.backup_made.emit(result)
        if status is not None:
            self.status_changed.emit(status)
