"""The SLA ticker: the one scheduler of live time. It repaints countdowns once a second while
any screen shows them, and turns known instants into state changes without ever scanning
every incident.

Every live screen (queue, incident detail, escalation panel, wallboard) subscribes: it calls
:meth:`SlaTicker.acquire` in its ``showEvent`` and :meth:`SlaTicker.release` in its
``hideEvent``, and repaints on :attr:`SlaTicker.ticked`. No screen owns a timer of its own.

Two timers, two jobs:

* the *repaint* timer (1 s) runs only while at least one subscriber is shown; each tick
  emits :attr:`SlaTicker.ticked` so the screens repaint what they show;
* the *transition* timer is a single shot armed for the earliest known transition while the
  repaint timer is off, so an incident still turns at risk or breaches (and notifies) while
  the agent is on another screen.

At-risk starts, breaches and calendar edges are instants known in advance
(``IncidentClocks.next_transition_at``). They sit in a heap of ``(instant, incident_id)``;
a tick pops only the due entries, asks the :class:`TransitionSubject` (the queue model,
attached with :meth:`SlaTicker.attach`) to
re-read those incidents at ``now`` and emits :attr:`SlaTicker.incident_state_changed` when
the state differs. Rescheduling an incident leaves its old entry in the heap; it is skipped
when popped (the dict of live entries says which instant is current).

A window's opening or closing is the same instant for every incident on that window, so tens
of thousands of entries can fall due together. A tick re-reads them in chunks: at most
:attr:`SlaTicker.BUDGET_S` of re-reading per tick (but never fewer than
:attr:`SlaTicker.MIN_PER_TICK` re-reads), earliest first; the rest stay due and the next ticks
take them, hidden or shown. Rows on screen never wait for this (the model reads a row that is past
its change afresh when it paints it); the counts and the notices follow within the backlog.
After each chunk the subject's ``settle()`` runs once (the counts are sent once a chunk, not
once a row).

Tests inject a clock and call :meth:`SlaTicker.tick` directly; no test waits on real time.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from console.services.ports import Clock

__all__ = ["Reevaluation", "SlaTicker", "TransitionSubject"]


@dataclass(frozen=True, slots=True)
class Reevaluation:
    """What re-reading one incident's clocks at a due instant gave."""

    old_state: str
    new_state: str
    next_at: datetime | None  # when to read it again; None: nothing more is predictable


class TransitionSubject(Protocol):
    def reevaluate(self, incident_id: str, now: datetime) -> Reevaluation | None:
        """Re-read one incident at ``now``; None if it is no longer known."""
        ...

    # Optionally ``settle(self) -> None``: a chunk of re-reads is done, say once what changed.


