"""The wallboard's read model (DESIGN §7): which open incidents get a tile, in what order, and
the breached and at-risk counts by priority.

Every item is an :class:`~console.services.open_incidents.OpenIncident` with its live
:class:`~console.domain.reading.Reading`; states come from the reading's typed ``state`` and
words from :mod:`console.domain.wording`, so a tile reads exactly like the queue row of the
same incident. Between reads the board moves countdowns with ``Reading.advanced`` (plain
arithmetic); at ``reading.next_change_at`` an item is re-read with ``OpenIncident.at`` (the
domain decides the new state, not the screen).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from console.domain.clock_model import ClockState
from console.domain.reading import Reading
from console.domain.records import SupportWindow
from console.domain.wording import countdown, countdown_parts, headline
from console.services.open_incidents import OpenIncident, OpenIncidentReader

__all__ = [
    "BOARD_HORIZON",
    "Board",
    "BoardCounts",
    "BoardFilter",
    "BoardFilterError",
    "BoardItem",
    "TileText",
    "board_counts",
    "board_item",
    "board_tiles",
    "next_board_change",
    "parse_priorities",
    "read_board",
    "resolve_board_filter",
    "tile_text",
]

BOARD_HORIZON = timedelta(hours=8)  # a clock due this soon gets a tile even while on track
_FLAGGED = (ClockState.BREACHED, ClockState.AT_RISK)
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BoardItem:
    """An open incident whose live reading has a clock: what a tile shows."""

    incident: OpenIncident
    reading: Reading  # the incident's reading, valid until ``reading.next_change_at``

    @property
    def incident_id(self) -> str:
        return self.incident.id

    @property
    def number(self) -> str:
        return self.incident.summary.number

    @property
    def priority(self) -> str:
        return self.reading.priority

    @property
    def state(self) -> ClockState:
        return self.reading.state

    @property
    def deadline(self) -> datetime | None:
        return self.reading.deadline

    def at(self, now: datetime) -> BoardItem:
        """This item at ``now``: re-read by the domain once its reading has reached
        ``next_change_at``; before that the same item (its state cannot have changed)."""
        change = self.reading.next_change_at
        if change is None or now < change:
            return self
        fresh = self.incident.at(now)
        return BoardItem(fresh, fresh.reading) if fresh.reading is not None else self

    def live(self, now: datetime) -> Reading:
        """The reading at ``now`` (before ``next_change_at``), by arithmetic only."""
        return self.reading.advanced(now)


def board_item(incident: OpenIncident) -> BoardItem | None:
    """``incident`` as a board item, or None when no clock is live (responded and not yet
    due an update, resolved) or its clocks could not be worked out."""
    reading = incident.reading
    if reading is None or reading.clock is None:
        return None
    return BoardItem(incident, reading)


@dataclass(frozen=True, slots=True)
class Board:
    """One read of the board: the policy's priorities (in order), every live item, and the
    support windows (id, name) by name, for the board's own window filter."""

    priorities: tuple[str, ...]
    items: tuple[BoardItem, ...]
    windows: tuple[tuple[str, str], ...] = ()


def read_board(
    open_incidents: OpenIncidentReader,
    windows: Callable[[], Sequence[SupportWindow]] | None = None,
) -> Board:
    """Every tracked open incident with a live clock (run it off the GUI thread); with
    ``windows`` (``CustomerService.windows``), the support windows to filter by."""
    items = tuple(
        item for incident in open_incidents.tracked() if (item := board_item(incident)) is not None
    )
    named = sorted(((w.id, w.name) for w in windows()), key=lambda w: w[1]) if windows else []
    return Board(priorities=open_incidents.priorities(), items=items, windows=tuple(named))


# -- which incidents: --window and --priority --------------------------------------------------


class BoardFilterError(ValueError):
    """A filter names a window or priority that does not exist; the message says which, and
    what does."""


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """Which incidents the board shows: those of any of ``windows`` (the customer's support
    window; none: every window) with any of ``priorities`` (none: every priority).

    The data has no teams (an incident has a customer, a support window and an assignee), so
    a board is filtered by support window and priority.
    """

    windows: tuple[tuple[str, str], ...] = ()  # (id, name), in the order asked for
    priorities: tuple[str, ...] = ()  # in the policy's order
    _window_ids: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_window_ids", frozenset(w for w, _ in self.windows))

    @property
    def is_everything(self) -> bool:
        return not self.windows and not self.priorities

    def matches(self, item: BoardItem) -> bool:
        if self._window_ids and item.incident.window_id not in self._window_ids:
            return False
        return not self.priorities or item.priority in self.priorities

    def apply(self, items: Iterable[BoardItem]) -> list[BoardItem]:
        return [item for item in items if self.matches(item)]

    @property
    def window_label(self) -> str:
        """ "All windows", "GMT", "GMT + Pacific"."""
        return " + ".join(name for _, name in self.windows) or "All windows"

    @property
    def priority_label(self) -> str:
        """ "All priorities", "P1", "P1, P2"."""
        return ", ".join(self.priorities) or "All priorities"

    @property
    def label(self) -> str:
        """What the board says it shows: "" for everything, else "GMT · P1, P2"."""
        if self.is_everything:
            return ""
        parts = [self.window_label if self.windows else "", ", ".join(self.priorities)]
        return " · ".join(p for p in parts if p)


def parse_priorities(texts: Iterable[str]) -> list[str]:
    """ "P1,P2" and "p3" (repeatable) as ["P1", "P2", "P3"]: split on commas, upper-cased."""
    return [part.strip().upper() for text in texts for part in text.split(",") if part.strip()]


