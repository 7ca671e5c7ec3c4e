"""The read side: history pages, safe CSV exports, escalation standings (the wallboard is
in test_board.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from console.domain.outcomes import Outcome
from console.services.incidents import IncidentService
from console.services.ports import AttainmentRow, IncidentFilter
from console.services.review import (
    CSV_COLUMNS,
    Breakdown,
    Cancelled,
    ReviewService,
    Tally,
    neutralise,
    pivot,
)
from db.store import SqliteStore
from tests.services.conftest import START, Customers, FakeClock, report


@pytest.fixture
def review(store: SqliteStore, clock: FakeClock) -> ReviewService:
    return ReviewService(store, clock)


# -- spreadsheet safety ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        # a semicolon-locale spreadsheet splits this title into "x" and a formula
        ("x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"),
        (" =1+1", "' =1+1"),  # a spreadsheet that trims spaces would run it
        ("a,@SUM(1)", "a,'@SUM(1)"),
        ("\t=1", "'\t'=1"),  # split on tab: an empty cell, then a formula
        ('x;"=1"', 'x;\'"=1"'),  # a quoted formula runs too
        ("line one\n-2+3", "line one\n'-2+3"),
        ("Checkout returns 502", "Checkout returns 502"),
        ("Checkout, basket; and search", "Checkout, basket; and search"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(cell: str, safe: str) -> None:
    assert neutralise(cell) == safe


def runnable_cells(text: str) -> list[str]:
    """Every cell a spreadsheet could run, whether it reads the file as comma separated
    (honouring quotes) or splits each line on ";" or tab (as a semicolon locale does)."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for separator in (";", "\t"):
        cells += [cell for line in text.splitlines() for cell in line.split(separator)]
    return [cell for cell in cells if cell.lstrip(' "').startswith(("=", "+", "-", "@"))]


HOSTILE_TITLES = [
    "x;=cmd|' /C calc'!A0",
    " =1+1",
    "a,@SUM(1)",
    "\t=1",
    'x;"=1"',
    '=HYPERLINK("http://evil.example","Click")',
]


def test_no_split_of_the_export_gives_a_spreadsheet_a_formula(
    review: ReviewService, incidents: IncidentService, customers: Customers, tmp_path: Path
) -> None:
    for title in [*HOSTILE_TITLES, "Checkout returns 502"]:
        incidents.open_incident(report(customers.premium, title=title))
    path = tmp_path / "history.csv"
    assert review.export_csv(IncidentFilter(), path) == len(HOSTILE_TITLES) + 1
    text = path.read_text(encoding="utf-8-sig")
    assert runnable_cells(text) == []
    rows = read_csv(path)
    titles = {row[CSV_COLUMNS.index("Title")] for row in rows[2:]}
    assert "Checkout returns 502" in titles  # a normal title is left as it was
    assert {t.replace("'", "") for t in titles} == {
        t.replace("'", "").strip() for t in [*HOSTILE_TITLES, "Checkout returns 502"]
    }  # only quotes were added (the title's own spaces are trimmed when it is saved)


