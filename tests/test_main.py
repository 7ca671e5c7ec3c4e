"""The command line is a contract with users (DESIGN §10)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.services.demo import build_demo
from db.engine import open_database
from db.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnreadable,
    DiskFull,
)
from tests.db.test_reproject import build_at_0002
from tests.services.conftest import make_store

ROOT = Path(__file__).resolve().parents[1]


def test_help_documents_every_flag() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    for flag in ("--db", "--demo", "--board", "--rebuild-demo", "--theme"):
        assert flag in result.stdout


# -- report attainment | report incidents ------------------------------------------------------


def run_main(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "demo.sqlite3"
    store = make_store(path)
    build_demo(store, now=datetime.now(UTC), incidents=60)
    store.close()
    return path


def test_help_documents_the_report_commands() -> None:
    top = run_main("--help")
    assert "report" in top.stdout and "report attainment" in top.stdout
    for kind, default in (("attainment", "json"), ("incidents", "csv")):
        result = run_main("report", kind, "--help")
        assert result.returncode == 0
        for flag in ("--db", "--from", "--to", "--format"):
            assert flag in result.stdout
        assert f"(default: {default})" in result.stdout
        assert "Exit status: 0" in result.stdout
    incidents = run_main("report", "incidents", "--help").stdout
    for column in ("number", "deadline_utc", "counted_at_utc", "escalation_2"):
        assert column in incidents


def test_report_totals_equal_the_incidents_report(demo_db: Path) -> None:
    attainment = run_main("report", "attainment", "--db", str(demo_db))
    assert attainment.returncode == 0, attainment.stderr
    figures = json.loads(attainment.stdout)
    assert set(figures) == {"groups", "totals"}
    assert set(figures["groups"][0]) == {
        "priority",
        "plan",
        "month",
        "met",
        "missed",
        "pending",
        "excluded",
    }
    incidents = run_main("report", "incidents", "--db", str(demo_db))
    assert incidents.returncode == 0, incidents.stderr
    assert not incidents.stdout.startswith("#")  # no filter line in script output
    rows = list(csv.DictReader(io.StringIO(incidents.stdout)))
    first = Counter(r["outcome"] for r in rows if r["clock"] == "first_response")
    assert figures["totals"] == {k: first[k] for k in ("met", "missed", "pending", "excluded")}
    as_json = json.loads(run_main("report", "incidents", "--db", str(demo_db), "--format",
                                  "json").stdout)  # fmt: skip
    assert len(as_json) == len(rows)
    as_csv = run_main("report", "attainment", "--db", str(demo_db), "--format", "csv")
    assert as_csv.stdout.splitlines()[0] == "priority,plan,month,met,missed,pending,excluded"
    assert len(as_csv.stdout.splitlines()) == 1 + len(figures["groups"])


def test_report_periods_and_refusals(demo_db: Path, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    empty = run_main(
        "report", "attainment", "--db", str(demo_db), "--from", str(today + timedelta(days=1))
    )
    assert empty.returncode == 0
    assert json.loads(empty.stdout)["groups"] == []
    usage = run_main("report", "attainment", "--db", str(demo_db), "--from", "last week")
    assert usage.returncode == 2 and "not an ISO date" in usage.stderr
    backwards = run_main(
        "report", "incidents", "--db", str(demo_db), "--from", "2026-05-01", "--to", "2026-04-01"
    )
    assert backwards.returncode == 2 and "is not before" in backwards.stderr
    assert backwards.stdout == ""
    missing = run_main("report", "attainment", "--db", str(tmp_path / "nowhere.sqlite3"))
    assert missing.returncode == 1 and "There is no database" in missing.stderr
    assert not (tmp_path / "nowhere.sqlite3").exists()  # a report never creates one
    assert run_main("report").returncode == 2


def test_report_on_a_database_from_revision_0002_counts_by_the_current_rule(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    build_at_0002(path)  # one incident resolved without a response, stored as met
    result = run_main("report", "attainment", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert "Re-deriving 3 incidents" in result.stderr
    assert json.loads(result.stdout)["totals"] == {
        "met": 1,
        "missed": 2,
        "pending": 0,
        "excluded": 0,
    }
    again = run_main("report", "attainment", "--db", str(path))
    assert again.stderr == "" and again.stdout == result.stdout


# -- start-up refusals: words and an exit code, the folder left as it was -----------------------

START_CHILD = """
import functools, sys
import main
from db.engine import open_database
main.show_start_error = lambda message: print("DIALOG:", message, file=sys.stderr)
main.open_database = functools.partial(open_database, busy_timeout_ms=50)
sys.exit(main.main(sys.argv[1:]))
"""
IS_ROOT = os.geteuid() == 0
# As root the kernel ignores permission bits unless these capabilities are given up.
DROP_CAPS = "-dac_override,-dac_read_search"
AS_ANYONE = ["setpriv", f"--inh-caps={DROP_CAPS}", f"--bounding-set={DROP_CAPS}", "--"]


def start(*args: str, home: Path, prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """``main.py`` in a child process, its start-up dialog written to stderr instead."""
    return subprocess.run(
        [*prefix, sys.executable, "-c", START_CHILD, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
        },
    )


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else ""
        for p in sorted(folder.rglob("*"))
    }


def assert_refused(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """Refused in words (on stderr and in the dialog), with ``code``, and no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr, result.stderr
    message = result.stderr.splitlines()[0]
    for word in words:
        assert word in message, message
    assert f"DIALOG: {message}" in result.stderr.splitlines()
    return message


