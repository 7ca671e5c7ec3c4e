"""Reports for scripts and offline review (DESIGN §10): ``main.py report attainment|incidents``.

Both report the figures the History screen shows, over a period of received instants:

- attainment counts first responses (met, missed, pending, excluded) by the priority that set
  the deadline, the plan and the deadline's month, through the same query as History
  (``IncidentRepository.attainment``);
- the incidents report replays every incident's events and writes one row per clock from
  ``outcomes.outcomes`` (one per status-update due time), so its first-response rows are
  the domain's own word; the SQL above restates that rule for speed, and the tests hold the
  two equal (the totals of one are the counts of the other).

The service reads through the Store/Transaction ports; the writers below only format text.
Script output carries no filter comment line.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import TextIO

from console.domain.ids import HybridLogicalClock
from console.domain.outcomes import outcomes
from console.services.clock_reader import ClockReader
from console.services.ports import AttainmentRow, Clock, IncidentFilter, Store, Transaction
from console.services.review import Tally, neutralise
from console.services.sync import projection_rebuilder

log = logging.getLogger(__name__)

BATCH = 500
REPROJECT_KEY = "reproject_incidents"  # set by migration 0003 when projections are stale


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


ATTAINMENT_COLUMNS = ("priority", "plan", "month", "met", "missed", "pending", "excluded")
INCIDENT_COLUMNS = (
    "number",
    "customer",
    "plan",
    "priority",
    "status",
    "clock",
    "deadline_utc",
    "outcome",
    "counted_at_utc",
)


def period(start: date | None = None, end: date | None = None) -> IncidentFilter:
    """Incidents received from ``start`` (inclusive) to ``end`` (exclusive), UTC dates."""
    if start is not None and end is not None and start >= end:
        raise ValueError(
            f"--from {start.isoformat()} is not before --to {end.isoformat()}: "
            "--from is the first day counted, --to the day after the last"
        )
    return IncidentFilter(
        opened_from=datetime.combine(start, time(), UTC) if start else None,
        opened_to=datetime.combine(end, time(), UTC) if end else None,
    )


# -- attainment ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttainmentReport:
    now: datetime
    groups: tuple[AttainmentRow, ...]

    @property
    def totals(self) -> Tally:
        return sum((Tally.of(row) for row in self.groups), Tally())


def attainment_report(tx: Transaction, flt: IncidentFilter, now: datetime) -> AttainmentReport:
    return AttainmentReport(now=now, groups=tuple(tx.incidents.attainment(flt, now)))


# -- incidents -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClockRow:
    """One clock of one incident (one status-update due time) and its outcome at ``now``."""

    number: str
    customer: str
    plan: str
    priority: str  # the priority that set this deadline (the incident's, when none applies)
    status: str
    clock: str  # first_response, status_update, escalation_1, escalation_2
    deadline: datetime | None
    outcome: str  # met, missed, pending, excluded, not_applicable
    counted_at: datetime | None  # the response that met it (or came late)


def incident_rows(
    tx: Transaction, flt: IncidentFilter, now: datetime, *, batch: int = BATCH
) -> Iterator[ClockRow]:
    """Every clock of every incident ``flt`` selects, newest incident first."""
    customers = {c.id: c.name for c in tx.customers.list()}
    reader = ClockReader(tx)
    offset = 0
    while True:
        page = tx.incidents.find(flt, limit=batch, offset=offset, now=now)
        for summary in page:
            try:
                clocks = reader.clocks(summary, max(now, summary.opened_at))
            except LookupError as error:  # its customer or window is gone: nothing to replay
                log.warning("incident %s left out: %s", summary.number, error)
                continue
            for item in outcomes(clocks):
                yield ClockRow(
                    number=summary.number,
                    customer=customers.get(summary.customer_id, "Unknown customer"),
                    plan=summary.plan,
                    priority=item.priority or clocks.priority,
                    status=clocks.status.value,
                    clock=item.clock.value,
                    deadline=item.deadline,
                    outcome=item.outcome.value,
                    counted_at=item.counted_at,
                )
        if len(page) < batch:
            return
        offset += batch


# -- the service -----------------------------------------------------------------------------


class ReportService:
    """The reports over a store, each read in one snapshot at one instant."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def attainment(self, flt: IncidentFilter) -> AttainmentReport:
        with self._store.read() as tx:
            return attainment_report(tx, flt, self._clock.now())

    def incidents(self, flt: IncidentFilter) -> Iterator[ClockRow]:
        """The incidents report, streamed: the snapshot stays open until it is consumed."""
        now = self._clock.now()
        with self._store.read() as tx:
            yield from incident_rows(tx, flt, now)


