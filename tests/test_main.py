"""The command line is a contract with users (DESIGN §10)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.services.demo import build_demo
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
