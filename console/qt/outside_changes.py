"""Writes by other programs on the same database, seen within a second (DESIGN §5).

``mail watch`` (or a second console) writes incidents into the file this console shows; with
no sync in between, nothing would tell the queue. :class:`OutsideChanges` asks once a second,
off the GUI thread, which incidents have events after the last mark (an index range, not a
reload) and says so with ``incidents_changed``; the window refreshes just those rows.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from console.qt.worker import Dispatcher
from console.services.incidents import IncidentService

__all__ = ["CHECK_MS", "OutsideChanges"]

CHECK_MS = 1000


class OutsideChanges(QObject):
    incidents_changed = Signal(list)  # ids of incidents written since the last check
    checked = Signal()  # a check was answered (changes or not)

    def __init__(
        self, incidents: IncidentService, dispatcher: Dispatcher, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._incidents = incidents
        self._dispatcher = dispatcher
        self._mark = -1
        self._asking = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        self.check()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    @Slot()
    def check(self) -> None:
        """Ask once (the timer's tick; tests call it directly)."""
        if self._asking:
            return
        self._asking = True
        self._dispatcher.submit(
            lambda: self._incidents.changed_since(self._mark), self._on_answer, self._on_failed
        )

    def _on_answer(self, answer: tuple[int, list[str]]) -> None:
        if not shiboken6.isValid(self):  # the window closed while the answer was on its way
            return
        self._asking = False
        first = self._mark < 0
        self._mark, changed = answer
        if changed and not first:
            self.incidents_changed.emit(changed)
        self.checked.emit()

    def _on_failed(self, _error: Exception) -> None:
        if shiboken6.isValid(self):  # a locked database now: asked again at the next tick
            self._asking = False
