"""The policy file: defaults that match DESIGN §2, lossless text round-trip, clear errors."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from console.domain.calendar import BusinessCalendar
from console.domain.events import Channel, Side
from console.domain.policy import (
    DEFAULT_POLICY_PATH,
    SPAN_BOUNDS,
    CadenceClock,
    ClockKind,
    Policy,
    PolicyError,
    Span,
    load_default_policy,
    load_policy,
)
from console.domain.policy_toml import POLICY_MAX_BYTES, POLICY_MAX_DEPTH

H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_default_policy()


@pytest.fixture(scope="module")
def text() -> str:
    return DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


# -- defaults (DESIGN §2) ------------------------------------------------------------------------


def test_default_windows_are_the_three_contract_windows(policy: Policy) -> None:
    windows = {(w.id, w.name, w.zone, w.hours, w.holidays) for w in policy.windows}
    assert windows == {
        ("pacific", "Pacific", "America/Los_Angeles", "Mon-Fri 09:00-17:30", ()),
        ("gmt", "GMT", "Etc/GMT", "Mon-Fri 09:00-17:30", ()),
        ("australian_eastern", "Australian Eastern", "Australia/Sydney", "Mon-Fri 09:00-17:30", ()),
    }
    for window in policy.windows:
        assert not window.holiday_country
        calendar = window.calendar()
        assert isinstance(calendar, BusinessCalendar)
        assert calendar.zone_name == window.zone
        assert calendar.business_day() == timedelta(hours=8, minutes=30)


def test_default_priorities_have_definitions_and_email_defaults_to_p4(policy: Policy) -> None:
    assert policy.priority_ids == ("P1", "P2", "P3", "P4")
    assert "down" in policy.priority("P1").definition
    assert "degraded" in policy.priority("P2").definition
    assert "materially working" in policy.priority("P3").definition
    assert "cosmetic" in policy.priority("P4").definition
    assert policy.default_priority(Channel.EMAIL) == "P4"
    assert policy.default_priority(Channel.WEB) is None


# (plan, priority) -> (span text, clock, assumed), straight from the DESIGN §2 table.
DESIGN_TABLE = {
    ("standard", "P1"): ("4h", ClockKind.BUSINESS, True),
    ("standard", "P2"): ("8h", ClockKind.BUSINESS, True),
    ("standard", "P3"): ("2bd", ClockKind.BUSINESS, True),
    ("standard", "P4"): ("3bd", ClockKind.BUSINESS, True),
    ("advanced", "P1"): ("1h", ClockKind.WALL, False),
    ("advanced", "P2"): ("8h", ClockKind.BUSINESS, True),
    ("advanced", "P3"): ("2bd", ClockKind.BUSINESS, True),
    ("advanced", "P4"): ("3bd", ClockKind.BUSINESS, True),
    ("premium", "P1"): ("15m", ClockKind.WALL, False),
    ("premium", "P2"): ("2h", ClockKind.WALL, False),
    ("premium", "P3"): ("1bd", ClockKind.BUSINESS, True),
    ("premium", "P4"): ("2bd", ClockKind.BUSINESS, True),
    ("premium_plus", "P1"): ("15m", ClockKind.WALL, False),
    ("premium_plus", "P2"): ("2h", ClockKind.WALL, False),
    ("premium_plus", "P3"): ("1bd", ClockKind.BUSINESS, True),
    ("premium_plus", "P4"): ("2bd", ClockKind.BUSINESS, True),
}


@pytest.mark.parametrize(("plan", "priority"), sorted(DESIGN_TABLE))
def test_default_targets_match_the_design_table(policy: Policy, plan: str, priority: str) -> None:
    span, clock, assumed = DESIGN_TABLE[(plan, priority)]
    target = policy.target(plan, priority)
    assert (str(target.span), target.clock, target.assumed) == (span, clock, assumed)
    assert (target.plan, target.priority) == (plan, priority)


def test_default_plans(policy: Policy) -> None:
    plans = {p.id: (p.name, p.priority_set_by, p.named_account_manager) for p in policy.plans}
    assert plans == {
        "standard": ("Standard", Side.VENDOR, False),
        "advanced": ("Advanced", Side.CUSTOMER, False),
        "premium": ("Premium", Side.CUSTOMER, False),
        "premium_plus": ("Premium Plus", Side.CUSTOMER, True),
    }


def test_business_day_targets_are_n_window_days(policy: Policy) -> None:
    calendar = policy.window("pacific").calendar()
    assert policy.target("standard", "P3").duration(calendar) == timedelta(hours=17)
    assert policy.target("standard", "P4").duration(calendar) == timedelta(hours=25, minutes=30)
    assert policy.target("premium", "P3").duration(calendar) == timedelta(hours=8, minutes=30)


def test_cadences_follow_the_plans_target_clock(policy: Policy) -> None:
    # P1 every 1 h and P2 every 4 h "on the P1/P2 clock": 24x7 on Premium, business on Standard.
    p1 = policy.cadence("premium", "P1")
    assert p1 is not None
    assert (p1.span, p1.clock, p1.clock_from_target) == (Span(minutes=60), ClockKind.WALL, True)
    p1_std = policy.cadence("standard", "P1")
    assert p1_std is not None and p1_std.clock is ClockKind.BUSINESS
    p2_adv = policy.cadence("advanced", "P2")  # Advanced P2 is 8 bh: its updates are in bh too
    assert p2_adv is not None and (p2_adv.span, p2_adv.clock) == (Span(minutes=240), "business")
    p3 = policy.cadence("premium", "P3")
    assert p3 is not None and (p3.span, p3.clock) == (Span(business_days=1), ClockKind.BUSINESS)
    assert policy.cadence("premium_plus", "P4") is None
    assert {c.priority: c.clock for c in policy.cadences if c.every}["P1"] is CadenceClock.TARGET


def test_at_risk_threshold_is_a_quarter_but_at_least_15_minutes(policy: Policy) -> None:
    assert policy.at_risk_threshold(4 * H) == H
    assert policy.at_risk_threshold(2 * H) == 30 * M
    assert policy.at_risk_threshold(H) == 15 * M
    assert policy.at_risk_threshold(15 * M) == 15 * M


def test_escalation_exclusions_and_support_list(policy: Policy) -> None:
    assert [(e.level, e.role) for e in policy.escalation_levels] == [
        (1, "Support manager"),
        (2, "Head of support"),
    ]
    assert [e.code for e in policy.exclusions] == ["i", "ii", "iii", "iv"]
    assert "not authorised" in policy.exclusion("i").text
    assert "force majeure" in policy.exclusion("ii").text
    assert "own equipment" in policy.exclusion("iii").text
    assert "Third-party" in policy.exclusion("iv").text
    assert policy.support_list_stale_days == 90


# -- round trip ----------------------------------------------------------------------------------


def test_default_round_trips_through_text(policy: Policy, text: str) -> None:
    assert load_policy(policy.to_toml()) == policy
    assert policy.to_toml() == text  # the shipped file is exactly what the app writes


def test_edited_policy_round_trips(text: str) -> None:
    custom_window = (
        'hours = "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-12:00"\n'
        "holidays = [2026-12-25, 2027-01-01]\n"
        'holiday_country = "US"\n'
        'holiday_subdivision = "CA"'
    )
    edits = [
        ('hours = "Mon-Fri 09:00-17:30"\nholidays = []', custom_window),
        ('name = "Default support policy"', 'name = "Ünïcode \\"quoted\\" \\\\ name"'),
        ("percent = 25", "percent = 12.5"),
        ('P1 = { target = "1h", clock = "24x7" }', 'P1 = { target = "1h30m", clock = "24x7" }'),
    ]
    for old, new in edits:
        text = _edit(text, old, new)
    policy = load_policy(text)
    assert policy.name == 'Ünïcode "quoted" \\ name'
    assert policy.window("pacific").holidays == (date(2026, 12, 25), date(2027, 1, 1))
    assert policy.window("pacific").holiday_subdivision == "CA"
    assert policy.target("advanced", "P1").span == Span(minutes=90)
    assert policy.at_risk_percent == 12.5
    assert load_policy(policy.to_toml()) == policy


@pytest.mark.parametrize(
    ("text", "span"),
    [("15m", Span(0, 15)), ("2h", Span(0, 120)), ("1h30m", Span(0, 90)), ("3bd", Span(3, 0))],
)
def test_span_parse_and_text(text: str, span: Span) -> None:
    assert Span.parse(text) == span
    assert str(span) == text


# -- validation: every error names the key and the value -----------------------------------------


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'P1 = { target = "15m", clock = "24x7" }',
            'P1 = { target = "15 mins", clock = "24x7" }',
            'plans.premium.targets.P1.target: "15 mins" is not a duration like 15m, 2h or 1bd',
        ),
        (
            'P1 = { target = "15m", clock = "24x7" }',
            'P1 = { target = "0m", clock = "24x7" }',
            'plans.premium.targets.P1.target: "0m" must be longer than zero',
        ),
        (
            'P1 = { target = "15m", clock = "24x7" }',
            'P1 = { target = "-15m", clock = "24x7" }',
            'plans.premium.targets.P1.target: "-15m" is not a duration',
        ),
        (
            'P1 = { target = "15m", clock = "24x7" }',
            'P1 = { target = "15m", clock = "wall" }',
            'plans.premium.targets.P1.clock: "wall" is not a clock kind',
        ),
        (
            'P1 = { target = "15m", clock = "24x7" }',
            'P1 = { target = "1bd", clock = "24x7" }',
            'plans.premium.targets.P1.target: "1bd" counts business days on a 24x7 clock',
        ),
        (
            'P1 = { target = "15m", clock = "24x7" }',
            'P5 = { target = "15m", clock = "24x7" }',
            'plans.premium.targets.P5: unknown priority "P5"',
        ),
        (
            'P4 = { target = "3bd", clock = "business", assumed = true }\n\n[plans.advanced]',
            "\n[plans.advanced]",
            "plans.standard.targets: missing priority P4",
        ),
        (
            "named_account_manager = true",
            'named_account_manager = "yes"',
            'plans.premium_plus.named_account_manager: "yes" is not true or false',
        ),
        (
            'priority_set_by = "vendor"',
            'priority_set_by = "anyone"',
            'plans.standard.priority_set_by: "anyone" is not "vendor" or "customer"',
        ),
        (
            "[plans.standard]\n",
            '[plans.standard]\ncolour = "blue"\n',
            "plans.standard.colour: unknown key",
        ),
        (
            'zone = "America/Los_Angeles"',
            'zone = "America/Los_Angles"',
            'windows.pacific.zone: "America/Los_Angles" is not a known IANA time zone',
        ),
        (
            'zone = "Australia/Sydney"\nhours = "Mon-Fri 09:00-17:30"',
            'zone = "Australia/Sydney"\nhours = "Mon-Fri 9-5"',
            'windows.australian_eastern.hours: "Mon-Fri 9-5" is not valid: ',
        ),
        (
            'zone = "Etc/GMT"\nhours = "Mon-Fri 09:00-17:30"\nholidays = []',
            'zone = "Etc/GMT"\nhours = "Mon-Fri 09:00-17:30"\nholidays = ["Christmas"]',
            'windows.gmt.holidays[0]: "Christmas" is not a date like 2026-12-25',
        ),
        (
            'zone = "Etc/GMT"\nhours = "Mon-Fri 09:00-17:30"\nholidays = []',
            'zone = "Etc/GMT"\nhours = "Mon-Fri 09:00-17:30"\nholidays = []\n'
            'holiday_country = "XX"',
            'windows.gmt.holiday_country: "XX" is not known to the holidays package',
        ),
        ("percent = 25", "percent = 125", "at_risk.percent: 125 is outside 0-100"),
        ("percent = 25", "percent = -1", "at_risk.percent: -1 is outside 0-100"),
        ('minimum = "15m"', 'minimum = "quarter"', 'at_risk.minimum: "quarter" is not a duration'),
        (
            'P2 = { every = "4h", clock = "target", assumed = true }',
            'P2 = { every = "4h", clock = "sometimes", assumed = true }',
            'status_updates.P2.clock: "sometimes" is not a clock kind',
        ),
        (
            'P2 = { every = "4h", clock = "target", assumed = true }',
            'P2 = { every = "never", assumed = true }',
            'status_updates.P2.every: "never" is not a duration like 15m, 2h or 1bd or "none"',
        ),
        (
            'P2 = { every = "4h", clock = "target", assumed = true }\n',
            "",
            "status_updates: missing priority P2",
        ),
        ('email = "P4"', 'email = "P9"', 'channel_defaults.email: "P9" is not a priority'),
        ('email = "P4"', 'fax = "P4"', 'channel_defaults.fax: "fax" is not a channel'),
        ("level = 2", "level = 3", "escalation[1].level: 3 should be 2"),
        ("stale_after_days = 90", "stale_after_days = 0", "support_list.stale_after_days: 0 is"),
        ('name = "Default support policy"', "name = 7", "name: 7 is not a string"),
        ("[support_list]\nstale_after_days = 90\n", "", "support_list: missing"),
        ("[plans.premium_plus]", '[plans."premium plus"]', 'plans.premium plus: "premium plus"'),
    ],
)
def test_validation_names_key_and_value(text: str, old: str, new: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(_edit(text, old, new))
    assert message in str(caught.value)


def test_invalid_toml_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy("name = ")


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


def test_unknown_plan_or_priority_lookups(policy: Policy) -> None:
    with pytest.raises(KeyError, match="gold"):
        policy.target("gold", "P1")
    with pytest.raises(KeyError, match="P7"):
        policy.target("premium", "P7")


# -- bounds (issue #12): no target, cadence or text a policy cannot live with --------------------

TARGET = 'P1 = { target = "15m", clock = "24x7" }'
BUSINESS_TARGET = 'P3 = { target = "1bd", clock = "business", assumed = true }'
CADENCE = 'P1 = { every = "1h", clock = "target", assumed = true }'
BUSINESS_CADENCE = 'P3 = { every = "1bd", clock = "business", assumed = true }'


def _target(text: str, span: str, line: str = TARGET) -> str:
    old = line.split('"')[1]
    return _edit(text, line, line.replace(f'"{old}"', f'"{span}"'))


def test_a_target_of_two_thousand_years_is_refused_with_the_bound(text: str) -> None:
    """The policy took 17673992h, after which no incident could be opened on that plan."""
    with pytest.raises(PolicyError) as caught:
        load_policy(_target(text, "17673992h"))
    assert str(caught.value) == (
        'plans.premium.targets.P1.target: "17673992h" is too long: durations are at most '
        "90 business days (90bd) and at most 2,160 hours (2160h)"
    )
    assert SPAN_BOUNDS in str(caught.value)


@pytest.mark.parametrize(
    ("span", "line", "accepted"),
    [
        ("2160h", TARGET, True),
        ("2159h60m", TARGET, True),
        ("2160h1m", TARGET, False),
        ("2161h", TARGET, False),
        ("90bd", BUSINESS_TARGET, True),
        ("90bd2160h", BUSINESS_TARGET, True),
        ("91bd", BUSINESS_TARGET, False),
        ("2160h", CADENCE, True),
        ("2160h1m", CADENCE, False),
        ("90bd", BUSINESS_CADENCE, True),
        ("91bd", BUSINESS_CADENCE, False),
    ],
)
def test_targets_and_cadences_are_bounded_exactly_at_the_limit(
    text: str, span: str, line: str, accepted: bool
) -> None:
    edited = _target(text, span, line)
    if accepted:
        load_policy(edited)
    else:
        with pytest.raises(PolicyError, match=re.escape(f'"{span}" is too long: durations are')):
            load_policy(edited)


def test_an_absurd_number_is_no_duration_and_no_traceback(text: str) -> None:
    for span in ("9" * 5000 + "h", "99999999999999999999999999999999999999bd"):
        with pytest.raises(PolicyError, match=r"is not a duration|is too long"):
            load_policy(_target(text, span))


def test_the_at_risk_minimum_and_stale_days_are_bounded(text: str) -> None:
    with pytest.raises(PolicyError, match=re.escape('at_risk.minimum: "2161h" is too long')):
        load_policy(_edit(text, 'minimum = "15m"', 'minimum = "2161h"'))
    ten_years = load_policy(_edit(text, "stale_after_days = 90", "stale_after_days = 3650"))
    assert ten_years.support_list_stale_days == 3650
    with pytest.raises(PolicyError) as caught:
        load_policy(_edit(text, "stale_after_days = 90", f"stale_after_days = {10**30}"))
    message = str(caught.value)
    assert message.startswith("support_list.stale_after_days: ")
    assert message.endswith("is too long: at most 3650 days (ten years)")
    with pytest.raises(PolicyError, match="3651 is too long"):
        load_policy(_edit(text, "stale_after_days = 90", "stale_after_days = 3651"))


@pytest.mark.parametrize(
    "nested",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError from tomllib before
        "[" * (POLICY_MAX_DEPTH + 1) + "]" * (POLICY_MAX_DEPTH + 1),
        "{ a = " * 2_000 + "1" + " }" * 2_000,
    ],
)
def test_deeply_nested_toml_is_a_policy_error_not_a_recursion_error(text: str, nested: str) -> None:
    edited = _edit(text, "[exclusions]\n", f"[exclusions]\nx = {nested}\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(edited)
    line = edited[: edited.index("x = ")].count("\n") + 1
    assert str(caught.value) == (
        f"policy: line {line} nests arrays or tables more than {POLICY_MAX_DEPTH} levels deep"
    )


def test_brackets_in_strings_and_comments_are_not_nesting(text: str) -> None:
    deep = "[" * 100 + "{" * 100
    edited = _edit(text, 'label = "Critical"', f'label = "Critical {deep}" # {deep}')
    edited = _edit(edited, 'label = "Major"', f"label = '''Major\n{deep}\"\"\"'''")
    edited = _edit(edited, 'label = "Minor"', f'label = """Minor \\" {deep}\n"""')
    policy = load_policy(edited)
    assert policy.priority("P1").label == f"Critical {deep}"
    assert policy.priority("P2").label == f'Major\n{deep}"""'
    nested = "[" * POLICY_MAX_DEPTH + "]" * POLICY_MAX_DEPTH  # at the bound: only "unknown key"
    with pytest.raises(PolicyError, match=re.escape("exclusions.x: a list of 1 is not a string")):
        load_policy(_edit(text, "[exclusions]\n", f"[exclusions]\nx = {nested}\n"))


