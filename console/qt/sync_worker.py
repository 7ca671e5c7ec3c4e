"""Sync off the GUI thread: the Qt-free :class:`SyncRunner` in a QThread, results as signals.

The runner opens its own SQLite sessions and its own PostgreSQL connections on the worker
thread (push/pull, and LISTEN for the server's notices) and never touches the GUI. Its
callbacks emit this object's signals from the worker thread; Qt queues them to receivers on
the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from console.services.sync import SyncRound, SyncRunner, SyncService, SyncStatus


class _Thread(QThread):
    def __init__(self, runner: SyncRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sync")
        self._runner = runner

    def run(self) -> None:
        self._runner.run()


class SyncWorker(QObject):
    """Start it once sync is configured; ``restart`` after the settings change."""

    status_changed = Signal(object)  # SyncStatus
    changes_pulled = Signal(list)  # ids of incidents whose timeline changed
    records_pulled = Signal(list)  # names of record tables that changed (customers, …)

    def __init__(
        self,
        service: SyncService,
        parent: QObject | None = None,
        *,
        poll_interval: float = 30.0,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._poll = poll_interval
        self._runner: SyncRunner | None = None
        self._thread: _Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def start(self) -> None:
        if self.running:
            return
        self._runner = SyncRunner(
            self._service,
            on_status=self._emit_status,
            on_pulled=self._emit_pulled,
            poll_interval=self._poll,
        )
        self._thread = _Thread(self._runner)
        self._thread.start()

    def stop(self, wait_ms: int = 10_000) -> bool:
        """Ask the loop to finish its round and wait for it; True if it stopped."""
        if self._runner is None or self._thread is None:
            return True
        self._runner.stop()
        stopped = self._thread.wait(wait_ms)
        self._runner = self._thread = None
        return bool(stopped)

    def restart(self) -> None:
        self.stop()
        if self._service.settings() is not None:
            self.start()

    def sync_now(self) -> None:
        if self._runner is not None:
            self._runner.wake()

    def _emit_status(self, status: SyncStatus) -> None:
        self.status_changed.emit(status)

    def _emit_pulled(self, result: SyncRound) -> None:
        if result.incident_ids:
            self.changes_pulled.emit(list(result.incident_ids))
        records = [e for e in result.entities if e != "incident_events"]
        if records:
            self.records_pulled.emit(records)
