"""The stored projection is exactly what the events say, however an incident's life went."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.events import EventKind, IncidentEvent
from console.domain.ids import HybridLogicalClock
from console.domain.projection import project, search_text, terms_of
from console.domain.records import Customer, Role
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.policy import governing_policy
from console.services.seed import builtin_window_id, seed_defaults
from console.services.validation import ValidationError
from db.store import SqliteStore
from tests.services.conftest import FakeClock, make_store, report


@dataclass
class World:
    store: SqliteStore
    clock: FakeClock
    incidents: IncidentService
    customers: tuple[Customer, ...]
    agent_ids: tuple[str, ...]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    clock = FakeClock()
    hlc = HybridLogicalClock("ws-prop", lambda: int(clock.now().timestamp() * 1000))
    store = make_store(tmp_path_factory.mktemp("projection") / "p.sqlite3")
    seed_defaults(store, clock, hlc)
    agents = AgentService(store, hlc)
    lead = agents.register("Marcus Webb", Role.LEAD)
    sofia = agents.register("Sofia Alvarez", Role.AGENT)
    svc = CustomerService(store, clock, lead, hlc)
    made = []
    for name, plan, window in (
        ("Northwind Freight", "premium_plus", "pacific"),
        ("Hollybrook Trust", "standard", "gmt"),
        ("Harbourline Logistics", "advanced", "australian_eastern"),
    ):
        customer = svc.create_customer(name, plan, builtin_window_id(window))
        svc.add_contact(
            customer.id, "Olivia Chen", "IT lead", [f"olivia@{window}.example".replace("_", "-")]
        )
        made.append(svc.customer(customer.id))
    incidents = IncidentService(store, clock, sofia, "ws-prop", hlc)
    yield World(store, clock, incidents, tuple(made), (lead.id, sofia.id))
    store.close()


Action = Callable[[IncidentService, str, random.Random, World], object]

ACTIONS: dict[str, Action] = {
    "respond": lambda s, i, r, w: s.respond(i, "Looking into it"),
    "update": lambda s, i, r, w: s.post_status_update(i, "status_page", "", "Still on it"),
    "priority": lambda s, i, r, w: s.change_priority(
        i, r.choice(["P1", "P2", "P3", "P4"]), "Triage", r.choice(["customer", "vendor"])
    ),
    "escalate": lambda s, i, r, w: s.escalate(i, r.choice([1, 2])),
    "exclude": lambda s, i, r, w: s.exclude(i, r.choice(["i", "ii", "iii", "iv"]), "Out of scope"),
    "wait": lambda s, i, r, w: s.wait_on_customer(i, "Asked for logs"),
    "resume": lambda s, i, r, w: s.resume(i, "Logs in"),
    "assign": lambda s, i, r, w: s.assign(i, r.choice([None, *w.agent_ids])),
    "note": lambda s, i, r, w: s.note(i, "A note"),
    "resolve": lambda s, i, r, w: s.resolve(i, "Fixed"),
    "reopen": lambda s, i, r, w: s.reopen(i, "Came back"),
    "report": lambda s, i, r, w: s.update_report(i, {"impact": f"Impact {r.randrange(1000)}"}),
}

steps = st.lists(
    st.tuples(
        st.sampled_from(sorted(ACTIONS)),
        st.sampled_from([0, 1, 7, 14, 16, 45, 61, 130, 240, 600, 1500, 4000]),  # minutes
    ),
    max_size=14,
)


@dataclass(frozen=True)
class Life:
    """One incident's life: who reported it, when, at which priority, and what happened."""

    customer: int
    priority: str
    start: datetime
    script: list[tuple[str, int]]
    seed: int


lives = st.builds(
    Life,
    customer=st.integers(min_value=0, max_value=2),
    priority=st.sampled_from(["P1", "P2", "P3", "P4"]),
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    script=steps,
    seed=st.integers(min_value=0, max_value=2**16),
)


@settings(max_examples=40)
@given(life=lives)
def test_rebuilt_projection_equals_the_stored_one(world: World, life: Life) -> None:
    rng = random.Random(life.seed)
    world.clock.set(life.start)
    target = world.customers[life.customer]
    classified = {"priority": life.priority} if target.plan == "standard" else {}
    opened = world.incidents.open_incident(
        report(target, proposed_priority=life.priority, **classified)
    )
    for name, minutes in life.script:
        world.clock.advance(minutes=minutes)
        # A refusal writes nothing; the next step goes on from the same state.
        with suppress(ValidationError):
            ACTIONS[name](world.incidents, opened.id, rng, world)

    stored = world.incidents.summary(opened.id)
    world.clock.advance(days=rng.randint(0, 400))  # rebuilding later changes nothing
    assert world.incidents.projected(opened.id) == stored
    assert world.incidents.rebuild_projection(opened.id) == stored
    assert world.incidents.summary(opened.id) == stored

    # Any arrival order of the same events (as sync delivers them) projects the same.
    with world.store.read() as tx:
        events = tx.incidents.events(opened.id)
        policy = governing_policy(tx, stored.policy_version)
    terms = terms_of(events)
    assert terms is not None
    shuffled: list[IncidentEvent] = events[:]
    rng.shuffle(shuffled)
    assert project(shuffled + events[:2], terms, policy, stored.number, 1) == stored
    assert search_text(shuffled) == search_text(events)
    assert sum(e.kind is EventKind.OPENED for e in events) == 1


def test_projection_ignores_the_wall_clock(world: World) -> None:
    """Two projections of the same events, an hour of wall time apart, are equal."""
    world.clock.set(datetime(2026, 5, 4, 16, 0, tzinfo=UTC))
    opened = world.incidents.open_incident(report(world.customers[0]))
    world.clock.advance(minutes=3)
    world.incidents.respond(opened.id, "Hi")
    first = world.incidents.projected(opened.id)
    world.clock.advance(hours=1)
    assert world.incidents.projected(opened.id) == first
    assert first.updated_at == datetime(2026, 5, 4, 16, 3, tzinfo=UTC)
    assert first.next_deadline == datetime(2026, 5, 4, 17, 3, tzinfo=UTC)
