"""The one read model of open incidents (DESIGN §7): the queue, the wallboard, the escalation
panel, the incident detail and the notifier all read open incidents here.

Each :class:`OpenIncident` is a frozen value: the projection's summary, the names it shows,
and (once worked out) its clocks and their live reading. Working out an incident's clocks
means reading its events and replaying them (about half a millisecond each), so
:meth:`OpenIncidentReader.snapshot` does it only for the first ``eager`` incidents in
deadline order (the ones on screen); the caller hands the rest to
:meth:`OpenIncidentReader.evaluate` in chunks. Callers run these off the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from console.domain.clock_model import IncidentClocks
from console.domain.reading import Reading, read
from console.domain.records import ACTIVE, Customer, IncidentSummary, Status, SupportWindow
from console.services.clock_reader import ClockReader
from console.services.policy import latest_policy
from console.services.ports import Clock, Store, Transaction

__all__ = ["OpenIncident", "OpenIncidentReader", "OpenSnapshot"]

log = logging.getLogger(__name__)

_NO_DEADLINE = 9.9e9  # sorts after every real deadline (year 2283)


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """An open incident with the names it shows and, once worked out, its clocks."""

    summary: IncidentSummary
    customer: str = ""
    window_id: str = ""
    window_name: str = ""
    assignee: str = ""
    clocks: IncidentClocks | None = None  # None until worked out
    reading: Reading | None = None  # ``read(clocks)``: the clock to act on next
    clock_error: str = ""  # why the clocks could not be worked out

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def deadline_key(self) -> float:
        """The next deadline as a sort key (incidents with none sort last)."""
        deadline = self.summary.next_deadline
        return deadline.timestamp() if deadline is not None else _NO_DEADLINE

    @property
    def order_key(self) -> tuple[float, str]:
        """The queue's own order: next deadline first, then number."""
        return (self.deadline_key, self.summary.number)

    def at(self, now: datetime) -> OpenIncident:
        """The same incident re-read at ``now`` (no events in between): calendar work."""
        if self.clocks is None:
            return self
        clocks = self.clocks.at(now)
        return replace(self, clocks=clocks, reading=read(clocks))


@dataclass(frozen=True, slots=True)
class OpenSnapshot:
    incidents: tuple[OpenIncident, ...]  # in queue order
    windows: tuple[tuple[str, str], ...]  # (id, name), for the window filter
    priorities: tuple[str, ...]
    loaded_at: datetime

    @property
    def pending(self) -> tuple[OpenIncident, ...]:
        """Incidents whose clocks are still to be worked out, in queue order."""
        return tuple(i for i in self.incidents if i.clocks is None and not i.clock_error)


class OpenIncidentReader:
    """Reads open incidents and works out their clocks, one read transaction per call."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    def snapshot(self, eager: int | None = None) -> OpenSnapshot:
        """Every open incident in queue order; clocks for the first ``eager`` (None: all)."""
        now = self._clock.now()
        with self._store.read() as tx:
            names = _Names.read(tx)
            incidents = sorted(
                (names.incident(s) for s in tx.incidents.open_incidents()),
                key=lambda i: i.order_key,
            )
            reader = ClockReader(tx)
            count = len(incidents) if eager is None else min(eager, len(incidents))
            for i in range(count):
                incidents[i] = _evaluated(reader, incidents[i], now)
            try:
                priorities = latest_policy(tx)[1].priority_ids
            except LookupError:
                priorities = ()
        windows = sorted(names.window_names.items(), key=lambda w: w[1])
        return OpenSnapshot(tuple(incidents), tuple(windows), tuple(priorities), now)

    def evaluate(self, incidents: Iterable[OpenIncident]) -> list[OpenIncident]:
        """``incidents`` with their clocks as they stand now."""
        now = self._clock.now()
        with self._store.read() as tx:
            reader = ClockReader(tx)
            return [_evaluated(reader, incident, now) for incident in incidents]

    def one(self, incident_id: str) -> OpenIncident | None:
        """One incident with its clocks, or None when it is not (or no longer) open."""
        now = self._clock.now()
        with self._store.read() as tx:
            summary = tx.incidents.summary(incident_id)
            if summary is None or summary.status not in ACTIVE:
                return None
            names = _Names.read_for(tx, summary)
            return _evaluated(ClockReader(tx), names.incident(summary), now)

    def tracked(self, keep: Sequence[Status] = ACTIVE) -> list[OpenIncident]:
        """Every open incident with its clocks (what the wallboard and escalations read);
        an incident whose clocks cannot be worked out is left out and logged."""
        snapshot = self.snapshot(eager=None)
        kept = []
        for incident in snapshot.incidents:
            if incident.clock_error:
                log.warning(
                    "incident %s left out: %s", incident.summary.number, incident.clock_error
                )
            elif incident.summary.status in keep:
                kept.append(incident)
        return kept

    def priorities(self) -> tuple[str, ...]:
        with self._store.read() as tx:
            try:
                return tuple(latest_policy(tx)[1].priority_ids)
            except LookupError:
                return ()


def _evaluated(reader: ClockReader, incident: OpenIncident, now: datetime) -> OpenIncident:
    """``incident`` with its clocks at ``now``; a broken one says why instead of stopping
    the whole read."""
    try:
        clocks = reader.clocks(incident.summary, max(now, incident.summary.opened_at))
    except (LookupError, ValueError, KeyError) as error:
        return replace(incident, clock_error=str(error) or type(error).__name__)
    return replace(incident, clocks=clocks, reading=read(clocks), clock_error="")


@dataclass(frozen=True, slots=True)
class _Names:
    customers: dict[str, Customer]
    windows: dict[str, SupportWindow]
    agents: dict[str, str]

    @classmethod
    def read(cls, tx: Transaction) -> _Names:
        return cls(
            customers={c.id: c for c in tx.customers.list()},
            windows={w.id: w for w in tx.windows.list()},
            agents={a.id: a.name for a in tx.agents.list()},
        )

    @classmethod
    def read_for(cls, tx: Transaction, summary: IncidentSummary) -> _Names:
        customer = tx.customers.get(summary.customer_id)
        window = tx.windows.get(customer.window_id) if customer else None
        agent = tx.agents.get(summary.assignee_id) if summary.assignee_id else None
        return cls(
            customers={customer.id: customer} if customer else {},
            windows={window.id: window} if window else {},
            agents={agent.id: agent.name} if agent else {},
        )

    @property
    def window_names(self) -> dict[str, str]:
        return {w.id: w.name for w in self.windows.values()}

    def incident(self, summary: IncidentSummary) -> OpenIncident:
        customer = self.customers.get(summary.customer_id)
        window = self.windows.get(customer.window_id) if customer else None
        return OpenIncident(
            summary=summary,
            customer=customer.name if customer else "Unknown customer",
            window_id=window.id if window else "",
            window_name=window.name if window else "",
            assignee=self.agents.get(summary.assignee_id, "") if summary.assignee_id else "",
        )
