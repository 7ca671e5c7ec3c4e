"""The queue's table model: one frozen :class:`QueueRow` per open incident.

A row wraps the :class:`~console.services.open_incidents.OpenIncident` that
``context.open_incidents`` read off the GUI thread, with its live
:class:`~console.domain.reading.Reading` (the one clock the agent must act on next). Between
the reading's changes a countdown moves with ``Reading.advanced`` (arithmetic only), so
painting a cell never walks a calendar. When the reading changes next is known in advance
(``Reading.next_change_at``: at risk, breach, a window opening or closing); the ticker calls
:meth:`QueueModel.reevaluate` for the due rows only, which reads them again with
``read(clocks.at(now))``. Every word comes from :mod:`console.domain.wording`; every state is
the reading's typed :class:`ClockState` (or :data:`PENDING` while the clocks are worked out).

The rows are kept in deadline order (then number), which is the queue's default order; the
proxy relies on it to show that order without sorting (see ``proxy.py``).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import IntEnum, StrEnum
from functools import cache
from html import escape
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from console.domain import wording
from console.domain.clock_model import Clock, ClockState, ClockType, IncidentClocks
from console.domain.explain import explain, when
from console.domain.reading import Reading, read
from console.domain.records import IncidentSummary, Status
from console.qt.notifier import Notice
from console.qt.ticker import Reevaluation
from console.services.open_incidents import OpenIncident
from console.ui.forms import plain_tip

__all__ = [
    "CELL_ROLE",
    "HEADERS",
    "ID_ROLE",
    "MUTED_ROLE",
    "PENDING",
    "ROW_ROLE",
    "SORT_ROLE",
    "BadgeCell",
    "Column",
    "CountdownCell",
    "Pending",
    "QueueModel",
    "QueueRow",
    "RowState",
    "contiguous",
    "countdown_cell",
    "explanation",
    "reading_at",
    "row_state",
]

Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NUMBER = 0
    PRIORITY = 1
    CUSTOMER = 2
    TITLE = 3
    STATUS = 4
    WINDOW = 5
    COUNTDOWN = 6
    ESCALATION = 7
    ASSIGNEE = 8


HEADERS = (
    "Number",
    "Priority",
    "Customer",
    "Title",
    "Status",
    "Window",
    "Countdown",
    "Escalation",
    "Assignee",
)
_HEADER_TIPS = (
    "The incident number",
    "Priority: P1 service down … P4 no material impact",
    "The customer who reported the incident",
    "What the incident is about",
    "Open, or waiting on the customer",
    "The customer's support window (its business hours)",
    "The clock to act on next: time left or over, and business time in business days (bd) "
    "of the customer's window for business-hours clocks",
    "The escalation level the customer has reached",
    "The agent working the incident",
)

_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_COUNTDOWN = Column.COUNTDOWN.value
_COLUMNS = len(Column)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # absolute keys: a tick never reorders
ID_ROLE = Qt.ItemDataRole.UserRole + 2
CELL_ROLE = Qt.ItemDataRole.UserRole + 3  # what the delegate paints (CountdownCell, badges)
MUTED_ROLE = Qt.ItemDataRole.UserRole + 4  # secondary text ("Unassigned", "—")
ROW_ROLE = Qt.ItemDataRole.UserRole + 5


class Pending(StrEnum):
    """A row whose clocks are still being worked out (it has no reading yet)."""

    PENDING = "pending"


PENDING = Pending.PENDING
RowState = ClockState | Pending  # what a row shows: its reading's state, or pending

_TICK_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole,
    CELL_ROLE,
]
_ROW_ROLES = [*_TICK_ROLES, MUTED_ROLE, SORT_ROLE, ROW_ROLE]
_RANK = 1e10  # priority and level weights above any timestamp
_HOUR = timedelta(hours=1)
_NEVER = datetime.fromtimestamp(0, UTC)

STATUS_TEXT = {
    Status.OPEN: "Open",
    Status.WAITING_ON_CUSTOMER: "Waiting",
    Status.RESOLVED: "Resolved",
    Status.EXCLUDED: "Excluded",
}


def row_state(value: str) -> RowState:
    """A state that went through a ``str`` signal, typed again."""
    return PENDING if value == PENDING.value else ClockState(value)


@cache
def _priority_rank(priority: str) -> int:
    digits = "".join(c for c in priority if c.isdigit())
    return int(digits) if digits else 9


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One open incident as the queue shows it; never mutated, replaced when it changes.

    Kept lean (a queue may hold 100 000): the open incident as read, and its deadline as a
    sort key; everything else is read from the incident when asked.
    """

    incident: OpenIncident
    deadline_key: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "deadline_key", self.incident.deadline_key)

    @classmethod
    def of(cls, incident: OpenIncident) -> QueueRow:
        """``incident`` as a row, sharing what 100 000 rows would otherwise each copy."""
        return cls(_lean(incident))

    @property
    def id(self) -> str:
        return self.incident.summary.id

    @property
    def summary(self) -> IncidentSummary:
        return self.incident.summary

    @property
    def customer_name(self) -> str:
        return self.incident.customer

    @property
    def window_id(self) -> str:
        return self.incident.window_id

    @property
    def window_name(self) -> str:
        return self.incident.window_name

    @property
    def assignee_name(self) -> str:
        return self.incident.assignee

    @property
    def clocks(self) -> IncidentClocks | None:
        return self.incident.clocks

    @property
    def reading(self) -> Reading | None:
        return self.incident.reading

    @property
    def clock_error(self) -> str:
        return self.incident.clock_error

    @property
    def current(self) -> Clock | None:
        """The clock the countdown shows (the reading's)."""
        reading = self.incident.reading
        return reading.clock if reading is not None else None

    @property
    def next_at(self) -> datetime | None:
        """When the reading changes next: the ticker reads the row again then."""
        reading = self.incident.reading
        return reading.next_change_at if reading is not None else None

    @property
    def order_key(self) -> tuple[float, str]:
        """The queue's own order: next deadline first, then number."""
        return (self.deadline_key, self.incident.summary.number)

    def sort_key(self, column: int) -> Any:
        """An absolute key (never the time left, so a tick never reorders)."""
        return _SORT_KEYS[column](self)

    def search_text(self) -> str:
        """What the search box matches: number, title and customer, case-folded."""
        s = self.incident.summary
        return f"{s.number}\n{s.title}\n{self.incident.customer}".casefold()

    @property
    def state(self) -> RowState:
        """The reading's state; not applicable when the clocks could not be worked out."""
        incident = self.incident
        if incident.reading is not None:
            return incident.reading.state
        return ClockState.NOT_APPLICABLE if incident.clock_error else PENDING

    def at(self, now: datetime) -> QueueRow:
        """This row read again at ``now`` (no events in between): ``read(clocks.at(now))``."""
        clocks = self.incident.clocks
        if clocks is None:
            return self
        clocks = clocks.at(now)
        return QueueRow.of(replace(self.incident, clocks=clocks, reading=read(clocks)))