class SlaTicker(QObject):
    """Ticks the visible countdowns and pops due state transitions off a heap."""

    ticked = Signal(object)  # the instant of the tick: repaint what is visible
    incident_state_changed = Signal(str, str, str)  # incident id, old state, new state

    INTERVAL_MS = 1000
    MAX_WAIT_MS = 60_000  # re-arm at least this often: the wall clock may jump (sleep, NTP)
    BUDGET_S = 0.012  # re-reading per tick at most (a row takes about 0.2 ms)
    MIN_PER_TICK = 48  # re-reads per tick whatever the budget says: the backlog always drains

    def __init__(
        self,
        clock: Clock,
        parent: QObject | None = None,
        *,
        budget_s: float | None = None,
        min_per_tick: int | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._budget = self.BUDGET_S if budget_s is None else budget_s
        self._min = max(1, self.MIN_PER_TICK if min_per_tick is None else min_per_tick)
        self._timer = timer
        self._subject: TransitionSubject | None = None
        self._owners: set[int] = set()
        self._heap: list[tuple[datetime, str]] = []
        self._due: dict[str, datetime] = {}
        self._repaint = QTimer(self)
        self._repaint.setInterval(self.INTERVAL_MS)
        self._repaint.timeout.connect(self.tick)
        self._transition = QTimer(self)
        self._transition.setSingleShot(True)
        self._transition.timeout.connect(self._on_transition_timeout)

    # -- visibility -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the repaint timer runs (some countdowns are on screen)."""
        return self._repaint.isActive()

    def now(self) -> datetime:
        """The instant the screens show (the injected clock)."""
        return self._clock.now()

    def attach(self, subject: TransitionSubject) -> None:
        """The model whose incidents the schedule names (the queue's)."""
        self._subject = subject

    def acquire(self, owner: object) -> None:
        """``owner`` shows countdowns: tick now, then every second while any owner does."""
        self._owners.add(id(owner))
        self._transition.stop()
        if not self._repaint.isActive():
            self._repaint.start()
        self.tick()

    def release(self, owner: object) -> None:
        """``owner`` is hidden; with no owner left, stop repainting but keep watching."""
        self._owners.discard(id(owner))
        if not self._owners:
            self._repaint.stop()
            self._arm()

    # -- the schedule -----------------------------------------------------------------------

    def reset(self, entries: Iterable[tuple[datetime, str]]) -> None:
        """Replace the whole schedule (after a reload) with ``(instant, incident_id)``."""
        self._due = {incident_id: at for at, incident_id in entries}
        self._heap = [(at, incident_id) for incident_id, at in self._due.items()]
        heapq.heapify(self._heap)
        self._arm()

    def schedule(self, incident_id: str, at: datetime | None) -> None:
        """Read ``incident_id`` again at ``at`` (None: stop watching it)."""
        self._set(incident_id, at)
        self._arm()

    def schedule_many(self, entries: Iterable[tuple[datetime, str]]) -> None:
        for at, incident_id in entries:
            self._set(incident_id, at)
        self._arm()

    def forget(self, incident_id: str) -> None:
        self.schedule(incident_id, None)

    def scheduled(self, incident_id: str) -> datetime | None:
        return self._due.get(incident_id)

    def next_due(self) -> datetime | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._due)

    def backlog(self, now: datetime | None = None) -> int:
        """How many scheduled incidents are due at ``now`` (default: the clock's) and not yet
        re-read (they wait for the next ticks)."""
        now = self._clock.now() if now is None else now
        return sum(1 for at in self._due.values() if at <= now)

    def _set(self, incident_id: str, at: datetime | None) -> None:
        if at is None:
            self._due.pop(incident_id, None)
            return
        if self._due.get(incident_id) == at:
            return
        self._due[incident_id] = at
        heapq.heappush(self._heap, (at, incident_id))
        if len(self._heap) > 2 * len(self._due) + 1024:  # too many stale entries: compact
            self._heap[:] = [(when, key) for key, when in self._due.items()]
            heapq.heapify(self._heap)

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap and self._due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)

    # -- ticking ----------------------------------------------------------------------------

    @Slot()
    def tick(self) -> None:
        """Process the transitions due by now, then let the visible countdowns repaint."""
        now = self._clock.now()
        self._process(now)
        self.ticked.emit(now)

    def _process(self, now: datetime) -> bool:
        """Re-read the due incidents, earliest first, within the tick's budget; True when
        some are left for the next tick."""
        heap, due, subject = self._heap, self._due, self._subject
        timer = self._timer
        deadline = timer() + self._budget
        done = 0
        try:
            while heap and heap[0][0] <= now:
                if done >= self._min and timer() >= deadline:
                    return True
                at, incident_id = heapq.heappop(heap)
                if due.get(incident_id) != at:
                    continue  # rescheduled or forgotten since this entry was pushed
                del due[incident_id]
                if subject is None:
                    continue
                done += 1
                result = subject.reevaluate(incident_id, now)
                if result is None:
                    continue
                if result.next_at is not None and result.next_at > now:
                    self._set(incident_id, result.next_at)
                if result.old_state != result.new_state:
                    self.incident_state_changed.emit(
                        incident_id, result.old_state, result.new_state
                    )
            return False
        finally:
            if done and subject is not None:
                settle = getattr(subject, "settle", None)
                if settle is not None:
                    settle()

    @Slot()
    def _on_transition_timeout(self) -> None:
        more = self._process(self._clock.now())
        self._arm(again_in_ms=self.INTERVAL_MS if more else None)

    def _arm(self, again_in_ms: int | None = None) -> None:
        """While hidden, wake up for the earliest transition (at most a minute from now);
        with a backlog left, again in ``again_in_ms`` (a chunk a second, as when shown)."""
        if self._repaint.isActive():
            self._transition.stop()
            return
        if again_in_ms is not None:
            self._transition.start(again_in_ms)
            return
        first = self.next_due()
        if first is None:
            self._transition.stop()
            return
        wait = (first - self._clock.now()).total_seconds() * 1000
        self._transition.start(int(min(max(wait, 0), self.MAX_WAIT_MS)))
