"""Collect garbage on the GUI thread only.

Python's collector runs on whichever thread happens to allocate; if that is a worker thread
and it finalises a Qt object owned by the GUI thread, Qt may crash. So automatic collection
is switched off and a GUI-thread timer collects instead (qutebrowser does the same).

The timer keeps Python's own schedule, including its rule for the costly full collection:
it walks every object alive (about a third of a second with 100 000 open incidents loaded),
so Python runs one only once the heap has grown by a quarter since the last. The heap's
size here is the allocator's count of blocks in use (``sys.getallocatedblocks``).
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, QTimer, Slot

FULL_GROWTH = 1.25  # a full collection once the heap has grown by a quarter (as Python)


class GuiThreadCollector(QObject):
    """Runs the generational collector from a timer owned by the GUI thread."""

    INTERVAL_MS = 1000

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._blocks_after_full = 0  # heap size after the last full collection

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.collect()

    def collect(self) -> int | None:
        """Collect the generations whose thresholds have been passed, as Python would;
        returns the generation collected, or None."""
        threshold0, threshold1, threshold2 = gc.get_threshold()
        count0, count1, count2 = gc.get_count()
        if count0 <= threshold0:
            return None
        generation = 0
        if count1 > threshold1:
            generation = 1
            if count2 > threshold2 and self._heap_grown():
                generation = 2
        gc.collect(generation)
        if generation == 2:
            self._blocks_after_full = sys.getallocatedblocks()
        return generation

    def _heap_grown(self) -> bool:
        return sys.getallocatedblocks() > self._blocks_after_full * FULL_GROWTH
