"""The wallboard's read model: which incidents get a tile, their order, the counts, and how a
tile's reading moves on (re-read by the domain at its next change)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from console.domain.clock_model import Clock, ClockState, ClockType
from console.domain.reading import Reading
from console.domain.records import IncidentSummary, Status
from console.domain.wording import countdown, headline
from console.services.board import (
    BOARD_HORIZON,
    BoardItem,
    board_counts,
    board_tiles,
    next_board_change,
    read_board,
    tile_text,
)
from console.services.incidents import IncidentService
from console.services.open_incidents import OpenIncident, OpenIncidentReader
from db.store import SqliteStore
from tests.services.conftest import START, Customers, FakeClock, report

PRIORITIES = ("P1", "P2", "P3", "P4")
ZONE = ZoneInfo("Europe/London")
SECOND = timedelta(seconds=1)


def item(number: str, priority: str, state: ClockState, left: timedelta) -> BoardItem:
    """A board item whose live clock stands at ``state`` with ``left`` to its deadline."""
    deadline = START + left
    clock = Clock(kind=ClockType.FIRST_RESPONSE, state=state, now=START, deadline=deadline)
    reading = Reading(
        now=START,
        priority=priority,
        escalation_level=0,
        clock=clock,
        state=state,
        deadline=deadline,
        wall=left,
    )
    summary = IncidentSummary(
        id=number,
        number=number,
        customer_id="c",
        title="t",
        priority=priority,
        proposed_priority=priority,
        status=Status.OPEN,
        channel="web",
        opened_at=START - timedelta(days=9),
        policy_version=1,
    )
    return BoardItem(OpenIncident(summary, customer="Customer"), reading)


BREACHED, AT_RISK, RUNNING, PAUSED = (
    ClockState.BREACHED,
    ClockState.AT_RISK,
    ClockState.RUNNING,
    ClockState.PAUSED,
)


def test_tiles_go_by_priority_then_breached_at_risk_and_the_rest_then_time_left() -> None:
    items = [
        item("old-P3", "P3", BREACHED, -timedelta(days=7)),  # a week-old breach
        item("P2-late-2h", "P2", BREACHED, -timedelta(hours=2)),
        item("P1-risk", "P1", AT_RISK, timedelta(minutes=10)),
        item("P2-risk", "P2", AT_RISK, timedelta(minutes=5)),
        item("P1-3h", "P1", RUNNING, timedelta(hours=3)),
        item("P1-late-5m", "P1", BREACHED, -timedelta(minutes=5)),
        item("P1-paused-2h", "P1", PAUSED, timedelta(hours=2)),  # window closed, due soon
        item("P2-late-1d", "P2", BREACHED, -timedelta(days=1)),
        item("P1-late-1h", "P1", BREACHED, -timedelta(hours=1)),
        item("P4-2d", "P4", RUNNING, timedelta(days=2)),  # far away: no tile
    ]
    shown = [i.number for i in board_tiles(items, START, PRIORITIES)]
    assert shown == [
        "P1-late-1h",  # most overdue first among breached
        "P1-late-5m",
        "P1-risk",  # a P1 at risk comes before any P2, breached or not
        "P1-paused-2h",  # then the rest, soonest deadline first
        "P1-3h",
        "P2-late-1d",
        "P2-late-2h",
        "P2-risk",
        "old-P3",  # the week-old P3 breach comes after every P1 and P2
    ]


def test_a_priority_the_policy_does_not_list_comes_last() -> None:
    items = [item("odd", "P9", BREACHED, -timedelta(days=1)), item("p4", "P4", AT_RISK, SECOND)]
    assert [i.number for i in board_tiles(items, START, PRIORITIES)] == ["p4", "odd"]


def test_a_clock_gets_a_tile_once_due_within_the_horizon() -> None:
    inside = item("inside", "P3", RUNNING, BOARD_HORIZON)
    outside = item("outside", "P3", RUNNING, BOARD_HORIZON + SECOND)
    assert [i.number for i in board_tiles([inside, outside], START, PRIORITIES)] == ["inside"]
    assert next_board_change([inside, outside], START) == START + SECOND  # when it enters
    later = [i.number for i in board_tiles([inside, outside], START + SECOND, PRIORITIES)]
    assert later == ["inside", "outside"]


def test_counts_are_the_breached_and_at_risk_readings_by_priority() -> None:
    items = [
        item("a", "P1", BREACHED, -SECOND),
        item("b", "P1", AT_RISK, SECOND),
        item("c", "P1", AT_RISK, timedelta(minutes=3)),
        item("d", "P2", BREACHED, -timedelta(days=3)),
        item("e", "P3", RUNNING, timedelta(hours=1)),
        item("f", "P3", PAUSED, timedelta(hours=1)),
    ]
    counts = board_counts(items, PRIORITIES)
    assert counts.breached == {"P1": 1, "P2": 1, "P3": 0, "P4": 0}
    assert counts.at_risk == {"P1": 2, "P2": 0, "P3": 0, "P4": 0}


# -- on a real store: readings from the domain ------------------------------------------------


@pytest.fixture
def reader(store: SqliteStore, clock: FakeClock) -> OpenIncidentReader:
    return OpenIncidentReader(store, clock)


def test_the_board_reads_every_open_incident_with_a_live_clock(
    reader: OpenIncidentReader, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    p1 = incidents.open_incident(report(customers.premium, title="Down"))
    waiting = incidents.open_incident(report(customers.premium, title="Waiting"))
    incidents.respond(waiting.id, "Looking")
    incidents.wait_on_customer(waiting.id, "Need logs")
    done = incidents.open_incident(report(customers.premium, title="Done"))
    incidents.respond(done.id, "Fixed it")
    incidents.resolve(done.id, "Fixed")
    clock.advance(minutes=5)
    board = read_board(reader)
    assert board.priorities == PRIORITIES
    items = {i.number: i for i in board.items}
    assert done.number not in items
    # a 15-minute target is at risk from the start (the threshold is at least 15 minutes)
    down = items[p1.number]
    assert down.state is ClockState.AT_RISK and down.deadline == START + timedelta(minutes=15)
    text = tile_text(down, clock.now(), ZONE)
    assert (text.headline, text.countdown) == ("First response · at risk", "10 m 00 s")
    assert text.parts == ("10 m 00 s", "")
    assert text.assignee == "unassigned" and text.customer == "Northwind Freight"
    # waiting on the customer: nothing counts down, so no tile and no count
    assert items[waiting.number].state is ClockState.PAUSED
    tiles = board_tiles(board.items, clock.now(), board.priorities)
    assert [i.number for i in tiles] == [p1.number]
    counts = board_counts(board.items, board.priorities)
    assert counts.at_risk["P1"] == 1 and sum(counts.breached.values()) == 0


def test_a_tile_turns_breached_one_instant_after_its_deadline_by_a_domain_re_read(
    reader: OpenIncidentReader, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    incidents.open_incident(report(customers.premium, title="Down"))
    (down,) = read_board(reader).items
    deadline = START + timedelta(minutes=15)
    assert down.reading.next_change_at == deadline + timedelta(microseconds=1)

    before = down.at(deadline - SECOND)
    assert before is down  # nothing changes before: the countdown moves by arithmetic
    assert tile_text(before, deadline - SECOND, ZONE).countdown == "0 m 01 s"
    at_deadline = down.at(deadline)
    assert at_deadline.state is ClockState.AT_RISK  # a response now still meets
    assert tile_text(at_deadline, deadline, ZONE).countdown == "0 m 00 s"

    after = down.at(deadline + SECOND)
    assert after is not down and after.state is ClockState.BREACHED
    fresh = reader.one(down.incident_id)
    assert fresh is not None and after.reading == fresh.at(deadline + SECOND).reading
    text = tile_text(after, deadline + SECOND, ZONE)
    assert (text.headline, text.countdown) == ("First response · breached", "0 m 01 s over")
    assert text.state is ClockState.BREACHED


def test_an_escalated_incident_shows_the_clock_of_its_escalation(
    reader: OpenIncidentReader, incidents: IncidentService, customers: Customers, clock: FakeClock
) -> None:
    down = incidents.open_incident(report(customers.premium, title="Down"))
    clock.advance(minutes=16)  # the first response missed its 15 minutes
    incidents.escalate(down.id, 1, "No response")
    clock.advance(minutes=5)
    (item_,) = read_board(reader).items
    assert item_.incident.clocks is not None
    assert item_.incident.clocks.first_response.state is ClockState.BREACHED
    text = tile_text(item_, clock.now(), ZONE)
    assert text.headline == "Escalation 1 response · at risk"
    assert text.countdown == "10 m 00 s"  # of Escalation 1, not "6 m 00 s over"
    assert text.countdown == countdown(item_.live(clock.now()), ZONE)
    assert text.headline == headline(item_.live(clock.now()))
    counts = board_counts([item_], PRIORITIES)
    assert counts.breached["P1"] == 0 and counts.at_risk["P1"] == 1
