"""The read side of DESIGN §7: history review, the escalation panel and the wallboard.

Nothing here writes. History pages and exports read the projection through
``IncidentRepository.find`` (newest first, a page at a time); the escalation panel and the
wallboard replay the clocks of open incidents once per load, so between loads the screens
move countdowns with plain arithmetic on the instants kept here (``BoardItem``).
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from console.domain.clocks import IncidentClocks
from console.domain.countdown import format_duration
from console.domain.escalation import Ladder, Standing, ladder, standing
from console.domain.records import IncidentSummary, Status
from console.services.clock_reader import ClockReader
from console.services.policy import governing_policy, latest_policy
from console.services.ports import AttainmentRow, Clock, IncidentFilter, Store, Transaction
from console.services.ranking import ordered_by_rank

log = logging.getLogger(__name__)

PAGE = 200
EXPORT_BATCH = 1_000
BOARD_HORIZON = timedelta(hours=8)  # running clocks due this soon get a tile too

# -- spreadsheet safety ----------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading ``= + - @`` (or tab, CR) gets a quote."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


# -- records ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One incident as history review lists it."""

    summary: IncidentSummary
    customer: str
    assignee: str

    @property
    def outcome(self) -> str:
        """First response: met, missed, pending (no answer yet) or excluded."""
        s = self.summary
        if s.excluded:
            return "excluded"
        if s.first_response_met is None:
            return "pending"
        return "met" if s.first_response_met else "missed"


@dataclass(frozen=True, slots=True)
class TrackedIncident:
    """An open incident with its clocks, as evaluated when it was loaded."""

    summary: IncidentSummary
    customer: str
    assignee: str
    clocks: IncidentClocks


@dataclass(frozen=True, slots=True)
class EscalationItem:
    incident: TrackedIncident
    standing: Standing

    @property
    def summary(self) -> IncidentSummary:
        return self.incident.summary


class Cancelled(Exception):  # noqa: N818 - a request, not an error
    """The person cancelled a long export; nothing was written."""


# -- attainment ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    met: int = 0
    missed: int = 0

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return 100.0 * self.met / self.total if self.total else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.met + other.met, self.missed + other.missed)


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
        cells[(group, row.month)] += Tally(row.met, row.missed)
        months.add(row.month)
        groups.add(group)
    known = [g for g in order if g in groups]
    ordered = (*known, *sorted(groups - set(known)))
    return Pivot(by=by, groups=ordered, months=tuple(sorted(months)), cells=dict(cells))


# -- wallboard -------------------------------------------------------------------------------


