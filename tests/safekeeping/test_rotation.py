"""Rotation over simulated weeks: the newest copy of each of the last 7 days and of each of
the last 4 ISO weeks is kept, the newest copy always, and files the list does not name never
go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from safekeeping.backup import Rotation, back_up, read_manifest
from tests.clock import ManualClock
from tests.safekeeping.conftest import World

# Monday 5 January 2026 (ISO week 2), 09:00 UTC
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.sqlite3")}


def test_eight_weeks_of_daily_backups_keep_seven_days_and_four_weeks(
    world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "nas"
    folder.mkdir()
    (folder / "notes.txt").write_text("kept by hand")
    (folder / "console-20251201-090000Z.sqlite3").write_bytes(b"copied in by hand")
    clock = ManualClock(START)
    made: list[datetime] = []
    for _day in range(56):  # eight weeks, one copy a day, plus a second copy each Friday
        back_up(world.path, folder, now=clock.now())
        made.append(clock.now())
        if clock.now().weekday() == 4:
            later = clock.now() + timedelta(hours=8)
            back_up(world.path, folder, now=later)
            made.append(later)
        clock.advance(days=1)

    last = made[-1]  # Sunday 1 March 2026
    days = sorted({m.date() for m in made}, reverse=True)[:7]
    newest_per_day = {max(m for m in made if m.date() == d) for d in days}
    weeks = sorted({m.isocalendar()[:2] for m in made}, reverse=True)[:4]
    newest_per_week = {max(m for m in made if m.isocalendar()[:2] == w) for w in weeks}
    expected = {f"console-{m:%Y%m%d-%H%M%S}Z.sqlite3" for m in newest_per_day | newest_per_week}

    assert last == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert _names(folder) == expected | {"console-20251201-090000Z.sqlite3"}
    assert len(expected) == 7 + 3  # this week's Sunday copy is also one of the seven days
    assert (folder / "notes.txt").read_text() == "kept by hand"
    assert {c.file for c in read_manifest(folder)} == expected
    # the Friday of each kept week: its evening copy is the one kept for that day
    assert "console-20260227-170000Z.sqlite3" in expected
    assert "console-20260227-090000Z.sqlite3" not in expected


def test_a_console_left_off_for_weeks_keeps_its_old_copies(world: World, tmp_path: Path) -> None:
    clock = ManualClock(START)
    for _day in range(3):
        back_up(world.path, tmp_path, now=clock.now())
        clock.advance(days=1)
    clock.advance(days=40)  # nobody ran the console for six weeks
    back_up(world.path, tmp_path, now=clock.now())
    assert len(read_manifest(tmp_path)) == 4  # counted in days that have copies, not dates


def test_the_only_good_copy_is_never_rotated_away(world: World, tmp_path: Path) -> None:
    clock = ManualClock(START)
    rotation = Rotation(daily=1, weekly=1)
    for _n in range(5):
        result = back_up(world.path, tmp_path, now=clock.now(), rotation=rotation)
        clock.advance(minutes=10)
    assert _names(tmp_path) == {result.path.name}
    assert [c.file for c in read_manifest(tmp_path)] == [result.path.name]


def test_copies_of_another_database_in_the_same_folder_are_rotated_apart(
    world: World, tmp_path: Path
) -> None:
    other = tmp_path / "demo.sqlite3"
    other.write_bytes(world.path.read_bytes())
    clock = ManualClock(START)
    rotation = Rotation(daily=1, weekly=1)
    back_up(other, tmp_path / "b", now=clock.now(), rotation=rotation, create_folder=True)
    for _n in range(3):
        clock.advance(days=1)
        back_up(world.path, tmp_path / "b", now=clock.now(), rotation=rotation)
    names = _names(tmp_path / "b")
    assert "demo-20260105-090000Z.sqlite3" in names
    assert names == {"demo-20260105-090000Z.sqlite3", "console-20260108-090000Z.sqlite3"}
