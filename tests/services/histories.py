"""Random incident histories on a real SQLite file, through the real services.

A template database (the default policy, a lead and an agent, one customer for every plan
in every window of the default policy) is built once per module; each example gets its own
copy, so SQL over the whole table sees only that example's incidents. ``lives`` draws whole
incident lives: priority changes before and after a response, waiting and resuming,
exclusions, resolving, reopening, escalations, and gaps that cross deadlines and window
edges. ``instants`` then picks "now"s after the last event: at each deadline, one second
either side, and further on.
"""

from __future__ import annotations

import itertools
import random
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import strategies as st

from console.domain.ids import HybridLogicalClock
from console.domain.outcomes import ClockOutcome, first_response
from console.domain.records import Customer, IncidentSummary, Role
from console.services.agents import AgentService
from console.services.clock_reader import ClockReader
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.seed import builtin_window_id, seed_defaults
from console.services.validation import ValidationError
from db.store import SqliteStore
from tests.services.conftest import FakeClock, make_store, report

PLANS = ("standard", "advanced", "premium", "premium_plus")
WINDOWS = ("pacific", "gmt", "australian_eastern")
SECOND = timedelta(seconds=1)

Action = Callable[[IncidentService, str, random.Random], object]

ACTIONS: dict[str, Action] = {
    "respond": lambda s, i, r: s.respond(i, "Looking into it"),
    "update": lambda s, i, r: s.post_status_update(i, "status_page", "", "Still on it"),
    "priority": lambda s, i, r: s.change_priority(
        i, r.choice(["P1", "P2", "P3", "P4"]), "Triage", r.choice(["customer", "vendor"])
    ),
    "escalate": lambda s, i, r: s.escalate(i, min(s.summary(i).escalation_level + 1, 2)),
    "exclude": lambda s, i, r: s.exclude(i, r.choice(["i", "ii", "iii", "iv"]), "Out of scope"),
    "wait": lambda s, i, r: s.wait_on_customer(i, "Asked for logs"),
    "resume": lambda s, i, r: s.resume(i, "Logs in"),
    "resolve": lambda s, i, r: s.resolve(i, "Fixed"),
    "reopen": lambda s, i, r: s.reopen(i, "Came back"),
}

# Gaps in minutes: none, a second's worth of nothing, 15 min (a Premium P1), hours, a business
# day and more, so steps land before, at and after deadlines and on both sides of window edges.
GAPS = (0, 1, 14, 15, 16, 59, 61, 119, 121, 240, 480, 510, 1440, 2900, 7000)

steps = st.lists(
    st.tuples(st.sampled_from(sorted(ACTIONS)), st.sampled_from(GAPS)),
    max_size=10,
)


@dataclass(frozen=True)
class Life:
    """One incident: for whom (plan × window), when, at which priority, and what happened."""

    customer: int
    priority: str
    delay: int  # minutes after the example's start
    script: list[tuple[str, int]]
    seed: int


lives = st.builds(
    Life,
    customer=st.integers(min_value=0, max_value=len(PLANS) * len(WINDOWS) - 1),
    priority=st.sampled_from(["P1", "P2", "P3", "P4"]),
    delay=st.sampled_from([0, 7, 90, 600, 1500]),
    script=steps,
    seed=st.integers(min_value=0, max_value=2**16),
)
starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@dataclass
class Template:
    path: Path
    customers: tuple[Customer, ...]
    agent_id: str
    lead_id: str


def build_template(folder: Path) -> Template:
    clock = FakeClock()
    hlc = HybridLogicalClock("ws-hist", lambda: int(clock.now().timestamp() * 1000))
    path = folder / "template.sqlite3"
    store = make_store(path)
    try:
        seed_defaults(store, clock, hlc)
        agents = AgentService(store, hlc)
        lead = agents.register("Marcus Webb", Role.LEAD)
        agent = agents.register("Sofia Alvarez", Role.AGENT)
        service = CustomerService(store, clock, lead, hlc)
        made = []
        for plan, window in itertools.product(PLANS, WINDOWS):
            customer = service.create_customer(f"{plan} {window}", plan, builtin_window_id(window))
            domain = f"{plan}-{window}".replace("_", "-")
            service.add_contact(customer.id, "Olivia Chen", "IT lead", [f"olivia@{domain}.example"])
            made.append(service.customer(customer.id))
    finally:
        store.close()  # checkpoints the WAL into the file
    return Template(path, tuple(made), agent.id, lead.id)


@dataclass
class World:
    store: SqliteStore
    clock: FakeClock
    incidents: IncidentService
    template: Template
    ended_at: datetime  # the last instant any event was written at


_copies = itertools.count()


@contextmanager
def world_from(template: Template, start: datetime, life_list: Sequence[Life]) -> Iterator[World]:
    """A fresh copy of the template with ``life_list`` lived in it, from ``start`` on."""
    path = template.path.with_name(f"example-{next(_copies)}.sqlite3")
    shutil.copyfile(template.path, path)
    store = make_store(path)
    try:
        clock = FakeClock(start)
        hlc = HybridLogicalClock("ws-hist", lambda: int(clock.now().timestamp() * 1000))
        with store.read() as tx:
            agent = tx.agents.get(template.agent_id)
        assert agent is not None
        service = IncidentService(store, clock, agent, "ws-hist", hlc)
        ended = start
        for life in life_list:
            ended = max(ended, live(service, clock, template, start, life))
        yield World(store, clock, service, template, ended)
    finally:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def live(
    service: IncidentService, clock: FakeClock, template: Template, start: datetime, life: Life
) -> datetime:
    """Open one incident and run its script; returns the instant of its last step."""
    rng = random.Random(life.seed)
    clock.set(start + timedelta(minutes=life.delay))
    customer = template.customers[life.customer]
    classified = {"priority": life.priority} if customer.plan == "standard" else {}
    opened = service.open_incident(report(customer, proposed_priority=life.priority, **classified))
    for name, minutes in life.script:
        clock.advance(minutes=minutes)
        with suppress(ValidationError):  # a refusal writes nothing; the life goes on
            ACTIONS[name](service, opened.id, rng)
    return clock.now()


def summaries(world: World) -> list[IncidentSummary]:
    with world.store.read() as tx:
        found = [tx.incidents.summary(i) for i in tx.incidents.all_ids()]
    return [s for s in found if s is not None]


def domain_outcomes(world: World, now: datetime) -> dict[str, tuple[IncidentSummary, ClockOutcome]]:
    """Every incident's first-response outcome at ``now``, by the domain: events replayed."""
    with world.store.read() as tx:
        reader = ClockReader(tx)
        found = [s for i in tx.incidents.all_ids() if (s := tx.incidents.summary(i))]
        return {s.id: (s, first_response(reader.clocks(s, now))) for s in found}


def instants(world: World, rng: random.Random) -> list[datetime]:
    """ "Now"s after the last event: each deadline and a second either side, and later."""
    candidates = [world.ended_at, world.ended_at + SECOND]
    for s in summaries(world):
        for due in (s.outcome_due, s.first_response_due, s.next_deadline):
            if due is not None:
                candidates += [due - SECOND, due, due + SECOND]
    candidates += [
        world.ended_at + timedelta(minutes=rng.choice((5, 90, 600, 3000, 20_000, 200_000)))
    ]
    return sorted({t for t in candidates if t >= world.ended_at})
