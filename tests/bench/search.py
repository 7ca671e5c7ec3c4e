"""History search benchmark: 1 000 000 incidents of realistic support text, searched the way
the History screen searches.

Run as ``python -m tests.bench.search [--incidents N] [--queries N]``; prints one JSON object
per figure group (the page, the match count, the floor). The corpus is English support text
with product terms, error strings, numbers, versions and codes, generated deterministically
and bulk-loaded into the migrated schema as ``tests/bench/store.py`` does, but the full-text
index is left as loading left it (never optimised: a working database is not). It is cached
between runs in ``<tmp>/support-console-bench/``; an older cached file is brought up to date
by the migrations, and the time that took is reported.

The queries (at least 200, fixed by a seed) are what people type into History's search box:
one to three letters, common and rare words, words half typed, two-word phrases, error
codes and incident numbers. Each is timed through ``ReviewService.history_page`` (the call
History's table makes for its first page) and ``ReviewService.history_count`` (the match
count beside it); every tenth also through ``ReviewService.filtered`` (the count with its
attainment, as History's status line and chart ask for them). The floor is SQLite alone: a
raw FTS5 ``MATCH`` of the same typed words, each as a prefix (``"word"*``), newest 200 rowids
(for the page) or ``count(*)`` (for the count), with no incident rows read at all; beside it
the same raw ``MATCH`` of the expression the repository now builds (``fts_query``), so the
ratio to it is what reading, converting and naming 200 rows costs on top.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.domain.ids import new_id
from console.services.ports import IncidentFilter
from console.services.review import PAGE, ReviewService
from db.engine import open_database
from db.repositories.incidents import fts_query
from db.store import SqliteStore
from tests.clock import ManualClock

CACHE = Path(tempfile.gettempdir()) / "support-console-bench"
BUDGET_P95_MS = 50
FMT = "%Y-%m-%d %H:%M:%S.%f"
PRIORITIES = ("P1", "P2", "P3", "P4")
PLANS = ("standard", "advanced", "premium", "premium_plus")
WORKSTATIONS = ("43CET", "7KQ2B", "M3XRA", "P0LWT", "Z8D1F")

_ENGLISH = """
the a to and of in is it for on that with this we our you your not be are was when after
have has can but from at or as all they them there which if an so no by my me please any
again now still some one new get got see seems cannot can't unable since today yesterday
morning help issue problem customer user users team account thanks could would should also
every only just more than then while before about into out up down time same other first
last two three few many several because like need needs want tried try trying works working
stopped started happen happens happened again always never sometimes around between
"""
_PRODUCT = """
login logout sso saml oauth token export import report reports dashboard invoice invoices
billing webhook webhooks api timeout latency outage sync upload download search index backup
restore password email notification notifications calendar permission permissions role audit
certificate proxy firewall mobile android ios browser chrome safari firefox edge printer pdf
csv excel database replica cluster queue worker cache memory disk cpu crash freeze slow error
warning blank page button layout font translation tax currency payment refund subscription
license seat domain dns connection connector integration salesforce slack teams outlook
gateway checkout cart basket order orders shipment tracking inventory warehouse sku catalog
pricing discount coupon portal admin settings configuration profile avatar upload attachment
scheduler cron job jobs pipeline deploy deployment release version upgrade migration schema
"""
_RARE = """
kerberos ldaps hsts csrf cors idempotency pagination throttling deadlock tombstone vacuum
reindex sharding failover quorum heartbeat keystore truststore pkcs xmlsec wsdl soap grpc
protobuf websocket longpoll backoff jitter debounce hydration serviceworker manifest
ndjson parquet avro snowflake redshift bigquery looker tableau zendesk freshdesk jira
confluence okta onelogin pingfederate adfs entra yubikey totp webauthn passkey
"""
_SYMPTOMS = (
    "the page stays blank",
    "the export never finishes",
    "login fails with an error",
    "the dashboard is very slow",
    "emails are not delivered",
    "the invoice shows the wrong tax",
    "sync stops after a few minutes",
    "the upload times out",
    "webhooks are sent twice",
    "the report is missing rows",
    "the mobile app crashes on start",
    "password reset links expire at once",
    "the checkout button does nothing",
    "search returns no results",
    "notifications arrive hours late",
)
_ACTIONS = (
    "opening the dashboard",
    "exporting to csv",
    "signing in with sso",
    "uploading an attachment",
    "running the nightly import",
    "changing the subscription plan",
    "adding a new seat",
    "printing the pdf invoice",
    "connecting the salesforce integration",
    "saving the settings page",
)
_ERRORS = (
    "ERR_CONNECTION_RESET",
    "ERR_CERT_DATE_INVALID",
    "HTTP 502 Bad Gateway",
    "HTTP 504 Gateway Timeout",
    "HTTP 429 Too Many Requests",
    "HTTP 401 Unauthorized",
    "0x80070005 access denied",
    "0x800CCC0E cannot connect",
    "ORA-12541 TNS no listener",
    "ECONNREFUSED 127.0.0.1:5432",
    "SSL_ERROR_HANDSHAKE_FAILURE_ALERT",
    "NullPointerException at ExportJob.run",
    "database is locked",
    "disk quota exceeded",
    "token expired",
    "invalid_grant",
    "E1042 payment declined",
    "SMTP 550 mailbox unavailable",
)
_BROWSERS = ("Chrome 131", "Firefox 133", "Safari 18.1", "Edge 131", "iOS 18.2", "Android 15")


def _words(text: str) -> list[str]:
    return text.split()


ENGLISH, PRODUCT, RARE = _words(_ENGLISH), _words(_PRODUCT), _words(_RARE)


def number_of(n: int) -> str:
    """The incident number of the ``n``-th incident (1-based), as a workstation mints it."""
    return f"INC-{WORKSTATIONS[n % len(WORKSTATIONS)]}-{n // len(WORKSTATIONS) + 1:05d}"


class Writer:
    """Deterministic support text: sentences from templates, Zipf-weighted words."""

    def __init__(self, rng: random.Random, count: int) -> None:
        self.rng = rng
        self.count = count
        self.english = ENGLISH
        self.english_w = [1 / (i + 1) ** 0.9 for i in range(len(ENGLISH))]
        self.product_w = [1 / (i + 1) ** 0.7 for i in range(len(PRODUCT))]

    def english_words(self, k: int) -> str:
        return " ".join(self.rng.choices(self.english, self.english_w, k=k))

    def product(self) -> str:
        return self.rng.choices(PRODUCT, self.product_w)[0]

    def sentence(self, n: int) -> str:
        r = self.rng
        kind = r.randrange(10)
        if kind == 0:
            return f"Error {r.choice(_ERRORS)} when {r.choice(_ACTIONS)}."
        if kind == 1:
            return f"Since version {r.randint(3, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)} " + (
                f"{r.choice(_SYMPTOMS)} in {r.choice(_BROWSERS)}."
            )
        if kind == 2:
            return f"Order {r.randint(100000, 999999)} and invoice INV-{r.randint(2023, 2026)}-" + (
                f"{r.randint(1, 99999):05d} are affected, {r.randint(2, 400)} users."
            )
        if kind == 3 and n > 10:
            return f"Looks like {number_of(r.randint(1, n - 1))} again, {self.english_words(4)}."
        if kind == 4 and r.random() < 0.1:
            return f"We use {r.choice(RARE)} with the {self.product()} {self.product()}."
        if kind == 5:
            return f"Customer says {r.choice(_SYMPTOMS)} when {r.choice(_ACTIONS)}."
        if kind == 6:
            return (
                f"Host 10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)} "
                f"logs {r.choice(_ERRORS)} every {r.randint(2, 59)} minutes."
            )
        return (
            f"{self.english_words(3).capitalize()} {self.product()} {self.english_words(2)} "
            f"{self.product()} {self.english_words(3)}."
        )

    def incident(self, n: int) -> tuple[str, str]:
        r = self.rng
        title = f"{self.product().capitalize()} {r.choice(_SYMPTOMS)}"
        if r.random() < 0.3:
            title += f" ({r.choice(_ERRORS)})"
        body = " ".join(self.sentence(n) for _ in range(r.randint(2, 7)))
        return title, body


def generate(path: Path, count: int, seed: int = 16) -> float:
    """Bulk-load ``count`` incidents with realistic text; returns the seconds taken."""
    rng = random.Random(seed)
    writer = Writer(rng, count)
    open_database(path, backup=False, quick_check=False).close()  # the migrated schema
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
    for first in range(1, count + 1, batch):
        incidents, events, fts = [], [], []
        for n in range(first, min(first + batch, count + 1)):
            opened = start + timedelta(seconds=span * n / count)
            due = opened + timedelta(hours=rng.choice((0.25, 2, 8, 17)))
            answered = rng.random() >= 0.03
            responded = due + timedelta(minutes=rng.randint(-600, 120))
            priority = rng.choice(PRIORITIES)
            title, body = writer.incident(n)
            which = rng.randrange(len(customers))
            incident_id = f"00000000-0000-7000-8000-{n:012d}"
            number = number_of(n)
            incidents.append(
                (
                    n,
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
                    priority,
                    due.strftime("%Y-%m"),
                    rng.random() < 0.02,
                )
            )
            events.append(
                (f"00000000-0000-7000-9000-{n:012d}", incident_id, opened.strftime(FMT), title)
            )
            fts.append((n, number, title, body))
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
            " VALUES (?, ?, 'opened', ?, 'bench', '', '', json_object('title', ?))",
            events,
        )
        con.executemany(
            "INSERT INTO incident_fts (rowid, number, title, body) VALUES (?, ?, ?, ?)", fts
        )
        con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return time.perf_counter() - started


def cached_database(incidents: int) -> tuple[Path, float | None]:
    """The bulk-loaded database (built once); the seconds building took, if it was built."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"search-{incidents}.sqlite3"
    if path.exists():
        return path, None
    building = path.with_name(path.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    seconds = generate(building, incidents)
    building.replace(path)
    return path, seconds


def queries(count: int, incidents: int, seed: int = 5) -> list[tuple[str, str]]:
    """``count`` (kind, typed text) pairs, the mix people type, fixed by ``seed``."""
    rng = random.Random(seed)
    common = [*ENGLISH[:40], *PRODUCT[:40]]
    rare = [*RARE, *PRODUCT[-30:]]
    every = [*ENGLISH, *PRODUCT]
    phrases = [
        " ".join(s.split()[i : i + 2])
        for s in (*_SYMPTOMS, *_ACTIONS)
        for i in range(len(s.split()) - 1)
    ]
    codes = [e.split()[0] for e in _ERRORS] + ["502", "ORA-12541", "0x80070005", "INV-2025"]
    kinds: list[tuple[str, Callable[[], str]]] = [
        ("1 letter", lambda: rng.choice("abcdefghilmnoprstuw0123456789")),
        ("2 letters", lambda: rng.choice(every)[:2]),
        ("3 letters", lambda: rng.choice(every)[:3]),
        ("common word", lambda: rng.choice(common)),
        ("rare word", lambda: rng.choice(rare)),
        ("half a word", lambda: (w := rng.choice(PRODUCT))[: max(4, len(w) - 2)]),
        ("two words", lambda: rng.choice(phrases)),
        ("code", lambda: rng.choice(codes)),
        ("incident number", lambda: number_of(rng.randint(1, incidents))),
    ]
    return [(kind, make()) for kind, make in (kinds[i % len(kinds)] for i in range(count))]


def legacy_match(typed: str) -> str:
    """Every typed word as a prefix: what the search asked of FTS5 before any fast path."""
    words = "".join(c if c.isalnum() else " " for c in typed).split()
    return " ".join(f'"{w}"*' for w in words)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(work: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    work()
    return (time.perf_counter() - t0) * 1000


def figures(
    name: str, values: list[float], floor: list[float], **extra: object
) -> dict[str, object]:
    p50, p95, f50, f95 = (
        statistics.median(values),
        percentile(values, 0.95),
        statistics.median(floor),
        percentile(floor, 0.95),
    )
    return {
        "benchmark": f"search.{name}",
        **extra,
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(values), 2),
        "floor_p50_ms": round(f50, 2),
        "floor_p95_ms": round(f95, 2),
        "ratio_p95": round(p95 / f95, 2) if f95 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=207)
    args = parser.parse_args()
    path, generate_s = cached_database(args.incidents)
    t0 = time.perf_counter()
    database = open_database(path, backup=False, quick_check=False)  # migrates an old cache
    open_s = time.perf_counter() - t0
    store = SqliteStore(database)
    review = ReviewService(store, ManualClock(datetime(2026, 11, 2, tzinfo=UTC)))
    raw = sqlite3.connect(path)

    def raw_ms(sql: str, *args: object) -> float:
        return timed(lambda: raw.execute(sql, args).fetchall())

    newest = "SELECT rowid FROM incident_fts WHERE incident_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    counted = "SELECT count(*) FROM incident_fts WHERE incident_fts MATCH ?"
    asked = queries(args.queries, args.incidents)
    page_ms: list[float] = []
    count_ms: list[float] = []
    screen_ms: list[float] = []  # count and attainment together, as History's status line asks
    raw_page_ms: list[float] = []
    raw_count_ms: list[float] = []
    own_page_ms: list[float] = []
    by_kind: dict[str, list[float]] = {}
    empty = 0
    review.history_page(IncidentFilter(text="warm"))
    for n, (kind, typed) in enumerate(asked):
        flt = IncidentFilter(text=typed)
        rows: list[object] = []
        page_ms.append(timed(lambda: rows.extend(review.history_page(flt, limit=PAGE))))  # noqa: B023
        empty += not rows
        count_ms.append(timed(lambda: review.history_count(flt)))  # noqa: B023
        if n % 10 == 0:
            screen_ms.append(timed(lambda: review.filtered(flt)))  # noqa: B023
        raw_page_ms.append(raw_ms(newest, legacy_match(typed), PAGE))
        raw_count_ms.append(raw_ms(counted, legacy_match(typed)))
        own_page_ms.append(raw_ms(newest, fts_query(typed), PAGE))
        by_kind.setdefault(kind, []).append(page_ms[-1])
    page_size, free = (
        raw.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_size", "freelist_count")
    )
    pages = raw.execute("PRAGMA page_count").fetchone()[0]
    revision = raw.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    raw.close()
    store.close()
    page = figures(
        "page",
        page_ms,
        raw_page_ms,
        incidents=args.incidents,
        queries=len(asked),
        empty_pages=empty,
        page_size=PAGE,
        budget_p95_ms=BUDGET_P95_MS,
        within_budget=percentile(page_ms, 0.95) <= BUDGET_P95_MS,
    )
    page["own_match_floor_p50_ms"] = round(statistics.median(own_page_ms), 2)
    page["own_match_floor_p95_ms"] = round(percentile(own_page_ms, 0.95), 2)
    page["ratio_p95_own_match"] = round(
        percentile(page_ms, 0.95) / percentile(own_page_ms, 0.95), 2
    )
    count = figures("count", count_ms, raw_count_ms, queries=len(asked))
    count["page_p95_ms"] = page["p95_ms"]
    count["count_over_page_p95"] = round(percentile(count_ms, 0.95) / percentile(page_ms, 0.95), 2)
    count["with_attainment_queries"] = len(screen_ms)
    count["with_attainment_p50_ms"] = round(statistics.median(screen_ms), 1)
    count["with_attainment_p95_ms"] = round(percentile(screen_ms, 0.95), 1)
    kinds = {
        "benchmark": "search.by_kind",
        **{
            kind: {
                "p50_ms": round(statistics.median(v), 2),
                "p95_ms": round(percentile(v, 0.95), 2),
            }
            for kind, v in by_kind.items()
        },
    }
    setup = {
        "benchmark": "search.database",
        "incidents": args.incidents,
        "generate_s": round(generate_s, 1) if generate_s is not None else "cached",
        "open_and_migrate_s": round(open_s, 1),
        "schema_revision": revision,
        "db_file_mb": round(pages * page_size / 1_048_576, 1),
        "db_used_mb": round((pages - free) * page_size / 1_048_576, 1),
    }
    for group in (setup, page, count, kinds):
        print(json.dumps(group))


if __name__ == "__main__":
    main()
