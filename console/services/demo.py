"""A realistic demo database, made through the services exactly as a support team would.

Everything (agents, customers, support lists, incidents and every step of their lives) goes
through the use cases, so the demo exercises the same validation, events and projections as
real work. A settable clock places each step in the past; a seeded RNG makes the result the
same on every run. The whole build runs in one transaction, so it takes a few seconds and a
failure leaves the database as it was.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from console.domain.calendar import BusinessCalendar
from console.domain.events import Channel, IncidentEvent, Side, UpdateChannel, ordered
from console.domain.ids import HybridLogicalClock
from console.domain.policy import ClockKind, Policy
from console.domain.records import Agent, Customer, IncidentSummary, Role, SupportWindow
from console.services.agents import AgentService
from console.services.customers import CustomerService
from console.services.incidents import IncidentService, NewIncident
from console.services.policy import PolicyService, latest_policy
from console.services.ports import IncidentRepository, Store, Transaction
from console.services.seed import seed_defaults
from console.services.validation import ValidationError


class SettableClock(Protocol):
    def now(self) -> datetime: ...
    def set(self, at: datetime) -> None: ...


class DemoClock:
    """A clock that reads what it was last set to."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at

    def advance(self, delta: timedelta) -> None:
        self._now += delta


@dataclass(frozen=True, slots=True)
class DemoResult:
    agents: int
    customers: int
    contacts: int
    incidents: int
    by_status: dict[str, int]
    open_by_state: dict[str, int]


class _BufferedIncidents:
    """Keeps each incident's events and latest projection in memory until ``flush``.

    The services still build every event and projection; only the writes are gathered, so
    each demo incident costs one append instead of one per step.
    """

    def __init__(self, real: IncidentRepository) -> None:
        self._real = real
        self._events: dict[str, dict[str, IncidentEvent]] = {}
        self._latest: dict[str, tuple[IncidentSummary, str]] = {}

    def append(
        self, events: Sequence[IncidentEvent], summary: IncidentSummary, search_text: str
    ) -> None:
        bucket = self._events.setdefault(summary.id, {})
        for event in events:
            bucket.setdefault(event.id, event)
        self._latest[summary.id] = (summary, search_text)

    def events(self, incident_id: str) -> list[IncidentEvent]:
        if incident_id in self._events:
            return ordered(self._events[incident_id].values())
        return self._real.events(incident_id)

    def summary(self, incident_id: str) -> IncidentSummary | None:
        if incident_id in self._latest:
            return self._latest[incident_id][0]
        return self._real.summary(incident_id)

    def summaries(self) -> list[IncidentSummary]:
        return [summary for summary, _ in self._latest.values()]

    def flush(self) -> None:
        for incident_id, (summary, text) in self._latest.items():
            self._real.append(ordered(self._events[incident_id].values()), summary, text)
        self._events.clear()
        self._latest.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Memo:
    """Remembers a repository's answers: for records that no longer change during the build."""

    def __init__(self, real: object) -> None:
        self._real = real
        self._answers: dict[tuple[str, tuple[Any, ...]], Any] = {}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)

        def remembered(*args: Any) -> Any:
            key = (name, args)
            if key not in self._answers:
                self._answers[key] = method(*args)
            return self._answers[key]

        return remembered


class _BatchTransaction:
    """The one open transaction, with incident writes gathered (see ``_BufferedIncidents``)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self.incidents = _BufferedIncidents(tx.incidents)
        self._frozen: dict[str, _Memo] = {}

    def freeze(self, *repositories: str) -> None:
        """From now on these repositories are only read: answer repeated reads from memory."""
        for name in repositories:
            self._frozen[name] = _Memo(getattr(self._tx, name))

    def __getattr__(self, name: str) -> Any:
        if name in self._frozen:
            return self._frozen[name]
        return getattr(self._tx, name)


class _OneTransaction:
    """A Store whose every transaction is the one already open: the demo commits once."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = _BatchTransaction(tx)

    def transaction(self) -> AbstractContextManager[Transaction]:
        return self._same()

    def read(self) -> AbstractContextManager[Transaction]:
        return self._same()

    @contextmanager
    def _same(self) -> Iterator[Transaction]:
        yield cast(Transaction, self.tx)


