"""``main.py backup`` and ``main.py restore``: the lines printed, the words on a refusal, and
the exit codes of DESIGN §10 (0 done, 1 refused, 2 usage), through the real entry point."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from db.sync.client import SETTINGS_KEY
from safekeeping.backup import read_manifest
from safekeeping.backup_cli import SYNC_SETTINGS_KEY
from tests.safekeeping.conftest import World, titles_in

ROOT = Path(__file__).resolve().parents[2]


def run_main(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _meta(path: Path, key: str) -> str | None:
    connection = sqlite3.connect(path)
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    finally:
        connection.close()
    return None if row is None else str(row[0])


def test_backup_prints_the_file_and_its_checksum_and_notes_it_in_the_database(
    world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "nas"
    folder.mkdir()
    world.store.close()
    done = run_main("backup", "--db", str(world.path), "--to", str(folder), "--keep-daily", "3")
    assert done.returncode == 0, done.stderr
    [copy] = read_manifest(folder)
    assert done.stdout.splitlines()[:2] == [
        f"Backed up {world.path} to {folder / copy.file}",
        f"sha256 {copy.sha256}  {copy.file}",
    ]
    assert re.fullmatch(r"console-\d{8}-\d{6}Z\.sqlite3", copy.file)
    last = json.loads(_meta(world.path, "last_backup") or "{}")
    assert last["file"] == copy.file and last["sha256"] == copy.sha256


def test_backup_to_a_missing_folder_exits_1_in_words(world: World, tmp_path: Path) -> None:
    world.store.close()
    done = run_main("backup", "--db", str(world.path), "--to", str(tmp_path / "unplugged"))
    assert done.returncode == 1
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "args",
    [("backup",), ("backup", "--to", "x", "--keep-daily", "none"), ("restore",)],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    done = run_main(*args)
    assert done.returncode == 2
    assert "usage:" in done.stderr


def test_restore_puts_the_copy_back_and_says_where_the_replaced_file_is(
    world: World, tmp_path: Path
) -> None:
    world.store.close()
    folder = tmp_path / "nas"
    folder.mkdir()
    assert run_main("backup", "--db", str(world.path), "--to", str(folder)).returncode == 0
    [copy] = read_manifest(folder)
    before = titles_in(world.path)
    connection = sqlite3.connect(world.path)
    connection.execute("UPDATE incidents SET title = 'changed after the backup'")
    connection.commit()
    connection.close()

    done = run_main("restore", str(folder / copy.file), "--db", str(world.path))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Restored {folder / copy.file} to {world.path}"
    assert lines[1].startswith(f"The replaced file was kept as {world.path}.replaced-")
    assert titles_in(world.path) == before
    assert "sync" not in done.stdout.lower()


def test_restore_with_sync_set_up_says_the_servers_copy_is_pulled_back(
    world: World, tmp_path: Path
) -> None:
    world.store.close()
    folder = tmp_path / "nas"
    folder.mkdir()
    run_main("backup", "--db", str(world.path), "--to", str(folder))
    [copy] = read_manifest(folder)
    connection = sqlite3.connect(world.path)
    connection.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)", (SETTINGS_KEY, '{"url": "pg"}')
    )
    connection.commit()
    connection.close()
    done = run_main("restore", str(folder / copy.file), "--db", str(world.path))
    assert done.returncode == 0, done.stderr
    assert "pulls the server's copy" in done.stdout


def test_restore_of_a_damaged_copy_exits_1_and_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    world.store.close()
    folder = tmp_path / "nas"
    folder.mkdir()
    run_main("backup", "--db", str(world.path), "--to", str(folder))
    [copy] = read_manifest(folder)
    with (folder / copy.file).open("r+b") as file:
        file.seek(8192)
        file.write(b"\x00" * 4096)
    before = world.path.read_bytes()
    done = run_main("restore", str(folder / copy.file), "--db", str(world.path))
    assert done.returncode == 1
    assert "damaged" in done.stderr and "Traceback" not in done.stderr
    assert world.path.read_bytes() == before


def test_the_sync_settings_key_is_the_one_sync_uses() -> None:
    assert SYNC_SETTINGS_KEY == SETTINGS_KEY
