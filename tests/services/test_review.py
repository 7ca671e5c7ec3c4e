"""The read side: history pages, safe CSV exports, escalation standings, wallboard timing."""

from __future__ import annotations

import csv
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from console.services.incidents import IncidentService
from console.services.policy import PolicyService
from console.services.ports import AttainmentRow, IncidentFilter
from console.services.review import (
    CSV_COLUMNS,
    BoardItem,
    BoardState,
    Breakdown,
    Cancelled,
    ReviewService,
    Tally,
    board_counts,
    board_tiles,
    countdown_changes_in,
    neutralise,
    next_transition,
    pivot,
)
from db.store import SqliteStore
from tests.services.conftest import START, Customers, FakeClock, Team, report


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
        ("Checkout returns 502", "Checkout returns 502"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(cell: str, safe: str) -> None:
    assert neutralise(cell) == safe


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
    rows = read_csv(path)
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
    assert rows[1][CSV_COLUMNS.index("Customer")] == "Hollybrook Trust"


# -- escalations ----------------------------------------------------------------------------


@pytest.fixture
def ladder_contacts(policy_service: PolicyService) -> None:
    policy_service.add_escalation_contact(1, "Dana Whitfield", "Support manager", "dana@v.example")
    policy_service.add_escalation_contact(2, "Helen Park", "Head of support", "helen@v.example")


def test_escalations_lists_eligible_and_escalated_incidents(
    review: ReviewService,
    incidents: IncidentService,
    customers: Customers,
    clock: FakeClock,
    team: Team,
    ladder_contacts: None,
) -> None:
    late = incidents.open_incident(report(customers.premium, title="Checkout down"))
    calm = incidents.open_incident(report(customers.premium, title="Typo", proposed_priority="P4"))
    incidents.assign(late.id, team.agent.id)
    assert review.escalations() == []

    clock.advance(minutes=20)  # the 15-minute first response was missed
    [item] = review.escalations()
    assert item.summary.id == late.id != calm.id
    assert (item.standing.level, item.standing.eligible_level) == (0, 1)
    assert item.standing.eligible_since == START + timedelta(minutes=15)

    ladder = review.ladder(item)
    assert [r.name for r in ladder.vendor] == ["Sofia Alvarez", "Dana Whitfield", "Helen Park"]
    assert [r.name for r in ladder.vendor if r.is_next] == ["Dana Whitfield"]
    assert [r.name for r in ladder.customer] == ["Rachel Adeyemi", "Olivia Chen", "Maria Rossi"]
    assert ladder.customer[0].is_next

    incidents.escalate(late.id, 1, "No answer")
    [item] = review.escalations()
    assert (item.standing.level, item.standing.eligible_level) == (1, None)
    assert [r.name for r in review.ladder(item).vendor if r.is_next] == ["Dana Whitfield"]


def test_resolved_incidents_leave_the_escalation_list(
    review: ReviewService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    late = incidents.open_incident(report(customers.premium))
    clock.advance(minutes=30)
    assert len(review.escalations()) == 1
    incidents.resolve(late.id, "Fixed")
    assert review.escalations() == []


# -- wallboard ------------------------------------------------------------------------------


def item(number: str, priority: str, due: timedelta, risk: timedelta | None = None) -> BoardItem:
    deadline = START + due
    return BoardItem(
        incident_id=number,
        number=number,
        title="t",
        customer="c",
        priority=priority,
        assignee="",
        escalation_level=0,
        clock="First response",
        deadline=deadline,
        breached_at=deadline,
        at_risk_at=deadline - risk if risk is not None else None,
    )


def test_board_counts_and_tiles_by_state() -> None:
    items = [
        item("A", "P1", timedelta(minutes=-5)),  # breached
        item("B", "P1", timedelta(minutes=10), risk=timedelta(minutes=15)),  # at risk
        item("C", "P2", timedelta(hours=3), risk=timedelta(hours=1)),  # due soon
        item("D", "P3", timedelta(days=3), risk=timedelta(hours=2)),  # far away: no tile
        item("E", "P2", timedelta(hours=-2)),  # breached longer
    ]
    counts = board_counts(items, START, ("P1", "P2", "P3", "P4"))
    assert counts.breached == {"P1": 1, "P2": 1, "P3": 0, "P4": 0}
    assert counts.at_risk == {"P1": 1, "P2": 0, "P3": 0, "P4": 0}
    assert [i.number for i in board_tiles(items, START)] == ["B", "C", "E", "A"]
    assert next_transition(items, START) == START + timedelta(minutes=10)  # B breaches
    assert next_transition(items, START + timedelta(minutes=10)) == START + timedelta(hours=2)
    assert items[1].state(START + timedelta(minutes=10)) is BoardState.BREACHED


@pytest.mark.parametrize(
    ("left", "text", "changes_in"),
    [
        (timedelta(hours=2, minutes=5, seconds=30), "2 h 05 m", timedelta(seconds=30)),
        (timedelta(hours=1, seconds=0.5), "1 h 00 m", timedelta(seconds=0.5)),
        (
            timedelta(minutes=59, seconds=59, milliseconds=250),
            "59 m 59 s",
            timedelta(milliseconds=250),
        ),
        (timedelta(days=2, hours=3, minutes=20), "2 d 3 h", timedelta(minutes=20)),
        (timedelta(seconds=-10.25), "0 m 10 s over", timedelta(milliseconds=750)),
        (timedelta(hours=-1, minutes=-0, seconds=-20), "1 h 00 m over", timedelta(seconds=40)),
    ],
)
def test_countdowns_change_only_at_whole_units(
    left: timedelta, text: str, changes_in: timedelta
) -> None:
    board = item("A", "P1", left)
    assert board.countdown(START) == text
    assert countdown_changes_in(board.deadline, START) == changes_in
    just_before = START + changes_in - timedelta(milliseconds=1)
    assert board.countdown(just_before) == text
    assert board.countdown(START + changes_in + timedelta(microseconds=1)) != text


def test_board_reads_every_open_incident_with_a_clock(
    review: ReviewService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    p1 = incidents.open_incident(report(customers.premium, title="Down"))
    waiting = incidents.open_incident(report(customers.premium, title="Waiting"))
    incidents.respond(waiting.id, "Looking")
    incidents.wait_on_customer(waiting.id, "Need logs")
    clock.advance(minutes=5)
    items = {i.number: i for i in review.board()}
    assert items[p1.number].deadline == START + timedelta(minutes=15)
    assert items[p1.number].clock == "First response"
    # a 15-minute target is at risk from the start (the threshold is at least 15 minutes)
    assert items[p1.number].state(clock.now()) is BoardState.AT_RISK
    assert waiting.number not in items  # nothing counts down while waiting on the customer
    assert review.priorities() == ("P1", "P2", "P3", "P4")


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
