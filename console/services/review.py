"""The read side of history review (DESIGN §7): pages, counts, attainment and the CSV.

Nothing here writes. History pages and exports read the projection through
``IncidentRepository.find`` (newest first, a page at a time). Every outcome shown or counted
is the one rule of ``console.domain.outcomes``, restated in SQL for speed and judged at this
service's ``now``. Open incidents (queue, wallboard, escalations) are read by
``console.services.open_incidents``.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from console.domain.outcomes import Outcome
from console.domain.projection import outcome_at
from console.domain.records import IncidentSummary
from console.services.policy import latest_policy
from console.services.ports import AttainmentRow, Clock, IncidentFilter, Store, Transaction

PAGE = 200
EXPORT_BATCH = 1_000

# -- spreadsheet safety ----------------------------------------------------------------------

# Where a spreadsheet may start a new cell: a comma, semicolon or tab separated file, or a
# line break (a semicolon-locale spreadsheet splitting a comma file ignores our quoting).
_CELL_BREAKS = re.compile(r"([,;\t\r\n])")
# A part a spreadsheet would run: "= + - @" first, after any spaces (some trim them) or quotes.
_RUNS = re.compile(r'[\s"]*[=+\-@]')


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text, however it splits the line.

    Every part of the cell that could become a spreadsheet cell of its own (the start, and
    after each comma, semicolon, tab or line break) and whose first character, after spaces
    and quotes, is ``= + - @`` gets a ``'`` in front, which makes it text; so does a cell
    that starts with a tab or carriage return. Numbers too ("-5" becomes "'-5"): no column
    of ours holds a signed number, and a rule with no exceptions is one a reader can check.
    """
    if not cell:
        return cell
    parts = _CELL_BREAKS.split(cell)  # segment, break, segment, break, ..., segment
    for i in range(0, len(parts), 2):
        if _RUNS.match(parts[i]):
            parts[i] = "'" + parts[i]
    if cell[0] in "\t\r":
        parts[0] = "'" + parts[0]
    return "".join(parts)


# -- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One incident as history review lists it, its first response judged when it was read."""

    summary: IncidentSummary
    customer: str
    assignee: str
    outcome: Outcome  # ``projection.outcome_at(summary, now)``: the rule attainment counts


class Cancelled(Exception):  # noqa: N818 - a request, not an error
    """The person cancelled a long export; nothing was written."""


