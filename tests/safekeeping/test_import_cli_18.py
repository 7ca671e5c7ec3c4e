"""``main.py import customers FILE --db PATH [--dry-run] [--valid-only]`` for scripts: refused
rows one per line on stderr, the summary on stdout, DESIGN §10's exit codes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.domain.ids import HybridLogicalClock
from console.services.seed import seed_defaults
from safekeeping.import_cli import import_customers_command
from tests.services.conftest import FakeClock, make_store
from tests.services.onboarding_sheets import COLUMN, team_rows, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "console.sqlite3"
    clock = FakeClock()
    store = make_store(path)
    seed_defaults(store, clock, HybridLogicalClock("ws-cli", lambda: 1_773_000_000_000))
    store.close()
    return path


def counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as connection:
        customers = connection.execute("SELECT count(*) FROM customers").fetchone()[0]
        contacts = connection.execute("SELECT count(*) FROM contacts").fetchone()[0]
    return customers, contacts


def run(*argv: str) -> int:
    return import_customers_command(list(argv), lambda: Path("/nonexistent/default.sqlite3"))


def broken(tmp_path: Path) -> tuple[Path, list[list[str]]]:
    good = team_rows(300, 1000)
    rows = [list(r) for r in good]
    rows[212][COLUMN["Emails"]] = "j.doe@@example.com"  # file row 214
    rows[0][COLUMN["Plan"]] = "Platinum"  # the first customer's only plan cell … its first row
    return write_csv(tmp_path / "team.csv", rows, delimiter=";", encoding="cp1252"), good


def test_a_refused_row_imports_nothing_and_each_one_is_a_line_on_stderr(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet, _ = broken(tmp_path)
    assert run(str(sheet), "--db", str(db)) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert lines[0] == (
        'row 2, plan: "Platinum" is not a plan of the current policy (one of: Standard, '
        "Advanced, Premium, Premium Plus)."
    )
    assert any(
        line.startswith('row 214, email: "j.doe@@example.com" is not a valid') for line in lines
    )
    assert all(line.startswith("row ") for line in lines)
    assert out.startswith("Nothing imported: ")
    assert counts(db) == (0, 0)


def test_dry_run_says_what_would_change_and_writes_nothing(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet, good = broken(tmp_path)
    assert run(str(sheet), "--db", str(db), "--dry-run", "--valid-only") == 1
    out, _ = capsys.readouterr()
    first = sum(1 for r in good if r[COLUMN["Customer reference"]] == good[0][0])
    assert out == (
        "Dry run, nothing written: 299 customers created, 0 updated, 0 unchanged; "
        f"{1000 - first - 1} contacts created, 0 updated, 0 unchanged; {first + 1} rows refused.\n"
    )
    assert counts(db) == (0, 0)


def test_valid_only_then_the_fixed_file_completes_the_import_without_duplicates(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet, good = broken(tmp_path)
    assert run(str(sheet), "--db", str(db), "--valid-only") == 1
    capsys.readouterr()
    assert counts(db)[0] == 299
    fixed = write_xlsx(tmp_path / "fixed.xlsx", good)
    assert run(str(fixed), "--db", str(db)) == 0
    out, err = capsys.readouterr()
    first = sum(1 for r in good if r[COLUMN["Customer reference"]] == good[0][0])
    assert err == ""
    assert out == (
        "Imported: 1 customer created, 0 updated, 299 unchanged; "
        f"{first + 1} contacts created, 0 updated, {1000 - first - 1} unchanged.\n"
    )
    assert counts(db) == (300, 1000)
    assert run(str(fixed), "--db", str(db)) == 0
    assert capsys.readouterr().out.startswith("Imported: 0 customers created, 0 updated, 300")
    assert counts(db) == (300, 1000)


def test_problems_with_the_file_or_the_database_are_said_in_words(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(str(tmp_path / "missing.csv"), "--db", str(db)) == 1
    assert "There is no file at" in capsys.readouterr().err
    assert run(str(tmp_path / "x.csv"), "--db", str(tmp_path / "none.sqlite3")) == 1
    assert "There is no database at" in capsys.readouterr().err
    odd = write_csv(tmp_path / "odd.csv", [["Acme", "Ana"]], ["Company", "Person"])
    assert run(str(odd), "--db", str(db)) == 1
    err = capsys.readouterr().err
    assert "Map a column to plan" in err and "Map a column to support window" in err
    assert 'Columns understood: "Company" → customer name, "Person" → contact name.' in err
    assert run("--db", str(db)) == 2  # no FILE: a usage error
    assert "Traceback" not in capsys.readouterr().err


def test_main_py_dispatches_import_customers(tmp_path: Path, db: Path) -> None:
    sheet = write_csv(tmp_path / "small.csv", team_rows(3, 5))
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "import", "customers", str(sheet), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Imported: 3 customers created, 0 updated, 0 unchanged; 5 contacts created, 0 updated, "
        "0 unchanged.\n"
    )
    assert counts(db) == (3, 5)


_CHILD = """
import sys
from pathlib import Path
from console.services.context import SystemClock
from console.services.onboarding import Onboarding
from db.engine import open_database
from db.store import SqliteStore

store = SqliteStore(open_database(Path(sys.argv[1]), backup=False, quick_check=False))
onboarding = Onboarding(store, SystemClock())
table = onboarding.read(sys.argv[2])
writes = 0

def halfway():
    global writes
    writes += 1
    if writes == 400:  # customers written, contacts under way: say so and wait to be killed
        print("half", flush=True)
        sys.stdin.readline()

onboarding.apply(table, onboarding.mapping_for(table), before_each=halfway)
"""


def test_an_import_killed_half_way_leaves_nothing_imported(tmp_path: Path, db: Path) -> None:
    sheet = write_csv(tmp_path / "team.csv", team_rows(300, 1000))
    with subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db), str(sheet)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ) as child:
        assert child.stdout is not None
        said = child.stdout.readline()
        child.kill()  # SIGKILL, mid-transaction
    assert said == "half\n"
    assert counts(db) == (0, 0)
    assert run(str(sheet), "--db", str(db)) == 0  # the next attempt imports it whole
    assert counts(db) == (300, 1000)
