"""Issue 18: a team's spreadsheet of customers and support lists, imported as a lead would.

Real SQLite files, real CSV and XLSX files written by the tests; the import is checked against
the database itself (every row and its clock stamp), never against the plan alone.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.domain.ids import HybridLogicalClock
from console.services.customers import CustomerService
from console.services.onboarding import Action, ImportRefused, Onboarding
from console.services.onboarding_files import (
    TEMPLATE_COLUMNS,
    ImportFileError,
    guess_mapping,
    read_table,
    write_template,
)
from console.services.ranking import ordered_by_rank
from console.services.seed import builtin_window_id, seed_defaults
from console.services.validation import ValidationError
from db.store import SqliteStore
from tests.services.conftest import FakeClock, make_store
from tests.services.onboarding_sheets import COLUMN, team_rows, write_csv, write_xlsx

REF, NAME, PLAN, WINDOW = (COLUMN[c] for c in TEMPLATE_COLUMNS[:4])
CONTACT, EMAILS, PHONES = COLUMN["Contact name"], COLUMN["Emails"], COLUMN["Phones"]


def dump(path: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every customer and contact row as stored, clock stamps included."""
    with sqlite3.connect(path) as db:
        customers = db.execute("SELECT * FROM customers ORDER BY id").fetchall()
        contacts = db.execute("SELECT * FROM contacts ORDER BY id").fetchall()
    return customers, contacts


@pytest.fixture
def onboarding(store: SqliteStore, clock: FakeClock, hlc: HybridLogicalClock) -> Onboarding:
    return Onboarding(store, clock, hlc=hlc)


def first_rows(rows: list[list[str]]) -> list[int]:
    """Indexes of each customer's first row."""
    return [i for i, r in enumerate(rows) if i == 0 or rows[i - 1][REF] != r[REF]]


def write(kind: str, path: Path, rows: list[list[str]]) -> Path:
    if kind == "xlsx":
        return write_xlsx(path.with_suffix(".xlsx"), rows)
    return write_csv(path.with_suffix(".csv"), rows)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_broken_team_sheet_is_fixed_from_its_messages_and_reimported_without_duplicates(
    kind: str, tmp_path: Path, store: SqliteStore, onboarding: Onboarding, clock: FakeClock
) -> None:
    good = team_rows(300, 1000)
    rows = [list(r) for r in good]
    starts = first_rows(rows)
    rows[5][EMAILS] = "ana.lima@"  # bad email (file row 7)
    rows[starts[10]][PLAN] = "Gold"  # unknown plan, on the customer's first row
    rows[starts[20] + 1][NAME] = ""  # a contact row without its customer's name …
    rows[starts[20] + 1][REF] = ""  # … or reference
    dup = starts[30] + 1
    rows[dup][CONTACT] = rows[starts[30]][CONTACT]  # the same contact twice
    sheet = onboarding.read(write(kind, tmp_path / "team", rows))

    plan = onboarding.plan(sheet, onboarding.mapping_for(sheet))

    lines = [str(p) for p in plan.problems]
    assert lines[0].startswith('row 7, email: "ana.lima@" is not a valid email address')
    assert any(
        line.startswith(f'row {starts[10] + 2}, plan: "Gold" is not a plan of the current policy')
        for line in lines
    )
    assert f"row {starts[20] + 3}, customer name: The customer name is required." in lines
    assert any(line.startswith(f"row {dup + 2}, contact name: ") for line in lines)
    customer_10 = sum(1 for r in rows if r[REF] == rows[starts[10]][REF])
    assert len(plan.refused_rows) == 3 + customer_10  # the unknown plan refuses its customer
    before = dump(store.path)
    with pytest.raises(ImportRefused):
        onboarding.apply(sheet, onboarding.mapping_for(sheet))
    assert dump(store.path) == before  # any refused row: nothing at all

    fixed = onboarding.read(write(kind, tmp_path / "fixed", good))  # the lead fixed the rows
    result = onboarding.apply(fixed, onboarding.mapping_for(fixed))
    assert result.summary() == (
        "300 customers created, 0 updated, 0 unchanged; 1000 contacts created, 0 updated, "
        "0 unchanged"
    )
    customers = CustomerService(store, clock, onboarding._actor, HybridLogicalClock("x"))
    stored = {c.name: c for c in customers.customers()}
    assert len(stored) == 300
    assert sum(len(c.contacts) for c in stored.values()) == 1000
    for start in starts[:50]:  # support lists in the file's order, addresses normalised
        name = good[start][NAME]
        file_order = [r[CONTACT] for r in good if r[NAME] == name]
        assert [c.name for c in ordered_by_rank(stored[name].contacts)] == file_order
    windows = {"Pacific": "pacific", "GMT": "gmt", "Australian Eastern": "australian_eastern"}
    for start in starts:
        row = good[start]
        assert stored[row[NAME]].window_id == builtin_window_id(windows[row[WINDOW]])

    snapshot = dump(store.path)
    again = onboarding.apply(fixed, onboarding.mapping_for(fixed))
    assert again.changes == 0
    assert dump(store.path) == snapshot  # not one row rewritten, not one stamp moved