# -- attainment ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """First responses by outcome. ``total`` and ``percent`` count only the decided ones (met
    or missed): a pending one can still be met, an excluded one leaves attainment."""

    met: int = 0
    missed: int = 0
    pending: int = 0
    excluded: int = 0

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return 100.0 * self.met / self.total if self.total else None

    @property
    def counted(self) -> int:
        """Every first response counted here, whatever its outcome."""
        return self.met + self.missed + self.pending + self.excluded

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.met + other.met,
            self.missed + other.missed,
            self.pending + other.pending,
            self.excluded + other.excluded,
        )

    @classmethod
    def of(cls, row: AttainmentRow) -> Tally:
        return cls(row.met, row.missed, row.pending, row.excluded)


class Breakdown(StrEnum):
    PRIORITY = "priority"
    PLAN = "plan"


@dataclass(frozen=True, slots=True)
class Pivot:
    """Attainment by group (priority or plan) and month, with totals both ways."""

    by: Breakdown
    groups: tuple[str, ...]
    months: tuple[str, ...]
    cells: dict[tuple[str, str], Tally] = field(default_factory=dict)

    def cell(self, group: str, month: str) -> Tally:
        return self.cells.get((group, month), Tally())

    def group_total(self, group: str) -> Tally:
        return sum((self.cell(group, m) for m in self.months), Tally())

    def month_total(self, month: str) -> Tally:
        return sum((self.cell(g, month) for g in self.groups), Tally())

    @property
    def total(self) -> Tally:
        return sum((self.group_total(g) for g in self.groups), Tally())


def pivot(rows: Iterable[AttainmentRow], by: Breakdown, order: Sequence[str] = ()) -> Pivot:
    """Fold attainment rows into a table; ``order`` lists known groups first, in that order."""
    cells: dict[tuple[str, str], Tally] = defaultdict(Tally)
    months: set[str] = set()
    groups: set[str] = set()
    for row in rows:
        group = row.priority if by is Breakdown.PRIORITY else row.plan
        cells[(group, row.month)] += Tally.of(row)
        months.add(row.month)
        groups.add(group)
    known = [g for g in order if g in groups]
    ordered = (*known, *sorted(groups - set(known)))
    return Pivot(by=by, groups=ordered, months=tuple(sorted(months)), cells=dict(cells))


# -- the service -----------------------------------------------------------------------------


class ReviewService:
    """Reads for history review, the escalation panel and the wallboard."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # -- history --

    def history_page(
        self, flt: IncidentFilter, *, limit: int = PAGE, offset: int = 0
    ) -> list[HistoryRow]:
        """A page of incidents, newest first (or in full-text order when searching)."""
        now = self._clock.now()
        with self._store.read() as tx:
            page = tx.incidents.find(flt, limit=limit, offset=offset, now=now)
            return _rows(page, *_names(tx), now)

    def history_row(self, incident_id: str) -> HistoryRow | None:
        """One incident as a History row reads it now (None: no such incident)."""
        now = self._clock.now()
        with self._store.read() as tx:
            summary = tx.incidents.summary(incident_id)
            return _rows([summary], *_names(tx), now)[0] if summary is not None else None

    def history_count(self, flt: IncidentFilter) -> int:
        with self._store.read() as tx:
            return tx.incidents.count(flt, self._clock.now())

    def attainment(self, flt: IncidentFilter) -> list[AttainmentRow]:
        """First-response outcomes now, by deadline-setting priority, plan and month."""
        with self._store.read() as tx:
            return tx.incidents.attainment(flt, self._clock.now())

    def filtered(self, flt: IncidentFilter) -> tuple[int, list[AttainmentRow]]:
        """How many incidents ``flt`` selects and their attainment, judged at one instant
        in one snapshot (so the two always agree)."""
        now = self._clock.now()
        with self._store.read() as tx:
            return tx.incidents.count(flt, now), tx.incidents.attainment(flt, now)

    def missed(self, flt: IncidentFilter, *, limit: int = 1_000) -> tuple[int, list[HistoryRow]]:
        """The incidents ``flt`` selects whose first response is missed now (the ones
        attainment counts as missed), newest first: how many, and up to ``limit`` of them."""
        now = self._clock.now()
        missed = replace(flt, outcome=Outcome.MISSED)
        if flt.outcome not in (None, Outcome.MISSED):
            return 0, []
        with self._store.read() as tx:
            total = tx.incidents.count(missed, now)
            page = tx.incidents.find(missed, limit=limit, now=now)
            return total, _rows(page, *_names(tx), now)

    def export_csv(
        self,
        flt: IncidentFilter,
        path: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        batch: int = EXPORT_BATCH,
    ) -> int:
        """Write every incident ``flt`` selects to ``path`` as CSV; returns how many.

        The first line is a ``#`` comment saying in words which filters chose the rows (and
        when their outcomes were judged); the column names follow, then one line an incident.
        Reads one snapshot a batch at a time, writes a temporary file beside ``path`` and
        moves it into place only when complete; ``cancelled`` is asked between batches and
        a cancelled export raises :class:`Cancelled` and leaves ``path`` as it was.
        """
        path = Path(path)
        fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        written = 0
        try:
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                now = self._clock.now()
                with self._store.read() as tx:
                    out.write(filter_line(describe_filter(flt, tx), now) + "\r\n")
                    writer.writerow(CSV_COLUMNS)
                    total = tx.incidents.count(flt, now)
                    if progress is not None:
                        progress(0, total)
                    for rows in self._batches(tx, flt, batch, now):
                        if cancelled is not None and cancelled():
                            raise Cancelled
                        writer.writerows(csv_cells(row) for row in rows)
                        written += len(rows)
                        if progress is not None:
                            progress(written, max(total, written))
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return written

    @staticmethod
    def _batches(
        tx: Transaction, flt: IncidentFilter, size: int, now: datetime
    ) -> Iterator[list[HistoryRow]]:
        names = _names(tx)
        offset = 0
        while True:
            page = tx.incidents.find(flt, limit=size, offset=offset, now=now)
            if not page:
                return
            yield _rows(page, *names, now)
            if len(page) < size:
                return
            offset += size

    def priorities(self) -> tuple[str, ...]:
        with self._store.read() as tx:
            return latest_policy(tx)[1].priority_ids


