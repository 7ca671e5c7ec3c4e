"""Saved views: a named set of queue filters an agent keeps for themselves or shares.

A view's filter travels as compact JSON (``ViewFilter.to_json``), through team sync to every
workstation. What arrives may come from a hostile or simply newer peer, so
``ViewFilter.from_json`` never raises: unknown keys are ignored, a value of the wrong type or
an unknown clock state, status or column falls back to its default, and text is cut short.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from console.domain.clock_model import ClockState
from console.domain.records import Status
from console.domain.wording import state_words

__all__ = [
    "ALL_STATUSES",
    "NAME_MAX",
    "PRIORITIES_MAX",
    "SORT_COLUMNS",
    "TEXT_MAX",
    "SavedView",
    "ViewFilter",
]

NAME_MAX = 60  # a view's name, in characters
TEXT_MAX = 200  # the filter's search text, in characters
PRIORITIES_MAX = 20
_PRIORITY_MAX = 16  # one priority id ("P1"), in characters
_WINDOW_ID_MAX = 64
_JSON_MAX = 64 * 1024  # a real filter takes well under 2 KiB

#: The status filter's choice for open and resolved incidents alike.
ALL_STATUSES = "all"

#: The queue's column keys a view may sort by ("" is the default order, by countdown).
SORT_COLUMNS = (
    "number",
    "priority",
    "customer",
    "title",
    "status",
    "window",
    "countdown",
    "escalation",
    "assignee",
)

_STATES = tuple(state.value for state in ClockState)  # declaration order: running, at risk…
_STATUSES = (*(status.value for status in Status), ALL_STATUSES)
_PRIORITY = re.compile(rf"[0-9A-Za-z_-]{{1,{_PRIORITY_MAX}}}")
# Control characters (C0, DEL, C1) and lone surrogates: never kept in text from a peer.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

_STATUS_WORDS = {
    "": "open",
    Status.OPEN.value: "open, not waiting",
    Status.WAITING_ON_CUSTOMER.value: "waiting on the customer",
    Status.EXCLUDED.value: "excluded",
    Status.RESOLVED.value: "resolved",
    ALL_STATUSES: "open and resolved",
}


def _canonical_priorities(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _canonical_states(values: Iterable[str]) -> tuple[str, ...]:
    chosen = set(values)
    known = tuple(s for s in _STATES if s in chosen)
    return known + tuple(sorted(chosen - set(_STATES)))


@dataclass(frozen=True, slots=True)
class ViewFilter:
    """The queue's filters and sort order as a view keeps them.

    ``mine`` and ``unassigned`` combine with *or*, as in the queue. ``priorities`` are kept
    sorted and ``states`` in ``ClockState`` order, so equal filters compare equal.
    """

    mine: bool = False
    unassigned: bool = False
    priorities: tuple[str, ...] = ()  # sorted ids e.g. ("P1", "P2"); empty = any priority
    status: str = ""  # "" = open ones; a Status value; or "all" (resolved too)
    window_id: str = ""
    states: tuple[str, ...] = ()  # ClockState values ("breached", "at_risk", ...); empty = any
    text: str = ""
    sort_column: str = ""  # "" = default order (countdown); else one of SORT_COLUMNS
    sort_descending: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "priorities", _canonical_priorities(self.priorities))
        object.__setattr__(self, "states", _canonical_states(self.states))

    def to_json(self) -> str:
        """Compact JSON with sorted keys: equal filters give equal text."""
        return json.dumps(
            {
                "mine": self.mine,
                "unassigned": self.unassigned,
                "priorities": list(self.priorities),
                "status": self.status,
                "window_id": self.window_id,
                "states": list(self.states),
                "text": self.text,
                "sort_column": self.sort_column,
                "sort_descending": self.sort_descending,
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ViewFilter:
        """The filter ``text`` describes, as far as it makes sense; never raises.

        Unknown keys are ignored; a value of the wrong type, an unknown status or sort
        column becomes the default; unknown clock states and priorities that are not short
        ids are left out; at most ``PRIORITIES_MAX`` priorities and ``TEXT_MAX`` characters
        of search text are kept."""
        if not isinstance(text, str) or len(text) > _JSON_MAX:
            return cls()
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(
            mine=_flag(data, "mine"),
            unassigned=_flag(data, "unassigned"),
            priorities=_priorities(data.get("priorities")),
            status=_choice(data.get("status"), _STATUSES),
            window_id=_window_id(data.get("window_id")),
            states=_states(data.get("states")),
            text=_text(data.get("text")),
            sort_column=_choice(data.get("sort_column"), SORT_COLUMNS),
            sort_descending=_flag(data, "sort_descending"),
        )

    def describe(self, windows: Mapping[str, str] | None = None) -> str:
        """One line in words, for tooltips: "Unassigned · P1, P2 · at risk or breached · open".

        ``windows`` maps window ids to names, to name the window filtered by."""
        parts = []
        if self.mine and self.unassigned:
            parts.append("Mine or unassigned")
        elif self.mine:
            parts.append("Mine")
        elif self.unassigned:
            parts.append("Unassigned")
        if self.priorities:
            parts.append(", ".join(self.priorities))
        if self.states:
            parts.append(" or ".join(_state_words(s) for s in self.states))
        parts.append(_STATUS_WORDS.get(self.status, self.status))
        if self.window_id:
            name = (windows or {}).get(self.window_id)
            parts.append(f"{name} window" if name else "one support window")
        if self.text:
            shown = self.text if len(self.text) <= 40 else self.text[:39] + "…"
            parts.append(f"matching “{shown}”")
        if self.sort_column:
            order = "descending" if self.sort_descending else "ascending"
            parts.append(f"by {self.sort_column}, {order}")
        elif self.sort_descending:
            parts.append("by countdown, descending")
        if parts == [_STATUS_WORDS[""]]:
            return "Every open incident"
        line = " · ".join(parts)
        return line[:1].upper() + line[1:]


def _state_words(value: str) -> str:
    try:
        return state_words(ClockState(value))
    except ValueError:
        return value


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    return value if isinstance(value, bool) else False


def _choice(value: object, allowed: tuple[str, ...]) -> str:
    return value if isinstance(value, str) and value in allowed else ""


def _window_id(value: object) -> str:
    if not isinstance(value, str) or len(value) > _WINDOW_ID_MAX or _UNPRINTABLE.search(value):
        return ""
    return value


def _priorities(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    found = sorted({p for p in value if isinstance(p, str) and _PRIORITY.fullmatch(p)})
    return tuple(found[:PRIORITIES_MAX])


def _states(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    chosen = {v for v in value if isinstance(v, str)}
    return tuple(s for s in _STATES if s in chosen)


def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return _UNPRINTABLE.sub("", value)[:TEXT_MAX]


@dataclass(frozen=True, slots=True)
class SavedView:
    """A named filter; ``shared`` ones are listed for the whole team, others for their owner."""

    id: str
    name: str
    owner_id: str  # the agent who made it
    shared: bool
    filter: ViewFilter
