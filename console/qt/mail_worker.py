"""Email intake off the GUI thread: the Qt-free watcher's ``run(stop)`` in a Python thread,
each mailbox's check back as a signal on the GUI thread.

The composition root passes a factory that builds the watcher (the IMAP adapter lives in
``mail/``, which this layer never imports) with the status callback it is given. The callback
runs on the watcher's threads; it only emits a signal, which Qt queues to this object on the
GUI thread, where :meth:`MailWorker._on_watcher_status_reported` passes it on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

__all__ = ["MailWorker", "WatchStatus", "Watcher"]


class WatchStatus(Protocol):
    """How one mailbox's check went (``mail.watch.MailboxStatus``)."""

    @property
    def mailbox_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def checked_at(self) -> datetime | None: ...
    @property
    def error(self) -> str: ...
    @property
    def imported(self) -> int: ...
    @property
    def incident_ids(self) -> tuple[str, ...]: ...


class Watcher(Protocol):
    def run(self, stop: threading.Event) -> None: ...


#: Builds a watcher that calls the given function after every check of a mailbox.
WatcherFactory = Callable[[Callable[[WatchStatus], None]], Watcher]


class MailWorker(QObject):
    """Start it with the window when an enabled mailbox exists; ``restart`` after the
    mailboxes change. ``wanted`` says whether there is anything to read."""

    mailbox_checked = Signal(object)  # WatchStatus, on the GUI thread
    incidents_changed = Signal(list)  # ids of the incidents a check opened or changed
    mail_arrived = Signal()  # a check handled messages (some may wait in the Inbox)
    _status_reported = Signal(object)  # from the watcher's threads

    def __init__(
        self,
        make_watcher: WatcherFactory,
        wanted: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._make_watcher = make_watcher
        self._wanted = wanted
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._status_reported.connect(
            self._on_watcher_status_reported, Qt.ConnectionType.QueuedConnection
        )

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start reading when there is a mailbox to read; True when it runs."""
        if self.running:
            return True
        if not self._wanted():
            return False
        stop = threading.Event()
        watcher = self._make_watcher(self._report)
        thread = threading.Thread(target=watcher.run, args=(stop,), name="mail", daemon=True)
        self._stop, self._thread = stop, thread
        thread.start()
        return True

    def stop(self, wait_seconds: float = 2.0) -> bool:
        """Ask the watcher to stop and wait a little; True if it stopped in that time.

        A check in flight (a slow server) may take longer: its thread is a daemon, so the
        window closes without it, and what it had not committed is read again next time.
        """
        if self._stop is None or self._thread is None:
            return True
        self._stop.set()
        self._thread.join(wait_seconds)
        stopped = not self._thread.is_alive()
        self._stop = self._thread = None
        return stopped

    def restart(self) -> bool:
        self.stop()
        return self.start()

    def _report(self, status: WatchStatus) -> None:
        """Called on a watcher thread: hand over to the GUI thread, nothing else."""
        self._status_reported.emit(status)

    @Slot(object)
    def _on_watcher_status_reported(self, status: WatchStatus) -> None:
        self.mailbox_checked.emit(status)
        if status.incident_ids:
            self.incidents_changed.emit(list(dict.fromkeys(status.incident_ids)))
        if status.imported:
            self.mail_arrived.emit()