def _rows(
    page: Sequence[IncidentSummary],
    customers: dict[str, str],
    agents: dict[str, str],
    now: datetime,
) -> list[HistoryRow]:
    return [
        HistoryRow(
            summary=s,
            customer=customers.get(s.customer_id, "Unknown customer"),
            assignee=agents.get(s.assignee_id or "", ""),
            outcome=outcome_at(s, now),
        )
        for s in page
    ]


def _names(tx: Transaction) -> tuple[dict[str, str], dict[str, str]]:
    """Customer and agent names by id (lists leave deleted ones out: "Unknown customer")."""
    customers = {c.id: c.name for c in tx.customers.list()}
    agents = {a.id: a.name for a in tx.agents.list()}
    return customers, agents


# -- CSV -------------------------------------------------------------------------------------

_OUTCOME_WORDS = {
    Outcome.MET: "First response met",
    Outcome.MISSED: "First response missed",
    Outcome.PENDING: "First response pending",
}


def describe_filter(flt: IncidentFilter, tx: Transaction) -> list[str]:
    """The filters in force, in words, naming customers, agents and windows as the CSV does
    (plans and priorities by the ids its columns show); instants in UTC."""
    customers, agents = _names(tx)
    windows = {w.id: w.name for w in tx.windows.list()} if flt.window_ids else {}

    def any_of(label: str, values: Sequence[str], names: dict[str, str] | None = None) -> None:
        if values:
            shown = [names.get(v, "Unknown") if names is not None else v for v in values]
            parts.append(f"{label}: {' or '.join(shown)}")

    parts: list[str] = []
    if flt.text:
        parts.append(f"Search: “{flt.text}”")
    any_of("Status", flt.statuses)
    any_of("Customer", flt.customer_ids, customers)
    any_of("Priority", flt.priorities)
    any_of("Plan", flt.plans)
    if flt.assignee_id is not None:
        parts.append(f"Assignee: {agents.get(flt.assignee_id, 'Unknown')}")
    if flt.unassigned:
        parts.append("Unassigned")
    if flt.opened_from is not None:
        parts.append(f"Opened at or after {_utc(flt.opened_from)} UTC")
    if flt.opened_to is not None:
        parts.append(f"Opened before {_utc(flt.opened_to)} UTC")
    if flt.outcome is not None:
        parts.append(_OUTCOME_WORDS.get(flt.outcome, f"First response {flt.outcome.value}"))
    if flt.excluded is not None:
        parts.append("Only excluded" if flt.excluded else "Without excluded")
    any_of("Support window", flt.window_ids, windows)
    return parts or ["No filters: every incident"]


def filter_line(words: Sequence[str], now: datetime) -> str:
    """The ``#`` comment a GUI export starts with: one line, safe in any spreadsheet."""
    text = f"# Filters: {' | '.join(words)} (outcomes as of {_utc(now)} UTC)"
    # No line breaks, and no '"' that a CSV reader could take for the start of a quoted cell
    # running on into the column names.
    plain = "".join(" " if ch < " " or ch == "\x7f" else ch for ch in text).replace('"', "'")
    return neutralise(plain)


CSV_COLUMNS = (
    "Number",
    "Opened (UTC)",
    "Customer",
    "Plan",
    "Priority",
    "Proposed priority",
    "Title",
    "Status",
    "Channel",
    "Assignee",
    "Escalation level",
    "First response due (UTC)",
    "First response at (UTC)",
    "First response",
    "Excluded",
    "Resolved (UTC)",
)


def _utc(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def csv_cells(row: HistoryRow) -> list[str]:
    """One CSV record, every cell neutralised against formula injection."""
    s = row.summary
    cells = [
        s.number,
        _utc(s.opened_at),
        row.customer,
        s.plan,
        s.priority,
        s.proposed_priority,
        s.title,
        s.status.value,
        s.channel,
        row.assignee,
        str(s.escalation_level),
        _utc(s.outcome_due),  # the deadline that decides the outcome (a missed one stays)
        _utc(s.first_response_at),
        row.outcome.value,
        "yes" if s.excluded else "no",
        _utc(s.resolved_at),
    ]
    return [neutralise(cell) for cell in cells]