# -- the cast ------------------------------------------------------------------------------

_AGENTS = (
    ("Priya Raman", Role.ADMIN),
    ("Marcus Webb", Role.LEAD),
    ("Sofia Alvarez", Role.AGENT),
    ("Tom Becker", Role.AGENT),
    ("Aiko Tanaka", Role.AGENT),
    ("Liam O'Connor", Role.AGENT),
    ("Hannah Schulz", Role.AGENT),
)

# (name, domain, policy window, plan)
_CUSTOMERS = (
    ("Northwind Freight", "northwindfreight", "pacific", "premium_plus"),
    ("Cascade Dental Group", "cascadedental", "pacific", "premium"),
    ("Redwood Analytics", "redwoodanalytics", "pacific", "advanced"),
    ("Sunset Bikes Co-op", "sunsetbikes", "pacific", "standard"),
    ("Thames Valley Lettings", "thamesvalleylettings", "gmt", "premium_plus"),
    ("Pennine Water Services", "penninewater", "gmt", "premium"),
    ("Baker & Lowe Solicitors", "bakerlowe", "gmt", "advanced"),
    ("Hollybrook Primary Trust", "hollybrooktrust", "gmt", "standard"),
    ("Harbourline Logistics", "harbourline", "australian_eastern", "premium_plus"),
    ("Southern Cross Pharmacy", "southerncrosspharmacy", "australian_eastern", "premium"),
    ("Koala Creek Wines", "koalacreekwines", "australian_eastern", "advanced"),
    ("Bondi Surf School", "bondisurfschool", "australian_eastern", "standard"),
)

_PEOPLE = (
    ("Olivia Chen", "IT support lead"),
    ("James Okafor", "Systems administrator"),
    ("Maria Rossi", "Head of IT"),
    ("Daniel Park", "Operations manager"),
    ("Emily Clarke", "Chief technology officer"),
    ("Noah Williams", "Service desk analyst"),
    ("Grace Murphy", "Infrastructure engineer"),
    ("Ethan Brown", "IT director"),
    ("Chloe Martin", "Application owner"),
    ("Lucas Silva", "Platform engineer"),
    ("Ava Thompson", "Chief operating officer"),
    ("Isaac Novak", "Service manager"),
)

_CSMS = ("Rachel Adeyemi", "George Hartley", "Mei Lin Wong")

# Fictional numbers: 555-01xx (North America), Ofcom drama ranges (UK), ACMA ranges (AU).
_PHONES = {
    "pacific": ("(415) 555-01{:02d}", "(206) 555-01{:02d}", "(503) 555-01{:02d}"),
    "gmt": ("020 7946 0{:03d}", "0161 496 0{:03d}", "0113 496 0{:03d}"),
    "australian_eastern": ("02 5550 1{:03d}", "03 7010 1{:03d}", "0491 570 1{:02d}"),
}

# (title, priority hint, affected, impact, error message)
_PROBLEMS = (
    (
        "Checkout returns 502 Bad Gateway",
        "P1",
        "Checkout and payment pages",
        "No orders can be placed",
        "502 Bad Gateway",
    ),
    (
        "Service unavailable for all users",
        "P1",
        "The whole web application",
        "Nobody can sign in or work",
        "503 Service Unavailable",
    ),
    (
        "SSO login loop for some users",
        "P2",
        "Single sign-on",
        "About a third of staff cannot sign in",
        "SAML response not valid",
    ),
    (
        "API rate limit errors under normal load",
        "P2",
        "REST API",
        "Integrations fail intermittently",
        "429 Too Many Requests",
    ),
    (
        "Webhook deliveries delayed by hours",
        "P2",
        "Outgoing webhooks",
        "Downstream systems out of date",
        "",
    ),
    (
        "Nightly export job stalls at 80%",
        "P3",
        "Scheduled CSV exports",
        "Reports arrive late each morning",
        "Export timed out after 3600 s",
    ),
    (
        "Dashboard charts empty after upgrade",
        "P3",
        "Analytics dashboard",
        "Managers cannot see weekly trends",
        "",
    ),
    ("Search misses records created today", "P3", "Search", "Staff must browse lists by hand", ""),
    (
        "Password reset emails not arriving",
        "P3",
        "Account recovery emails",
        "Users locked out wait for an admin",
        "",
    ),
    ("Slow page loads in the reports section", "P3", "Reports", "Pages take 20-30 s to open", ""),
    (
        "Invoice PDFs show the wrong currency symbol",
        "P4",
        "Invoice PDF rendering",
        "Cosmetic, totals are right",
        "",
    ),
    ("Typo in admin guide section 4.2", "P4", "Documentation", "None", ""),
    ("Question about data retention settings", "P4", "Account settings", "None: a question", ""),
    (
        "How to add a second approver to workflows",
        "P4",
        "Workflow configuration",
        "None: a question",
        "",
    ),
    ("Date picker shows US format for UK users", "P4", "User interface", "Minor confusion", ""),
)

