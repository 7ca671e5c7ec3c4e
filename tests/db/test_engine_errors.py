"""Every typed error at the persistence edge, reproduced for real, and the file left as it was.

How the environment failures are produced (they must work as root too, where permission bits
are not enforced):

* Read-only, two ways, each in a child process that runs ``open_database`` like ``main.py``
  would and reports the error class and exit code:
  - a read-only bind mount (EROFS) over the folder, made inside a private mount namespace
    with ``unshare --mount`` (plus ``--map-root-user`` when not root), so nothing leaks out
    of the child and nothing needs cleaning up;
  - permission bits (file 0o444, folder 0o555). As root the child runs under ``setpriv``
    with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped, so the kernel enforces the bits
    for root exactly as for anyone else.
  A variant is skipped (with the reason) only if the tool it needs is missing or refused.
* Disk full: SQLite's own SQLITE_FULL, raised for real by ``PRAGMA max_page_count``; and a
  real ENOSPC from a 1 MiB tmpfs mounted in a private mount namespace (needs root or user
  namespaces, else skipped).
* Locked: a second connection holding ``BEGIN IMMEDIATE``, our busy timeout 50 ms.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from db import migrate
from db.engine import Database, classify, open_database, translate_errors
from db.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnreadable,
    DiskError,
    DiskFull,
    StoreBug,
    StoreError,
)

ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = os.geteuid() == 0

INSERT = text("INSERT INTO meta (key, value) VALUES (:key, :value)")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def keys(database: Database) -> set[str]:
    with database.read() as session:
        return set(session.scalars(text("SELECT key FROM meta")))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A closed database at head holding ~100 pages of data, alone in its folder."""
    folder = tmp_path / "data"
    path = folder / "console.sqlite3"
    with open_database(path) as database, database.transaction() as session:
        rng = random.Random(7)
        session.execute(
            INSERT, [{"key": f"k{i}", "value": rng.randbytes(1000).hex()} for i in range(200)]
        )
    assert listing(folder) == ["console.sqlite3"]  # closed cleanly: no -wal/-shm left
    return path


@pytest.fixture
def database(db_path: Path) -> Iterator[Database]:
    with open_database(db_path, busy_timeout_ms=50) as database:
        yield database


# --------------------------------------------------------------------------------------------
# Locked


