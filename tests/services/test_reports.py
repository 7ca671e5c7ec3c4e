"""The reports for scripts: attainment's totals are the incidents report's counts, and the
History filters list exactly those incidents (DESIGN §10), on the demo and on random lives."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.outcomes import Outcome
from console.services.demo import build_demo
from console.services.ports import AttainmentRow, IncidentFilter, Store
from console.services.reports import (
    ATTAINMENT_COLUMNS,
    INCIDENT_COLUMNS,
    AttainmentReport,
    ClockRow,
    Format,
    ReportService,
    period,
    write_attainment,
    write_incidents,
)
from console.services.review import ReviewService, Tally
from db.store import SqliteStore
from tests.clock import ManualClock
from tests.services.conftest import make_store
from tests.services.histories import Life, Template, build_template, lives, starts, world_from

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # the demo's "now" (a Thursday)
Key = tuple[str, str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    store = make_store(tmp_path_factory.mktemp("reports-demo") / "demo.sqlite3")
    build_demo(store, now=NOW)
    yield store
    store.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    yield build_template(tmp_path_factory.mktemp("reports-lives"))


def first_responses(rows: list[ClockRow]) -> dict[Key, Counter[str]]:
    """The incidents report's first-response rows, grouped as attainment groups them."""
    groups: dict[Key, Counter[str]] = {}
    for row in rows:
        if row.clock == "first_response" and row.deadline is not None:
            key = (row.priority, row.plan, row.deadline.astimezone(UTC).strftime("%Y-%m"))
            groups.setdefault(key, Counter())[row.outcome] += 1
    return groups


def grouped(groups: tuple[AttainmentRow, ...]) -> dict[Key, Counter[str]]:
    return {
        (g.priority, g.plan, g.month): +Counter(
            met=g.met, missed=g.missed, pending=g.pending, excluded=g.excluded
        )
        for g in groups
    }


def agree(store: Store, now: datetime, flt: IncidentFilter) -> Tally:
    """Attainment, the incidents report and History's filter counts say the same; returns
    the totals."""
    reports = ReportService(store, ManualClock(now))
    attainment = reports.attainment(flt)
    rows = list(reports.incidents(flt))
    assert grouped(attainment.groups) == first_responses(rows)
    totals = attainment.totals
    counted = Counter(r.outcome for r in rows if r.clock == "first_response")
    assert (totals.met, totals.missed, totals.pending, totals.excluded) == (
        counted["met"],
        counted["missed"],
        counted["pending"],
        counted["excluded"],
    )
    history = ReviewService(store, ManualClock(now))
    for outcome, total in (
        (Outcome.MET, totals.met),
        (Outcome.MISSED, totals.missed),
        (Outcome.PENDING, totals.pending),
    ):
        narrowed = IncidentFilter(
            opened_from=flt.opened_from, opened_to=flt.opened_to, outcome=outcome
        )
        assert history.history_count(narrowed) == total, outcome
        listed = history.history_page(narrowed, limit=10_000)
        assert {r.summary.number for r in listed} == {
            r.number for r in rows if r.clock == "first_response" and r.outcome == outcome
        }
        assert {r.outcome for r in listed} <= {outcome}
    only_excluded = IncidentFilter(
        opened_from=flt.opened_from, opened_to=flt.opened_to, excluded=True
    )
    assert history.history_count(only_excluded) == totals.excluded
    count, panel = history.filtered(
        IncidentFilter(opened_from=flt.opened_from, opened_to=flt.opened_to)
    )
    assert sum((Tally.of(r) for r in panel), Tally()) == totals
    assert count == len({r.number for r in rows})
    return totals


def test_on_the_demo_attainment_the_incidents_report_and_history_agree(
    demo: SqliteStore,
) -> None:
    totals = agree(demo, NOW, IncidentFilter())
    assert totals.met and totals.missed and totals.pending and totals.excluded
    # a later look only moves pending ones to missed
    later = agree(demo, datetime(2027, 6, 1, tzinfo=UTC), IncidentFilter())
    assert later.pending == 0
    assert (later.met, later.missed + later.pending) == (totals.met, totals.missed + totals.pending)


def test_a_period_counts_incidents_received_in_it(demo: SqliteStore) -> None:
    october = period(date(2026, 10, 1), date(2026, 11, 1))
    assert october.opened_from == datetime(2026, 10, 1, tzinfo=UTC)
    assert october.opened_to == datetime(2026, 11, 1, tzinfo=UTC)
    part = agree(demo, NOW, october)
    whole = agree(demo, NOW, IncidentFilter())
    before = agree(demo, NOW, period(end=date(2026, 10, 1)))
    after = agree(demo, NOW, period(start=date(2026, 11, 1)))
    assert 0 < part.counted < whole.counted
    assert before + part + after == whole
    with pytest.raises(ValueError, match="is not before"):
        period(date(2026, 11, 1), date(2026, 11, 1))


