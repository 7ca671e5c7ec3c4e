"""A clean start checks only the header and the schema (DESIGN §5); the whole file is checked,
off the critical path, after a start that did not follow a clean close and once a week."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from db.engine import CHECK_EVERY, LAST_CHECK_KEY, open_database
from db.errors import DatabaseCorrupt


def make_database(path: Path) -> Path:
    open_database(path, backup=False).close()
    return path


def damage_an_index(path: Path, name: str = "ix_attachments_incident_id") -> None:
    """Garbage over one index page: the header and the schema still read, the b-tree not."""
    con = sqlite3.connect(path)
    try:
        query = "SELECT rootpage FROM sqlite_master WHERE name = ?"
        (root,) = con.execute(query, (name,)).fetchone()
        (page_size,) = con.execute("PRAGMA page_size").fetchone()
    finally:
        con.close()
    with path.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)


def reopen_due(path: Path) -> bool:
    database = open_database(path, backup=False, quick_check=False)
    try:
        return database.check_due
    finally:
        database.close()


def test_a_file_never_closed_cleanly_is_due_for_a_check(tmp_path: Path) -> None:
    path = make_database(tmp_path / "console.sqlite3")
    assert reopen_due(path)


def test_a_new_file_has_nothing_to_check(tmp_path: Path) -> None:
    database = open_database(tmp_path / "new.sqlite3", backup=False, quick_check=False)
    assert not database.check_due
    database.close()


def test_after_a_clean_close_and_a_good_check_the_next_start_checks_nothing(
    tmp_path: Path,
) -> None:
    path = make_database(tmp_path / "console.sqlite3")
    database = open_database(path, backup=False, quick_check=False)
    database.mark_in_use()
    assert database.quick_check() == []
    assert not database.check_due
    database.mark_closed_cleanly()
    database.close()
    assert not reopen_due(path)


def test_a_start_after_a_crash_is_due_for_a_check(tmp_path: Path) -> None:
    path = make_database(tmp_path / "console.sqlite3")
    database = open_database(path, backup=False, quick_check=False)
    assert database.quick_check() == []
    database.mark_closed_cleanly()
    database.close()
    database = open_database(path, backup=False, quick_check=False)
    database.mark_in_use()
    database.close()  # killed before it could say it closed cleanly
    assert reopen_due(path)


@pytest.mark.parametrize(
    ("age", "due"),
    [
        (CHECK_EVERY - timedelta(seconds=1), False),
        (CHECK_EVERY, True),
        (CHECK_EVERY + timedelta(seconds=1), True),
    ],
)
def test_a_clean_start_checks_the_whole_file_once_a_week(
    tmp_path: Path, age: timedelta, due: bool
) -> None:
    path = make_database(tmp_path / "console.sqlite3")
    database = open_database(path, backup=False, quick_check=False)
    database.mark_closed_cleanly()
    database.close()
    with sqlite3.connect(path) as con:  # the opening follows within far less than a second
        checked = datetime.now(UTC) - age
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (LAST_CHECK_KEY, checked.isoformat()),
        )
    con.close()
    assert reopen_due(path) is due


def test_damage_inside_the_file_is_found_by_the_check_not_by_the_opening(tmp_path: Path) -> None:
    path = make_database(tmp_path / "console.sqlite3")
    damage_an_index(path)
    before = path.read_bytes()
    database = open_database(path, backup=False, quick_check=False)  # header and schema: fine
    try:
        assert database.check_due
        problems = database.quick_check()
        assert problems, "the damaged index went unnoticed"
        assert database.check_due  # nothing recorded as checked
    finally:
        database.close()
    with pytest.raises(DatabaseCorrupt, match="damaged"):
        open_database(path, backup=False)  # the full check at opening still refuses it
    assert path.read_bytes() == before


def test_a_truncated_file_is_refused_by_the_header_check_alone(tmp_path: Path) -> None:
    path = make_database(tmp_path / "console.sqlite3")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatabaseCorrupt, match="truncated"):
        open_database(path, backup=False, quick_check=False)
    assert path.read_bytes() == data[: len(data) // 2]


def test_stopping_no_check_is_harmless(tmp_path: Path) -> None:
    database = open_database(make_database(tmp_path / "c.sqlite3"), quick_check=False)
    database.stop_check()
    assert database.quick_check() == []
    database.close()