class BoardState(StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class BoardItem:
    """An open incident on the wallboard: the instants its tile changes at, and its words."""

    incident_id: str
    number: str
    title: str
    customer: str
    priority: str
    assignee: str
    escalation_level: int
    clock: str  # which clock the tile counts down, e.g. "First response"
    deadline: datetime  # of that clock: the soonest live deadline
    breached_at: datetime  # the soonest deadline of any live clock
    at_risk_at: datetime | None  # the soonest at-risk instant of any live clock

    def state(self, now: datetime) -> BoardState:
        if now >= self.breached_at:
            return BoardState.BREACHED
        if self.at_risk_at is not None and now >= self.at_risk_at:
            return BoardState.AT_RISK
        return BoardState.RUNNING

    def next_transition(self, now: datetime) -> datetime | None:
        later = [t for t in (self.at_risk_at, self.breached_at) if t is not None and t > now]
        return min(later, default=None)

    def countdown(self, now: datetime) -> str:
        left = self.deadline - now
        if left >= timedelta(0):
            return format_duration(left)
        return f"{format_duration(-left)} over"


@dataclass(frozen=True, slots=True)
class BoardCounts:
    breached: dict[str, int]
    at_risk: dict[str, int]


def board_tiles(
    items: Iterable[BoardItem], now: datetime, horizon: timedelta = BOARD_HORIZON
) -> list[BoardItem]:
    """What gets a tile, in the order shown.

    First what is about to breach (at risk, or due within ``horizon``), soonest deadline
    first: these can still be saved. Then what has breached, longest overdue first.
    """
    coming, breached = [], []
    for item in items:
        state = item.state(now)
        if state is BoardState.BREACHED:
            breached.append(item)
        elif state is BoardState.AT_RISK or item.deadline - now <= horizon:
            coming.append(item)
    return sorted(coming, key=_by_deadline) + sorted(breached, key=_by_deadline)


def _by_deadline(item: BoardItem) -> tuple[datetime, str]:
    return (item.deadline, item.number)


def board_counts(
    items: Iterable[BoardItem], now: datetime, priorities: Sequence[str]
) -> BoardCounts:
    breached = dict.fromkeys(priorities, 0)
    at_risk = dict.fromkeys(priorities, 0)
    for item in items:
        state = item.state(now)
        if state is BoardState.BREACHED:
            breached[item.priority] = breached.get(item.priority, 0) + 1
        elif state is BoardState.AT_RISK:
            at_risk[item.priority] = at_risk.get(item.priority, 0) + 1
    return BoardCounts(breached=breached, at_risk=at_risk)


def next_transition(items: Iterable[BoardItem], now: datetime) -> datetime | None:
    """The next instant after ``now`` at which any item turns at risk or breaches."""
    return min((t for item in items if (t := item.next_transition(now))), default=None)


def countdown_changes_in(deadline: datetime, now: datetime) -> timedelta:
    """How long until ``BoardItem.countdown`` shows different text.

    ``format_duration`` truncates to hours past a day, minutes past an hour and seconds
    below, so a tile due in three hours changes once a minute and one due in days once an
    hour. The text changes the moment the remaining time crosses the next whole unit.
    """
    left = (deadline - now).total_seconds()
    shown = int(abs(left))
    unit = 3_600 if shown >= 86_400 else 60 if shown >= 3_600 else 1
    if left > 0:  # counting down: changes when ``left`` drops below its whole units
        return timedelta(seconds=left - (shown // unit) * unit)
    return timedelta(seconds=(shown // unit + 1) * unit + left)  # counting up


def board_item(tracked: TrackedIncident) -> BoardItem | None:
    clocks, summary = tracked.clocks, tracked.summary
    live = [c for c in clocks.live_clocks if c.deadline is not None]
    current = clocks.current
    if not live or current is None or current.deadline is None:
        return None  # nothing is counting down (waiting on the customer)
    risks = [c.at_risk_at for c in live if c.at_risk_at is not None]
    return BoardItem(
        incident_id=summary.id,
        number=summary.number,
        title=summary.title,
        customer=tracked.customer,
        priority=clocks.priority,
        assignee=tracked.assignee,
        escalation_level=clocks.escalation_level,
        clock=current.kind.label,
        deadline=current.deadline,
        breached_at=min(c.deadline for c in live if c.deadline is not None),
        at_risk_at=min(risks, default=None),
    )


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
        with self._store.read() as tx:
            return _rows(tx.incidents.find(flt, limit=limit, offset=offset), *_names(tx))

    def history_count(self, flt: IncidentFilter) -> int:
        with self._store.read() as tx:
            return tx.incidents.count(flt)

    def attainment(self, flt: IncidentFilter) -> list[AttainmentRow]:
        with self._store.read() as tx:
            return tx.incidents.attainment(flt, self._clock.now())

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
                writer.writerow(CSV_COLUMNS)
                with self._store.read() as tx:
                    total = tx.incidents.count(flt)
                    if progress is not None:
                        progress(0, total)
                    for rows in self._batches(tx, flt, batch):
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
    def _batches(tx: Transaction, flt: IncidentFilter, size: int) -> Iterator[list[HistoryRow]]:
        names = _names(tx)
        offset = 0
        while True:
            page = tx.incidents.find(flt, limit=size, offset=offset)
            if not page:
                return
            yield _rows(page, *names)
            if len(page) < size:
                return
            offset += size

    # -- open incidents: escalations and the wallboard --

    def escalations(self) -> list[EscalationItem]:
        """Open incidents eligible for or at Escalation 1 or 2, longest waiting first."""
        now = self._clock.now()
        with self._store.read() as tx:
            candidates = [s for s in tx.incidents.open_incidents() if _may_escalate(s)]
            tracked = self._track(tx, candidates, now)
        items = [
            EscalationItem(t, found) for t in tracked if (found := standing(t.clocks)) is not None
        ]
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(items, key=lambda i: (i.standing.eligible_since or far, i.summary.number))

    def ladder(self, item: EscalationItem) -> Ladder:
        """Who to contact next for ``item``, on both sides."""
        summary = item.summary
        with self._store.read() as tx:
            policy = governing_policy(tx, summary.policy_version)
            return ladder(
                customer=tx.customers.get(summary.customer_id),
                assignee=tx.agents.get(summary.assignee_id) if summary.assignee_id else None,
                contacts=ordered_by_rank(tx.escalation_contacts.list()),
                levels=policy.escalation_levels,
                contact_level=item.standing.contact_level,
            )

    def board(self) -> list[BoardItem]:
        """Every open incident with a clock counting down, as wallboard items."""
        now = self._clock.now()
        with self._store.read() as tx:
            tracked = self._track(tx, tx.incidents.open_incidents(), now)
        return [item for t in tracked if (item := board_item(t)) is not None]

    def priorities(self) -> tuple[str, ...]:
        with self._store.read() as tx:
            return latest_policy(tx)[1].priority_ids

    def _track(
        self, tx: Transaction, summaries: Iterable[IncidentSummary], now: datetime
    ) -> list[TrackedIncident]:
        customers, agents = _names(tx)
        reader = ClockReader(tx)
        tracked = []
        for summary in summaries:
            try:
                clocks = reader.clocks(summary, max(now, summary.opened_at))
            except LookupError as error:  # its customer or window is gone: nothing to count
                log.warning("incident %s left out: %s", summary.number, error)
                continue
            tracked.append(
                TrackedIncident(
                    summary=summary,
                    customer=customers.get(summary.customer_id, "Unknown customer"),
                    assignee=agents.get(summary.assignee_id or "", ""),
                    clocks=clocks,
                )
            )
        return tracked


def _may_escalate(summary: IncidentSummary) -> bool:
    """Cheap pre-check from the projection: only these can be eligible or escalated.

    Eligibility needs a missed response: escalated already, no first response yet (its
    deadline may have passed, or been missed before a priority change restarted it), or a
    first response that came late.
    """
    return summary.status in (Status.OPEN, Status.WAITING_ON_CUSTOMER) and (
        summary.escalation_level > 0
        or summary.first_response_at is None
        or summary.first_response_met is False
    )


def _rows(
    page: Sequence[IncidentSummary], customers: dict[str, str], agents: dict[str, str]
) -> list[HistoryRow]:
    return [
        HistoryRow(
            summary=s,
            customer=customers.get(s.customer_id, "Unknown customer"),
            assignee=agents.get(s.assignee_id or "", ""),
        )
        for s in page
    ]


def _names(tx: Transaction) -> tuple[dict[str, str], dict[str, str]]:
    """Customer and agent names by id (lists leave deleted ones out: "Unknown customer")."""
    customers = {c.id: c.name for c in tx.customers.list()}
    agents = {a.id: a.name for a in tx.agents.list()}
    return customers, agents


# -- CSV -------------------------------------------------------------------------------------

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
        _utc(s.first_response_due),
        _utc(s.first_response_at),
        row.outcome,
        "yes" if s.excluded else "no",
        _utc(s.resolved_at),
    ]
    return [neutralise(cell) for cell in cells]
