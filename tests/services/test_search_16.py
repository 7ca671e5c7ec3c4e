"""History search as people type it: short prefixes, single letters, whole incident numbers,
phrases, the match count agreeing with the pages; and migration 0012, which gives the
full-text index its two- and three-letter prefixes without losing a row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from console.services.incidents import IncidentService
from console.services.ports import IncidentFilter
from console.services.review import ReviewService
from db import migrate
from db.engine import Database
from db.store import SqliteStore
from tests.services.conftest import Customers, FakeClock, report


@pytest.fixture
def review(store: SqliteStore, clock: FakeClock) -> ReviewService:
    return ReviewService(store, clock)


def found(review: ReviewService, typed: str, **filters: object) -> list[str]:
    """The titles History lists for ``typed``, checked against the count it shows."""
    flt = IncidentFilter(text=typed, **filters)  # type: ignore[arg-type]
    titles = [row.summary.title for row in review.history_page(flt)]
    assert review.history_count(flt) == len(titles)
    return titles


@pytest.fixture
def titles(incidents: IncidentService, customers: Customers, clock: FakeClock) -> list[str]:
    opened = []
    for title in (
        "Login times out on Windows 7",
        "Timeout exporting 700 invoices",
        "Printer queue stuck",
        "Checkout returns 502 after login",
    ):
        clock.advance(minutes=5)
        opened.append(incidents.open_incident(report(customers.premium, title=title)).title)
    return opened


def test_two_and_three_letters_find_every_word_they_start(
    review: ReviewService, titles: list[str]
) -> None:
    assert found(review, "ti") == ["Timeout exporting 700 invoices", "Login times out on Windows 7"]
    assert found(review, "Log") == [
        "Checkout returns 502 after login",
        "Login times out on Windows 7",
    ]
    assert found(review, "70") == ["Timeout exporting 700 invoices"]


def test_a_single_letter_or_digit_finds_it_as_a_whole_word(
    review: ReviewService, titles: list[str]
) -> None:
    assert found(review, "7") == ["Login times out on Windows 7"]  # not "700"
    assert found(review, "windows 7") == ["Login times out on Windows 7"]
    assert found(review, "p") == []  # "Printer" is not the word "p"


def test_two_words_must_both_match_in_any_order(review: ReviewService, titles: list[str]) -> None:
    assert found(review, "login 502") == ["Checkout returns 502 after login"]
    assert found(review, "502 checkout") == ["Checkout returns 502 after login"]
    assert found(review, "queue 502") == []


def test_an_incident_number_typed_whole_goes_straight_to_that_incident(
    review: ReviewService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    first = incidents.open_incident(report(customers.premium, title="Printer queue stuck"))
    clock.advance(minutes=5)
    later = incidents.open_incident(report(customers.premium, title="Still stuck"))
    incidents.note(later.id, f"Same as {first.number}, the customer says")
    assert found(review, first.number) == ["Printer queue stuck"]  # not the one mentioning it
    assert found(review, f"  {first.number.lower()} ") == ["Printer queue stuck"]
    assert found(review, first.number, priorities=("P4",)) == []  # other filters still apply
    # a number no incident has is searched as text: the incidents that mention it
    unknown = first.number[:-1] + ("9" if first.number[-1] != "9" else "8")
    incidents.note(later.id, f"Not to be confused with {unknown}")
    assert found(review, unknown) == ["Still stuck"]


def test_the_count_with_other_filters_agrees_with_the_pages(
    review: ReviewService, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    for n in range(6):
        clock.advance(minutes=5)
        title = f"Sync failure {n}"
        if n % 2:
            incidents.open_incident(report(customers.premium, title=title))
        else:
            incidents.open_incident(report(customers.standard, title=title, priority="P2"))
    premium = found(review, "sync fail", customer_ids=(customers.premium.id,))
    assert premium == ["Sync failure 5", "Sync failure 3", "Sync failure 1"]
    assert len(found(review, "sync")) == 6


def fts_sql(database: Database) -> str:
    with database.engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'incident_fts'")
            ).scalar()
        )


def matches(database: Database, query: str) -> list[int]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT rowid FROM incident_fts WHERE incident_fts MATCH :q ORDER BY rowid"),
            {"q": query},
        )
        return [int(r[0]) for r in rows]


def test_migration_0012_keeps_every_indexed_row_and_adds_the_prefixes(tmp_path: Path) -> None:
    with Database(tmp_path / "old.sqlite3") as database:
        migrate.upgrade(database, "0011")
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO incident_fts (rowid, number, title, body) VALUES"
                    " (3, 'INC-43CET-00001', 'Login loops', 'sso token expired'),"
                    " (120000, 'INC-43CET-00002', 'Export slow', 'csv export of invoices')"
                )
            )
        assert "prefix" not in fts_sql(database)
        migrate.upgrade(database, "0012")
        assert "prefix = '2 3'" in fts_sql(database)
        assert matches(database, '"lo"*') == [3]
        assert matches(database, '"inv"*') == [120000]
        assert matches(database, '"43cet"') == [3, 120000]
        migrate.downgrade(database, "0011")
        assert "prefix" not in fts_sql(database)
        assert matches(database, '"token" "expired"') == [3]
