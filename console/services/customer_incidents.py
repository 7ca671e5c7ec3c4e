"""One customer's incidents, open and past, as the Customers screen lists them (issue 13).

Open incidents come first with their live state (the one reading every screen shows, worked
out for at most ``LIVE_LIMIT`` of them: a customer rarely has more open). Past incidents
(resolved or excluded) follow, most recently resolved first, a page at a time, each with its
first response's outcome from the projection (``projection.outcome_at``). Every read runs in
one read transaction; callers run it off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from console.domain import wording
from console.domain.clock_model import ClockState
from console.domain.outcomes import Outcome
from console.domain.projection import outcome_at
from console.domain.reading import Reading, read
from console.domain.records import ACTIVE, IncidentSummary
from console.services.clock_reader import ClockReader
from console.services.ports import IncidentFilter, Transaction

__all__ = [
    "LIVE_LIMIT",
    "OPEN_LIMIT",
    "PAST_PAGE",
    "CustomerIncident",
    "CustomerIncidents",
    "past_page",
    "read_customer_incidents",
]

OPEN_LIMIT = 200  # open incidents listed for one customer (the count says when there are more)
LIVE_LIMIT = 50  # open incidents whose clocks are worked out (about half a millisecond each)
PAST_PAGE = 50  # past incidents per page ("Show more" reads the next)

_ACTIVE = tuple(s.value for s in ACTIVE)


@dataclass(frozen=True, slots=True)
class CustomerIncident:
    """One incident of the customer, with the words the list shows."""

    summary: IncidentSummary
    assignee: str  # '' when unassigned
    live: str  # "First response · at risk", "" when not worked out (past, or past the limit)
    state: ClockState | None  # the live reading's state; None when not worked out
    outcome: Outcome  # the first response's outcome at the reading's instant

    @property
    def is_open(self) -> bool:
        return self.summary.status in ACTIVE


@dataclass(frozen=True, slots=True)
class CustomerIncidents:
    customer_id: str
    open: tuple[CustomerIncident, ...]  # newest opened first
    past: tuple[CustomerIncident, ...]  # the first page, most recently resolved first
    open_count: int
    past_count: int
    read_at: datetime

    @property
    def more_past(self) -> bool:
        return len(self.past) < self.past_count


def read_customer_incidents(
    tx: Transaction, customer_id: str, now: datetime, past_limit: int = PAST_PAGE
) -> CustomerIncidents:
    """The customer's open incidents and the first page of its past ones."""
    repo = tx.incidents
    agents = _Agents(tx)
    reader = ClockReader(tx)
    summaries = repo.for_customer(customer_id, active=True, limit=OPEN_LIMIT)
    open_rows = tuple(
        _row(
            s, agents.name(s.assignee_id), _reading(reader, s, now) if i < LIVE_LIMIT else None, now
        )
        for i, s in enumerate(summaries)
    )
    past = past_page(tx, customer_id, now, offset=0, limit=past_limit)
    open_count = len(summaries)
    if open_count >= OPEN_LIMIT:
        open_count = repo.count(IncidentFilter(customer_ids=(customer_id,), statuses=_ACTIVE))
    everything = repo.count(IncidentFilter(customer_ids=(customer_id,)))
    return CustomerIncidents(
        customer_id=customer_id,
        open=open_rows,
        past=past,
        open_count=open_count,
        past_count=everything - open_count,
        read_at=now,
    )


def past_page(
    tx: Transaction, customer_id: str, now: datetime, *, offset: int, limit: int = PAST_PAGE
) -> tuple[CustomerIncident, ...]:
    """Past incidents ``offset`` … ``offset + limit`` in list order."""
    agents = _Agents(tx)
    summaries = tx.incidents.for_customer(customer_id, active=False, limit=limit, offset=offset)
    return tuple(_row(s, agents.name(s.assignee_id), None, now) for s in summaries)


def _row(
    summary: IncidentSummary, assignee: str, reading: Reading | None, now: datetime
) -> CustomerIncident:
    live = wording.headline(reading) if reading is not None else ""
    state = reading.state if reading is not None else None
    return CustomerIncident(summary, assignee, live, state, outcome_at(summary, now))


def _reading(reader: ClockReader, summary: IncidentSummary, now: datetime) -> Reading | None:
    """The incident's live reading; None when its clocks cannot be worked out."""
    try:
        clocks = reader.clocks(summary, max(now, summary.opened_at))
    except (LookupError, ValueError, KeyError):
        return None
    return read(clocks)


class _Agents:
    """Agent names, read once per transaction and only when an incident has an assignee."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._names: dict[str, str] | None = None

    def name(self, agent_id: str | None) -> str:
        if not agent_id:
            return ""
        if self._names is None:
            self._names = {a.id: a.name for a in self._tx.agents.list()}
        return self._names.get(agent_id, "")
