"""Ordered lists kept by fractional-index keys: a move rewrites the moved row only.

Two workstations that add or move concurrently may produce equal keys; such ties are read in
id order and broken the next time the list is reordered, by re-keying only the tied rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from fractional_indexing import generate_key_between


class Ranked(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def rank(self) -> str: ...


R = TypeVar("R", bound=Ranked)


def ordered_by_rank(items: Sequence[R]) -> list[R]:
    """The order every replica shows: by key, ties by id."""
    return sorted(items, key=lambda item: (item.rank, item.id))


def place(items: Sequence[Ranked], item_id: str, index: int) -> dict[str, str]:
    """New keys that put ``item_id`` at ``index`` among the others, by id.

    ``items`` may or may not contain ``item_id`` (a new row). The result always holds a key
    for ``item_id`` and, only when tied keys are in the way, for the rows re-keyed to break them.
    """
    others = [(item.id, item.rank) for item in ordered_by_rank(items) if item.id != item_id]
    if not 0 <= index <= len(others):
        raise IndexError(f"position {index} is outside a list of {len(others) + 1}")
    desired: list[tuple[str, str | None]] = [*others[:index], (item_id, None), *others[index:]]
    changes: dict[str, str] = {}
    previous: str | None = None
    for position, (row_id, rank) in enumerate(desired):
        if rank and (previous is None or rank > previous):
            previous = rank
            continue
        upper = next(
            (
                later
                for _, later in desired[position + 1 :]
                if later and (previous is None or later > previous)
            ),
            None,
        )
        previous = generate_key_between(previous, upper)
        changes[row_id] = previous
    return changes


def key_at_end(items: Sequence[Ranked]) -> str:
    """A key after every row: where a new row goes."""
    last = max((item.rank for item in items if item.rank), default=None)
    return generate_key_between(last, None)