def test_a_held_write_lock_reports_locked_at_begin_and_the_write_works_once_released(
    database: Database,
) -> None:
    other = sqlite3.connect(database.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        started = False
        with pytest.raises(DatabaseLocked) as caught, database.transaction() as session:
            started = True  # never: the lock is taken (and refused) before the body runs
            session.execute(INSERT, {"key": "blocked", "value": ""})
        assert not started
        assert str(database.path) in caught.value.message
        assert "locked by another program" in caught.value.message
        assert caught.value.exit_code == DatabaseLocked.exit_code
        assert isinstance(caught.value.__cause__, OperationalError)
        with database.read() as session:  # WAL: reading still works meanwhile
            assert session.scalar(text("SELECT count(*) FROM meta")) == 200
    finally:
        other.execute("ROLLBACK")
        other.close()

    with database.transaction() as session:
        session.execute(INSERT, {"key": "after", "value": ""})
    assert "after" in keys(database) and "blocked" not in keys(database)


# --------------------------------------------------------------------------------------------
# Read-only (in a child process: see the module docstring)

OPEN_CHILD = """
import json, sys
from db.engine import open_database
from db.errors import StoreError
for path in sys.argv[1:]:
    try:
        open_database(path).close()
        print(json.dumps({"path": path, "error": None}))
    except StoreError as error:
        print(json.dumps({"path": path, "error": type(error).__name__,
                          "message": error.message, "exit_code": error.exit_code}))
"""


def _runnable(command: list[str]) -> str | None:
    """None if ``command`` works here, else why not."""
    if shutil.which(command[0]) is None:
        return f"{command[0]} is not installed"
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0:
        return f"{' '.join(command)} is not permitted here: {result.stderr.decode().strip()}"
    return None


def _unshare() -> list[str]:
    """A private mount namespace (as root, or as anyone through a user namespace)."""
    plain, mapped = ["unshare", "--mount"], ["unshare", "--mount", "--map-root-user"]
    reasons = []
    for command in [plain, mapped] if IS_ROOT else [mapped]:
        why_not = _runnable([*command, "true"])
        if why_not is None:
            return command
        reasons.append(why_not)
    pytest.skip("; ".join(reasons))


def _open_in_child(paths: list[Path], prefix: list[str]) -> list[dict[str, object]]:
    result = subprocess.run(
        [*prefix, sys.executable, "-c", OPEN_CHILD, *map(str, paths)],
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def _assert_refused_read_only(reports: list[dict[str, object]], paths: list[Path]) -> None:
    assert [r["path"] for r in reports] == [str(p) for p in paths]
    for report in reports:
        assert report["error"] == "DatabaseReadOnly", report
        assert report["exit_code"] == DatabaseReadOnly.exit_code
        assert str(report["path"]) in str(report["message"])


def test_read_only_mount_is_refused_untouched(db_path: Path) -> None:
    unshare = _unshare()
    folder = db_path.parent
    before, files = sha256(db_path), listing(folder)
    paths = [db_path, folder / "new.sqlite3"]
    mount_ro = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    reports = _open_in_child(paths, [*unshare, "sh", "-c", mount_ro, "sh", str(folder)])
    _assert_refused_read_only(reports, paths)
    assert sha256(db_path) == before
    assert listing(folder) == files


def test_read_only_permissions_are_refused_untouched(db_path: Path) -> None:
    prefix: list[str] = []
    if IS_ROOT:  # root ignores permission bits unless it gives up these capabilities
        caps = "-dac_override,-dac_read_search"
        prefix = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]
        why_not = _runnable([*prefix, "true"])
        if why_not:
            pytest.skip(why_not)
    folder = db_path.parent
    writable_file = folder / "writable-file.sqlite3"  # a writable file in a read-only folder
    shutil.copyfile(db_path, writable_file)
    before = {p.name: sha256(p) for p in (db_path, writable_file)}
    files = listing(folder)
    paths = [db_path, writable_file, folder / "new.sqlite3"]
    db_path.chmod(0o444)
    folder.chmod(0o555)
    try:
        reports = _open_in_child(paths, prefix)
    finally:
        folder.chmod(0o755)
        db_path.chmod(0o644)
    _assert_refused_read_only(reports, paths)
    assert {p.name: sha256(p) for p in (db_path, writable_file)} == before
    assert listing(folder) == files


def test_a_write_refused_by_sqlite_as_read_only_is_translated(db_path: Path) -> None:
    read_only = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
    try:
        with pytest.raises(DatabaseReadOnly) as caught, translate_errors(db_path):
            read_only.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    finally:
        read_only.close()
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)


def test_writing_inside_read_is_a_bug_not_a_read_only_file(database: Database) -> None:
    with pytest.raises(StoreBug), database.read() as session:
        session.execute(INSERT, {"key": "x", "value": "y"})
    assert "x" not in keys(database)


# --------------------------------------------------------------------------------------------
# Corrupt


def _refused_untouched(path: Path, error: type[StoreError]) -> StoreError:
    before, files = sha256(path), listing(path.parent)
    with pytest.raises(error) as caught:
        open_database(path)
    assert sha256(path) == before
    assert listing(path.parent) == files  # no -wal, -shm or backup appeared
    assert str(path) in caught.value.message
    return caught.value


def test_a_truncated_file_is_refused_untouched(db_path: Path) -> None:
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    error = _refused_untouched(db_path, DatabaseCorrupt)
    assert "truncated" in error.message
    assert error.exit_code == DatabaseCorrupt.exit_code


