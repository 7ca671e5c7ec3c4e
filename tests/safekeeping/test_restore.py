"""Restore: a damaged copy or one from a newer version is refused and nothing changes; a good
one takes the database's place and the replaced file (with its -wal/-shm) is kept aside."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.services.ports import IncidentFilter
from db.engine import open_database
from db.migrate import head_revision
from db.store import SqliteStore
from safekeeping.backup import RestoreRefused, back_up, check_copy, restore, restore_live
from tests.safekeeping.conftest import World, titles_in

NOW = datetime(2026, 3, 11, 8, 30, tzinfo=UTC)


def _damage(path: Path, page: int) -> None:
    with path.open("r+b") as file:
        file.seek(4096 * page)
        file.write(b"\xff" * 4096)


def test_a_good_copy_takes_the_place_and_the_replaced_file_is_kept(
    world: World, tmp_path: Path
) -> None:
    copy = back_up(world.path, tmp_path / "usb", create_folder=True).path
    before = world.titles()
    world.open_incident("Opened after the backup")
    world.store.close()  # the console is closed for a restore from the command line

    result = restore(copy, world.path, now=NOW)

    aside = world.path.with_name("console.sqlite3.replaced-20260311-083000Z")
    assert result.replaced[0] == aside
    assert titles_in(world.path) == before
    assert "Opened after the backup" in titles_in(aside)  # nothing was lost
    assert all(not Path(f"{world.path}{s}").exists() for s in ("-wal", "-shm"))
    reopened = SqliteStore(open_database(world.path))  # the console opens it as usual
    try:
        with reopened.read() as tx:
            assert tx.incidents.count(IncidentFilter()) == len(before)
    finally:
        reopened.close()


def test_a_copy_restored_on_a_new_machine_needs_no_database_there(
    world: World, tmp_path: Path
) -> None:
    copy = back_up(world.path, tmp_path / "usb", create_folder=True).path
    target = tmp_path / "new-machine" / "console.sqlite3"
    result = restore(copy, target, now=NOW)
    assert result.replaced == ()
    assert titles_in(target) == world.titles()


def test_a_copy_whose_checksum_differs_from_the_list_is_refused(
    world: World, tmp_path: Path
) -> None:
    copy = back_up(world.path, tmp_path / "usb", create_folder=True).path
    _damage(copy, 3)
    world.store.close()
    before = world.path.read_bytes()
    with pytest.raises(RestoreRefused) as refused:
        restore(copy, world.path, now=NOW)
    assert "damaged" in refused.value.message and "checksum" in refused.value.message
    assert world.path.read_bytes() == before
    assert not list(world.path.parent.glob("*.replaced-*"))


def test_a_damaged_copy_without_a_list_is_refused_by_its_integrity_check(
    world: World, tmp_path: Path
) -> None:
    made = back_up(world.path, tmp_path / "usb", create_folder=True).path
    loose = tmp_path / "loose.sqlite3"
    loose.write_bytes(made.read_bytes())
    _damage(loose, 3)
    with pytest.raises(RestoreRefused, match="is damaged"):
        check_copy(loose)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "report.sqlite3"
    junk.write_text("not a database at all, but long enough to have a header " * 4)
    with pytest.raises(RestoreRefused, match="not a SQLite database"):
        check_copy(junk)


def test_a_copy_from_a_newer_version_is_refused_and_nothing_changes(
    world: World, tmp_path: Path
) -> None:
    newer = tmp_path / "from-the-future.sqlite3"
    newer.write_bytes(back_up(world.path, tmp_path / "usb", create_folder=True).path.read_bytes())
    connection = sqlite3.connect(newer)
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.close()
    world.store.close()
    before = world.path.read_bytes()
    with pytest.raises(RestoreRefused) as refused:
        restore(newer, world.path, now=NOW)
    message = refused.value.message
    assert "newer version" in message and "9999_future" in message
    assert str(head_revision()) in message
    assert world.path.read_bytes() == before


def test_a_database_open_in_another_program_is_not_replaced(world: World, tmp_path: Path) -> None:
    copy = back_up(world.path, tmp_path / "usb", create_folder=True).path
    world.store.close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            " c.execute('SELECT count(*) FROM incidents').fetchall();"
            " print('open', flush=True); sys.stdin.readline()",
            str(world.path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(RestoreRefused, match="open in another program"):
            restore(copy, world.path, now=NOW)
    finally:
        holder.communicate("\n", timeout=30)
    assert not list(world.path.parent.glob("*.replaced-*"))


def test_a_restore_into_the_open_console_keeps_what_it_replaces(
    world: World, tmp_path: Path
) -> None:
    copy = back_up(world.path, tmp_path / "usb", create_folder=True).path
    before = world.titles()
    world.open_incident("Opened after the backup")

    result = restore_live(copy, world.path, now=NOW)

    assert titles_in(world.path) == before
    with world.store.read() as tx:  # the open store reads the restored database
        assert tx.incidents.count(IncidentFilter()) == len(before)
    assert "Opened after the backup" in titles_in(result.replaced[0])
    assert check_copy(result.replaced[0]).revision == head_revision()
