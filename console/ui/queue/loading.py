"""Reading the queue off the GUI thread: open incidents, the names they show, their clocks.

These functions run inside ``Dispatcher`` jobs, each in its own read transaction, and return
frozen rows. Working out an incident's clocks means reading its events and replaying them
(about half a millisecond each), so :func:`load_queue` does it only for the first
``eager`` rows in deadline order, the ones on screen; the view then hands the rest to
:func:`evaluate_rows` in chunks and the queue is usable while they come in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from console.domain.records import Customer, IncidentSummary, Status, SupportWindow
from console.services.clock_reader import ClockReader
from console.services.context import ConsoleContext
from console.services.policy import latest_policy
from console.ui.queue.model import QueueRow, evaluated

__all__ = [
    "CHUNK_ROWS",
    "EAGER_ROWS",
    "QueueSnapshot",
    "evaluate_rows",
    "load_queue",
    "load_row",
]

EAGER_ROWS = 50  # clocks worked out before the first paint: two screenfuls
CHUNK_ROWS = 400  # clocks per background job afterwards
_ACTIVE = (Status.OPEN, Status.WAITING_ON_CUSTOMER)


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    rows: tuple[QueueRow, ...]
    windows: tuple[tuple[str, str], ...]  # (id, name) for the window filter
    priorities: tuple[str, ...]
    loaded_at: datetime

    @property
    def pending(self) -> tuple[QueueRow, ...]:
        """Rows whose clocks are still to be worked out, in queue order."""
        return tuple(r for r in self.rows if r.clocks is None and not r.clock_error)


def _row(reader: ClockReader, row: QueueRow, now: datetime) -> QueueRow:
    """``row`` with its clocks at ``now``; a broken incident shows why instead of stopping
    the queue."""
    try:
        return evaluated(row, reader.clocks(row.summary, now))
    except (LookupError, ValueError) as error:
        return replace(row, clock_error=str(error) or type(error).__name__)


def _base_row(
    summary: IncidentSummary,
    customers: dict[str, Customer],
    windows: dict[str, SupportWindow],
    agents: dict[str, str],
) -> QueueRow:
    customer = customers.get(summary.customer_id)
    window = windows.get(customer.window_id) if customer else None
    return QueueRow(
        summary=summary,
        customer_name=customer.name if customer else "",
        window_id=window.id if window else "",
        window_name=window.name if window else "",
        assignee_name=agents.get(summary.assignee_id, "") if summary.assignee_id else "",
    )


def load_queue(context: ConsoleContext, eager: int = EAGER_ROWS) -> QueueSnapshot:
    """Every open incident, with the clocks of the first ``eager`` in deadline order."""
    now = context.clock.now()
    with context.store.read() as tx:
        summaries = tx.incidents.open_incidents()
        customers = {c.id: c for c in tx.customers.list()}
        windows = {w.id: w for w in tx.windows.list()}
        agents = {a.id: a.name for a in tx.agents.list()}
        rows = sorted(
            (_base_row(s, customers, windows, agents) for s in summaries),
            key=lambda r: r.order_key,
        )
        reader = ClockReader(tx)
        for i in range(min(eager, len(rows))):
            rows[i] = _row(reader, rows[i], now)
        try:
            priorities = latest_policy(tx)[1].priority_ids
        except LookupError:
            priorities = ()
    return QueueSnapshot(
        rows=tuple(rows),
        windows=tuple(sorted(((w.id, w.name) for w in windows.values()), key=lambda w: w[1])),
        priorities=tuple(priorities),
        loaded_at=now,
    )


def evaluate_rows(context: ConsoleContext, rows: Iterable[QueueRow]) -> list[QueueRow]:
    """The clocks of ``rows`` as they stand now."""
    now = context.clock.now()
    with context.store.read() as tx:
        reader = ClockReader(tx)
        return [_row(reader, row, now) for row in rows]


def load_row(context: ConsoleContext, incident_id: str) -> QueueRow | None:
    """One incident as the queue shows it, or None when it is not (or no longer) open."""
    now = context.clock.now()
    with context.store.read() as tx:
        summary = tx.incidents.summary(incident_id)
        if summary is None or summary.status not in _ACTIVE:
            return None
        customer = tx.customers.get(summary.customer_id)
        customers = {customer.id: customer} if customer else {}
        window = tx.windows.get(customer.window_id) if customer else None
        windows = {window.id: window} if window else {}
        agent = tx.agents.get(summary.assignee_id) if summary.assignee_id else None
        agents = {agent.id: agent.name} if agent else {}
        return _row(ClockReader(tx), _base_row(summary, customers, windows, agents), now)
