"""Backups with SQLite's online backup API: checked, recorded, never blocking a writer long,
refused in words when the folder is missing or the disk is full."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from safekeeping import backup as backup_module
from safekeeping.backup import MANIFEST, BackupRefused, back_up, read_manifest
from tests.safekeeping.conftest import World, titles_in

#: The longest a writer may wait for one commit while a backup runs (printed by the test).
WRITER_PAUSE_BOUND_S = 0.5


def test_a_backup_is_a_checked_recorded_copy_under_its_final_name(
    world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    now = datetime(2026, 3, 10, 9, 12, 5, tzinfo=UTC)

    result = back_up(world.path, folder, now=now)

    assert result.path == folder / "console-20260310-091205Z.sqlite3"
    assert titles_in(result.path) == world.titles()
    digest = hashlib.sha256(result.path.read_bytes()).hexdigest()
    listed = json.loads((folder / MANIFEST).read_text())["copies"]
    assert listed == [
        {
            "file": "console-20260310-091205Z.sqlite3",
            "created_at": "2026-03-10T09:12:05Z",
            "size": result.path.stat().st_size,
            "sha256": digest,
            "schema_revision": result.copy.schema_revision,
            "source": str(world.path),
            "app_version": result.copy.app_version,
        }
    ]
    assert result.copy.schema_revision  # the migrated schema's revision
    # one self-contained file: no -wal needed to read it, nothing temporary left
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [".backups.lock", MANIFEST, result.path.name]
    )
    header = result.path.read_bytes()[:20]
    assert header[18:20] == b"\x01\x01"  # rollback journal, not WAL


def test_a_second_backup_in_the_same_second_gets_its_own_name(world: World, tmp_path: Path) -> None:
    now = datetime(2026, 3, 10, 9, 12, 5, tzinfo=UTC)
    first = back_up(world.path, tmp_path, now=now)
    second = back_up(world.path, tmp_path, now=now)
    assert second.path.name == "console-20260310-091205Z-2.sqlite3"
    assert second.path.exists()
    # the same day: rotation keeps the newer of the two, never the one just made away
    assert second.removed == (first.path.name,) and not first.path.exists()
    assert [c.file for c in read_manifest(tmp_path)] == [second.path.name]


def test_a_writer_is_never_blocked_long_and_the_copy_is_one_consistent_snapshot(
    world: World, tmp_path: Path
) -> None:
    """Another program commits between every step of the backup: the backup still finishes
    (it never starts over), the writer's commits stay quick, and the copy holds a prefix of
    the writer's rows (one instant), never a mixture."""
    connection = sqlite3.connect(world.path, isolation_level=None)
    connection.execute("CREATE TABLE scratch (seq INTEGER PRIMARY KEY, pad BLOB)")
    # enough pages for many steps
    connection.executemany(
        "INSERT INTO scratch (seq, pad) VALUES (?, randomblob(3000))",
        [(-n,) for n in range(1, 400)],
    )
    connection.close()

    committed = threading.Event()
    finished = threading.Event()
    pauses: list[float] = []
    written: list[int] = []

    def writer() -> None:
        con = sqlite3.connect(world.path, isolation_level=None, timeout=10)
        seq = 0
        while not finished.is_set():
            started = time.perf_counter()
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO scratch (seq, pad) VALUES (?, randomblob(200))", (seq,))
            con.execute("COMMIT")
            pauses.append(time.perf_counter() - started)
            written.append(seq)
            seq += 1
            committed.set()
        con.close()

    steps = 0

    def between_steps(remaining: int, total: int) -> None:
        nonlocal steps
        steps += 1
        assert steps < 2000, "the backup keeps starting over while the writer commits"
        committed.clear()
        assert committed.wait(10), "the writer could not commit while the backup ran"

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = back_up(
            world.path, tmp_path / "copies", create_folder=True, pages=8, after_step=between_steps
        )
    finally:
        finished.set()
        thread.join()

    longest = max(pauses)
    bound_ms = WRITER_PAUSE_BOUND_S * 1000
    print(
        f"\nbackup steps: {steps}, writer commits: {len(pauses)}, "
        f"longest writer commit: {longest * 1000:.1f} ms (bound {bound_ms:.0f} ms)"
    )
    assert steps > 20
    assert len(pauses) >= steps
    assert longest < WRITER_PAUSE_BOUND_S
    copy = sqlite3.connect(result.path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seqs = [r[0] for r in copy.execute("SELECT seq FROM scratch WHERE seq >= 0 ORDER BY seq")]
    finally:
        copy.close()
    assert seqs == list(range(len(seqs)))  # a prefix: what was committed at one instant
    assert len(seqs) < len(written)  # taken before the writes that happened during the backup


def test_a_missing_folder_is_refused_in_words_and_not_created(world: World, tmp_path: Path) -> None:
    share = tmp_path / "share" / "backups"
    with pytest.raises(BackupRefused) as refused:
        back_up(world.path, share)
    assert "does not exist" in refused.value.message
    assert str(share) in refused.value.message
    assert not share.exists()


def test_a_file_in_place_of_the_folder_is_refused(world: World, tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("x")
    with pytest.raises(BackupRefused, match="is not a folder"):
        back_up(world.path, tmp_path / "notes")


def test_a_missing_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackupRefused, match="There is no database"):
        back_up(tmp_path / "nothing.sqlite3", tmp_path)


def test_a_folder_on_the_databases_disk_is_allowed_with_a_warning(world: World) -> None:
    result = back_up(world.path, world.path.parent / "backups", create_folder=True)
    assert result.path.exists()
    assert any("same disk" in w for w in result.warnings)


def _no_copy_left(folder: Path) -> None:
    names = [p.name for p in folder.iterdir()]
    assert not [n for n in names if n.endswith(".sqlite3") or ".partial" in n], names
    assert not read_manifest(folder)


def test_a_full_disk_is_refused_before_writing(
    world: World, tiny_disk: Callable[[int], Path | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = tiny_disk(64 * 1024)
    if disk is None:  # no tmpfs here: the OS reports no free space instead
        disk = world.path.parent / "full"
        disk.mkdir()
        monkeypatch.setattr(backup_module, "_free", lambda _folder: 0)
    with pytest.raises(BackupRefused) as refused:
        back_up(world.path, disk)
    assert "is full" in refused.value.message and str(disk) in refused.value.message
    assert "the next backup tries again" in refused.value.message
    _no_copy_left(disk)


def test_a_disk_that_fills_up_during_the_copy_leaves_nothing_that_looks_complete(
    world: World, tiny_disk: Callable[[int], Path | None]
) -> None:
    size = world.path.stat().st_size
    disk = tiny_disk(size // 2)
    if disk is None:
        pytest.skip("no tmpfs can be mounted here; the free-space check is tested above")
    with pytest.raises(BackupRefused) as refused:
        back_up(world.path, disk, check_space=False)  # the disk fills while SQLite writes
    assert "is full" in refused.value.message
    _no_copy_left(disk)