_SORT_KEYS: tuple[Callable[[QueueRow], Any], ...] = (
    lambda r: r.summary.number,
    lambda r: _priority_rank(r.summary.priority) * _RANK + r.deadline_key,
    lambda r: r.customer_name,  # text keys compare case-insensitively (see the proxy)
    lambda r: r.summary.title,
    lambda r: STATUS_TEXT.get(r.summary.status, r.summary.status.value),
    lambda r: r.window_name,
    lambda r: r.deadline_key,
    lambda r: r.summary.escalation_level * _RANK + r.deadline_key,
    lambda r: r.assignee_name,
)

# Clocks that never started (no status updates owed, not escalated) are the same for every
# incident read at the same instant, and so is a window's business day; rows share them
# (frozen) instead of keeping 100 000 copies. The tables only help sharing: clearing them
# loses nothing.
_UNSTARTED: dict[tuple[ClockType, str, datetime], Clock] = {}
_DAYS: dict[timedelta, timedelta] = {}


def _shared(clock: Clock) -> Clock:
    if clock.target is not None or clock.started_at is not None:
        return clock
    key = (clock.kind, clock.note, clock.now)
    shared = _UNSTARTED.get(key)
    if shared is None:
        if len(_UNSTARTED) > 1024:
            _UNSTARTED.clear()
        shared = _UNSTARTED[key] = clock
    return shared


