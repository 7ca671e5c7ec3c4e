"""Run service calls off the GUI thread; results and errors come back as signals.

A slot hands a callable to :class:`Dispatcher`; the callable runs on the thread pool and its
result (or the exception it raised) is delivered on the GUI thread. Each job gets its own
store transaction through the service it calls, so no Session crosses threads.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Relay(QObject):
    finished = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, job_id: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._id, self._fn, self._relay = job_id, fn, relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered to the GUI thread, which decides what to show
            self._relay.failed.emit(self._id, exc)
        else:
            self._relay.finished.emit(self._id, result)


class Dispatcher(QObject):
    """Submits jobs to a thread pool and calls back on the GUI thread.

    ``busy_changed`` lets screens show a busy cursor or disable buttons while work runs.
    """

    busy_changed = Signal(bool)
    job_failed = Signal(object)  # any exception not handled by the job's own on_error

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._relay = _Relay()
        self._relay.finished.connect(self._on_relay_finished)
        self._relay.failed.connect(self._on_relay_failed)
        self._ids = itertools.count(1)
        self._callbacks: dict[
            int, tuple[Callable[[Any], None] | None, Callable[[Exception], None] | None]
        ] = {}

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> int:
        job_id = next(self._ids)
        was_busy = self.busy
        self._callbacks[job_id] = (on_done, on_error)
        if not was_busy:
            self.busy_changed.emit(True)
        self._pool.start(_Job(job_id, fn, self._relay))
        return job_id

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        """For shutdown and tests: block until queued jobs ran (their signals still queue)."""
        return self._pool.waitForDone(msecs)

    def _finish(self, job_id: int) -> tuple[Any, Any]:
        callbacks = self._callbacks.pop(job_id, (None, None))
        if not self.busy:
            self.busy_changed.emit(False)
        return callbacks

    @Slot(int, object)
    def _on_relay_finished(self, job_id: int, result: Any) -> None:
        on_done, _ = self._finish(job_id)
        if on_done is not None:
            on_done(result)

    @Slot(int, object)
    def _on_relay_failed(self, job_id: int, error: Exception) -> None:
        _, on_error = self._finish(job_id)
        if on_error is not None:
            on_error(error)
        else:
            self.job_failed.emit(error)
