"""The GUI-thread collector keeps Python's schedule, full collections included."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest

from console.qt.gc import GuiThreadCollector


@pytest.fixture
def set_thresholds() -> Iterator[Callable[[int, int, int], None]]:
    saved, enabled = gc.get_threshold(), gc.isenabled()
    gc.disable()  # as the app runs: only the collector collects

    def apply(young: int, middle: int, old: int) -> None:
        gc.collect()
        gc.set_threshold(young, middle, old)

    yield apply
    gc.set_threshold(*saved)
    if enabled:
        gc.enable()


def cycles(count: int) -> list[list[object]]:
    """``count`` self-referencing lists: allocations the collector counts."""
    made = []
    for _ in range(count):
        cycle: list[object] = []
        cycle.append(cycle)
        made.append(cycle)
    return made


def test_nothing_is_collected_below_the_first_threshold(
    set_thresholds: Callable[[int, int, int], None],
) -> None:
    set_thresholds(1000, 10, 10)
    kept = cycles(5)
    assert GuiThreadCollector().collect() is None
    assert len(kept) == 5


def test_a_full_collection_waits_until_the_heap_has_grown_by_a_quarter(
    set_thresholds: Callable[[int, int, int], None],
) -> None:
    set_thresholds(10, 2, 2)
    collector = GuiThreadCollector()
    kept: list[object] = []

    def rounds(count: int, make: Callable[[], None]) -> list[int | None]:
        done = []
        for _ in range(count):
            make()
            done.append(collector.collect())
        return done

    # Growing: the first full collection comes on Python's counts alone.
    assert 2 in rounds(40, lambda: kept.append(cycles(20)))
    # Steady (what is made is garbage at once): young collections go on, no full one.
    steady = rounds(80, lambda: cycles(20) and None)
    assert 1 in steady
    assert 2 not in steady
    # Grown by more than a quarter: a full collection comes again.
    kept.append(cycles(200_000))
    assert 2 in rounds(40, lambda: kept.append(cycles(20)))