def resolve_board_filter(
    windows: Sequence[tuple[str, str]],
    priorities: Sequence[str],
    window_args: Sequence[str] = (),
    priority_args: Sequence[str] = (),
) -> BoardFilter:
    """The filter ``--window NAME`` (a window's name, any case, or its id; repeatable) and
    ``--priority P1,P2`` ask for, checked against the database's windows (id, name) and the
    policy's priorities. Raises :class:`BoardFilterError` naming what does not exist."""
    by_id = {window_id: (window_id, name) for window_id, name in windows}
    by_name = {name.casefold(): (window_id, name) for window_id, name in windows}
    chosen: list[tuple[str, str]] = []
    unknown: list[str] = []
    for text in window_args:
        key = text.strip()
        found = by_id.get(key) or by_name.get(key.casefold())
        if found is None:
            unknown.append(text)
        elif found not in chosen:
            chosen.append(found)
    problems: list[str] = []
    if unknown:
        known = ", ".join(name for _, name in sorted(windows, key=lambda w: w[1])) or "none"
        problems.append(
            f"No support window is called {_quoted(unknown)}. The windows are: {known}."
        )
    asked = parse_priorities(priority_args)
    wrong = [p for p in asked if p not in priorities]
    if wrong:
        problems.append(
            f"There is no priority {_quoted(wrong)}. "
            f"The priorities are: {', '.join(priorities) or 'none'}."
        )
    if problems:
        raise BoardFilterError(" ".join(problems))
    return BoardFilter(windows=tuple(chosen), priorities=tuple(p for p in priorities if p in asked))


def _quoted(texts: Sequence[str]) -> str:
    return " or ".join(f'"{text}"' for text in texts)


# -- which tiles, in which order -------------------------------------------------------------


def _has_tile(item: BoardItem, now: datetime, horizon: timedelta) -> bool:
    if item.state in _FLAGGED:
        return True
    deadline = item.reading.deadline
    return deadline is not None and deadline - now <= horizon


def board_tiles(
    items: Iterable[BoardItem],
    now: datetime,
    priorities: Sequence[str],
    horizon: timedelta = BOARD_HORIZON,
) -> list[BoardItem]:
    """What gets a tile (breached, at risk, or due within ``horizon``), in the order shown.

    By priority (the policy's order, P1 first), then breached before at risk before the rest,
    then time left on the live clock, most overdue first. Time left is ``deadline - now`` for
    every item alike, so within a group the order is by deadline and a tick never reorders:
    only a state change does.
    """
    rank = {priority: index for index, priority in enumerate(priorities)}
    shown = [item for item in items if _has_tile(item, now, horizon)]
    return sorted(shown, key=lambda item: _order(item, rank))


def _order(item: BoardItem, rank: dict[str, int]) -> tuple[int, str, int, datetime, str]:
    group = min(item.reading.urgency, 2)  # breached, at risk, then everything else
    deadline = item.reading.deadline or _FAR
    return (rank.get(item.priority, len(rank)), item.priority, group, deadline, item.number)


@dataclass(frozen=True, slots=True)
class BoardCounts:
    breached: dict[str, int]
    at_risk: dict[str, int]


def board_counts(items: Iterable[BoardItem], priorities: Sequence[str]) -> BoardCounts:
    """Incidents whose live reading is breached or at risk, by priority."""
    breached = dict.fromkeys(priorities, 0)
    at_risk = dict.fromkeys(priorities, 0)
    for item in items:
        if item.state is ClockState.BREACHED:
            breached[item.priority] = breached.get(item.priority, 0) + 1
        elif item.state is ClockState.AT_RISK:
            at_risk[item.priority] = at_risk.get(item.priority, 0) + 1
    return BoardCounts(breached=breached, at_risk=at_risk)


def next_board_change(
    items: Iterable[BoardItem], now: datetime, horizon: timedelta = BOARD_HORIZON
) -> datetime | None:
    """The next instant after ``now`` at which the tiles or the counts may change: a reading's
    ``next_change_at``, or a deadline coming within ``horizon``."""
    instants: list[datetime] = []
    for item in items:
        reading = item.reading
        if reading.next_change_at is not None and reading.next_change_at > now:
            instants.append(reading.next_change_at)
        if reading.deadline is not None and item.state not in _FLAGGED:
            entering = reading.deadline - horizon
            if entering > now:
                instants.append(entering)
    return min(instants, default=None)


# -- what a tile says --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TileText:
    """Everything a tile shows; two equal values paint the same pixels."""

    priority: str
    number: str
    customer: str
    title: str
    assignee: str
    headline: str  # "Escalation 2 response · at risk"
    countdown: str  # "53 m 00 s", "1 h 29 m over (45 m 00 s business)"
    parts: tuple[str, str]  # the countdown on two lines: ("1 h 29 m over", "45 m 00 s business")
    state: ClockState


def tile_text(item: BoardItem, now: datetime, zone: tzinfo) -> TileText:
    """The tile of ``item`` at ``now``, worded by :mod:`console.domain.wording`."""
    reading = item.live(now)
    incident = item.incident
    return TileText(
        priority=item.priority,
        number=item.number,
        customer=incident.customer,
        title=incident.summary.title,
        assignee=incident.assignee or "unassigned",
        headline=headline(reading),
        countdown=countdown(reading, zone),
        parts=countdown_parts(reading, zone),
        state=reading.state,
    )