_RESOLUTIONS = (
    "Fixed by a configuration change on our side; confirmed with the customer.",
    "Root cause was an expired certificate; renewed and monitoring added.",
    "A patch was deployed in release 24.3.1; the customer confirmed the fix.",
    "Answered the question and linked the relevant documentation.",
    "Documentation corrected; change live on the help site.",
    "Workaround provided and accepted; permanent fix scheduled.",
)


# -- the build -----------------------------------------------------------------------------


# Vendor-side escalation ladder: support managers at level 1, the head of support at 2.
_ESCALATION_CONTACTS = (
    (1, "Priya Raman", "Support manager, EMEA", "+44 20 7946 0110"),
    (1, "Daniel Brooks", "Support manager, Americas", "+1 415 555 0142"),
    (2, "Helen Carter", "Head of support", "+44 20 7946 0100"),
)


def build_demo(
    store: Store,
    clock_factory: Callable[[datetime], SettableClock] = DemoClock,
    *,
    now: datetime | None = None,
    seed: int = 20_260_301,
    incidents: int = 300,
    workstation_id: str = "demo-workstation",
) -> DemoResult:
    """Fill an empty database with a team, its customers and ~6 months of incidents."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    clock = clock_factory(now - timedelta(days=200))
    hlc = HybridLogicalClock(workstation_id, lambda: int(clock.now().timestamp() * 1000))
    rng = random.Random(seed)
    with store.transaction() as tx:
        batch = _OneTransaction(tx)
        seed_defaults(batch, clock, hlc)
        _, policy = latest_policy(tx)
        builder = _Builder(
            batch, clock, hlc, rng, policy=policy, now=now, workstation_id=workstation_id
        )
        builder.team()
        builder.customers()
        batch.tx.freeze("customers", "windows", "policies", "agents")
        builder.incidents(incidents)
        summaries = batch.tx.incidents.summaries()
        batch.tx.incidents.flush()
        return DemoResult(
            agents=len(builder.agents),
            customers=len(builder.clients),
            contacts=sum(len(c.contacts) for c in tx.customers.list()),
            incidents=len(summaries),
            by_status=dict(Counter(s.status.value for s in summaries)),
            open_by_state=dict(builder.states),
        )


class _Builder:
    def __init__(
        self,
        store: Store,
        clock: SettableClock,
        hlc: HybridLogicalClock,
        rng: random.Random,
        *,
        policy: Policy,
        now: datetime,
        workstation_id: str,
    ) -> None:
        self.store, self.clock, self.hlc, self.rng = store, clock, hlc, rng
        self.policy, self.now, self.workstation = policy, now, workstation_id
        self.agents: list[Agent] = []
        self.clients: list[tuple[Customer, SupportWindow]] = []
        self.states: Counter[str] = Counter()
        self.services: dict[str, IncidentService] = {}

    def at(self, when: datetime) -> None:
        self.clock.set(when)

    # -- people --

    def team(self) -> None:
        service = AgentService(self.store, self.hlc)
        for name, role in _AGENTS:
            email = name.lower().replace("'", "").replace(" ", ".") + "@support-vendor.example"
            self.agents.append(service.register(name, role, email))

        policy = PolicyService(self.store, self.clock, self.lead, self.hlc)
        for level, person, title, phone in _ESCALATION_CONTACTS:
            address = person.lower().replace(" ", ".") + "@support-vendor.example"
            policy.add_escalation_contact(level, person, title, address, phone)

    @property
    def lead(self) -> Agent:
        return next(a for a in self.agents if a.role is Role.LEAD)

    def customers(self) -> None:
        service = CustomerService(self.store, self.clock, self.lead, self.hlc)
        windows = {w.name: w for w in service.windows()}
        by_policy_id = {spec.id: windows[spec.name] for spec in self.policy.windows}
        people = list(_PEOPLE)
        for index, (name, domain, window_key, plan) in enumerate(_CUSTOMERS):
            window = by_policy_id[window_key]
            formats = _PHONES[window_key]
            self.at(self.now - timedelta(days=400 - index))
            csm: dict[str, str] = {}
            if self.policy.plan(plan).named_account_manager:
                csm_name = _CSMS[index % len(_CSMS)]
                csm = {
                    "csm_name": csm_name,
                    "csm_email": csm_name.lower().replace(" ", ".") + "@support-vendor.example",
                    "csm_phone": formats[0].format(90 + index % 10),
                }
            customer = service.create_customer(name, plan, window.id, **csm)
            self.rng.shuffle(people)
            for n, (person, role) in enumerate(people[: self.rng.randint(3, 5)]):
                first, last = person.lower().split()
                phones = [formats[n % len(formats)].format(10 + index * 5 + n)]
                service.add_contact(
                    customer.id, person, role, [f"{first}.{last}@{domain}.example"], phones
                )
            # Most lists were confirmed recently; two are stale and one was never confirmed.
            if index % 6 != 5:
                days_ago = 200 if index in (3, 7) else self.rng.randint(2, 60)
                self.at(self.now - timedelta(days=days_ago))
                service.confirm_list(customer.id)
            self.clients.append((service.customer(customer.id), window))

    # -- incidents --

    def incidents(self, count: int) -> None:
        live = max(24, count // 7)
        kinds = [
            *["fresh"] * 4,
            *["at_risk"] * 4,
            *["breached"] * 4,
            *["responded"] * 4,
            *["escalated_1"] * 3,
            *["escalated_2"] * 2,
            *["waiting"] * 3,
        ]
        plan_live = [kinds[i % len(kinds)] for i in range(live)]
        history = count - live
        for _ in range(history):
            self.historical()
        for kind in plan_live:
            self.live(kind)

    def _service(self, agent: Agent | None = None) -> IncidentService:
        actor = agent or self.rng.choice(self.agents[2:])
        if actor.id not in self.services:
            self.services[actor.id] = IncidentService(
                self.store, self.clock, actor, self.workstation, self.hlc
            )
        return self.services[actor.id]

    def _calendar(self, window: SupportWindow) -> BusinessCalendar:
        spec = next((s for s in self.policy.windows if s.name == window.name), None)
        if spec is not None and spec.zone == window.zone:
            return spec.calendar()
        return BusinessCalendar.parse(window.hours, window.zone, window.holidays)

    def _after(
        self,
        customer: Customer,
        window: SupportWindow,
        priority: str,
        start: datetime,
        factor: float,
    ) -> datetime:
        """``factor`` times the response target after ``start``, on the target's clock."""
        target = self.policy.target(customer.plan, priority)
        if target.clock is ClockKind.WALL:
            return start + timedelta(minutes=target.span.minutes) * factor
        calendar = self._calendar(window)
        return calendar.add(start, target.duration(calendar) * factor)

    def _open(
        self,
        when: datetime,
        priority_hint: str | None = None,
        client: tuple[Customer, SupportWindow] | None = None,
    ) -> tuple[IncidentSummary, Customer, SupportWindow]:
        customer, window = client or self.rng.choice(self.clients)
        title, hint, affected, impact, error = self.rng.choice(
            [p for p in _PROBLEMS if priority_hint is None or p[1] == priority_hint]
        )
        channel = self.rng.choice([Channel.EMAIL, Channel.WEB, Channel.WEB, Channel.PHONE])
        contact = (
            customer.contacts[0] if self.rng.random() < 0.7 else self.rng.choice(customer.contacts)
        )
        customer_proposes = self.policy.plan(customer.plan).customer_proposes
        proposal: str | None = hint
        if channel is Channel.EMAIL and self.rng.random() < 0.4 and priority_hint is None:
            proposal = None  # an email that states no priority: P4 by default
        detailed = self.rng.random() < 0.6
        files = [("app.log", _log_lines(self.rng, when))] if self.rng.random() < 0.2 else []
        self.at(when)
        summary = self._service().open_incident(
            NewIncident(
                customer_id=customer.id,
                contact_id=contact.id,
                title=title,
                channel=channel,
                proposed_priority=proposal,
                priority=None if customer_proposes else (proposal or hint),
                affected=affected,
                impact=impact if detailed else "",
                started_at=when - timedelta(minutes=self.rng.randint(5, 240)) if detailed else None,
                steps="1. Sign in\n2. Open the page\n3. Observe the problem" if detailed else "",
                error_message=error if detailed else "",
                attachments=files,
            )
        )
        return summary, customer, window

    def _step(self, when: datetime, action: Callable[[IncidentService], object]) -> bool:
        """Run one action at ``when`` (never in the future); False when it was refused."""
        if when > self.now:
            return False
        self.at(when)
        try:
            action(self._service())
        except ValidationError:
            return False
        return True

    def historical(self) -> None:
        rng = self.rng
        opened_at = self.now - timedelta(days=rng.uniform(3, 182))
        summary, customer, window = self._open(opened_at)
        sid, priority = summary.id, summary.priority
        agent = rng.choice(self.agents[2:])
        t = opened_at + timedelta(minutes=rng.randint(1, 30))
        self._step(t, lambda s: s.assign(sid, agent.id))
        if rng.random() < 0.08:
            self._step(t, lambda s: s.change_priority(sid, _shift(priority), "Triage", Side.VENDOR))
            priority = _shift(priority)
        met = rng.random() < 0.82
        factor = rng.uniform(0.1, 0.9) if met else rng.uniform(1.1, 2.5)
        respond_at = self._after(customer, window, priority, opened_at, factor)
        if not met and rng.random() < 0.35:
            eligible = self._after(customer, window, priority, opened_at, 1.0)
            escalate_at = eligible + (respond_at - eligible) / 3
            self._step(escalate_at, lambda s: s.escalate(sid, 1, "No response yet"))
        if rng.random() < 0.05:
            code = rng.choice(["i", "ii", "iii", "iv"])
            text = "Caused by the customer's own proxy configuration."
            self._step(respond_at, lambda s: s.exclude(sid, code, text))
            return
        self._step(respond_at, lambda s: s.respond(sid, "We are looking into this now."))
        t = respond_at
        update = "Update: investigation continues; next update within the hour."
        for _ in range(rng.randint(0, 3) if priority in ("P1", "P2") else 0):
            t = self._after(customer, window, priority, t, rng.uniform(1.5, 4))
            self._step(
                t, lambda s: s.post_status_update(sid, UpdateChannel.STATUS_PAGE, "", update)
            )
        if rng.random() < 0.15:
            t += timedelta(hours=rng.uniform(1, 6))
            self._step(t, lambda s: s.wait_on_customer(sid, "Asked for the log files."))
            t += timedelta(hours=rng.uniform(2, 30))
            self._step(t, lambda s: s.resume(sid, "Logs received."))
        if rng.random() < 0.3:
            t += timedelta(minutes=rng.randint(10, 300))
            self._step(t, lambda s: s.note(sid, "Reproduced on staging; engineering informed."))
        t += timedelta(hours=rng.uniform(1, 72))
        self._step(min(t, self.now), lambda s: s.resolve(sid, rng.choice(_RESOLUTIONS)))
        if rng.random() < 0.04:
            t += timedelta(days=rng.uniform(0.5, 2))
            if self._step(t, lambda s: s.reopen(sid, "The problem came back.")):
                t += timedelta(hours=rng.uniform(1, 24))
                self._step(t, lambda s: s.resolve(sid, "Fixed for good after a second patch."))

    def live(self, kind: str) -> None:
        """An open incident placed so that it is in ``kind``'s state at ``now``."""
        rng, now = self.rng, self.now
        if kind == "at_risk":
            self._at_risk(*self._paid_wall_client())
            return
        client: tuple[Customer, SupportWindow] | None = None
        if kind in ("escalated_1", "escalated_2"):
            client = self._paid_wall_client()
            target = timedelta(minutes=self.policy.target(client[0].plan, "P1").span.minutes)
            rounds = 1 if kind == "escalated_1" else 2
            opened_at = now - target * rounds - timedelta(minutes=rng.randint(8, 40))
            hint = "P1"
        elif kind == "fresh":
            opened_at, hint = now - timedelta(minutes=rng.randint(2, 40)), "P4"
        elif kind == "breached":
            opened_at, hint = now - timedelta(days=rng.uniform(6, 9)), rng.choice(["P2", "P3"])
        else:
            opened_at = now - timedelta(hours=rng.uniform(4, 30))
            hint = rng.choice(["P2", "P3", "P4"])
        summary, customer, window = self._open(opened_at, hint, client)
        sid = summary.id
        if rng.random() < 0.7:
            agent = rng.choice(self.agents[2:])
            self._step(opened_at, lambda s: s.assign(sid, agent.id))
        if kind in ("escalated_1", "escalated_2"):
            first = self._after(customer, window, summary.priority, opened_at, 1.0)
            self._step(first + timedelta(minutes=2), lambda s: s.escalate(sid, 1, "No response"))
            if kind == "escalated_2":
                second = self._after(customer, window, summary.priority, first, 1.0)
                reason = "Still no response after Escalation 1"
                self._step(second + timedelta(minutes=5), lambda s: s.escalate(sid, 2, reason))
        elif kind in ("responded", "waiting"):
            respond_at = opened_at + timedelta(minutes=rng.randint(5, 60))
            self._step(respond_at, lambda s: s.respond(sid, "Thanks, we are on it."))
            if kind == "waiting":
                asked = respond_at + timedelta(minutes=30)
                self._step(asked, lambda s: s.wait_on_customer(sid, "Asked for a HAR file."))
        self.states[kind] += 1

    def _paid_wall_client(self) -> tuple[Customer, SupportWindow]:
        paid = [
            (c, w)
            for c, w in self.clients
            if self.policy.target(c.plan, "P1").clock is ClockKind.WALL
        ]
        return self.rng.choice(paid)

    def _at_risk(self, customer: Customer, window: SupportWindow) -> None:
        """A P1/P2 on a 24×7 target, opened so that less than the at-risk share remains."""
        priority = self.rng.choice(["P1", "P2"])
        target = self.policy.target(customer.plan, priority)
        minutes = target.span.minutes
        threshold = self.policy.at_risk_threshold(timedelta(minutes=minutes))
        elapsed = timedelta(minutes=minutes) - threshold * self.rng.uniform(0.3, 0.9)
        opened_at = self.now - elapsed
        contact = customer.contacts[0]
        title, _, affected, impact, error = self.rng.choice(
            [p for p in _PROBLEMS if p[1] == priority]
        )
        self.at(opened_at)
        self._service().open_incident(
            NewIncident(
                customer_id=customer.id,
                contact_id=contact.id,
                title=title,
                channel=Channel.PHONE,
                proposed_priority=priority,
                affected=affected,
                impact=impact,
                error_message=error,
            )
        )
        self.states["at_risk"] += 1


def _shift(priority: str) -> str:
    order = ["P1", "P2", "P3", "P4"]
    index = order.index(priority) if priority in order else 3
    return order[index + 1] if index < 2 else order[index - 1]


def _log_lines(rng: random.Random, when: datetime) -> bytes:
    lines = []
    for n in range(rng.randint(5, 20)):
        stamp = (when - timedelta(seconds=30 * (20 - n))).isoformat(timespec="seconds")
        lines.append(
            f"{stamp} ERROR request failed upstream=api status=502 id={rng.randrange(16**8):08x}"
        )
    return ("\n".join(lines) + "\n").encode()