def test_random_bytes_over_middle_pages_are_refused_untouched(db_path: Path) -> None:
    data = bytearray(db_path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    pages = len(data) // page_size
    assert pages > 30
    rng = random.Random(11)
    first, last = pages // 3, 2 * pages // 3
    data[first * page_size : last * page_size] = rng.randbytes((last - first) * page_size)
    db_path.write_bytes(bytes(data))
    _refused_untouched(db_path, DatabaseCorrupt)


@pytest.mark.parametrize(
    "content",
    [b"name,email\nAda,ada@example.com\n" * 50, b"SQLite format 3\x00" + b"\xff" * 200],
    ids=["not-sqlite", "bad-header"],
)
def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "console.sqlite3"
    path.write_bytes(content)
    _refused_untouched(path, DatabaseCorrupt)


def test_a_sqlite_file_of_another_program_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE songs (title TEXT)")
    other.commit()
    other.close()
    error = _refused_untouched(path, DatabaseCorrupt)
    assert "no Support Console schema revision" in error.message


def test_corruption_met_later_is_translated(db_path: Path) -> None:
    data = bytearray(db_path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    middle = len(data) // page_size // 2
    data[middle * page_size : (middle + 4) * page_size] = random.Random(3).randbytes(4 * page_size)
    db_path.write_bytes(bytes(data))
    with open_database(db_path, quick_check=False) as database:
        assert database.check_integrity() != []
        with pytest.raises(DatabaseCorrupt), database.read() as session:
            session.execute(text("SELECT key, length(value) FROM meta")).all()


# --------------------------------------------------------------------------------------------
# Too new


def test_a_database_from_a_newer_version_is_refused_untouched(db_path: Path) -> None:
    stamp = sqlite3.connect(db_path)
    stamp.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    stamp.commit()
    stamp.close()
    error = _refused_untouched(db_path, DatabaseTooNew)
    assert isinstance(error, DatabaseTooNew)
    assert error.found == "ffffffffffff"
    assert error.supported == migrate.head_revision()
    assert "newer version" in error.message
    assert error.exit_code == DatabaseTooNew.exit_code


# --------------------------------------------------------------------------------------------
# Disk full


def test_sqlite_full_is_disk_full_and_the_transaction_is_rolled_back(database: Database) -> None:
    with database.read() as session:
        pages = session.scalar(text("PRAGMA page_count"))

    @event.listens_for(database.engine, "connect")
    def _limit(dbapi_connection: sqlite3.Connection, record: object) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    database.engine.dispose()  # new connections get the limit
    with pytest.raises(DiskFull) as caught, database.transaction() as session:
        session.execute(INSERT, {"key": "small", "value": "fits"})
        session.execute(INSERT, {"key": "big", "value": "x" * 200_000})
    assert "disk holding the database" in caught.value.message
    assert str(database.path) in caught.value.message
    assert caught.value.exit_code == DiskFull.exit_code
    assert not {"small", "big"} & keys(database)  # all or nothing
    with database.transaction() as session:  # smaller writes still fit
        session.execute(INSERT, {"key": "small", "value": "fits"})
    assert "small" in keys(database)
    assert database.check_integrity() == []


FULL_DISK_CHILD = """
import json, os, sys
from sqlalchemy import text
from db.engine import open_database
from db.errors import DiskFull
folder = sys.argv[1]
ballast = os.path.join(folder, "ballast")
with open(ballast, "wb") as file:
    file.write(os.urandom(200_000))
database = open_database(os.path.join(folder, "full.sqlite3"))
insert = text("INSERT INTO meta (key, value) VALUES (:key, :value)")
acknowledged, error = [], None
for n in range(1000):
    try:
        with database.transaction() as session:
            session.execute(insert, {"key": f"k{n}", "value": os.urandom(20_000).hex()})
    except DiskFull as full:
        error = full
        break
    acknowledged.append(f"k{n}")
os.remove(ballast)  # free some space: writing works again
with database.transaction() as session:
    session.execute(insert, {"key": "after", "value": ""})
with database.read() as session:
    stored = set(session.scalars(text("SELECT key FROM meta")))
print(json.dumps({
    "error": type(error).__name__ if error else None,
    "message": error.message if error else None,
    "acknowledged": len(acknowledged),
    "lost": sorted(set(acknowledged) - stored),
    "after": "after" in stored,
    "problems": database.check_integrity(),
}))
database.close()
"""


def test_a_full_disk_is_disk_full_and_loses_nothing_acknowledged(tmp_path: Path) -> None:
    unshare = _unshare()
    folder = tmp_path / "tiny"
    folder.mkdir()
    mount = 'mount -t tmpfs -o size=1m tmpfs "$1" && exec "$2" -c "$3" "$1"'
    result = subprocess.run(
        [*unshare, "sh", "-c", mount, "sh", str(folder), sys.executable, FULL_DISK_CHILD],
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["error"] == "DiskFull"
    assert "full" in report["message"]
    assert report["acknowledged"] > 0
    assert report["lost"] == []
    assert report["after"]
    assert report["problems"] == []
    assert listing(folder) == []  # it all happened on the tmpfs, gone with the namespace


def test_a_disk_io_error_is_disk_full_only_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    io_error = sqlite3.OperationalError("disk I/O error")  # SQLite's word for ENOSPC in -shm
    assert type(classify(io_error, tmp_path / "x.sqlite3")) is DiskError
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=4096))
    full = classify(io_error, tmp_path / "x.sqlite3")
    assert type(full) is DiskFull and "Free some disk space" in full.message


# --------------------------------------------------------------------------------------------
# Unreadable (the permission tests that need the kernel's help are in tests/test_main.py)


def test_a_permission_error_on_looking_at_the_file_is_refused_in_words(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Works as root too: the file's stat is made to fail the way a folder without x does."""
    real_stat = Path.stat

    def stat(self: Path, **kwargs: bool) -> os.stat_result:
        if self.name.startswith(db_path.name):
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, **kwargs)

    before, files = sha256(db_path), listing(db_path.parent)
    monkeypatch.setattr(Path, "stat", stat)
    with pytest.raises(DatabaseUnreadable) as caught:
        open_database(db_path)
    monkeypatch.undo()
    assert "no permission to open the file" in caught.value.message
    assert caught.value.exit_code == DatabaseUnreadable.exit_code
    assert sha256(db_path) == before and listing(db_path.parent) == files


# --------------------------------------------------------------------------------------------
# Cleaning up after a failed start


def test_abandoning_a_new_database_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    database = open_database(tmp_path / "new" / "deeper" / "console.sqlite3")
    with database.transaction() as session:
        session.execute(INSERT, {"key": "k", "value": "v"})
    database.abandon()  # as main.py does when the start fails after opening
    assert listing(tmp_path) == []


def test_abandoning_keeps_an_existing_file_and_what_another_program_holds(db_path: Path) -> None:
    database = open_database(db_path)
    database.abandon()
    assert listing(db_path.parent) == ["console.sqlite3"]
    assert keys(open_database(db_path)) >= {"k0"}

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER_CHILD, str(db_path)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        database = open_database(db_path)
        database.abandon()
        assert listing(db_path.parent) == [
            "console.sqlite3",
            "console.sqlite3-shm",
            "console.sqlite3-wal",
        ]  # the other program's -wal/-shm stay
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    assert listing(db_path.parent) == ["console.sqlite3"]


HOLDER_CHILD = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("SELECT count(*) FROM meta").fetchone()
print("holding", flush=True)
sys.stdin.read()
connection.execute("INSERT INTO meta (key, value) VALUES ('held', '')")
connection.close()
"""


def test_a_damaged_database_names_its_real_backups_or_says_there_are_none(tmp_path: Path) -> None:
    path = tmp_path / "console.sqlite3"
    none = DatabaseCorrupt(path, "truncated")
    assert none.backups == [] and "There is no backup copy of it" in none.message
    copies = [tmp_path / f"console.backup-000{n}-2026010{n}T000000Z.sqlite3" for n in range(1, 6)]
    for n, copy in enumerate(copies):
        copy.write_bytes(b"")
        os.utime(copy, (1_700_000_000 + n, 1_700_000_000 + n))
    (tmp_path / "console[1].backup-x.sqlite3").write_bytes(b"")  # another file's
    some = DatabaseCorrupt(path, "truncated")
    assert some.backups == copies[::-1]
    assert f"{copies[4].name}, {copies[3].name}, {copies[2].name} and 2 older" in some.message


# --------------------------------------------------------------------------------------------
# What is not translated


def test_constraint_violations_and_sql_mistakes_pass_through(database: Database) -> None:
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(INSERT, {"key": "k1", "value": "duplicate"})
    with pytest.raises(OperationalError), database.read() as session:
        session.execute(text("SELECT nope FROM meta"))


def test_sql_mistakes_naming_lock_like_words_are_not_translated(database: Database) -> None:
    with pytest.raises(OperationalError), database.read() as session:
        session.execute(text("SELECT * FROM busy_readonly_full_malformed"))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("database is locked", DatabaseLocked),
        ("attempt to write a readonly database", DatabaseReadOnly),
        ("database or disk is full", DiskFull),
        ("database disk image is malformed", DatabaseCorrupt),
        ("file is not a database", DatabaseCorrupt),
        ("no such table: busy", None),
    ],
)
def test_errors_without_a_result_code_are_read_by_their_message(
    tmp_path: Path, message: str, expected: type[StoreError] | None
) -> None:
    typed = classify(sqlite3.OperationalError(message), tmp_path / "x.sqlite3")
    assert type(typed) is expected if expected else typed is None


def test_exit_codes_are_distinct() -> None:
    codes = [
        cls.exit_code
        for cls in (
            StoreError,
            DatabaseLocked,
            DatabaseReadOnly,
            DiskFull,
            DatabaseCorrupt,
            DatabaseTooNew,
            DatabaseUnreadable,
            DiskError,
            StoreBug,
        )
    ]
    assert len(set(codes)) == len(codes)
    assert all(2 < code < 64 for code in codes)
