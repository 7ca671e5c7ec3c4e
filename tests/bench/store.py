"""Store benchmark: 1 000 000 incidents, full-text search p50/p95, attainment (all, one year),
History's "first response missed" count, file size.

Run as ``python -m tests.bench.store [--incidents N]``; prints one JSON object.
The incidents are bulk-inserted straight into the migrated schema (projection, one opening
event each, the full-text index) — generating a million through the services would measure
the generator, not the queries a lead runs in history review.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.domain.ids import new_id
from console.domain.outcomes import Outcome
from console.services.ports import IncidentFilter
from db.engine import open_database
from db.store import SqliteStore

PRIORITIES = ("P1", "P2", "P3", "P4")
PLANS = ("standard", "advanced", "premium", "premium_plus")
_STEM_TEXT = """
login sso saml oauth token export import report dashboard invoice billing webhook api timeout
latency outage sync upload download search index backup restore password email notification
calendar permission role audit certificate proxy firewall mobile android ios browser chrome
safari firefox printer pdf csv excel database replica cluster queue worker cache memory disk
cpu crash freeze slow error warning blank page button layout font translation tax currency
payment refund subscription license seat domain dns
"""
STEMS = _STEM_TEXT.split()
FMT = "%Y-%m-%d %H:%M:%S.%f"


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    words = list(STEMS)
    while len(words) < size:
        words.append(rng.choice(STEMS) + "".join(rng.choice("aeiourstnlk") for _ in range(3)))
    return words


def generate(path: Path, count: int, seed: int = 7) -> float:
    """Bulk-load ``count`` incidents; returns seconds taken."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = [1 / (i + 1) ** 0.8 for i in range(len(words))]  # Zipf-like word frequencies
    cumulative = list(itertools.accumulate(weights))
    open_database(path).close()  # the migrated schema, nothing else
    started = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    window = new_id()
    con.execute(
        "INSERT INTO support_windows (id, name, hours, zone, holidays, holiday_country, "
        "holiday_subdivision, builtin, hlc, deleted) VALUES (?, 'Pacific', 'Mon-Fri 09:00-17:30',"
        " 'America/Los_Angeles', '[]', '', '', 1, '', 0)",
        (window,),
    )
    customers = [new_id() for _ in range(400)]
    con.executemany(
        "INSERT INTO customers (id, name, plan, window_id, csm_name, csm_email, csm_phone, hlc,"
        " deleted) VALUES (?, ?, ?, ?, '', '', '', '', 0)",
        [(c, f"Customer {i}", PLANS[i % 4], window) for i, c in enumerate(customers)],
    )
    start = datetime(2023, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 1, tzinfo=UTC) - start).total_seconds()
    batch = 20_000
    for offset in range(0, count, batch):
        incidents, events, fts = [], [], []
        for n in range(offset, min(offset + batch, count)):
            opened = start + timedelta(seconds=span * n / count)
            due = opened + timedelta(hours=rng.choice((0.25, 2, 8, 17)))
            # 3 % never answered (missed, or pending while the deadline is ahead)
            answered = rng.random() >= 0.03
            responded = due + timedelta(minutes=rng.randint(-600, 120))
            priority = rng.choice(PRIORITIES)
            # 5 % had their deadline set by another priority before a change
            deciding = rng.choice(PRIORITIES) if rng.random() < 0.05 else priority
            text = rng.choices(words, cum_weights=cumulative, k=24)
            title = " ".join(text[:6])
            which = rng.randrange(len(customers))
            incident_id = f"00000000-0000-7000-8000-{n:012d}"
            number = f"INC-BENCH-{n + 1:07d}"
            incidents.append(
                (
                    n + 1,
                    incident_id,
                    number,
                    customers[which],
                    title,
                    priority,
                    "resolved" if answered else "open",
                    "email",
                    opened.strftime(FMT),
                    opened.strftime("%Y-%m"),
                    PLANS[which % 4],
                    due.strftime(FMT),
                    responded.strftime(FMT) if answered else None,
                    int(responded <= due) if answered else None,
                    due.strftime(FMT),
                    deciding,
                    due.strftime("%Y-%m"),
                    rng.random() < 0.02,
                )
            )
            events.append(
                (
                    f"00000000-0000-7000-9000-{n:012d}",
                    incident_id,
                    "opened",
                    opened.strftime(FMT),
                    title,
                )
            )
            fts.append((n + 1, number, title, " ".join(text[6:])))
        con.executemany(
            "INSERT INTO incidents (pk, id, number, customer_id, title, priority,"
            " proposed_priority, status, channel, opened_at, opened_month, policy_version, plan,"
            " escalation_level,"
            " first_response_due, first_response_at, first_response_met, outcome_due,"
            " outcome_priority, outcome_month, excluded)"
            " VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, 1, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
            incidents,
        )
        con.executemany(
            "INSERT INTO incident_events (id, incident_id, kind, at, author, origin, hlc, data)"
            " VALUES (?, ?, ?, ?, 'bench', '', '', json_object('title', ?))",
            events,
        )
        con.executemany(
            "INSERT INTO incident_fts (rowid, number, title, body) VALUES (?, ?, ?, ?)", fts
        )
        con.commit()
    con.execute("INSERT INTO incident_fts(incident_fts) VALUES ('optimize')")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="store-bench-") as folder:
        path = Path(folder) / "bench.sqlite3"
        generate_s = generate(path, args.incidents)
        store = SqliteStore(open_database(path))
        rng = random.Random(11)
        words = vocabulary(random.Random(7))
        queries = [
            " ".join(rng.sample(words[:2000], rng.choice((1, 1, 2)))) for _ in range(args.searches)
        ]
        timings = []
        with store.read() as tx:
            tx.incidents.find(IncidentFilter(text="warmup"), limit=50)
            for query in queries:
                t0 = time.perf_counter()
                tx.incidents.find(IncidentFilter(text=query), limit=50)
                timings.append((time.perf_counter() - t0) * 1000)
            now = datetime.now(UTC)
            t0 = time.perf_counter()
            rows = tx.incidents.attainment(IncidentFilter(), now)
            attainment_ms = (time.perf_counter() - t0) * 1000
            year = IncidentFilter(
                opened_from=datetime(2025, 1, 1, tzinfo=UTC),
                opened_to=datetime(2026, 1, 1, tzinfo=UTC),
            )
            t0 = time.perf_counter()
            tx.incidents.attainment(year, now)
            attainment_year_ms = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            missed = tx.incidents.count(IncidentFilter(outcome=Outcome.MISSED), now)
            missed_count_ms = (time.perf_counter() - t0) * 1000
        store.close()
        size_mb = path.stat().st_size / 1_048_576
    p95 = percentile(timings, 0.95)
    print(
        json.dumps(
            {
                "benchmark": "store",
                "incidents": args.incidents,
                "generate_s": round(generate_s, 1),
                "search_p50_ms": round(statistics.median(timings), 2),
                "search_p95_ms": round(p95, 2),
                "search_budget_p95_ms": 50,
                "attainment_ms": round(attainment_ms, 1),
                "attainment_groups": len(rows),
                "attainment_one_year_ms": round(attainment_year_ms, 1),
                "history_missed_count_ms": round(missed_count_ms, 1),
                "history_missed": missed,
                "attainment_budget_ms": 1000,
                "db_size_mb": round(size_mb, 1),
                "within_budget": p95 <= 50 and attainment_ms <= 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
