"""Mail intake benchmark (DESIGN §9): messages imported per second from a 10 000-message
mailbox, and the time from a mail's delivery to its incident with IDLE.

Run from the repository root with ``python -m tests.bench.mail`` (``make bench`` runs it as a
script, which also works). Starts a throwaway dovecot on loopback (as the mail tests do) and
prints one JSON line.

* Throughput: 10 000 messages in the mailbox — new reports from 200 support-list contacts of
  50 customers, replies to earlier ones, out-of-office replies, newsletters and strangers —
  read by one :meth:`MailWatcher.check` (fetch, parse, decide, write the incident or event and
  the ledger row, mark seen on the server, move the read mark). Budget: ≥ 200 messages/s.
  Beside it, in the same run, the floors: fetching the same 10 000 messages over the same
  connection with nothing done to them, and parsing them with nothing written.
* Latency: the real watcher runs (IDLE on its own connection); the bench delivers a mail
  (APPEND from another connection) and waits until its incident is in the database. Budget:
  p95 ≤ 2 s. The floor: APPEND until a bare IDLE connection hears EXISTS.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:  # run as a script
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    sys.path.insert(0, os.path.dirname(os.path.dirname(_here)))

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.domain.ids import HybridLogicalClock
from console.domain.mail import Mailbox
from console.domain.records import Agent, Role
from console.services.context import SystemClock
from console.services.customers import CustomerService
from console.services.incidents import IncidentService
from console.services.mail_intake import MailIntake
from console.services.mailboxes import MailboxService
from console.services.seed import builtin_window_id, seed_defaults
from db.engine import open_database
from db.store import SqliteStore
from mail.imap import ImapMailbox
from mail.parse import parse
from mail.watch import MailWatcher, imap_settings
from tests.mail.dovecot import USERS, Dovecot

IMPORT_BUDGET_PER_S = 200
LATENCY_BUDGET_P95_S = 2.0
WORDS = [
    "printer",
    "label",
    "warehouse",
    "export",
    "invoice",
    "checkout",
    "timeout",
    "login",
    "password",
    "report",
    "sync",
    "calendar",
    "backup",
    "server",
    "latency",
    "order",
    "shipment",
    "tracking",
    "database",
    "error",
    "page",
    "slow",
    "customer",
    "portal",
    "upload",
    "download",
    "certificate",
    "network",
    "VPN",
    "mobile",
    "app",
    "crash",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def message(rng: random.Random, n: int, sender: str, kind: str, replied: str = "") -> bytes:
    when = datetime(2026, 12, 7, 8, 0, tzinfo=UTC) + timedelta(seconds=n)
    headers = [
        f"From: Customer {n} <{sender}>",
        "To: support@vendor.example",
        f"Subject: {'Re: ' if replied else ''}{sentence(rng, 6)[:-1]}",
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Message-ID: <bench-{n}@customer.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if replied:
        headers += [f"In-Reply-To: <{replied}>", f"References: <{replied}>"]
    if kind == "ooo":
        headers.append("Auto-Submitted: auto-replied")
    if kind == "news":
        headers += ["Precedence: bulk", "List-Id: <news.vendor.example>"]
    body = "\n\n".join(sentence(rng, 30) for _ in range(4))
    body += f"\n\nImpact: {sentence(rng, 8)}\nError message: E{n % 997:03d} {sentence(rng, 5)}\n"
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def corpus(count: int, contacts: list[str]) -> list[bytes]:
    """Mostly new reports and replies, with some noise, from senders who never loop."""
    rng = random.Random(14)
    out: list[bytes] = []
    sent: list[str] = []
    for n in range(count):
        roll = rng.random()
        sender = contacts[n % len(contacts)]
        if roll < 0.2 and sent:
            out.append(message(rng, n, sender, "reply", rng.choice(sent)))
            continue
        kind = "ooo" if roll < 0.25 else "news" if roll < 0.3 else "new"
        if roll > 0.97:
            sender = f"stranger{n}@elsewhere.example"
        out.append(message(rng, n, sender, kind))
        if kind == "new":
            sent.append(f"bench-{n}@customer.example")
    return out


def world(folder: Path) -> tuple[SqliteStore, list[str]]:
    store = SqliteStore(open_database(folder / "console.sqlite3", backup=False))
    clock, hlc = SystemClock(), HybridLogicalClock("ws-bench")
    seed_defaults(store, clock, hlc)
    customers = CustomerService(store, clock, Agent(id="", name="Admin", role=Role.ADMIN), hlc)
    contacts = []
    for c in range(50):
        customer = customers.create_customer(f"Customer {c}", "standard", builtin_window_id("gmt"))
        for k in range(4):
            address = f"contact{c}-{k}@customer{c}.example"
            customers.add_contact(customer.id, f"Contact {c}-{k}", "", [address])
            contacts.append(address)
    return store, contacts


def watcher(store: SqliteStore, folder: Path) -> MailWatcher:
    clock = SystemClock()
    agent = Agent(id="", name="Email intake", role=Role.AGENT)
    incidents = IncidentService(store, clock, agent, "ws-bench", HybridLogicalClock("ws-bench"))
    # The bench's 200 contacts each send 50 messages: above the loop limit, as no person does.
    intake = MailIntake(store, clock, incidents, parse=parse, rate_limit=1_000_000)
    return MailWatcher(store, intake, clock, lambda m: USERS[m.username], folder / "locks")


def watched(store: SqliteStore, server: Dovecot, user: str) -> Mailbox:
    """The dovecot user's INBOX as the support mailbox, marked seen once filed."""
    return MailboxService(store, Agent(id="", name="Lead", role=Role.LEAD)).save(
        Mailbox(
            id="",
            name="support@vendor.example",
            host=server.host,
            port=server.port,
            username=user,
            ca_file=str(server.ca_file),
            after="seen",
        )
    )


