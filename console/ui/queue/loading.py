"""The queue's jobs off the GUI thread, over ``context.open_incidents`` (the one read model).

The :class:`~console.services.open_incidents.OpenIncidentReader` opens the read transactions
and works the clocks out; these helpers only turn what it returns into queue rows. They run
inside ``Dispatcher`` jobs. Working out an incident's clocks costs about half a millisecond,
so :func:`load_queue` asks for the first ``eager`` incidents in deadline order only (the ones
on screen); the view hands the rest to :func:`evaluate_rows` in chunks and the queue is
usable while they come in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from console.domain.records import Status
from console.services.open_incidents import OpenIncident, OpenIncidentReader
from console.services.ports import IncidentFilter
from console.services.review import ReviewService
from console.ui.queue.model import QueueRow

__all__ = [
    "CHUNK_ROWS",
    "CLOSED_ROWS",
    "EAGER_ROWS",
    "QueueSnapshot",
    "evaluate_rows",
    "load_closed",
    "load_queue",
    "load_row",
]

EAGER_ROWS = 50  # clocks worked out before the first paint: two screenfuls
CHUNK_ROWS = 400  # clocks per background job afterwards
CLOSED_ROWS = 500  # resolved incidents the status filter's Resolved choice reads, newest first


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    rows: tuple[QueueRow, ...]  # in queue order
    windows: tuple[tuple[str, str], ...]  # (id, name) for the window filter
    priorities: tuple[str, ...]
    loaded_at: datetime

    @property
    def pending(self) -> tuple[QueueRow, ...]:
        """Rows whose clocks are still to be worked out, in queue order."""
        return tuple(r for r in self.rows if r.clocks is None and not r.clock_error)


def load_queue(reader: OpenIncidentReader, eager: int = EAGER_ROWS) -> QueueSnapshot:
    """Every open incident, with the clocks of the first ``eager`` in deadline order."""
    snapshot = reader.snapshot(eager=eager)
    return QueueSnapshot(
        rows=tuple(QueueRow.of(incident) for incident in snapshot.incidents),
        windows=snapshot.windows,
        priorities=snapshot.priorities,
        loaded_at=snapshot.loaded_at,
    )


def evaluate_rows(reader: OpenIncidentReader, rows: Iterable[QueueRow]) -> list[QueueRow]:
    """The clocks of ``rows`` as they stand now."""
    return [QueueRow.of(incident) for incident in reader.evaluate(r.incident for r in rows)]


def load_row(reader: OpenIncidentReader, incident_id: str) -> QueueRow | None:
    """One incident as the queue shows it, or None when it is not (or no longer) open."""
    incident = reader.one(incident_id)
    return QueueRow.of(incident) if incident is not None else None


def load_closed(
    review: ReviewService, reader: OpenIncidentReader, limit: int = CLOSED_ROWS
) -> tuple[QueueRow, ...]:
    """The newest ``limit`` resolved incidents as queue rows, with their (stopped) clocks:
    what the status filter's Resolved choice shows, to find one and reopen it."""
    page = review.history_page(IncidentFilter(statuses=(Status.RESOLVED.value,)), limit=limit)
    incidents = [
        OpenIncident(summary=r.summary, customer=r.customer, assignee=r.assignee) for r in page
    ]
    return tuple(QueueRow.of(incident) for incident in reader.evaluate(incidents))