def test_valid_rows_only_then_the_fixed_rows_alone_are_added(
    tmp_path: Path, store: SqliteStore, onboarding: Onboarding
) -> None:
    good = team_rows(40, 120)
    rows = [list(r) for r in good]
    rows[3][EMAILS] = "not an address"
    rows[first_rows(rows)[7]][WINDOW] = "Mars Standard Time"
    sheet = onboarding.read(write_csv(tmp_path / "a.csv", rows))
    plan = onboarding.apply(sheet, onboarding.mapping_for(sheet), valid_only=True)
    messages = [str(p) for p in plan.problems]
    assert any(
        m.startswith('row 5, email: "not an address" is not a valid email') for m in messages
    )
    assert any(
        '"Mars Standard Time" is not a known support window (one of: Australian Eastern, GMT, '
        "Pacific)" in m
        for m in messages
    )
    assert plan.count("customers", Action.CREATED) == 39

    fixed = onboarding.read(write_csv(tmp_path / "b.csv", good))
    second = onboarding.apply(fixed, onboarding.mapping_for(fixed))
    assert second.count("customers", Action.CREATED) == 1
    assert second.count("customers", Action.UNCHANGED) == 39
    created = [c for c in second.contacts if c.action is Action.CREATED]
    assert len(created) == 1 + sum(1 for r in good if r[REF] == good[first_rows(good)[7]][REF])
    assert not [c for c in second.contacts if c.action is Action.UPDATED]


def test_a_changed_file_updates_in_place_and_keeps_the_files_order(
    tmp_path: Path, store: SqliteStore, onboarding: Onboarding, clock: FakeClock
) -> None:
    rows = team_rows(10, 40)
    first = onboarding.read(write_csv(tmp_path / "a.csv", rows))
    onboarding.apply(first, onboarding.mapping_for(first))
    service = CustomerService(store, clock, onboarding._actor, HybridLogicalClock("x"))
    ids = {c.name: c.id for c in service.customers()}
    old_name = rows[0][NAME]

    changed = [list(r) for r in rows]
    for r in changed:
        if r[NAME] == old_name:
            r[NAME] = "Acme Renamed Ltd"  # renamed, same reference
            r[PLAN] = "Advanced"
            r[4:7] = ["", "", ""]  # no account manager on Advanced
    block = [r for r in changed if r[REF] == rows[0][REF]]
    block[0], block[-1] = block[-1], block[0]  # the list reordered: last contact first
    block[1][EMAILS] = "new.address@acme.example"
    changed = block + [r for r in changed if r[REF] != rows[0][REF]]
    second = onboarding.read(write_csv(tmp_path / "b.csv", changed))
    plan = onboarding.apply(second, onboarding.mapping_for(second))

    assert plan.count("customers", Action.UPDATED) == 1
    assert plan.count("customers", Action.CREATED) == 0
    renamed = next(c for c in service.customers() if c.name == "Acme Renamed Ltd")
    assert renamed.id == ids[old_name] and renamed.plan == "advanced"
    assert [c.name for c in ordered_by_rank(renamed.contacts)] == [r[CONTACT] for r in block]
    assert ordered_by_rank(renamed.contacts)[1].emails == ("new.address@acme.example",)
    assert len(service.customers()) == 10
    updated = [c for c in plan.contacts if c.action is Action.UPDATED]
    assert 1 <= len(updated) <= 3  # the moved ones and the one with a new address, no more