def test_the_export_says_its_filters_in_words_on_its_first_line(
    review: ReviewService,
    incidents: IncidentService,
    customers: Customers,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    incidents.open_incident(
        report(customers.standard, title="Grades page slow", priority="P2", proposed_priority="P2")
    )
    path = tmp_path / "standard.csv"
    since = clock.now() - timedelta(days=7)
    flt = IncidentFilter(
        text="Grades",
        customer_ids=(customers.standard.id,),
        priorities=("P1", "P2"),
        opened_from=since,
        outcome=Outcome.PENDING,
        excluded=False,
    )
    assert review.export_csv(flt, path) == 1
    first, header = path.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert first.startswith("# Filters: ")
    for words in (
        "Search: “Grades”",
        "Customer: Hollybrook Trust",
        "Priority: P1 or P2",
        f"Opened at or after {since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        "First response pending",
        "Without excluded",
    ):
        assert words in first
    assert runnable_cells(first) == []
    assert header == ",".join(CSV_COLUMNS)
    review.export_csv(IncidentFilter(), path)
    assert read_csv(path)[0][0].startswith("# Filters: No filters: every incident")
    review.export_csv(IncidentFilter(text="x;=cmd|' /C calc'!A0"), path)
    first = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.startswith("# Filters: Search: “x;'=cmd|' /C calc'!A0”")  # searched words too
    assert runnable_cells(first) == []
    review.export_csv(IncidentFilter(text='a,"b\nc'), path)  # no quoted cell swallows the header
    assert read_csv(path)[1] == list(CSV_COLUMNS)


# -- history --------------------------------------------------------------------------------


def test_history_pages_are_newest_first_with_names(
    review: ReviewService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    opened = []
    for n in range(5):
        clock.advance(minutes=10)
        opened.append(incidents.open_incident(report(customers.premium, title=f"Problem {n}")))
    first = review.history_page(IncidentFilter(), limit=2)
    second = review.history_page(IncidentFilter(), limit=2, offset=2)
    last = review.history_page(IncidentFilter(), limit=2, offset=4)
    numbers = [r.summary.number for r in (*first, *second, *last)]
    assert numbers == [s.number for s in reversed(opened)]
    assert {r.customer for r in first} == {"Northwind Freight"}
    assert first[0].outcome == "pending"
    assert review.history_count(IncidentFilter()) == 5
    assert review.history_count(IncidentFilter(text="Problem 3")) == 1


def hostile(incidents: IncidentService, customers: Customers) -> list[str]:
    titles = ['=HYPERLINK("http://evil.example","Click")', "+1", "-2", "@SUM(A1:A9)"]
    for title in titles:
        incidents.open_incident(report(customers.premium, title=title))
    return titles


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        return list(csv.reader(source))


def test_export_neutralises_hostile_cells(
    review: ReviewService, incidents: IncidentService, customers: Customers, tmp_path: Path
) -> None:
    titles = hostile(incidents, customers)
    progress: list[tuple[int, int]] = []
    out = tmp_path / "out"
    out.mkdir()
    path = out / "history.csv"
    written = review.export_csv(
        IncidentFilter(), path, progress=lambda d, t: progress.append((d, t)), batch=3
    )
    rows = read_csv(path)[1:]  # after the filter line
    assert written == 4 and len(rows) == 5
    assert rows[0] == list(CSV_COLUMNS)
    column = CSV_COLUMNS.index("Title")
    assert sorted(r[column] for r in rows[1:]) == sorted(f"'{t}" for t in titles)
    assert not any(cell[:1] in "=+-@" for row in rows[1:] for cell in row if cell)
    assert progress == [(0, 4), (3, 4), (4, 4)]
    assert list(out.iterdir()) == [path]  # no partial file left behind


def test_a_cancelled_export_writes_nothing(
    review: ReviewService, incidents: IncidentService, customers: Customers, tmp_path: Path
) -> None:
    hostile(incidents, customers)
    out = tmp_path / "out"
    out.mkdir()
    path = out / "history.csv"
    path.write_text("an earlier export\n", encoding="utf-8")
    asked: list[bool] = []

    def cancelled() -> bool:
        asked.append(True)
        return len(asked) > 1  # cancel after the first batch

    with pytest.raises(Cancelled):
        review.export_csv(IncidentFilter(), path, cancelled=cancelled, batch=2)
    assert path.read_text(encoding="utf-8") == "an earlier export\n"
    assert list(out.iterdir()) == [path]


def test_export_follows_the_filters(
    review: ReviewService, incidents: IncidentService, customers: Customers, tmp_path: Path
) -> None:
    hostile(incidents, customers)
    incidents.open_incident(report(customers.standard, title="Grades page slow", priority="P3"))
    path = tmp_path / "standard.csv"
    assert review.export_csv(IncidentFilter(customer_ids=(customers.standard.id,)), path) == 1
    rows = read_csv(path)
    assert rows[0][0].startswith("# Filters: Customer: Hollybrook Trust (outcomes as of ")
    assert rows[2][CSV_COLUMNS.index("Customer")] == "Hollybrook Trust"


# -- attainment -----------------------------------------------------------------------------


def test_pivot_folds_rows_by_priority_or_plan_with_totals() -> None:
    rows = [
        AttainmentRow("P1", "premium", "2026-01", met=3, missed=1),
        AttainmentRow("P1", "standard", "2026-01", met=1, missed=1),
        AttainmentRow("P2", "premium", "2026-02", met=2, missed=0),
        AttainmentRow("P4", "standard", "2026-02", met=0, missed=2),
    ]
    by_priority = pivot(rows, Breakdown.PRIORITY, ("P1", "P2", "P3", "P4"))
    assert by_priority.groups == ("P1", "P2", "P4")
    assert by_priority.months == ("2026-01", "2026-02")
    assert by_priority.cell("P1", "2026-01") == Tally(4, 2)
    assert by_priority.group_total("P1") == Tally(4, 2)
    assert by_priority.month_total("2026-02") == Tally(2, 2)
    assert by_priority.total == Tally(6, 4)
    assert by_priority.total.percent == 60.0
    by_plan = pivot(rows, Breakdown.PLAN, ("standard", "premium"))
    assert by_plan.groups == ("standard", "premium")
    assert by_plan.group_total("standard") == Tally(1, 3)
    assert Tally().percent is None


def test_attainment_reads_the_store(
    review: ReviewService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    met = incidents.open_incident(report(customers.premium, title="Met"))
    missed = incidents.open_incident(report(customers.premium, title="Missed"))
    clock.advance(minutes=5)
    incidents.respond(met.id, "On it")
    clock.advance(minutes=30)
    incidents.respond(missed.id, "Sorry")
    rows = review.attainment(IncidentFilter())
    assert (sum(r.met for r in rows), sum(r.missed for r in rows)) == (1, 1)
    assert {r.month for r in rows} == {START.astimezone(UTC).strftime("%Y-%m")}


def test_history_judges_the_first_response_when_it_is_read(
    review: ReviewService,
    incidents: IncidentService,
    customers: Customers,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    silent = incidents.open_incident(report(customers.premium, title="Silent"))  # P1: 15 min
    missed = IncidentFilter(outcome=Outcome.MISSED)
    pending = IncidentFilter(outcome=Outcome.PENDING)
    outcome_column = CSV_COLUMNS.index("First response")

    def seen() -> tuple[Outcome, int, int, str]:
        [row] = review.history_page(IncidentFilter())
        path = tmp_path / "history.csv"
        review.export_csv(IncidentFilter(), path)
        csv_outcome = read_csv(path)[2][outcome_column]
        return row.outcome, review.history_count(missed), review.history_count(pending), csv_outcome

    clock.set(START + timedelta(minutes=15))  # at the deadline: a response now still meets
    assert seen() == (Outcome.PENDING, 0, 1, "pending")
    clock.set(START + timedelta(minutes=15, seconds=1))  # no event since: only time moved
    assert seen() == (Outcome.MISSED, 1, 0, "missed")
    [row] = review.attainment(IncidentFilter())
    assert (row.met, row.missed, row.pending, row.excluded) == (0, 1, 0, 0)
    assert review.missed(IncidentFilter())[0] == 1
    assert review.missed(IncidentFilter(outcome=Outcome.MET)) == (0, [])
    assert incidents.summary(silent.id).first_response_met is None  # stored as of its events


def test_excluded_incidents_are_counted_apart(
    review: ReviewService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    answered = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=5)
    incidents.respond(answered.id, "On it")
    incidents.exclude(answered.id, "iii", "Their own firewall")
    [row] = review.attainment(IncidentFilter())
    assert (row.met, row.missed, row.pending, row.excluded) == (0, 0, 0, 1)
    [listed] = review.history_page(IncidentFilter())
    assert listed.outcome is Outcome.EXCLUDED
    for outcome in (Outcome.MET, Outcome.MISSED, Outcome.PENDING):
        assert review.history_count(IncidentFilter(outcome=outcome)) == 0
    table = pivot([row], Breakdown.PRIORITY)
    assert table.total == Tally(excluded=1)
    assert (table.total.total, table.total.counted, table.total.percent) == (0, 1, None)