def test_a_policy_is_at_most_one_mebibyte(text: str) -> None:
    room = POLICY_MAX_BYTES - len(text.encode("utf-8")) - 3  # "# " and the line end
    padded = text + "# " + "é" * (room // 2) + "x" * (room % 2) + "\n"
    assert len(padded.encode("utf-8")) == POLICY_MAX_BYTES
    load_policy(padded)
    with pytest.raises(PolicyError) as caught:
        load_policy(padded + "\n")
    assert str(caught.value) == (
        "policy: the text is 1,048,577 bytes; a policy is at most 1,048,576 bytes (1 MiB)"
    )


def test_a_lone_surrogate_is_refused_with_its_line(text: str) -> None:
    edited = _edit(text, 'label = "Critical"', 'label = "Crit\ud800ical"')
    line = edited[: edited.index("Crit\ud800")].count("\n") + 1
    with pytest.raises(PolicyError) as caught:
        load_policy(edited)
    message = str(caught.value)
    assert message == (
        f"policy: line {line} contains a broken character (U+D800, half of a character pair) "
        "that cannot be saved"
    )


def test_control_characters_in_policy_text_are_refused_by_key(text: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(_edit(text, 'label = "Critical"', 'label = "Crit\\u001bical"'))
    assert str(caught.value) == (
        'priorities.P1.label: "Crit\\u001bical" contains a control character (U+001B): remove it'
    )
    tabbed = load_policy(_edit(text, 'label = "Critical"', 'label = "Crit\\tical"'))
    assert tabbed.priority("P1").label == "Crit\tical"


@pytest.mark.parametrize(
    ("zone", "problem"),
    [
        (
            "Europe",
            'that is a region of the tz database, not a zone; name a place in it, such as "Europe/',
        ),
        ("x" * 300, "the name is 300 characters long, and IANA names are at most 255"),
        ("../../etc/passwd", "use an IANA name"),
        ("zone.tab", "use an IANA name"),
    ],
)
def test_a_window_zone_that_is_a_folder_or_too_long_is_named(
    text: str, zone: str, problem: str
) -> None:
    """ "Europe" raised IsADirectoryError and 300 characters OSError from the policy loader."""
    with pytest.raises(PolicyError) as caught:
        load_policy(_edit(text, 'zone = "America/Los_Angeles"', f'zone = "{zone}"'))
    message = str(caught.value)
    assert message.startswith("windows.pacific.zone: ")
    assert f"is not a known IANA time zone: {problem}" in message
    assert len(message) < 300


def test_a_message_never_repeats_a_huge_value(text: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(
            _edit(text, 'priority_set_by = "vendor"', f'priority_set_by = "{"v" * 100_000}"')
        )
    message = str(caught.value)
    assert message.startswith('plans.standard.priority_set_by: "vvvv')
    assert message.endswith('…" is not "vendor" or "customer"')
    assert len(message) < 200
