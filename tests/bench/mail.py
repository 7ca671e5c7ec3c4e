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
* Outbox (a second JSON line, ``mail_outbox``): 1 000 answers queued on 100 incidents, sent by
  the outbox sender (claim, DATA over STARTTLS with AUTH, the ``MAIL_SENT`` event and the row
  settled, one transaction per mail) to the aiosmtpd server the tests use. Budget: ≥ 50
  mails/s. The floor, in the same run: raw ``smtplib`` sending the same 1 000 messages' bytes
  over one connection to the same server. And the GUI-thread time of one tick of a 1 000-row
  queue (the queue bench's tick: slot, repaint, collector) while the console's mail worker
  sends another 1 000 mails in the background, against the same ticks with the worker idle.
  Budget: the median tick while sending within 1.5× idle (and under the queue's 2 ms).
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
from typing import Any

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


OUTBOX_BUDGET_PER_S = 50
TICK_RATIO_BUDGET = 1.5


def queued_world(folder: Path, account: Any, mails: int) -> Any:
    """A database with ``mails`` answers queued, ten to an incident."""
    from tests.mail.outbox_world import new_world

    world = new_world(folder / "console.sqlite3", account, at=datetime.now(UTC))
    incident = ""
    for n in range(mails):
        if n % 10 == 0:
            incident = world.open_incident(f"Problem {n // 10}")
        world.outbox.respond(incident, f"Answer {n}: we are looking into it.")
    return world


def outbox_throughput(folder: Path, mails: int) -> dict[str, float]:
    import smtplib
    import ssl

    from mail.outbox_sender import OutboxSender
    from tests.mail.smtpd import PASSWORD, USER, smtp_server

    with smtp_server(security="starttls", auth=True) as server:
        t0 = time.perf_counter()
        world = queued_world(folder, server.account(), mails)
        queue_s = time.perf_counter() - t0
        due = world.outbox.due(mails)
        raws = [(e.mail.recipients, e.raw) for e in due]
        sender = OutboxSender(world.store, world.outbox, world.clock, lambda _a: PASSWORD)
        t0 = time.perf_counter()
        sent = 0
        while True:
            result = sender.send_once()
            sent += result.sent
            if not result.outcomes:
                break
        send_s = time.perf_counter() - t0
        assert sent == mails and len(set(server.accepted_ids())) == mails, (sent, result)
        world.close()
        context = ssl.create_default_context(cafile=str(server.ca_file))
        t0 = time.perf_counter()
        with smtplib.SMTP(server.account().host, server.port, timeout=30) as raw_smtp:
            raw_smtp.starttls(context=context)
            raw_smtp.login(USER, PASSWORD)
            for recipients, raw in raws:
                raw_smtp.sendmail("support@vendor.example", list(recipients), raw)
        floor_s = time.perf_counter() - t0
    return {
        "mails": mails,
        "queue_per_s": mails / queue_s,
        "send_per_s": mails / send_s,
        "floor_smtplib_per_s": mails / floor_s,
        "send_vs_floor": (mails / floor_s) / (mails / send_s),
    }


def outbox_ticks(folder: Path, mails: int, ticks: int) -> dict[str, float]:
    """GUI-thread time per queue tick, idle and while the mail worker sends ``mails``."""
    from PySide6.QtWidgets import QApplication

    from console.domain.policy import load_default_policy
    from console.qt.gc import GuiThreadCollector
    from console.qt.mail_worker import MailWorker
    from console.ui.theme import apply_theme
    from mail.outbox_sender import OutboxPass, OutboxSender
    from tests.bench import queue as queue_bench
    from tests.mail.smtpd import PASSWORD, smtp_server

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, "light")
    queue_bench.ticker_module.QTimer = queue_bench.ManualTimer  # type: ignore[misc,assignment]
    now = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)
    rows = queue_bench.Incidents(load_default_policy(), now).rows(1000)
    (folder / "queue").mkdir()
    screen = queue_bench.Screen(app, rows, now, folder / "queue")
    collector = GuiThreadCollector()  # as in the app: the GUI thread collects
    for _ in range(20):  # warm up
        screen.tick(collector)
    idle = [screen.tick(collector)[1] for _ in range(ticks)]
    with smtp_server(security="starttls", auth=True) as server:
        (folder / "send").mkdir()
        world = queued_world(folder / "send", server.account(), mails)
        done = threading.Event()
        reports: list[OutboxPass] = []

        def make_sender(said: Any) -> OutboxSender:
            return OutboxSender(
                world.store, world.outbox, world.clock, lambda _a: PASSWORD, on_pass=said
            )

        class NoMailbox:
            def __init__(self, _said: Any) -> None: ...
            def run(self, stop: threading.Event) -> None: ...

        worker = MailWorker(NoMailbox, lambda: False, make_sender=make_sender)

        def passed(report: Any) -> None:
            reports.append(report)
            if report.waiting == 0:
                done.set()

        worker.outbox_sent.connect(passed)
        busy: list[float] = []
        t0 = time.perf_counter()
        worker.start()
        while not done.is_set():
            busy.append(screen.tick(collector)[1])
        sending_s = time.perf_counter() - t0
        worker.stop()
        sent = sum(r.sent for r in reports)
        world.close()
    screen.close()
    idle_median, busy_median = statistics.median(idle), statistics.median(busy)
    return {
        "tick_idle_median_ms": idle_median,
        "tick_idle_p95_ms": percentile(idle, 0.95),
        "tick_sending_median_ms": busy_median,
        "tick_sending_p95_ms": percentile(busy, 0.95),
        "ticks_while_sending": len(busy),
        "worker_sent": sent,
        "worker_send_per_s": sent / sending_s,
        "tick_sending_vs_idle": busy_median / idle_median,
    }


def outbox_bench(mails: int, ticks: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
        folder = Path(tmp)
        (folder / "a").mkdir()
        (folder / "b").mkdir()
        sent = outbox_throughput(folder / "a", mails)
        gui = outbox_ticks(folder / "b", mails, ticks)
    return {
        "name": "mail_outbox",
        **sent,
        "send_budget_per_s": OUTBOX_BUDGET_PER_S,
        "send_met": sent["send_per_s"] >= OUTBOX_BUDGET_PER_S,
        **gui,
        "tick_ratio_budget": TICK_RATIO_BUDGET,
        "tick_met": gui["tick_sending_vs_idle"] <= TICK_RATIO_BUDGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--mails", type=int, default=1000, help="outbox mails sent")
    parser.add_argument("--ticks", type=int, default=300, help="idle queue ticks timed")
    parser.add_argument(
        "--only", choices=("intake", "outbox"), default=None, help="run one half only"
    )
    args = parser.parse_args()
    if args.only != "intake":
        outbox = outbox_bench(args.mails, args.ticks)
        if args.only == "outbox":
            print(json.dumps(outbox))
            return
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
    if args.only is None:
        print(json.dumps(outbox))


if __name__ == "__main__":
    main()