def _lean(incident: OpenIncident) -> OpenIncident:
    clocks, reading = incident.clocks, incident.reading
    if clocks is None or reading is None:
        return incident
    lean = replace(
        clocks,
        status_update=_shared(clocks.status_update),
        escalation_1=_shared(clocks.escalation_1),
        escalation_2=_shared(clocks.escalation_2),
    )
    day = reading.business_day
    if day is not None:
        shared_day = _DAYS.setdefault(day, day)
        if shared_day is not day:
            reading = replace(reading, business_day=shared_day)
    return replace(incident, clocks=lean, reading=reading)


def reading_at(row: QueueRow, now: datetime) -> Reading | None:
    """The row's reading moved on to ``now``: arithmetic until its next change, a fresh read
    (calendar work) if the ticker has not re-read the row by then."""
    reading = row.reading
    if reading is None or now <= reading.now:
        return reading
    change = reading.next_change_at
    if change is not None and now >= change and row.clocks is not None:
        return read(row.clocks.at(now))
    return reading.advanced(now)


# -- what a countdown cell shows -------------------------------------------------------------


class CountdownCell(NamedTuple):
    """The countdown column's content. The delegate paints from the typed fields (colour and
    icon from ``state``, the layout path from ``ticking``) and never reads the words.

    A tuple, not a dataclass: every visible row builds one and compares it with the last
    each second, and a tuple does both in C.
    """

    state: RowState
    text: str  # wording.countdown: time left or over, or what the clock is doing
    detail: str  # wording.detail: the state in words and which clock
    short: str = ""  # a shorter detail for a narrow column (the state in words)
    ticking: bool = False  # the text changes every second (it shows seconds that move)

    @property
    def accessible(self) -> str:
        return f"{self.text}, {self.detail}" if self.detail else self.text


@dataclass(frozen=True, slots=True)
class BadgeCell:
    """A priority or an escalation level, painted as a pill."""

    text: str
    kind: str  # "priority" or "escalation"


_PENDING_CELL = CountdownCell(PENDING, "—", "working out the clocks…")
_ERROR_CELL = CountdownCell(ClockState.NOT_APPLICABLE, "—", "clocks unavailable")


def _ticking(reading: Reading) -> bool:
    """Whether the countdown shows seconds that move each second (wall time under an hour,
    or business time under an hour while the window is open)."""
    wall = reading.wall
    if reading.clock is None or wall is None or reading.state is ClockState.PAUSED:
        return False
    if abs(wall) < _HOUR:
        return True
    business = reading.business
    return business is not None and reading.business_running and abs(business) < _HOUR


def countdown_cell(row: QueueRow, now: datetime, zone: tzinfo) -> CountdownCell:
    """The countdown of ``row`` at ``now`` (no calendar work: see the module docstring)."""
    reading = reading_at(row, now)
    if reading is None:
        return _ERROR_CELL if row.clock_error else _PENDING_CELL
    detail = wording.detail(reading)
    short = wording.state_words(reading.state, reading.pause_reason)
    return CountdownCell(
        reading.state,
        wording.countdown(reading, zone),
        detail,
        "" if short == detail else short,
        _ticking(reading),
    )