@settings(max_examples=25, deadline=None)
@given(
    start=starts,
    life_list=st.lists(lives, min_size=1, max_size=4),
    later=st.sampled_from([0, 1, 60, 900, 3_000, 100_000]),
)
def test_on_random_lives_attainment_the_report_and_history_agree(
    template: Template, start: datetime, life_list: list[Life], later: int
) -> None:
    with world_from(template, start, life_list) as world:
        now = world.ended_at + timedelta(minutes=later)
        agree(world.store, now, IncidentFilter())
        day = start.date()
        agree(world.store, now, period(day, date.fromordinal(day.toordinal() + 1)))


# -- the formats scripts read ----------------------------------------------------------------


def test_attainment_json_and_csv_follow_the_contract() -> None:
    report = AttainmentReport(
        now=NOW,
        groups=(
            AttainmentRow("P1", "premium", "2026-10", met=3, missed=1, pending=0, excluded=1),
            AttainmentRow("P2", "standard", "2026-11", met=0, missed=2, pending=4, excluded=0),
        ),
    )
    out = io.StringIO()
    write_attainment(report, out, Format.JSON)
    assert json.loads(out.getvalue()) == {
        "groups": [
            {"priority": "P1", "plan": "premium", "month": "2026-10", "met": 3, "missed": 1,
             "pending": 0, "excluded": 1},
            {"priority": "P2", "plan": "standard", "month": "2026-11", "met": 0, "missed": 2,
             "pending": 4, "excluded": 0},
        ],
        "totals": {"met": 3, "missed": 3, "pending": 4, "excluded": 1},
    }  # fmt: skip
    out = io.StringIO()
    write_attainment(report, out, Format.CSV)
    assert out.getvalue().splitlines() == [
        ",".join(ATTAINMENT_COLUMNS),
        "P1,premium,2026-10,3,1,0,1",
        "P2,standard,2026-11,0,2,4,0",
    ]


def test_incident_rows_are_iso_utc_and_safe_in_a_spreadsheet() -> None:
    rows = [
        ClockRow(
            number="INC-1",
            customer='=HYPERLINK("http://evil.example")',
            plan="premium",
            priority="P1",
            status="resolved",
            clock="first_response",
            deadline=datetime(2026, 3, 10, 17, 15, tzinfo=UTC),
            outcome="met",
            counted_at=datetime(2026, 3, 10, 17, 4, 30, 250_000, tzinfo=UTC),
        ),
        ClockRow("INC-1", "Acme", "premium", "P1", "resolved", "escalation_1", None,
                 "not_applicable", None),
    ]  # fmt: skip
    out = io.StringIO()
    assert write_incidents(rows, out, Format.CSV) == 2
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert table[0] == list(INCIDENT_COLUMNS)
    assert table[1] == [
        "INC-1",
        '\'=HYPERLINK("http://evil.example")',
        "premium",
        "P1",
        "resolved",
        "first_response",
        "2026-03-10T17:15:00Z",
        "met",
        "2026-03-10T17:04:30.250000Z",
    ]
    assert table[2][6:] == ["", "not_applicable", ""]
    out = io.StringIO()
    write_incidents(rows, out, Format.JSON)
    parsed = json.loads(out.getvalue())
    assert [list(r) for r in parsed] == [list(INCIDENT_COLUMNS)] * 2
    assert parsed[0]["customer"] == '=HYPERLINK("http://evil.example")'  # JSON is data
    assert parsed[1]["deadline_utc"] is None
    out = io.StringIO()
    assert write_incidents([], out, Format.JSON) == 0
    assert json.loads(out.getvalue()) == []


def test_the_demo_report_names_every_clock(demo: SqliteStore, tmp_path: Path) -> None:
    rows = list(ReportService(demo, ManualClock(NOW)).incidents(IncidentFilter()))
    assert {r.clock for r in rows} == {
        "first_response",
        "status_update",
        "escalation_1",
        "escalation_2",
    }
    numbers = Counter(r.number for r in rows if r.clock == "first_response")
    assert set(numbers.values()) == {1}  # one first response per incident
    undated = [r for r in rows if r.deadline is None and r.outcome != "not_applicable"]
    assert undated  # a status update frozen while waiting on the customer has no deadline
    assert all((r.clock, r.status) == ("status_update", "waiting_on_customer") for r in undated)
    assert all(r.counted_at is not None for r in rows if r.outcome == "met")
    assert not [r for r in rows if r.outcome == "pending" and r.deadline and r.deadline < NOW]