def deliver(server: Dovecot, user: str, raws: list[bytes]) -> None:
    with server.client(user, "INBOX") as client:
        for start in range(0, len(raws), 500):
            client.multiappend("INBOX", raws[start : start + 500])


def throughput(server: Dovecot, folder: Path, count: int) -> dict[str, float]:
    store, contacts = world(folder)
    try:
        mailbox = watched(store, server, "alice")
        raws = corpus(count, contacts)
        deliver(server, "alice", raws)
        started = time.perf_counter()
        with ImapMailbox(imap_settings(mailbox), USERS["alice"]) as box:
            fetched = [m.raw for m in box.fetch_after(0)]
        fetch_s = time.perf_counter() - started
        started = time.perf_counter()
        for raw in fetched:
            parse(raw)
        parse_s = time.perf_counter() - started
        started = time.perf_counter()
        status = watcher(store, folder).check(mailbox)
        import_s = time.perf_counter() - started
        assert not status.error and status.imported == count, (status.error, status.imported)
        created = sum(1 for line in status.lines if line.startswith("created "))
        return {
            "messages": count,
            "created": created,
            "threaded": sum(1 for line in status.lines if line.startswith("threaded ")),
            "import_s": import_s,
            "import_per_s": count / import_s,
            "floor_fetch_per_s": count / fetch_s,
            "floor_parse_per_s": count / parse_s,
        }
    finally:
        store.close()


def latency(server: Dovecot, folder: Path, samples: int) -> dict[str, float]:
    store, contacts = world(folder)
    stop = threading.Event()
    try:
        mailbox = watched(store, server, "bob")
        reader = watcher(store, folder)
        thread = threading.Thread(target=reader.run, args=(stop,), daemon=True)
        thread.start()
        time.sleep(1.0)  # the bench (not a test) lets the watcher reach IDLE
        rng = random.Random(2)
        waits = []
        for n in range(samples):
            raw = message(rng, 100_000 + n, contacts[n % len(contacts)], "new")
            started = time.perf_counter()
            deliver(server, "bob", [raw])
            while True:
                with store.read() as tx:
                    if tx.mail.seen(mailbox.name, f"bench-{100_000 + n}@customer.example"):
                        break
                time.sleep(0.005)
                if time.perf_counter() - started > 30:
                    raise RuntimeError("a delivered mail never became an incident")
            waits.append(time.perf_counter() - started)
            time.sleep(0.2)
        floor = []
        with server.client("bob", "INBOX") as client:
            for n in range(samples):
                client.idle()
                started = time.perf_counter()
                deliver(server, "bob", [message(rng, 200_000 + n, "x@y.example", "news")])
                client.idle_check(timeout=10)
                floor.append(time.perf_counter() - started)
                client.idle_done()
        return {
            "samples": samples,
            "p50_s": statistics.median(waits),
            "p95_s": percentile(waits, 0.95),
            "floor_p50_s": statistics.median(floor),
            "floor_p95_s": percentile(floor, 0.95),
        }
    finally:
        stop.set()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    server = Dovecot.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "a").mkdir()
            (folder / "b").mkdir()
            result = throughput(server, folder / "a", args.messages)
            waits = latency(server, folder / "b", args.samples)
    finally:
        server.stop()
        server.remove()
    out = {
        "name": "mail",
        **result,
        "import_budget_per_s": IMPORT_BUDGET_PER_S,
        "import_met": result["import_per_s"] >= IMPORT_BUDGET_PER_S,
        "latency": waits,
        "latency_budget_p95_s": LATENCY_BUDGET_P95_S,
        "latency_met": waits["p95_s"] <= LATENCY_BUDGET_P95_S,
        "import_vs_parse_floor": result["floor_parse_per_s"] / result["import_per_s"],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
