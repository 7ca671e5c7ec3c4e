"""The SQL that counts first responses says what the domain says, at every instant.

Attainment, History's outcome filters, History's rows (and so the CSV) read the projection
with SQL that restates ``outcomes.first_response`` for speed (DESIGN §9: a million incidents
in a second). Over random histories on a real SQLite file, through the real services, at
"now"s exactly on deadlines and one second either side, every one of them must equal the
domain's outcome of the replayed events.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from console.domain.outcomes import Outcome
from console.domain.projection import outcome_at
from console.services.ports import IncidentFilter
from console.services.review import ReviewService
from tests.clock import ManualClock
from tests.services.conftest import report
from tests.services.histories import (
    Life,
    Template,
    World,
    build_template,
    domain_outcomes,
    instants,
    lives,
    starts,
    world_from,
)

COUNTED = (Outcome.MET, Outcome.MISSED, Outcome.PENDING, Outcome.EXCLUDED)
Key = tuple[str, str, str]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    yield build_template(tmp_path_factory.mktemp("outcome-sql"))


def expected_attainment(world: World, now: datetime) -> dict[Key, Counter[Outcome]]:
    groups: dict[Key, Counter[Outcome]] = {}
    for summary, outcome in domain_outcomes(world, now).values():
        if outcome.outcome in COUNTED:
            key = (outcome.priority, summary.plan, outcome.month)
            groups.setdefault(key, Counter())[outcome.outcome] += 1
    return groups


def sql_attainment(world: World, now: datetime) -> dict[Key, Counter[Outcome]]:
    with world.store.read() as tx:
        rows = tx.incidents.attainment(IncidentFilter(), now)
    return {
        (r.priority, r.plan, r.month): Counter(
            {
                Outcome.MET: r.met,
                Outcome.MISSED: r.missed,
                Outcome.PENDING: r.pending,
                Outcome.EXCLUDED: r.excluded,
            }
        )
        for r in rows
    }


def check_at(world: World, now: datetime, *, record: bool = False) -> None:
    truth = domain_outcomes(world, now)
    for summary, outcome in truth.values() if record else ():  # --hypothesis-show-statistics
        event(f"first response {outcome.outcome.value}")
        if summary.outcome_due is not None and summary.outcome_due == now:
            event("now exactly at a deadline")
        if summary.first_response_due != summary.outcome_due:
            event("missed, then restarted by a priority change")
        if summary.escalation_level:
            event(f"escalated to {summary.escalation_level}")
    by_outcome = {o: {i for i, (_, c) in truth.items() if c.outcome is o} for o in Outcome}

    assert sql_attainment(world, now) == expected_attainment(world, now), now

    with world.store.read() as tx:
        for outcome in (Outcome.MET, Outcome.MISSED, Outcome.PENDING):
            flt = IncidentFilter(outcome=outcome)
            listed = {s.id for s in tx.incidents.find(flt, limit=1_000, now=now)}
            assert listed == by_outcome[outcome], (outcome, now)
            assert tx.incidents.count(flt, now) == len(by_outcome[outcome])
        excluded = tx.incidents.count(IncidentFilter(excluded=True), now)
        assert excluded == len(by_outcome[Outcome.EXCLUDED])

    rows = ReviewService(world.store, ManualClock(now)).history_page(IncidentFilter())
    for row in rows:
        summary, outcome = truth[row.summary.id]
        assert row.outcome is outcome.outcome, (row.summary.number, now)
        assert outcome_at(summary, now) is outcome.outcome
        if outcome.outcome is Outcome.PENDING:  # never "pending" once the deadline passed
            assert summary.outcome_due is not None and summary.outcome_due >= now
        # the stored deadline and priority are those the domain decides by
        assert (summary.outcome_due, summary.outcome_priority) == (
            outcome.deadline,
            outcome.priority,
        )


@settings(max_examples=60, deadline=None)
@given(start=starts, life_list=st.lists(lives, min_size=1, max_size=4), seed=st.integers(0, 99))
def test_sql_outcomes_equal_the_domain_at_every_instant(
    template: Template, start: datetime, life_list: list[Life], seed: int
) -> None:
    with world_from(template, start, life_list) as world:
        for now in instants(world, random.Random(seed)):
            check_at(world, now, record=True)


def test_a_priority_change_after_the_missed_deadline_keeps_the_miss(
    template: Template,
) -> None:
    """Issue 10's case: a Premium P2 opened at 10:00 and moved to P3 at 13:00 is missed at
    12:00 (its P2 deadline), counted in the P2 group, whatever the restarted P3 clock says."""
    premium = next(c for c in template.customers if c.plan == "premium")
    start = datetime.fromisoformat("2026-03-10T10:00:00+00:00")
    with world_from(template, start, []) as world:
        opened = world.incidents.open_incident(report(premium, proposed_priority="P2"))
        world.clock.set(datetime.fromisoformat("2026-03-10T13:00:00+00:00"))
        world.incidents.change_priority(opened.id, "P3", "Less urgent", "vendor")
        world.ended_at = world.clock.now()
        for now in instants(world, random.Random(1)):
            check_at(world, now)
        at_one = datetime.fromisoformat("2026-03-10T13:00:01+00:00")
        with world.store.read() as tx:
            [row] = tx.incidents.attainment(IncidentFilter(), at_one)
            missed = tx.incidents.count(IncidentFilter(outcome=Outcome.MISSED), at_one)
        assert (row.priority, row.month, row.missed, row.pending) == ("P2", "2026-03", 1, 0)
        assert missed == 1
        summary = world.incidents.summary(opened.id)
        assert summary.outcome_due == datetime.fromisoformat("2026-03-10T12:00:00+00:00")
        assert summary.first_response_due is not None
        assert summary.first_response_due > summary.outcome_due  # the restarted P3 clock


def test_resolving_without_a_response_is_a_miss_not_a_meet(template: Template) -> None:
    premium = next(c for c in template.customers if c.plan == "premium_plus")
    start = datetime.fromisoformat("2026-03-10T10:00:00+00:00")
    with world_from(template, start, []) as world:
        opened = world.incidents.open_incident(report(premium, proposed_priority="P1"))
        world.clock.advance(minutes=5)  # well inside the 15-minute target
        world.incidents.resolve(opened.id, "Fixed it without a word to the customer")
        now = world.clock.now()
        with world.store.read() as tx:
            [row] = tx.incidents.attainment(IncidentFilter(), now)
            met = tx.incidents.count(IncidentFilter(outcome=Outcome.MET), now)
        assert (row.met, row.missed, row.pending) == (0, 1, 0)
        assert met == 0
        check_at(world, now)
