"""Email intake off the GUI thread: the Qt-free watcher's ``run(stop)`` in a Python thread,
each mailbox's check back as a signal on the GUI thread.

The composition root passes a factory that builds the watcher (the IMAP adapter lives in
``mail/``, which this layer never imports) with the status callback it is given. The callback
runs on the watcher's threads; it only emits a signal, which Qt queues to this object on the
GUI thread, where :meth:`MailWorker._on_watcher_status_reported` passes it on.

It also sends the mail outbox, in a thread of its own, when the composition root gives it a
sender factory (``mail.outbox_sender.OutboxSender``): it runs when only an SMTP account is
set up, each pass comes back as :attr:`MailWorker.outbox_sent` on the GUI thread (the Outbox
view refreshes), and :meth:`MailWorker.stop` waits briefly for a send in progress — anything
unsent stays queued for the next start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal, Slot

__all__ = ["MailWorker", "OutboxReport", "Sender", "WatchStatus", "Watcher"]


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


class OutboxReport(Protocol):
    """How one sending pass went (``mail.outbox_sender.OutboxPass``)."""

    @property
    def sent(self) -> int: ...
    @property
    def deferred(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def waiting(self) -> int: ...
    @property
    def lines(self) -> tuple[str, ...]: ...
    @property
    def problems(self) -> tuple[str, ...]: ...
    @property
    def incident_ids(self) -> tuple[str, ...]: ...


class Sender(Protocol):
    def wanted(self) -> bool: ...
    def run(self, stop: threading.Event) -> None: ...
    def wake(self) -> None: ...


#: Builds an outbox sender that calls the given function after every pass.
SenderFactory = Callable[[Callable[[OutboxReport], None]], Sender]


class MailWorker(QObject):
    """Start it with the window; it runs when an enabled mailbox or a sending account exists.
    ``restart`` after the mailboxes or the sending accounts change. ``wanted`` says whether
    there is anything to read; ``make_sender`` builds the outbox sender (its ``wanted`` says
    whether there is an account to send through)."""

    mailbox_checked = Signal(object)  # WatchStatus, on the GUI thread
    incidents_changed = Signal(list)  # ids of the incidents a check opened or changed
    mail_arrived = Signal()  # a check handled messages (some may wait in the Inbox)
    outbox_sent = Signal(object)  # OutboxReport of a sending pass, on the GUI thread
    _status_reported = Signal(object)  # from the watcher's threads
    _pass_reported = Signal(object)  # from the sender's thread

    def __init__(
        self,
        make_watcher: WatcherFactory,
        wanted: Callable[[], bool],
        parent: QObject | None = None,
        *,
        make_sender: SenderFactory | None = None,
    ) -> None:
        super().__init__(parent)
        self._make_watcher = make_watcher
        self._wanted = wanted
        self._make_sender = make_sender
        self._sender: Sender | None = None  # the running sender, to wake
        self._stop: threading.Event | None = None
        self._threads: list[threading.Thread] = []
        self._status_reported.connect(
            self._on_watcher_status_reported, Qt.ConnectionType.QueuedConnection
        )
        self._pass_reported.connect(
            self._on_sender_pass_reported, Qt.ConnectionType.QueuedConnection
        )

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> bool:
        """Start reading when there is a mailbox to read, and sending when there is an SMTP
        account to send through; True when either runs."""
        if self.running:
            return True
        stop = threading.Event()
        threads: list[threading.Thread] = []
        if self._wanted():
            watcher = self._make_watcher(self._report)
            threads.append(
                threading.Thread(target=watcher.run, args=(stop,), name="mail", daemon=True)
            )
        if self._make_sender is not None:
            sender = self._make_sender(self._report_pass)
            self._sender = sender
            if sender.wanted():
                threads.append(
                    threading.Thread(
                        target=sender.run, args=(stop,), name="mail outbox", daemon=True
                    )
                )
        if not threads:
            return False
        self._stop, self._threads = stop, threads
        for thread in threads:
            thread.start()
        return True

    def stop(self, wait_seconds: float = 2.0) -> bool:
        """Ask the watcher and the sender to stop and wait a little (at most
        ``wait_seconds`` in all); True if they stopped in that time.

        A check or a send in flight (a slow server) may take longer: the threads are
        daemons, so the window closes without them; what a check had not committed is read
        again next time, and a mail whose sending was not recorded stays in the outbox and
        is sent at the next start (under the same Message-ID).
        """
        if self._stop is None:
            return True
        self._stop.set()
        deadline = time.monotonic() + wait_seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stopped = not self.running
        self._stop, self._threads = None, []
        return stopped

    @Slot()
    def wake_sender(self) -> None:
        """Send the outbox now (an agent queued or retried a mail), not at the next pass."""
        if self._sender is not None:
            self._sender.wake()

    def restart(self) -> bool:
        self.stop()
        return self.start()

    def _report(self, status: WatchStatus) -> None:
        """Called on a watcher thread: hand over to the GUI thread, nothing else."""
        self._status_reported.emit(status)

    def _report_pass(self, report: OutboxReport) -> None:
        """Called on the sender's thread: hand over to the GUI thread, nothing else."""
        self._pass_reported.emit(report)

    @Slot(object)
    def _on_sender_pass_reported(self, report: OutboxReport) -> None:
        self.outbox_sent.emit(report)
        if report.incident_ids:
            self.incidents_changed.emit(list(dict.fromkeys(report.incident_ids)))

    @Slot(object)
    def _on_watcher_status_reported(self, status: WatchStatus) -> None:
        self.mailbox_checked.emit(status)
        if status.incident_ids:
            self.incidents_changed.emit(list(dict.fromkeys(status.incident_ids)))
        if status.imported:
            self.mail_arrived.emit()