def explanation(row: QueueRow, now: datetime, zone: tzinfo) -> str:
    """The countdown's tooltip: the reading's headline, then the clock explaining itself in
    plain sentences (and what "bd" means for a business-hours clock). Rich text: every piece
    embedded is escaped."""
    if row.clock_error:
        return f"<qt>The clocks could not be worked out: {escape(row.clock_error)}</qt>"
    reading = reading_at(row, now)
    if reading is None:
        return "The clocks of this incident are still being worked out."
    head = f"<b>{escape(wording.headline(reading))}</b>"
    clock = reading.clock
    if clock is None:
        return f"<qt>{head}<br>No SLA clock is running for this incident.</qt>"
    head += f" — {escape(wording.countdown(reading, zone))}"
    lines = explain(clock.at(reading.now) if clock.now != reading.now else clock, zone)
    if clock.is_business:
        lines.append(wording.business_note(reading.business_day))
    body = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f"<qt>{head}<ul style='margin-left:-20px'>{body}</ul></qt>"


def contiguous(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, merged ``(first, last)`` ranges covering ``rows``."""
    ranges: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if ranges and row == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


# -- the model -------------------------------------------------------------------------------


class QueueModel(QAbstractTableModel):
    """Open incidents in deadline order, with their countdowns at the last tick."""

    state_counts_changed = Signal()

    def __init__(self, agent_zone: tzinfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._zone = agent_zone
        self._rows: list[QueueRow] = []
        self._index: dict[str, int] = {}
        self._now = _NEVER  # until the first reset: the view sets the ticker's instant
        self._counts: Counter[RowState] = Counter()
        self._counts_moved = False  # re-reads changed the counts since they were last sent
        # Each row's countdown as last worked out (and at which tick): a tick compares with
        # it to send only what moved, and painting reuses it.
        self._shown: dict[str, tuple[datetime, CountdownCell]] = {}

    # -- reading ----------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The instant the countdowns show (the last tick)."""
        return self._now

    @property
    def agent_zone(self) -> tzinfo:
        return self._zone

    def rows(self) -> Sequence[QueueRow]:
        return tuple(self._rows)

    def row_at(self, row: int) -> QueueRow:
        return self._rows[row]

    def row_of(self, incident_id: str) -> int | None:
        return self._index.get(incident_id)

    def find(self, incident_id: str) -> QueueRow | None:
        row = self._index.get(incident_id)
        return None if row is None else self._rows[row]

    def state_counts(self) -> Counter[RowState]:
        """How many rows show each state (``ClockState.BREACHED``, …, ``PENDING``)."""
        return Counter(self._counts)

    def cell(self, row: int) -> CountdownCell:
        return self._countdown(self._rows[row])

    def _countdown(self, row: QueueRow) -> CountdownCell:
        """The row's countdown at the last tick, worked out once per tick."""
        now = self._now
        shown = self._shown.get(row.id)
        if shown is not None and shown[0] is now:
            return shown[1]
        cell = countdown_cell(row, now, self._zone)
        self._shown[row.id] = (now, cell)
        return cell

    def notice_for(self, incident_id: str) -> Notice | None:
        """What a notification says about ``incident_id``: its reading at the last tick."""
        row = self.find(incident_id)
        if row is None:
            return None
        return Notice(
            incident_id=row.id,
            number=row.summary.number,
            title=row.summary.title,
            customer=row.customer_name,
            assignee_id=row.summary.assignee_id,
            reading=reading_at(row, self._now),
            zone=self._zone,
        )

    # -- Qt model interface -----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMNS

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        """One call where Qt's own makes two more (``rowCount`` and ``columnCount``): the
        proxy asks for an index every time a cell is painted."""
        if 0 <= row < len(self._rows) and 0 <= column < _COLUMNS and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS[section]
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # Plain ints, most asked first: sorting asks SORT_ROLE thousands of times, painting
        # CELL_ROLE once per cell.
        if role == SORT_ROLE:
            return _SORT_KEYS[index.column()](self._rows[index.row()]) if index.isValid() else None
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == CELL_ROLE:
            return self._cell(row, column)
        if role == _DISPLAY:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == MUTED_ROLE:
            return (column == Column.ASSIGNEE and not row.summary.assignee_id) or (
                column == Column.ESCALATION and not row.summary.escalation_level
            )
        if role == ID_ROLE:
            return row.id
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.AccessibleTextRole and column == Column.COUNTDOWN:
            return self._countdown(row).accessible
        return None

    def _display(self, row: QueueRow, column: int) -> str:
        s = row.summary
        if column == Column.COUNTDOWN:
            return self._countdown(row).accessible
        if column == Column.NUMBER:
            return s.number
        if column == Column.PRIORITY:
            return s.priority
        if column == Column.CUSTOMER:
            return row.customer_name
        if column == Column.TITLE:
            return s.title
        if column == Column.STATUS:
            return STATUS_TEXT.get(s.status, s.status.value)
        if column == Column.WINDOW:
            return row.window_name
        if column == Column.ESCALATION:
            return self._escalation_text(row)
        return row.assignee_name or "Unassigned"

    def _cell(self, row: QueueRow, column: int) -> Any:
        """What the delegate paints: a CountdownCell, a BadgeCell or ``(text, muted)``."""
        if column == _COUNTDOWN:
            return self._countdown(row)
        if column == Column.PRIORITY:
            return BadgeCell(row.summary.priority, "priority")
        if column == Column.ESCALATION:
            level = row.summary.escalation_level
            if level:
                return BadgeCell(f"E{level}", "escalation")
            return (self._escalation_text(row), True)
        if column == Column.ASSIGNEE:
            return (row.assignee_name or "Unassigned", not row.summary.assignee_id)
        return (self._display(row, column), False)

    @staticmethod
    def _eligible(row: QueueRow) -> int:
        return (row.clocks.eligible_level or 0) if row.clocks is not None else 0

    def _escalation_text(self, row: QueueRow) -> str:
        level = row.summary.escalation_level
        if level:
            return f"E{level}"
        eligible = self._eligible(row)  # not escalated: what the customer may ask for
        return f"E{eligible} eligible" if eligible else "—"

    def _tooltip(self, row: QueueRow, column: int) -> str | None:
        if column == Column.COUNTDOWN:
            return explanation(row, self._now, self._zone)
        if column == Column.ESCALATION:
            level, clocks = row.summary.escalation_level, row.clocks
            eligible = self._eligible(row)
            if eligible > level and clocks is not None and clocks.eligible_since is not None:
                since = when(clocks.eligible_since, self._zone)
                return f"The customer may escalate to Escalation {eligible} (since {since})."
            return f"Escalation {level}" if level else "Not escalated"
        if column == Column.ASSIGNEE and not row.summary.assignee_id:
            return "Nobody is working this incident yet"
        if column == Column.STATUS and row.summary.status is Status.WAITING_ON_CUSTOMER:
            return "Waiting on customer: the status-update clock is paused until they answer"
        return plain_tip(self._display(row, column)) or None  # people's text, as typed

    # -- changes ----------------------------------------------------------------------------

    def reset_rows(self, rows: Iterable[QueueRow], now: datetime) -> list[tuple[datetime, str]]:
        """Replace every row (a reload); returns the ticker's schedule for them."""
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda r: r.order_key)
        self._shown.clear()
        self._index = {row.id: i for i, row in enumerate(self._rows)}
        self._now = now
        self.endResetModel()
        self._counts = Counter(row.state for row in self._rows)
        self.state_counts_changed.emit()
        return [(row.next_at, row.id) for row in self._rows if row.next_at is not None]

    def apply_clocks(self, rows: Iterable[QueueRow]) -> list[tuple[datetime, str]]:
        """Fill in clocks worked out after the reload; rows changed meanwhile are skipped."""
        changed: list[int] = []
        for row in rows:
            i = self._index.get(row.id)
            if i is None:
                continue
            old = self._rows[i]
            if old.clocks is not None or old.summary is not row.summary:
                continue
            self._rows[i] = row
            self._shown.pop(row.id, None)
            self._counts[old.state] -= 1
            self._counts[row.state] += 1
            changed.append(i)
        for first, last in contiguous(changed):
            self.dataChanged.emit(
                self.index(first, Column.COUNTDOWN),
                self.index(last, Column.ESCALATION),
                _TICK_ROLES,
            )
        if changed:
            self.state_counts_changed.emit()
        return [(r.next_at, r.id) for r in (self._rows[i] for i in changed) if r.next_at]

    def upsert(self, row: QueueRow) -> None:
        """Add or update one incident, with the narrowest change (data, move or insert)."""
        i = self._index.get(row.id)
        if i is None:
            at = bisect.bisect_left(self._rows, row.order_key, key=lambda r: r.order_key)
            self.beginInsertRows(QModelIndex(), at, at)
            self._rows.insert(at, row)
            self._reindex(at)
            self.endInsertRows()
            self._counts[row.state] += 1
            self.state_counts_changed.emit()
            return
        old = self._rows[i]
        self._shown.pop(row.id, None)
        self._counts[old.state] -= 1
        self._counts[row.state] += 1
        if old.order_key != row.order_key:
            rest = self._rows[:i] + self._rows[i + 1 :]
            at = bisect.bisect_left(rest, row.order_key, key=lambda r: r.order_key)
            if at != i:
                destination = at if at < i else at + 1
                self.beginMoveRows(QModelIndex(), i, i, QModelIndex(), destination)
                rest.insert(at, row)
                self._rows = rest
                self._reindex(min(i, at))
                self.endMoveRows()
                self.state_counts_changed.emit()
                return
        self._rows[i] = row
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(Column) - 1), _ROW_ROLES)
        self.state_counts_changed.emit()

    def remove(self, incident_id: str) -> bool:
        i = self._index.get(incident_id)
        if i is None:
            return False
        self.beginRemoveRows(QModelIndex(), i, i)
        old = self._rows.pop(i)
        del self._index[incident_id]
        self._shown.pop(incident_id, None)
        self._reindex(i)
        self.endRemoveRows()
        self._counts[old.state] -= 1
        self.state_counts_changed.emit()
        return True

    def _reindex(self, start: int) -> None:
        for i in range(start, len(self._rows)):
            self._index[self._rows[i].id] = i

    # -- time -------------------------------------------------------------------------------

    def refresh_countdowns(self, ranges: Iterable[tuple[int, int]], now: datetime) -> None:
        """Move the countdowns to ``now``; repaint the given (visible) source rows whose
        countdown reads differently than at the last tick.

        A countdown in days or hours reads the same for a minute or an hour; only the
        rows whose text moved are sent, in contiguous ranges.
        """
        self._now = now
        rows, zone, shown = self._rows, self._zone, self._shown
        last_row = len(rows) - 1
        changed: list[int] = []
        for start, end in ranges:
            for i in range(max(start, 0), min(end, last_row) + 1):
                row = rows[i]
                cell = countdown_cell(row, now, zone)
                before = shown.get(row.id)
                shown[row.id] = (now, cell)
                if before is None or before[1] != cell:
                    changed.append(i)
        for first, last in contiguous(changed):
            self.dataChanged.emit(
                self.index(first, Column.COUNTDOWN), self.index(last, Column.COUNTDOWN), _TICK_ROLES
            )

    def reevaluate(self, incident_id: str, now: datetime) -> Reevaluation | None:
        """Re-read one incident at ``now`` with ``read(clocks.at(now))``: the ticker calls this
        for due rows only, at their reading's ``next_change_at``."""
        i = self._index.get(incident_id)
        if i is None:
            return None
        old = self._rows[i]
        if old.clocks is None:
            return None
        new = old.at(now)
        self._rows[i] = new
        self._shown.pop(incident_id, None)
        self._now = max(self._now, now)
        self.dataChanged.emit(
            self.index(i, Column.COUNTDOWN), self.index(i, Column.ESCALATION), _TICK_ROLES
        )
        if old.state != new.state:
            self._counts[old.state] -= 1
            self._counts[new.state] += 1
            self._counts_moved = True  # said once per chunk, by ``settle``
        return Reevaluation(old.state, new.state, new.next_at)

    def settle(self) -> None:
        """The ticker finished a chunk of re-reads: send the counts once if they moved."""
        if self._counts_moved:
            self._counts_moved = False
            self.state_counts_changed.emit()
