"""Benchmark: ``BusinessCalendar.add`` against ``businesstimedelta`` (DESIGN.md §9).

Run from the repository root with ``python -m tests.bench.calendar`` (``make bench`` runs it
as a script, which also works). Prints one JSON line.

Cases: seeded random starts (whole minutes) over 2026-2027 in five zones and three Monday to
Friday schedules, targets uniform (whole minutes) from 15 minutes to three business weeks.

Every answer of both libraries is checked against the brute-force walker of
``tests/domain/calendar_reference.py`` taking 15-minute steps. That is exact here: these
zones' offsets and DST changes, and the schedules' boundaries, all fall on quarter hours,
and the walker verifies per block that the offset is a quarter-hour multiple that does not
change inside the block (dropping to single minutes otherwise). A peer answer that raises
counts as a disagreement.

Timing: one warm-up pass each (ours fills its per-zone offset cache; the peer's first pass
gives its answers), then the best of several timed passes over all cases.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:  # run as a script: don't shadow stdlib calendar
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    sys.path.insert(0, os.path.dirname(os.path.dirname(_here)))

import json
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytz
from businesstimedelta import BusinessTimeDelta, LunchTimeRule, Rules, WorkDayRule

from console.domain.calendar import BusinessCalendar
from tests.domain.calendar_reference import ReferenceCalendar

CASES = 600
SEED = 20260101
BUDGET_SPEEDUP = 100
ZONES = ("America/Los_Angeles", "Etc/GMT", "Australia/Sydney", "Europe/London", "Asia/Kolkata")
# hours -> (reference ranges per weekday, peer rule factory)
WEEKDAYS = range(5)
SCHEDULES: dict[str, tuple[list[tuple[int, int]], Callable[[object], object]]] = {
    "Mon-Fri 09:00-17:30": (
        [(540, 1050)],
        lambda tz: WorkDayRule(clock(9), clock(17, 30), list(WEEKDAYS), tz=tz),
    ),
    "Mon-Fri 09:00-12:00,13:00-17:30": (
        [(540, 720), (780, 1050)],
        lambda tz: Rules(
            [
                WorkDayRule(clock(9), clock(17, 30), list(WEEKDAYS), tz=tz),
                LunchTimeRule(clock(12), clock(13), list(WEEKDAYS), tz=tz),
            ]
        ),
    ),
    "Mon-Fri 08:00-20:00": (
        [(480, 1200)],
        lambda tz: WorkDayRule(clock(8), clock(20), list(WEEKDAYS), tz=tz),
    ),
}


def make_cases() -> list[tuple[str, str, datetime, timedelta]]:
    rng = random.Random(SEED)
    cases = []
    for _ in range(CASES):
        zone, hours = rng.choice(ZONES), rng.choice(list(SCHEDULES))
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(730 * 1440))
        week = 5 * sum(e - s for s, e in SCHEDULES[hours][0])  # open minutes per week
        cases.append((zone, hours, start, timedelta(minutes=rng.randint(15, 3 * week))))
    return cases


def best_mean_us(run: Callable[[], object], passes: int) -> float:
    best = math.inf
    for _ in range(passes):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best / CASES * 1e6


def main() -> None:
    cases = make_cases()
    ours_cal = {(z, h): BusinessCalendar.parse(h, z) for z in ZONES for h in SCHEDULES}
    peer_rule = {(z, h): SCHEDULES[h][1](pytz.timezone(z)) for z in ZONES for h in SCHEDULES}
    reference = {
        (z, h): ReferenceCalendar(
            [(d, s, e) for d in WEEKDAYS for s, e in SCHEDULES[h][0]], ZoneInfo(z)
        )
        for z in ZONES
        for h in SCHEDULES
    }
    ours_jobs = [(ours_cal[z, h].add, start, d) for z, h, start, d in cases]
    peer_jobs = [
        (BusinessTimeDelta(peer_rule[z, h], timedelta=d), start) for z, h, start, d in cases
    ]

    def run_ours() -> list[datetime]:
        return [add(start, d) for add, start, d in ours_jobs]

    def run_peer() -> list[datetime | None]:
        answers: list[datetime | None] = []
        for delta, start in peer_jobs:
            try:
                answers.append(start + delta)
            except Exception:  # any failure of the peer is a wrong answer
                answers.append(None)
        return answers

    ours_answers, peer_answers = run_ours(), run_peer()  # warm-up passes, answers kept
    ours_us = best_mean_us(run_ours, passes=5)
    peer_us = best_mean_us(run_peer, passes=2)

    ours_disagree = peer_disagree = 0
    for (z, h, start, d), ours, peer in zip(cases, ours_answers, peer_answers, strict=True):
        expected = reference[z, h].add(start, d, grid=15)
        ours_disagree += ours.astimezone(UTC) != expected
        peer_disagree += peer is None or peer.astimezone(UTC) != expected

    speedup = peer_us / ours_us
    print(
        json.dumps(
            {
                "benchmark": "calendar_add",
                "cases": CASES,
                "ours_mean_us": round(ours_us, 2),
                "peer_mean_us": round(peer_us, 1),
                "speedup": round(speedup, 1),
                "ours_disagree": ours_disagree,
                "peer_disagree": peer_disagree,
                "budget_speedup": BUDGET_SPEEDUP,
                "within_budget": ours_disagree == 0 and speedup >= BUDGET_SPEEDUP,
            }
        )
    )


if __name__ == "__main__":
    main()
