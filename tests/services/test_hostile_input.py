"""Hostile text through every service input, on a real SQLite file (issue #12, item 3).

Markup, lone surrogates, control characters, huge strings, odd zones and extreme durations go
into each field a person types (customers, contacts, windows, incidents, the policy and its
escalation contacts). Every call ends in one of two ways: a ValidationError naming the field,
with a message short enough to show and free of broken characters, and not one row changed in
the database; or a clean save that reads back. Nothing else may escape: no
UnicodeEncodeError from SQLite, no OSError from the tz database, no RecursionError from TOML,
no OverflowError from a deadline.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.domain.ids import HybridLogicalClock
from console.domain.policy import DEFAULT_POLICY_PATH
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.policy import PolicyService
from console.services.seed import builtin_window_id
from console.services.validation import ValidationError
from db.store import SqliteStore
from tests.services.conftest import WORKSTATION, Customers, FakeClock, Team, report

MARKUP = (
    '<img src="file:///dev/zero">',
    "<b>bold</b> &amp; <i>",
    "=cmd|' /C calc'!A0",
    "x;=1+1",
)
BROKEN = ("\ud800", "a\udfffb", "\udc80\ud800")  # lone surrogates: half a character each
CONTROL = (
    "\x00",
    "nul\x00byte",
    "\x1b[31mred",
    "\x7f",
    "\x85",
    "\u202eevil",
    "line\u2028sep",
    "tab\tand\r\nbreak",
)
PIECES = (*MARKUP, *BROKEN, *CONTROL, "x", "é", "\u0301", " ", "\n")
ODD_ZONES = (
    "Europe",
    "Europe/",
    "America/Argentina",
    "a" * 300,
    "Europe/" + "x" * 250,
    "../../etc/passwd",
    "/etc/localtime",
    "Europe/../Europe/London",
    "Europe//London",
    "Europe/London\x00",
    "localtime",
    "posixrules",
    "zone.tab",
    "tzdata.zi",
    "+VERSION",
    "europe/london",
    " Europe/London ",
    "Etc/GMT+14",
    "UTC",
)
DURATIONS = (
    "17673992h",
    "2160h",
    "2161h",
    "90bd",
    "91bd",
    "90bd2160h59m",
    "0m",
    "-1h",
    "1e9h",
    "9" * 30 + "h",
    "9" * 5000 + "h",
    "99999999999999999999bd",
    "P1D",
    "١٢h",
)


def huge(piece: str, times: int) -> str:
    return piece * times


hostile_text = st.one_of(
    st.sampled_from(PIECES),
    st.text(st.characters(exclude_categories=()), max_size=30),
    st.builds(
        huge,
        st.sampled_from(["x", "é", "<b>", " ", "\ud800"]),
        st.sampled_from([201, 501, 20_001, 300_000]),
    ),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join),
)
hostile_zone = st.one_of(st.sampled_from(ODD_ZONES), hostile_text)
hostile_duration = st.one_of(st.sampled_from(DURATIONS), hostile_text)
odd_instant = st.one_of(
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
    st.sampled_from(
        [
            datetime.min.replace(tzinfo=timezone(timedelta(hours=23, minutes=59))),
            datetime.max.replace(tzinfo=timezone(-timedelta(hours=23, minutes=59))),
            datetime.min.replace(tzinfo=UTC),
            datetime(1970, 1, 1, tzinfo=UTC),
            datetime(1, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo")),  # year 0 in UTC
            datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        ]
    ),
)

HOSTILE = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# -- the store, watched ------------------------------------------------------------------------


def row_counts(db: sqlite3.Connection) -> dict[str, int]:
    tables = [
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith("sqlite_")
    ]
    return {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}


@dataclass
class Desk:
    """The services a lead uses, on one real SQLite file, and a second look at that file."""

    customers: CustomerService
    incidents: IncidentService
    policy: PolicyService
    seeded: Customers
    db: sqlite3.Connection

    def attempt(self, field: str, call: Callable[[], Any], *also: str) -> Any:
        """Run ``call``: a refusal names ``field`` (or one of ``also``) and changes no row;
        else it saved cleanly (the caller reads it back)."""
        before = row_counts(self.db)
        try:
            result = call()
        except ValidationError as exc:
            assert exc.errors, "a refusal with no field"
            for key, message in exc.errors.items():
                assert _base(key) in (field, *also), f"{key!r} is not the field: {message}"
                assert isinstance(message, str) and message.strip()
                assert len(message) < 1_500, f"the message repeats the input: {message[:80]}…"
                message.encode("utf-8")  # never echoes a broken character
            assert row_counts(self.db) == before, "a refused call changed the database"
            return None
        return result


def _base(key: str) -> str:
    return key.split("[", 1)[0].split(".", 1)[0]


@pytest.fixture
def desk(
    store: SqliteStore, clock: FakeClock, team: Team, hlc: HybridLogicalClock, customers: Customers
) -> Iterator[Desk]:
    db = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    yield Desk(
        CustomerService(store, clock, team.lead, hlc),
        IncidentService(store, clock, team.lead, WORKSTATION, hlc),
        PolicyService(store, clock, team.lead, hlc),
        customers,
        db,
    )
    db.close()


def _readable(*values: object) -> None:
    for value in values:
        if isinstance(value, str):
            value.encode("utf-8")
        elif isinstance(value, tuple | list):
            _readable(*value)


# -- customers and their support lists ---------------------------------------------------------

CUSTOMER_FIELDS = ("name", "csm_name", "csm_email", "csm_phone")


@pytest.mark.parametrize("field", CUSTOMER_FIELDS)
@HOSTILE
@given(value=hostile_text)
def test_customer_fields(desk: Desk, field: str, value: str) -> None:
    details = {"csm_name": "Rachel Adeyemi", "csm_email": "rachel@vendor.example"}
    args = {"name": "Hostile Freight", **details, field: value}
    name = args.pop("name")
    saved = desk.attempt(
        field,
        lambda: desk.customers.create_customer(
            name, "premium_plus", builtin_window_id("pacific"), **args
        ),
    )
    if saved is not None:
        again = desk.customers.customer(saved.id)
        _readable(again.name, again.csm_name, again.csm_email, again.csm_phone)
    edited = desk.attempt(
        field, lambda: desk.customers.edit_customer(desk.seeded.premium.id, **{field: value})
    )
    if edited is not None:
        _readable(desk.customers.customer(edited.id).name)


@pytest.mark.parametrize("field", ["name", "role", "emails", "phones"])
@HOSTILE
@given(value=hostile_text)
def test_contact_fields(desk: Desk, field: str, value: str) -> None:
    customer = desk.seeded.premium.id
    given_values: dict[str, Any] = {"name": "Ada Park", "role": "", "emails": ["ada@nw.example"]}
    given_values[field] = [value] if field in ("emails", "phones") else value
    added = desk.attempt(field, lambda: desk.customers.add_contact(customer, **given_values))
    if added is not None:
        _readable(
            *[
                (c.name, c.role, c.emails, c.phones)
                for c in desk.customers.customer(customer).contacts
            ]
        )
    contact = desk.seeded.premium.contacts[0].id
    change = {field: given_values[field]}
    desk.attempt(field, lambda: desk.customers.edit_contact(contact, **change))


# -- support windows ---------------------------------------------------------------------------

WINDOW = {"name": "Hostile hours", "hours": "Mon-Fri 09:00-17:30", "zone": "Europe/London"}


@pytest.mark.parametrize("field", ["name", "hours", "zone", "holidays", "holiday_country"])
@HOSTILE
@given(value=hostile_text, zone=hostile_zone)
def test_window_fields(desk: Desk, field: str, value: str, zone: str) -> None:
    values: dict[str, Any] = dict(WINDOW, name=f"Window {len(desk.customers.windows())}")
    if field == "zone":
        values["zone"] = zone
    elif field == "holidays":
        values["holidays"] = ["2026-12-25", value]
    else:
        values[field] = value
    name, hours, zone_name = values.pop("name"), values.pop("hours"), values.pop("zone")
    saved = desk.attempt(
        field, lambda: desk.customers.create_window(name, hours, zone_name, **values)
    )
    if saved is not None:
        _readable(saved.name, saved.hours, saved.zone, saved.holiday_country)
        assert desk.customers.window(saved.id).zone == saved.zone
    if field == "zone":
        desk.attempt(field, lambda: desk.customers.edit_window(builtin_window_id("gmt"), zone=zone))


# -- incidents -----------------------------------------------------------------------------

REPORT_TEXT = ("title", "affected", "impact", "steps", "error_message")


@pytest.mark.parametrize("field", [*REPORT_TEXT, "proposed_priority"])
@HOSTILE
@given(value=hostile_text)
def test_new_incident_and_report_fields(desk: Desk, field: str, value: str) -> None:
    opened = desk.attempt(
        field, lambda: desk.incidents.open_incident(report(desk.seeded.premium, **{field: value}))
    )
    if opened is not None:
        details = desk.incidents.details(opened.id)
        _readable(details.summary.title, *(str(e.data) for e in details.events))
    if field == "proposed_priority":
        return
    base = desk.incidents.open_incident(report(desk.seeded.premium))
    updated = desk.attempt(  # blank over blank is "nothing has changed", under incident
        field, lambda: desk.incidents.update_report(base.id, {field: value}), "incident"
    )
    if updated is not None:
        _readable(desk.incidents.details(base.id).summary.title)


@HOSTILE
@given(started=odd_instant)
def test_the_start_of_an_incident(desk: Desk, started: datetime) -> None:
    opened = desk.attempt(
        "started_at",
        lambda: desk.incidents.open_incident(report(desk.seeded.premium, started_at=started)),
    )
    if opened is not None:
        stored = desk.incidents.details(opened.id).report.started_at
        assert stored == started
        for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "UTC"):  # any agent can read it
            shown = stored.astimezone(ZoneInfo(zone)) if stored else None
            assert shown is not None and shown.astimezone(UTC) == started.astimezone(UTC)


ACTIONS: dict[str, tuple[str, Callable[[IncidentService, str, str], Any]]] = {
    "note": ("text", lambda s, i, v: s.note(i, v)),
    "respond": ("text", lambda s, i, v: s.respond(i, v)),
    "status update": (
        "text",
        lambda s, i, v: s.post_status_update(i, "status_page", "", v),
    ),
    "change priority": ("reason", lambda s, i, v: s.change_priority(i, "P2", v)),
    "wait on customer": ("text", lambda s, i, v: s.wait_on_customer(i, v)),
    "exclude": ("text", lambda s, i, v: s.exclude(i, "ii", v)),
    "resolve": ("text", lambda s, i, v: s.resolve(i, v)),
}


@pytest.mark.parametrize("action", ACTIONS)
@HOSTILE
@given(value=hostile_text)
def test_incident_action_text(desk: Desk, action: str, value: str) -> None:
    field, act = ACTIONS[action]
    incident = desk.incidents.open_incident(report(desk.seeded.premium))
    if action == "status update":  # owed only after the first response
        desk.incidents.respond(incident.id, "We are looking into it.")
    done = desk.attempt(field, lambda: act(desk.incidents, incident.id, value))
    if done is not None:
        _readable(*(str(e.data) for e in desk.incidents.details(incident.id).events))


@HOSTILE
@given(value=hostile_text)
def test_a_reopen_reason(desk: Desk, value: str) -> None:
    incident = desk.incidents.open_incident(report(desk.seeded.premium))
    desk.incidents.resolve(incident.id, "Restarted the gateway.")
    desk.attempt("reason", lambda: desk.incidents.reopen(incident.id, value))


# -- the policy and its escalation contacts ------------------------------------------------

POLICY = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
# field key the editor shows → (the line in the default policy, the value's place in it)
POLICY_VALUES = {
    "priorities.P1.label": 'label = "Critical"',
    "priorities.P1.definition": 'definition = "The service is down',
    "windows.pacific.name": 'name = "Pacific"',
    "windows.pacific.hours": 'hours = "Mon-Fri 09:00-17:30"',
    "name": 'name = "Default support policy"',
}


def _toml(value: str) -> str:
    """A TOML basic string of ``value``, raw characters kept (a surrogate stays one)."""
    return json.dumps(value, ensure_ascii=False)


def _with_value(line: str, value: str) -> str:
    key = line.split(" = ", 1)[0]
    start = POLICY.index(line)
    end = POLICY.index("\n", start)
    return POLICY[:start] + f"{key} = {_toml(value)}" + POLICY[end:]


def _assert_policy_refusal(desk: Desk, text: str, where: str) -> None:
    saved = desk.attempt("policy", lambda: desk.policy.save_policy(text))
    if saved is None:
        return
    _readable(saved.text)
    assert desk.policy.current()[0].version == saved.version


@pytest.mark.parametrize("where", POLICY_VALUES)
@HOSTILE
@given(value=hostile_text)
def test_policy_text_values(desk: Desk, where: str, value: str) -> None:
    _assert_policy_refusal(desk, _with_value(POLICY_VALUES[where], value), where)


@HOSTILE
@given(zone=hostile_zone)
def test_policy_window_zone(desk: Desk, zone: str) -> None:
    _assert_policy_refusal(desk, _with_value('zone = "America/Los_Angeles"', zone), "zone")


TARGET = 'P1 = { target = "15m", clock = "24x7" }'
CADENCE = 'P1 = { every = "1h", clock = "target", assumed = true }'


@pytest.mark.parametrize("line", [TARGET, CADENCE, 'minimum = "15m"'])
@HOSTILE
@given(duration=hostile_duration)
def test_policy_durations(desk: Desk, line: str, duration: str) -> None:
    assert line in POLICY
    key = "target" if "target =" in line else "every" if "every" in line else "minimum"
    old = line.split(f"{key} = ", 1)[1].split('"')[1]
    text = POLICY.replace(line, line.replace(f'"{old}"', _toml(duration)), 1)
    saved = desk.attempt("policy", lambda: desk.policy.save_policy(text))
    if saved is not None and key != "minimum":
        # a policy that saves can govern an incident: the clock's deadline is computed
        opened = desk.incidents.open_incident(report(desk.seeded.premium, proposed_priority="P1"))
        assert opened.id


@pytest.mark.parametrize("field", ["name", "role", "email", "phone"])
@HOSTILE
@given(value=hostile_text)
def test_escalation_contact_fields(desk: Desk, field: str, value: str) -> None:
    values = {"name": "Dana Ortiz", "role": "Support manager", "email": "dana@vendor.example"}
    values[field] = value
    saved = desk.attempt(field, lambda: desk.policy.add_escalation_contact(1, **values))
    if saved is not None:
        _readable(saved.name, saved.role, saved.email, saved.phone)


# -- the attacks of issue #12, one by one ----------------------------------------------------


def test_a_folder_as_a_window_zone_is_refused_under_zone(desk: Desk) -> None:
    """ "Europe" raised IsADirectoryError out of the service; 300 characters, OSError."""
    for zone in ("Europe", "a" * 300):
        before = row_counts(desk.db)
        with pytest.raises(ValidationError) as caught:
            desk.customers.create_window("Folder", "Mon-Fri 09:00-17:30", zone)
        assert list(caught.value.errors) == ["zone"]
        assert "is not a known time zone" in caught.value.errors["zone"]
        assert row_counts(desk.db) == before


def test_a_lone_surrogate_is_refused_under_its_field(desk: Desk) -> None:
    """'\\ud800' in a name raised UnicodeEncodeError from SQLite, mid-transaction."""
    before = row_counts(desk.db)
    with pytest.raises(ValidationError) as caught:
        desk.customers.create_customer("North\ud800wind", "standard", builtin_window_id("gmt"))
    assert caught.value.errors == {
        "name": "The customer name contains a broken character (U+D800, half of a character "
        "pair) that cannot be saved: retype that part."
    }
    with pytest.raises(ValidationError) as caught:
        desk.incidents.open_incident(report(desk.seeded.premium, steps="1. Log in\n2. \udfff"))
    assert list(caught.value.errors) == ["steps"]
    assert row_counts(desk.db) == before


def test_a_target_of_two_thousand_years_is_refused_and_incidents_still_open(desk: Desk) -> None:
    """17673992h was accepted; after it no incident could be opened on that plan and priority."""
    line = 'P1 = { target = "15m", clock = "24x7" }'
    with pytest.raises(ValidationError) as caught:
        desk.policy.save_policy(POLICY.replace(line, line.replace("15m", "17673992h"), 1))
    assert caught.value.errors == {
        "policy": 'plans.premium.targets.P1.target: "17673992h" is too long: durations are at '
        "most 90 business days (90bd) and at most 2,160 hours (2160h)"
    }
    longest = 'P1 = { target = "90bd2160h", clock = "business", assumed = true }'
    text = POLICY.replace('P1 = { target = "4h", clock = "business", assumed = true }', longest)
    assert desk.policy.save_policy(text).version == 2
    opened = desk.incidents.open_incident(report(desk.seeded.standard, priority="P1"))
    assert opened.priority == "P1"


def test_deeply_nested_toml_is_refused_in_words(desk: Desk) -> None:
    """Nested arrays raised RecursionError out of save_policy."""
    nested = "[" * 50_000 + "]" * 50_000
    with pytest.raises(ValidationError) as caught:
        desk.policy.save_policy(POLICY.replace("[exclusions]\n", f"[exclusions]\nx = {nested}\n"))
    assert "nests arrays or tables more than 16 levels deep" in caught.value.errors["policy"]
    with pytest.raises(ValidationError) as caught:
        desk.policy.save_policy(POLICY + "#" * (1024 * 1024))
    assert "a policy is at most 1,048,576 bytes (1 MiB)" in caught.value.errors["policy"]
    assert [v.version for v in desk.policy.versions()] == [1]


@HOSTILE
@given(value=hostile_text)
def test_the_customer_of_a_new_incident(desk: Desk, value: str) -> None:
    """An id no record has, even one SQLite cannot encode, is "no such customer"."""
    desk.attempt(
        "customer_id",
        lambda: desk.incidents.open_incident(report(desk.seeded.premium, customer_id=value)),
        "contact_id",  # no customer: no one on its list either
    )