def reproject_if_stale(
    store: Store,
    clock: Clock,
    workstation_id: str,
    hlc: HybridLogicalClock,
    notice: Callable[[str], None] | None = None,
    *,
    batch: int = BATCH,
) -> int | None:
    """Re-derive every projection once after migration 0003 flagged them stale.

    Projections stored before it followed the old first-response rule; History, attainment
    and the reports read projections, so they must be current before anything reads them.
    Each batch is one transaction; an incident that cannot be projected (no opening event
    yet, its policy version missing) is left for sync to retry. Returns how many were
    re-projected, or None when nothing was stale.
    """
    with store.read() as tx:
        flag = tx.meta.get(REPROJECT_KEY)
        ids = list(tx.incidents.all_ids()) if flag else []
    if not flag:
        return None
    if notice is not None:
        notice(f"Re-deriving {len(ids):,} incidents under the current first-response rule…")
    rebuild = projection_rebuilder(clock, workstation_id, hlc)
    failed: list[str] = []
    for first in range(0, len(ids), batch):
        with store.transaction() as tx:
            failed += rebuild(tx, ids[first : first + batch])
    with store.transaction() as tx:
        if tx.meta.get(REPROJECT_KEY) == flag:
            tx.meta.set(REPROJECT_KEY, "")
    if failed:
        log.warning("%d incidents could not be re-projected yet: %s", len(failed), failed[:5])
    return len(ids) - len(failed)


# -- writers ---------------------------------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` (seconds, or microseconds when there are any)."""
    if at is None:
        return None
    utc = at.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _counts(tally: Tally) -> dict[str, int]:
    return {
        "met": tally.met,
        "missed": tally.missed,
        "pending": tally.pending,
        "excluded": tally.excluded,
    }


def write_attainment(report: AttainmentReport, out: TextIO, fmt: Format) -> None:
    """JSON ``{"groups": [...], "totals": {...}}``, or CSV with one line per group."""
    if fmt is Format.JSON:
        groups = [
            {"priority": g.priority, "plan": g.plan, "month": g.month, **_counts(Tally.of(g))}
            for g in report.groups
        ]
        json.dump({"groups": groups, "totals": _counts(report.totals)}, out, indent=2)
        out.write("\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ATTAINMENT_COLUMNS)
    for g in report.groups:
        writer.writerow(
            [g.priority, g.plan, g.month, g.met, g.missed, g.pending, g.excluded],
        )


def _record(row: ClockRow) -> dict[str, str | None]:
    return {
        "number": row.number,
        "customer": row.customer,
        "plan": row.plan,
        "priority": row.priority,
        "status": row.status,
        "clock": row.clock,
        "deadline_utc": _iso(row.deadline),
        "outcome": row.outcome,
        "counted_at_utc": _iso(row.counted_at),
    }


def write_incidents(rows: Iterable[ClockRow], out: TextIO, fmt: Format) -> int:
    """CSV (cells a spreadsheet would run are neutralised), or a JSON array of objects with
    the same keys (null for no instant). Streams; returns how many rows were written."""
    written = 0
    if fmt is Format.CSV:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(INCIDENT_COLUMNS)
        for row in rows:
            writer.writerow([neutralise(v or "") for v in _record(row).values()])
            written += 1
        return written
    out.write("[")
    for row in rows:
        out.write(",\n  " if written else "\n  ")
        out.write(json.dumps(_record(row), ensure_ascii=False))
        written += 1
    out.write("\n]\n" if written else "]\n")
    return written