def make_database(path: Path) -> Path:
    open_database(path).close()
    return path


def without_permission_bits() -> list[str]:
    """The prefix that makes the kernel enforce permission bits for this test (or skip)."""
    if not IS_ROOT:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and setpriv (to give up root's file access) is missing")
    probe = subprocess.run([*AS_ANYONE, "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"running as root, and setpriv is not permitted: {probe.stderr.strip()}")
    return AS_ANYONE


def test_a_folder_that_cannot_be_entered_is_refused_in_words(tmp_path: Path) -> None:
    prefix = without_permission_bits()
    folder = tmp_path / "locked-away"
    path = make_database(folder / "console.sqlite3")
    before = snapshot(folder)
    folder.chmod(0o600)  # readable and writable, but not searchable
    try:
        existing = start("--db", str(path), home=tmp_path, prefix=prefix)
        new = start("--db", str(folder / "sub" / "new.sqlite3"), home=tmp_path, prefix=prefix)
        reported = run_main_as(prefix, "report", "incidents", "--db", str(path))
    finally:
        folder.chmod(0o755)
    for result in (existing, new):
        assert_refused(
            result, DatabaseUnreadable.exit_code, "no permission to open the folder", str(folder)
        )
    assert reported.returncode == 1 and "Traceback" not in reported.stderr
    assert "no permission to open the folder" in reported.stderr
    assert snapshot(folder) == before


def test_a_file_that_cannot_be_read_is_refused_in_words(tmp_path: Path) -> None:
    prefix = without_permission_bits()
    path = make_database(tmp_path / "data" / "console.sqlite3")
    before = snapshot(path.parent)
    path.chmod(0o000)
    try:
        result = start("--db", str(path), home=tmp_path, prefix=prefix)
    finally:
        path.chmod(0o644)
    assert_refused(result, DatabaseUnreadable.exit_code, "no permission to open the file")
    assert snapshot(path.parent) == before


def test_a_read_only_folder_is_refused_in_words(tmp_path: Path) -> None:
    prefix = without_permission_bits()
    path = make_database(tmp_path / "data" / "console.sqlite3")
    before = snapshot(path.parent)
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        result = start("--db", str(path), home=tmp_path, prefix=prefix)
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    assert_refused(result, DatabaseReadOnly.exit_code, "cannot be written", "Nothing was changed")
    assert snapshot(path.parent) == before


def run_main_as(prefix: Sequence[str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )


def test_a_locked_database_is_refused_and_the_holders_files_are_kept(tmp_path: Path) -> None:
    path = make_database(tmp_path / "data" / "console.sqlite3")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program is writing
        # (names only: reading its -shm here would drop the holder's locks, POSIX-style)
        names = sorted(os.listdir(path.parent))
        assert names == ["console.sqlite3", "console.sqlite3-shm", "console.sqlite3-wal"]
        result = start("--db", str(path), home=tmp_path)
        assert sorted(os.listdir(path.parent)) == names  # its -wal/-shm are not ours to remove
        holder.execute("CREATE TABLE still_writing (x)")
        holder.execute("COMMIT")
    finally:
        holder.close()
    assert_refused(result, DatabaseLocked.exit_code, "locked by another program", str(path))


def test_a_damaged_database_points_only_at_backups_that_exist(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    path = make_database(folder / "console.sqlite3")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    (folder / "other.backup-0001-20260101T000000Z.sqlite3").write_bytes(data)  # not this one's
    (folder / "console.backup-0003-20260301T000000Z.sqlite3.part").write_bytes(b"")  # unfinished
    before = snapshot(folder)
    none = assert_refused(
        start("--db", str(path), home=tmp_path), DatabaseCorrupt.exit_code, "damaged"
    )
    assert "There is no backup copy of it" in none and ".backup-" not in none
    assert snapshot(folder) == before

    older = folder / "console.backup-0002-20260201T000000Z.sqlite3"
    newer = folder / "console.backup-0003-20260301T000000Z.sqlite3"
    for n, copy in enumerate((older, newer)):
        copy.write_bytes(data)
        os.utime(copy, (1_700_000_000 + n, 1_700_000_000 + n))
    before = snapshot(folder)
    some = assert_refused(
        start("--db", str(path), home=tmp_path), DatabaseCorrupt.exit_code, "damaged"
    )
    assert f"newest first: {newer.name}, {older.name}." in some
    assert "other.backup" not in some and ".part" not in some and "*" not in some
    assert snapshot(folder) == before


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = make_database(tmp_path / "data" / "console.sqlite3")
    stamp = sqlite3.connect(path)
    stamp.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    stamp.commit()
    stamp.close()
    before = snapshot(path.parent)
    result = start("--db", str(path), home=tmp_path)
    assert_refused(result, DatabaseTooNew.exit_code, "newer version", "left untouched")
    assert snapshot(path.parent) == before


FULL_DISK_CHILD = """
import hashlib, json, os, subprocess, sys
from db.engine import open_database
folder, child, home = sys.argv[1:4]
existing = os.path.join(folder, "console.sqlite3")
open_database(existing).close()
ballast = os.open(os.path.join(folder, "ballast"), os.O_WRONLY | os.O_CREAT)
try:  # fill the disk to the brim
    while True:
        os.write(ballast, b"x" * 512)
except OSError:
    pass
os.close(ballast)
def listing():
    return {n: hashlib.sha256(open(os.path.join(folder, n), "rb").read()).hexdigest()
            for n in sorted(os.listdir(folder))}
env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": home,
       "XDG_DATA_HOME": home}
report = {"free": os.statvfs(folder).f_bavail, "before": listing(), "runs": []}
for db in (existing, os.path.join(folder, "new.sqlite3")):
    run = subprocess.run([sys.executable, "-c", child, "--db", db], capture_output=True,
                         text=True, env=env, timeout=120)
    report["runs"].append({"code": run.returncode, "stderr": run.stderr})
report["after"] = listing()
print(json.dumps(report))
"""


def test_a_full_disk_is_refused_in_words_and_leaves_no_wal_or_shm(tmp_path: Path) -> None:
    """A real full disk: a 1 MiB tmpfs in a private mount namespace, filled to the brim."""
    plain, mapped = ["unshare", "--mount"], ["unshare", "--mount", "--map-root-user"]
    unshare = next(
        (
            command
            for command in ([plain, mapped] if IS_ROOT else [mapped])
            if shutil.which("unshare")
            and subprocess.run([*command, "true"], capture_output=True, check=False).returncode == 0
        ),
        None,
    )
    if unshare is None:
        pytest.skip("no private mount namespace here (unshare is missing or not permitted)")
    folder = tmp_path / "tiny"
    folder.mkdir()
    mount = 'mount -t tmpfs -o size=1m tmpfs "$1" && shift && exec "$@"'
    result = subprocess.run(
        [*unshare, "sh", "-c", mount, "sh", str(folder), sys.executable, "-c", FULL_DISK_CHILD,
         str(folder), START_CHILD, str(tmp_path / "home")],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["free"] == 0
    assert set(report["before"]) == {"ballast", "console.sqlite3"}
    for run in report["runs"]:
        assert run["code"] == DiskFull.exit_code, run["stderr"]
        assert "Traceback" not in run["stderr"], run["stderr"]
        assert "is full" in run["stderr"] and "Free some disk space" in run["stderr"]
    assert report["after"] == report["before"]  # no -wal, -shm or new file left behind


# -- start-up check: header and schema on a clean start, the whole file later when due ---------

CHECK_CHILD = """
import sys
from PySide6.QtWidgets import QApplication
import main
shown = main.show_damage
def show_damage(window, error):
    shown(window, error)
    print("BOX:", window.findChild(main.QMessageBox).text(), file=sys.stderr)
    QApplication.quit()
main.show_damage = show_damage
sys.exit(main.main(sys.argv[1:]))
"""


def start_console(
    path: Path, home: Path, *, exit_after_paint: bool
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    if exit_after_paint:
        env["SUPPORT_CONSOLE_EXIT_AFTER_PAINT"] = "1"
    return subprocess.run(
        [sys.executable, "-c", CHECK_CHILD, "--db", str(path)],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120, env=env,
    )  # fmt: skip


def signed_in_copy(demo_db: Path, folder: Path) -> Path:
    from tests.bench.startup import remember_an_agent

    folder.mkdir()
    path = folder / "console.sqlite3"
    shutil.copyfile(demo_db, path)
    remember_an_agent(path)
    return path


def test_a_clean_start_checks_only_header_and_schema(demo_db: Path, tmp_path: Path) -> None:
    from tests.db.test_startup_check import damage_an_index

    path = signed_in_copy(demo_db, tmp_path / "data")
    database = open_database(path, quick_check=False)
    assert database.quick_check() == []  # checked this week
    database.mark_closed_cleanly()
    database.close()
    damage_an_index(path)  # what only a whole-file check would see
    result = start_console(path, tmp_path, exit_after_paint=True)
    assert result.returncode == 0, result.stderr
    assert "PAINTED" in result.stdout  # the queue came up with its rows
    assert "damage" not in result.stderr


def test_after_an_unclean_close_damage_is_told_in_words_once_the_queue_is_up(
    demo_db: Path, tmp_path: Path
) -> None:
    from tests.db.test_startup_check import damage_an_index

    path = signed_in_copy(demo_db, tmp_path / "data")
    database = open_database(path, quick_check=False)
    assert database.quick_check() == []
    database.mark_in_use()
    database.close()  # as if killed: it never said it closed cleanly
    damage_an_index(path)
    result = start_console(path, tmp_path, exit_after_paint=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    box = next(line for line in result.stderr.splitlines() if line.startswith("BOX:"))
    assert f"The check of the database {path} found damage" in box
    assert "Settings → Backups…" in box and "restore" in box.lower()