def test_without_a_reference_a_hand_typed_customer_is_matched_by_name(
    tmp_path: Path, store: SqliteStore, onboarding: Onboarding, clock: FakeClock, hlc
) -> None:
    service = CustomerService(store, clock, onboarding._actor, hlc)
    typed = service.create_customer("Globex Logistics", "standard", builtin_window_id("gmt"))
    service.add_contact(typed.id, "Hank Scorpio", "CEO", ["hank@globex.example"])
    header = ["Company", "Tier", "Hours", "Person", "E-mail", "Mobile"]
    rows = [
        ["Globex Logistics", "Standard", "GMT", "Hank Scorpio", "hank@GLOBEX.example", ""],
        [
            "globex  logistics",  # the same customer, however it is spelt
            "Standard",
            "GMT",
            "Mindy Lee",
            "mindy@globex.example",
            "020 7946 0123",
        ],
    ]
    sheet = onboarding.read(write_csv(tmp_path / "g.csv", rows, header))
    mapping = onboarding.mapping_for(sheet)
    assert mapping == ("customer", "plan", "window", "contact", "emails", "phones")
    plan = onboarding.apply(sheet, mapping)
    assert [c.action for c in plan.customers] == [Action.UNCHANGED]
    assert [c.action for c in plan.contacts] == [Action.UNCHANGED, Action.CREATED]
    (customer,) = service.customers()
    assert [c.name for c in ordered_by_rank(customer.contacts)] == ["Hank Scorpio", "Mindy Lee"]
    assert ordered_by_rank(customer.contacts)[1].phones == ("+442079460123",)  # GMT → UK


def test_a_refused_row_sharing_an_address_never_takes_a_named_contact(
    tmp_path: Path, store: SqliteStore, onboarding: Onboarding
) -> None:
    header = ["Customer name", "Plan", "Support window", "Contact name", "Emails", "Phones"]
    rows = [
        ["Umbrella", "Standard", "GMT", "", "a@umbrella.example", ""],  # no name: refused
        ["Umbrella", "Standard", "GMT", "Ana Lima", "a@umbrella.example", ""],
    ]
    sheet = onboarding.read(write_csv(tmp_path / "u.csv", rows, header))
    first = onboarding.apply(sheet, onboarding.mapping_for(sheet), valid_only=True)
    assert [str(p) for p in first.problems] == ["row 2, contact name: The name is required."]
    once = dump(store.path)
    again = onboarding.apply(sheet, onboarding.mapping_for(sheet), valid_only=True)
    assert again.changes == 0 and dump(store.path) == once  # no second Ana Lima


def test_a_mapping_chosen_once_is_remembered_for_files_with_the_same_columns(
    tmp_path: Path, onboarding: Onboarding
) -> None:
    header = ["Acct", "Org", "Level", "Zone", "Who", "Addr"]
    sheet = onboarding.read(
        write_csv(tmp_path / "x.csv", [["1", "A", "Standard", "GMT", "B", "b@a.example"]], header)
    )
    chosen = ("reference", "customer", "plan", "window", "contact", "emails")
    assert onboarding.mapping_for(sheet) != chosen
    onboarding.remember_mapping(sheet, chosen)
    later = onboarding.read(write_csv(tmp_path / "y.csv", [], header))
    assert onboarding.mapping_for(later) == chosen
    with pytest.raises(ValidationError) as refused:
        onboarding.plan(sheet, ("customer", "customer", "plan", "window", "", ""))
    assert 'Columns "Acct", "Org" are all mapped to customer name' in str(refused.value)


