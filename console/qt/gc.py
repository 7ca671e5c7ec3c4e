"""Collect garbage on the GUI thread only.

Python's collector runs on whichever thread happens to allocate; if that is a worker thread
and it finalises a Qt object owned by the GUI thread, Qt may crash. So automatic collection
is switched off and a GUI-thread timer collects instead (qutebrowser does the same).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot


class GuiThreadCollector(QObject):
    """Runs the generational collector from a timer owned by the GUI thread."""

    INTERVAL_MS = 1000

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.collect()

    def collect(self) -> None:
        """Collect the generations whose thresholds have been passed, as Python would."""
        threshold0, threshold1, threshold2 = gc.get_threshold()
        count0, count1, count2 = gc.get_count()
        if count0 > threshold0:
            generation = 0
            if count1 > threshold1:
                generation = 1
                if count2 > threshold2:
                    generation = 2
            gc.collect(generation)