def test_an_interrupted_import_leaves_nothing_half_imported(
    tmp_path: Path, store: SqliteStore, onboarding: Onboarding
) -> None:
    sheet = onboarding.read(write_csv(tmp_path / "a.csv", team_rows(50, 200)))
    before = dump(store.path)
    writes = 0

    def power_cut() -> None:
        nonlocal writes
        writes += 1
        if writes == 120:  # well into the contacts
            raise OSError("disk I/O error")

    with pytest.raises(OSError):
        onboarding.apply(sheet, onboarding.mapping_for(sheet), before_each=power_cut)
    assert dump(store.path) == before
    plan = onboarding.apply(sheet, onboarding.mapping_for(sheet))  # and a retry lands whole
    assert plan.count("contacts", Action.CREATED) == 200


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("utf-16", "\t"), ("latin-1", "|")],
)
def test_csv_in_any_common_encoding_and_delimiter_reads_the_same(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    rows = team_rows(12, 30)
    rows[0][CONTACT] = "Søren Ørsted-Müller"  # misread as Sřren in a Central European page
    rows[1][CONTACT] = "Zoë Chloé Façade"
    path = write_csv(tmp_path / "e.csv", rows, encoding=encoding, delimiter=delimiter)
    table = read_table(path)
    assert table.header == TEMPLATE_COLUMNS
    assert [list(r) for r in table.rows] == rows
    assert table.numbers[0] == 2


def test_a_file_that_is_no_spreadsheet_is_refused_in_words(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ImportFileError, match="The file is empty"):
        read_table(tmp_path / "empty.csv")
    with pytest.raises(ImportFileError, match="not a readable XLSX workbook"):
        read_table(tmp_path / "broken.xlsx")
    with pytest.raises(ImportFileError, match="binary data"):
        read_table(tmp_path / "picture.csv")
    with pytest.raises(ImportFileError, match="There is no file"):
        read_table(tmp_path / "missing.csv")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_template_has_the_columns_the_import_expects(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"template{suffix}"
    write_template(path)
    table = read_table(path)
    assert table.header == TEMPLATE_COLUMNS and table.rows == ()
    assert "" not in guess_mapping(table.header)


# --- the property: importing a file twice is importing it once -----------------------------

_names = st.sampled_from(["Acme", "Globex", "Initech", "acme ", "Umbrella"])
_people = st.sampled_from(["Ana Lima", "Ben Okafor", "ana lima", "Chloé Dubois", "", "Dev P"])
_emails = st.sampled_from(
    ["a@acme.example", "b@x.example", "bad@", "", "A@ACME.example; c@c.example"]
)
_phones = st.sampled_from(["", "+1 415 555 0123", "020 7946 0123", "12", "+61 2 9374 0100"])
_plans = st.sampled_from(["Standard", "premium", "Premium Plus", "Gold"])
_windows = st.sampled_from(["GMT", "Pacific", "pacific", "Nowhere"])
_rows = st.lists(
    st.tuples(
        st.sampled_from(["", "R1", "R2", "r1"]), _names, _plans, _windows, _people, _emails, _phones
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows, valid_only=st.booleans())
def test_importing_the_same_file_twice_equals_importing_it_once(
    rows: list[tuple[str, ...]], valid_only: bool
) -> None:
    header = [
        "Customer reference",
        "Customer name",
        "Plan",
        "Support window",
        "Contact name",
        "Emails",
        "Phones",
    ]
    with tempfile.TemporaryDirectory() as folder:
        clock = FakeClock()
        hlc = HybridLogicalClock("ws", lambda: int(clock.now().timestamp() * 1000))
        store = make_store(Path(folder) / "p.sqlite3")
        try:
            seed_defaults(store, clock, hlc)
            onboarding = Onboarding(store, clock, hlc=hlc)
            sheet = write_csv(Path(folder) / "f.csv", [list(r) for r in rows], header)
            try:
                table = onboarding.read(sheet)
            except ImportFileError:
                return  # a header alone with no rows is still read; an empty file is refused
            mapping = onboarding.mapping_for(table)
            try:
                first = onboarding.apply(table, mapping, valid_only=valid_only)
            except ImportRefused:
                first = None
            once = dump(store.path)
            clock.advance(minutes=1)  # a later run: its stamps would differ if it wrote
            try:
                second = onboarding.apply(table, mapping, valid_only=valid_only)
            except ImportRefused:
                second = None
            assert dump(store.path) == once
            if second is not None:
                assert second.changes == 0
                assert first is not None and second.refused_rows == first.refused_rows
        finally:
            store.close()
