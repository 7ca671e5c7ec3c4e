"""Incident use cases (DESIGN §7): each validates, appends events and re-projects at once.

Every action runs in one store transaction: load the incident's events and governing policy,
check the action against the state those events give *now*, build the new events, project,
and append events and projection together. A refusal is a :class:`ValidationError` (the
incident's state under the field ``incident``) raised before anything is written; what the
state allows, and the words for it, come from ``action_rules`` so that the detail view's
disabled buttons say exactly what a refusal here says.

Priority at opening (DESIGN §2): an email with no stated priority proposes the channel default
(P4). On plans where the customer proposes (Advanced, Premium, Premium Plus) the proposal is
the effective priority. On plans where the vendor classifies (Standard) the agent's
classification is the priority, falling back to the channel default; the customer's wish is
kept as the proposed priority beside it. Either side changes it later with a reason.

The OPENED event records the number, customer, reporting contact, plan, a snapshot of the
support window and the policy version: the terms in force when the incident was received
govern it for life, so replaying its events always gives the same clocks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import partial
from typing import Any

from console.domain.clocks import IncidentClocks, Terms, evaluate
from console.domain.events import Channel, EventKind, IncidentEvent, Side, UpdateChannel
from console.domain.ids import HybridLogicalClock, incident_number, latest_stamp, new_id
from console.domain.mail import mail_event_id, mail_incident_id, mail_incident_number
from console.domain.policy import Policy
from console.domain.projection import (
    REPORT_TEXT_FIELDS,
    Report,
    current_report,
    opened_event,
    project,
    search_text,
)
from console.domain.records import (
    Agent,
    Attachment,
    Contact,
    Customer,
    IncidentSummary,
    Status,
    SupportWindow,
)
from console.services import validation as v
from console.services.action_rules import (
    NO_RESPONSE_OWED,
    Action,
    closed_refusal,
    escalation_refusal,
    refusal,
    unanswered,
)
from console.services.attachment_rules import name_problem, shown_name
from console.services.clock_reader import ClockReader, window_spec
from console.services.policy import latest_policy
from console.services.ports import Clock, Store, Transaction
from console.services.validation import Errors, ValidationError

INCIDENT = "incident"
ATTACHMENT = "attachment"
_REPORT_FIELDS = ("title", *REPORT_TEXT_FIELDS, "started_at", "attachments")


@dataclass(frozen=True, slots=True)
class NewIncident:
    """What the new-incident form collects (DESIGN §2's report, plus how it arrived)."""

    customer_id: str
    contact_id: str
    title: str
    channel: Channel | str = Channel.WEB
    proposed_priority: str | None = None  # what the customer asked for
    priority: str | None = None  # the vendor's classification (plans where the vendor sets it)
    affected: str = ""
    impact: str = ""
    started_at: datetime | None = None  # aware; its zone is kept for display
    steps: str = ""
    error_message: str = ""
    attachments: Sequence[tuple[str, bytes]] = ()


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    """A message to the customer sent with resolving: recorded as a response (DESIGN §3).

    The fields of a Respond, validated the same way; an empty ``recipient`` means the
    reporting contact.
    """

    text: str
    channel: Channel | str = Channel.EMAIL
    recipient: str = ""


@dataclass(frozen=True, slots=True)
class IncidentDetails:
    """Everything the detail screen shows, read in one snapshot."""

    summary: IncidentSummary
    events: tuple[IncidentEvent, ...]
    clocks: IncidentClocks
    report: Report
    customer: Customer | None
    contact: Contact | None
    attachments: tuple[Attachment, ...]
    policy: Policy = field(repr=False)
    #: event id → the team server login that pushed it (events pulled by sync; the event's
    #: own ``author`` is what the writing console said, this is who the server knew)
    pushed_by: Mapping[str, str] = field(default_factory=dict)

    @property
    def missing_items(self) -> tuple[tuple[str, str], ...]:
        return self.report.missing

    def missing_items_request(self) -> str:
        """A ready message asking the reporting contact for the missing report items."""
        missing = [label for key, label in self.missing_items if key != "vendor_ref"]
        if not missing:
            return ""
        greeting = f"Dear {self.contact.name}," if self.contact else "Hello,"
        lines = [
            greeting,
            "",
            f"Thank you for reporting incident {self.summary.number}: "
            f"{self.summary.title}. To help us resolve it, please send us:",
            "",
            *(f"- {label}" for label in missing),
            "",
            f"Please quote {self.summary.number} in your reply.",
        ]
        return "\n".join(lines)


@dataclass(slots=True)
class _Context:
    """An incident as loaded inside a transaction, with its clocks at ``now``."""

    tx: Transaction
    events: list[IncidentEvent]
    number: str
    policy_version: int
    policy: Policy
    terms: Terms
    customer_id: str
    now: datetime
    clocks: IncidentClocks

    @property
    def status(self) -> Status:
        return self.clocks.status


Draft = tuple[EventKind, dict[str, Any]]

#: Called inside the transaction that wrote a mail's incident or event, before it commits:
#: the intake records the message in its ledger there, so both land or neither does.
AfterWrite = Callable[[Transaction, "IncidentSummary"], None]


#: Called inside each transaction that wrote events: (tx, summary, new events, all events).
Listener = Callable[
    [Transaction, "IncidentSummary", list[IncidentEvent], list[IncidentEvent]], None
]


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """An answer going out through the outbox: the ``mail`` its event carries (message_id,
    to, cc, subject), the event's id, and ``queue``, which writes the outbox row in the
    event's transaction."""

    event_id: str
    header: Mapping[str, Any]
    queue: AfterWrite


@dataclass(frozen=True, slots=True)
class MailOrigin:
    """Where a mail came from, and so the ids of what it writes: the same on every
    workstation that imports it from the same mailbox (DESIGN §5)."""

    mailbox: str  # the mailbox's name, e.g. "support@vendor.example"
    ledger_id: str  # the Message-ID, else "sha256:<hash of the raw bytes>"
    received_at: datetime  # the server's INTERNALDATE (a file's Date:, never after import)
    mailbox_code: str  # five letters or digits for the incident number ("INC-<code>-…")

    def event_id(self, what: str) -> str:
        return mail_event_id(self.mailbox, self.ledger_id, what)


class IncidentService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        actor: Agent,
        workstation_id: str,
        hlc: HybridLogicalClock,
        *,
        zone: tzinfo | None = None,
    ) -> None:
        """``zone`` words the times in refusals: the agent's, as the detail view shows them.

        Without it they are shown in the zone of the incident's support window.
        """
        self._store = store
        self._clock = clock
        self._actor = actor
        self._workstation = workstation_id
        self._hlc = hlc
        self._zone = zone
        self._policies: dict[int, Policy] = {}
        self._listeners: list[Listener] = []

    # -- opening ----------------------------------------------------------------------------

    def open_incident(self, report: NewIncident) -> IncidentSummary:
        return self._open(report)

    def open_from_mail(
        self,
        report: NewIncident,
        origin: MailOrigin,
        after: AfterWrite,
        *,
        mail: Mapping[str, Any],
        text: str = "",
    ) -> IncidentSummary:
        """Open the incident a mail reports, received at ``origin.received_at``, with the
        incident id, number and event ids derived from the mailbox and the message; ``mail``
        (sender, subject, message_id, mailbox) goes on its opened event, and ``text`` (the
        body, searched like a note). An attachment the
        size and name rules refuse is left out and named on the event, never the whole mail.
        ``after`` runs in the same transaction (the ledger)."""
        incident_id = mail_incident_id(origin.mailbox, origin.ledger_id)
        return self._open(
            report,
            incident_id=incident_id,
            number=mail_incident_number(incident_id, origin.mailbox_code),
            event_id=origin.event_id("opened"),
            at=origin.received_at,
            extra={"mail": dict(mail), **({"text": text} if text else {})},
            file_id=lambda index: origin.event_id(f"attachment-{index}"),
            after=after,
        )

    def _open(
        self,
        report: NewIncident,
        *,
        incident_id: str | None = None,
        number: str | None = None,
        event_id: str | None = None,
        at: datetime | None = None,
        extra: Mapping[str, Any] | None = None,
        file_id: Callable[[int], str] | None = None,
        after: AfterWrite | None = None,
    ) -> IncidentSummary:
        now = self._clock.now() if at is None else at
        lenient = file_id is not None  # mail: a refused attachment leaves the rest
        with self._store.transaction() as tx:
            errors = Errors()
            pv, policy = latest_policy(tx)
            customer_id = errors.check(
                "customer_id", lambda: v.record_id(report.customer_id, what="customer")
            )
            customer = tx.customers.get(customer_id) if customer_id else None
            if customer is None:
                errors.add("customer_id", "Choose the customer who reported the incident.")
            contact = self._reporting_contact(customer, report.contact_id, errors)
            title = errors.check("title", lambda: v.name(report.title, what="title", max_len=500))
            channel = self._channel(report.channel, errors)
            plan_priority = self._opening_priority(report, customer, channel, policy, errors)
            fields = v.report_fields(_report_values(report), errors, now=now)
            file_errors = Errors() if lenient else errors
            files = self._files(report.attachments, file_errors)
            window = tx.windows.get(customer.window_id) if customer else None
            if customer is not None and window is None:
                errors.add("customer_id", "This customer's support window no longer exists.")
            errors.raise_if_any()
            assert customer and contact and title and channel and plan_priority and window
            priority, proposed = plan_priority

            incident_id = incident_id or new_id()
            if number is None:
                number = incident_number(self._workstation, tx.meta.next_sequence("incident"))
            data: dict[str, Any] = {
                "number": number,
                "vendor_ref": number,
                "customer_id": customer.id,
                "contact_id": contact.id,
                "title": title,
                "channel": channel.value,
                "priority": priority,
                "proposed_priority": proposed,
                "plan": customer.plan,
                "window": _window_snapshot(window),
                "policy_version": pv.version,
                # The version's id, which never changes: sync may renumber a version saved
                # here concurrently with another, and the deadlines must not move with it.
                "policy_version_id": pv.id,
                **fields,
                "attachments": self._store_files(tx, incident_id, files, now, file_id),
                **(extra or {}),
            }
            if lenient and file_errors.errors:
                data["attachments_refused"] = list(file_errors.errors.values())
            event = self._event(incident_id, EventKind.OPENED, data, now, event_id)
            terms = Terms.of(customer.plan, window_spec(window))
            summary = project([event], terms, policy, number, pv.version)
            tx.incidents.append([event], summary, search_text([event]))
            if after is not None:
                after(tx, summary)
            return summary

    def _reporting_contact(
        self, customer: Customer | None, contact_id: str, errors: Errors
    ) -> Contact | None:
        if customer is None:
            return None
        for contact in customer.contacts:
            if contact.id == contact_id:
                return contact
        if not customer.contacts:
            errors.add("contact_id", f"{customer.name} has no one on its support list yet.")
        else:
            errors.add("contact_id", f"Choose the reporting contact from {customer.name}'s list.")
        return None

    @staticmethod
    def _channel(value: Channel | str, errors: Errors) -> Channel | None:
        try:
            return Channel(value)
        except ValueError:
            known = ", ".join(c.value for c in Channel)
            errors.add("channel", f"{v.shown(str(value))} is not a channel (one of: {known}).")
            return None

    @staticmethod
    def _opening_priority(
        report: NewIncident,
        customer: Customer | None,
        channel: Channel | None,
        policy: Policy,
        errors: Errors,
    ) -> tuple[str, str] | None:
        """(effective, proposed) priorities for a new incident; see the module docstring."""
        ids = policy.priority_ids
        proposed = errors.check(
            "proposed_priority",
            lambda: v.priority(report.proposed_priority, ids) if report.proposed_priority else "",
        )
        classified = errors.check(
            "priority", lambda: v.priority(report.priority, ids) if report.priority else ""
        )
        if customer is None or channel is None or proposed is None or classified is None:
            return None
        default = policy.default_priority(channel) or ""
        try:
            plan = policy.plan(customer.plan)
        except KeyError:
            errors.add(
                "customer_id",
                f'{customer.name} is on the "{customer.plan}" plan, which the current policy '
                "no longer has: choose a plan for the customer first.",
            )
            return None
        if plan.customer_proposes:
            proposed = proposed or default
            if not proposed:
                errors.add(
                    "proposed_priority",
                    f"On the {plan.name} plan the customer proposes the priority: "
                    "enter the one they asked for.",
                )
                return None
            if classified and classified != proposed:
                errors.add(
                    "priority",
                    f"On the {plan.name} plan the customer's proposal ({proposed}) is the "
                    "priority; open the incident, then change it with a reason.",
                )
                return None
            return proposed, proposed
        effective = classified or default
        if not effective:
            errors.add(
                "priority",
                f"On the {plan.name} plan the vendor sets the priority: choose one.",
            )
            return None
        return effective, proposed

    @staticmethod
    def _files(files: Iterable[tuple[str, bytes]], errors: Errors) -> list[tuple[str, bytes]]:
        kept = []
        for index, item in enumerate(files):
            try:
                name, content = item
            except (TypeError, ValueError):
                errors.add(f"attachments[{index}]", "An attachment is a file name and its content.")
                continue
            if not isinstance(name, str):
                errors.add(f"attachments[{index}]", "The file name is not text.")
                continue
            problem = name_problem(name)
            if problem is not None:  # before any check that repeats the name in its message
                errors.add(f"attachments[{index}]", problem)
                continue
            checked = errors.check(f"attachments[{index}]", partial(v.attachment, name, content))
            if checked is not None:
                kept.append(checked)
        return kept

    def _store_files(
        self,
        tx: Transaction,
        incident_id: str,
        files: Sequence[tuple[str, bytes]],
        now: datetime,
        file_id: Callable[[int], str] | None = None,
    ) -> list[dict[str, Any]]:
        refs = []
        for index, (name, content) in enumerate(files):
            attachment = Attachment(
                id=file_id(index) if file_id is not None else new_id(),
                incident_id=incident_id,
                filename=name,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                added_at=now,
                author=self._actor.name,
            )
            tx.attachments.add(attachment, content)
            refs.append(
                {
                    "id": attachment.id,
                    "filename": name,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                }
            )
        return refs

    # -- actions ----------------------------------------------------------------------------

    def respond(
        self,
        incident_id: str,
        text: str,
        channel: Channel | str = Channel.EMAIL,
        recipient: str = "",
        *,
        mail: OutgoingMail | None = None,
    ) -> IncidentSummary:
        """The vendor responds to the customer; the first one meets the first-response target.

        With ``mail`` the response goes out through the outbox (written in this transaction
        by ``mail.queue``) and counts when the mail server accepts it (DESIGN §3)."""

        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.RESPOND)
            errors = Errors()
            response = self._response(ctx, text, channel, recipient, errors)
            errors.raise_if_any()
            assert response is not None
            if mail is None:
                return [response]
            kind, data = response
            return [(kind, {**data, "channel": Channel.EMAIL.value, "mail": dict(mail.header)})]

        return self._change(incident_id, build, **self._outgoing(mail))

    @staticmethod
    def _outgoing(mail: OutgoingMail | None) -> dict[str, Any]:
        if mail is None:
            return {}
        return {"event_ids": lambda _kind: mail.event_id, "after": mail.queue}

    def _response(
        self,
        ctx: _Context,
        text: str,
        channel: Channel | str,
        recipient: str,
        errors: Errors,
        *,
        key: str = "text",
        what: str = "response",
    ) -> Draft | None:
        """A RESPONDED draft from what the agent sent (None if ``errors`` got a message)."""
        body = errors.check(key, lambda: v.text(text, what=what))
        how = self._channel(channel, errors)
        to = errors.check(
            "recipient", lambda: v.plain(recipient, what="recipient", max_len=v.EMAIL_MAX)
        )
        to = (to or "").strip() or self._default_recipient(ctx)
        if body is None or how is None:
            return None
        return (EventKind.RESPONDED, {"text": body, "channel": how.value, "recipient": to})

    def post_status_update(
        self,
        incident_id: str,
        channel: UpdateChannel | str,
        recipient: str,
        text: str,
        *,
        mail: OutgoingMail | None = None,
    ) -> IncidentSummary:
        """A status update via the status page or to a designated email contact; with
        ``mail`` (email only) it goes out through the outbox, as :meth:`respond` says."""

        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.POST_UPDATE)
            errors = Errors()
            body = errors.check("text", lambda: v.text(text, what="status update"))
            try:
                how: UpdateChannel | None = UpdateChannel(channel)
            except ValueError:
                how = None
                known = ", ".join(c.value for c in UpdateChannel)
                errors.add("channel", f'"{channel}" is not a status update channel ({known}).')
            to: str | None = recipient.strip()
            if how is UpdateChannel.EMAIL:
                to = errors.check("recipient", lambda: v.email(recipient))
                customer = ctx.tx.customers.get(ctx.customer_id)
                if to and customer is not None and to.casefold() not in _designated(customer):
                    errors.add(
                        "recipient",
                        f"{to} is not a designated contact of {customer.name}: choose an "
                        "address from the support list or the account manager's.",
                    )
            elif how is UpdateChannel.STATUS_PAGE:
                to = to or "status page"
            if mail is not None and how is not UpdateChannel.EMAIL:
                errors.add("channel", "Only an update by email goes through the outbox.")
            errors.raise_if_any()
            assert how is not None
            data: dict[str, Any] = {"text": body, "channel": how.value, "recipient": to}
            if mail is not None:
                data["mail"] = dict(mail.header)
            return [(EventKind.STATUS_UPDATE, data)]

        return self._change(incident_id, build, **self._outgoing(mail))

    def change_priority(
        self, incident_id: str, priority: str, reason: str, side: Side | str = Side.VENDOR
    ) -> IncidentSummary:
        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.CHANGE_PRIORITY)
            errors = Errors()
            new = errors.check("priority", lambda: v.priority(priority, ctx.policy.priority_ids))
            why = errors.check("reason", lambda: v.text(reason, what="reason"))
            try:
                who: Side | None = Side(side)
            except ValueError:
                who = None
                errors.add("side", f'"{side}" is not a side (customer or vendor).')
            if new is not None and new == ctx.clocks.priority:
                errors.add("priority", f"The incident is already {new}.")
            errors.raise_if_any()
            assert who is not None
            return [(EventKind.PRIORITY_CHANGED, {"priority": new, "reason": why, "side": who})]

        return self._change(incident_id, build)

    def escalate(self, incident_id: str, level: int, reason: str = "") -> IncidentSummary:
        """The customer escalates to the next level, once the vendor has missed a target."""

        def build(ctx: _Context) -> list[Draft]:
            closed = closed_refusal(ctx.status)
            if closed:
                raise ValidationError.single(INCIDENT, closed)
            self._check_escalation(ctx, level)
            why = ValidationError.wrap(
                "reason", lambda: v.text(reason, what="reason", required=False)
            )
            return [(EventKind.ESCALATED, {"level": level, "reason": why})]

        return self._change(incident_id, build)

    def _check_escalation(self, ctx: _Context, level: int) -> None:
        """Refuse a level the customer may not escalate to now (under the field ``level``)."""
        current = ctx.clocks.escalation_level
        if level <= current:
            raise ValidationError.single(
                "level", f"The incident is already at Escalation {current}."
            )
        if level == current + 1:  # the next level: the detail view's rule, in its words
            reason = escalation_refusal(ctx.clocks, ctx.policy, self._zone_of(ctx))
            if reason:
                raise ValidationError.single("level", reason)
            return
        if level > len(ctx.policy.escalation_levels):
            raise ValidationError.single("level", f"The policy has no Escalation {level}.")
        raise ValidationError.single(
            "level", f"Escalate one level at a time: Escalation {current + 1} comes first."
        )

    def exclude(
        self, incident_id: str, reason: str, text: str, *, notify: bool = False
    ) -> IncidentSummary:
        """Mark the incident excluded (reason i–iv): its clocks stop and it leaves attainment.
        ``notify``: the customer is told by email (the outbox queues the exclusion notice in
        this transaction, when a server to send through is set up)."""

        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.EXCLUDE)
            errors = Errors()
            codes = [r.code for r in ctx.policy.exclusions]
            code = errors.check(
                "reason", lambda: v.choice(reason.strip().lower(), codes, what="exclusion reason")
            )
            body = errors.check("text", lambda: v.text(text, what="explanation"))
            errors.raise_if_any()
            data: dict[str, Any] = {"reason": code, "text": body}
            if notify:
                data["notify"] = True
            return [(EventKind.EXCLUDED, data)]

        return self._change(incident_id, build)

    def wait_on_customer(self, incident_id: str, text: str = "") -> IncidentSummary:
        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.WAIT_ON_CUSTOMER)
            body = ValidationError.wrap("text", lambda: v.text(text, what="note", required=False))
            return [(EventKind.WAITING_ON_CUSTOMER, {"text": body})]

        return self._change(incident_id, build)

    def resume(self, incident_id: str, text: str = "") -> IncidentSummary:
        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.RESUME)
            body = ValidationError.wrap("text", lambda: v.text(text, what="note", required=False))
            return [(EventKind.RESUMED, {"text": body})]

        return self._change(incident_id, build)

    def assign(self, incident_id: str, agent_id: str | None) -> IncidentSummary:
        """Assign to an agent, or unassign with None."""

        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.ASSIGN)
            current = self._assignee(ctx.events)
            if agent_id is None:
                if current is None:
                    raise ValidationError.single("agent_id", "The incident is not assigned.")
                return [(EventKind.ASSIGNED, {"agent_id": None, "agent_name": ""})]
            agent = ctx.tx.agents.get(agent_id)
            if agent is None:
                raise ValidationError.single("agent_id", "This agent is not registered.")
            if current == agent.id:
                raise ValidationError.single("agent_id", f"The incident is already {agent.name}'s.")
            return [(EventKind.ASSIGNED, {"agent_id": agent.id, "agent_name": agent.name})]

        return self._change(incident_id, build)

    def note(self, incident_id: str, text: str) -> IncidentSummary:
        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.NOTE)
            body = ValidationError.wrap("text", lambda: v.text(text, what="note"))
            return [(EventKind.NOTE, {"text": body})]

        return self._change(incident_id, build)

    def resolve(
        self, incident_id: str, text: str, message: CustomerMessage | None = None
    ) -> IncidentSummary:
        """Resolve the incident: ``text`` records what fixed it; its clocks stop.

        Resolving is not a response (DESIGN §3): a response clock still unanswered (the first
        response, an escalation level's) counts as missed, at the resolve instant if its
        deadline was still ahead. ``message`` is a resolution message to the customer sent
        with it: recorded as a response (its channel, recipient and text) at the same instant,
        ordered before the resolve, so it meets a deadline not yet passed. It is refused,
        under ``message``, when no response is owed.
        """

        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.RESOLVE)
            errors = Errors()
            body = errors.check("text", lambda: v.text(text, what="resolution"))
            response: Draft | None = None
            if message is not None:
                if unanswered(ctx.clocks):
                    response = self._response(
                        ctx,
                        message.text,
                        message.channel,
                        message.recipient,
                        errors,
                        key="message",
                        what="resolution message",
                    )
                else:
                    errors.add("message", NO_RESPONSE_OWED)
            errors.raise_if_any()
            resolved: Draft = (EventKind.RESOLVED, {"text": body})
            # One instant for both: the response's HLC stamp is made first, so the event order
            # (at, hlc, id) replays it before the resolve, which then finds it answered.
            return [response, resolved] if response is not None else [resolved]

        return self._change(incident_id, build)

    def reopen(self, incident_id: str, reason: str) -> IncidentSummary:
        def build(ctx: _Context) -> list[Draft]:
            self._require(ctx, Action.REOPEN)
            why = ValidationError.wrap("reason", lambda: v.text(reason, what="reason"))
            return [(EventKind.REOPENED, {"reason": why})]

        return self._change(incident_id, build)

    def add_from_mail(
        self,
        incident_id: str,
        kind: EventKind,
        data: Mapping[str, Any],
        origin: MailOrigin,
        after: AfterWrite,
        files: Sequence[tuple[str, bytes]] = (),
    ) -> IncidentSummary:
        """Add a mail to an incident's timeline: a customer's message, or mail about our
        mail (``DELIVERY``). A customer's message to an incident waiting on them resumes it;
        one to a resolved incident reopens it (the intake decides when that is still so).
        Received at ``origin.received_at``, never before the incident's own last event.
        ``files`` (the message's attachments) become the incident's attachments under the
        usual size and name rules; one refused is named on the event, the rest are kept."""
        if kind not in (EventKind.CUSTOMER_MESSAGE, EventKind.DELIVERY):
            raise ValueError(f"a mail adds a customer message or a delivery event, not {kind}")

        def build(ctx: _Context) -> list[Draft]:
            message = dict(data)
            if files:
                refused = Errors()
                kept = self._files(files, refused)
                message["attachments"] = self._store_files(
                    ctx.tx,
                    incident_id,
                    kept,
                    ctx.now,
                    lambda index: origin.event_id(f"attachment-{index}"),
                )
                if refused.errors:
                    message["attachments_refused"] = list(refused.errors.values())
            drafts: list[Draft] = [(kind, message)]
            if kind is not EventKind.CUSTOMER_MESSAGE:
                return drafts
            status = ctx.clocks.status
            if status is Status.WAITING_ON_CUSTOMER:
                drafts.append((EventKind.RESUMED, {"text": "The customer answered by email."}))
            elif status is Status.RESOLVED:
                drafts.append((EventKind.REOPENED, {"reason": "The customer replied by email."}))
            return drafts

        return self._change(
            incident_id,
            build,
            at=origin.received_at,
            event_ids=lambda k: origin.event_id(k.value),
            after=after,
        )

    def record_mail_outcome(
        self,
        incident_id: str,
        kind: EventKind,
        data: Mapping[str, Any],
        at: datetime,
        after: AfterWrite | None = None,
    ) -> IncidentSummary:
        """What became of a mail the outbox sent: ``MAIL_SENT`` at the instant the server
        accepted it (an emailed answer counts then), or ``MAIL_FAILED``. Recorded whatever
        the incident's status; ``after`` runs in the same transaction (the outbox row)."""
        if kind not in (EventKind.MAIL_SENT, EventKind.MAIL_FAILED):
            raise ValueError(f"the outbox records mail_sent or mail_failed, not {kind}")
        return self._change(incident_id, lambda _ctx: [(kind, dict(data))], at=at, after=after)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` inside every transaction that writes events, with the incident as
        it now is and the new events (the outbox acknowledges escalations this way)."""
        self._listeners.append(listener)

    def update_report(self, incident_id: str, fields: Mapping[str, Any]) -> IncidentSummary:
        """Fill in or correct report items; ``attachments`` adds files (name, bytes)."""

        def build(ctx: _Context) -> list[Draft]:
            errors = Errors()
            for key in fields:
                if key not in _REPORT_FIELDS:
                    errors.add(key, f'"{key}" is not an item of the incident report.')
            data: dict[str, Any] = {}
            if "title" in fields:
                title = errors.check(
                    "title", lambda: v.name(str(fields["title"] or ""), what="title", max_len=500)
                )
                if title:
                    data["title"] = title
            data.update(v.report_fields(fields, errors, now=ctx.now))
            for key in REPORT_TEXT_FIELDS:  # clearing a text item is a change too
                if key in fields and key not in data and not errors.errors.get(key):
                    data[key] = ""
            files = self._files(fields.get("attachments") or (), errors)
            errors.raise_if_any()
            report = current_report(ctx.events)
            zone = data.get("started_zone")
            data = {
                key: value
                for key, value in data.items()
                if key != "started_zone" and _differs(report, key, value)
            }
            if "started_at" in data and zone:
                data["started_zone"] = zone
            if not data and not files:
                raise ValidationError.single(INCIDENT, "Nothing in the report has changed.")
            if files:
                data["attachments"] = self._store_files(ctx.tx, incident_id, files, ctx.now)
            return [(EventKind.REPORT_UPDATED, data)]

        return self._change(incident_id, build)

    # -- reading and rebuilding -------------------------------------------------------------

    def details(self, incident_id: str) -> IncidentDetails:
        """The incident, its timeline and its clocks as they stand now."""
        with self._store.read() as tx:
            ctx = self._load(tx, incident_id, now=self._clock.now(), clamp=False)
            summary = tx.incidents.summary(incident_id)
            if summary is None:
                summary = project(ctx.events, ctx.terms, ctx.policy, ctx.number, ctx.policy_version)
            customer = tx.customers.get(ctx.customer_id)
            opened = opened_event(ctx.events)
            contact_id = str(opened.data.get("contact_id") or "") if opened else ""
            contact = tx.customers.contact(contact_id, include_deleted=True) if contact_id else None
            return IncidentDetails(
                summary=summary,
                events=tuple(ctx.events),
                clocks=ctx.clocks,
                report=current_report(ctx.events),
                customer=customer,
                contact=contact,
                attachments=tuple(tx.attachments.list(incident_id)),
                policy=ctx.policy,
                pushed_by=tx.incidents.pushed_by(incident_id),
            )

    def attachment(self, incident_id: str, attachment_id: str) -> tuple[Attachment, bytes]:
        """One of the incident's attachments and its content, as it was attached.

        The bytes are checked against the size and SHA-256 recorded when the file was added:
        a damaged file is refused (a ValidationError under ``attachment``), never handed out.
        """
        with self._store.read() as tx:
            found = tx.attachments.read(incident_id, attachment_id)
        if found is None:
            raise ValidationError.single(
                ATTACHMENT, "This attachment is not stored with the incident."
            )
        attachment, content = found
        name = shown_name(attachment.filename)  # a synced name may hide characters
        if len(content) != attachment.size:
            raise ValidationError.single(
                ATTACHMENT,
                f'"{name}" is damaged in the database: {len(content):,} bytes are stored, '
                f"but the file attached was {attachment.size:,} bytes. Ask the customer to "
                "send it again.",
            )
        if hashlib.sha256(content).hexdigest() != attachment.sha256.lower():
            raise ValidationError.single(
                ATTACHMENT,
                f'"{name}" is damaged in the database: its content no longer matches the '
                "SHA-256 checksum recorded when it was attached. Ask the customer to send it "
                "again.",
            )
        return attachment, content

    def changed_since(self, mark: int) -> tuple[int, list[str]]:
        """Incidents another program wrote since ``mark`` (this service's own writes are
        known already; see the repository); -1 starts."""
        with self._store.read() as tx:
            return tx.incidents.changed_since(mark, besides=self._workstation)

    def summary(self, incident_id: str) -> IncidentSummary:
        with self._store.read() as tx:
            summary = tx.incidents.summary(incident_id)
        if summary is None:
            raise ValidationError.single(INCIDENT, "This incident does not exist.")
        return summary

    def rebuild_projection(self, incident_id: str) -> IncidentSummary:
        """Re-derive the stored summary and search text from the events alone."""
        with self._store.transaction() as tx:
            ctx = self._load(tx, incident_id, now=self._clock.now(), clamp=False)
            summary = project(ctx.events, ctx.terms, ctx.policy, ctx.number, ctx.policy_version)
            tx.incidents.append([], summary, search_text(ctx.events))
            return summary

    def rebuild_all(self) -> int:
        """Re-derive every stored projection (after an upgrade or a sync); returns how many."""
        with self._store.read() as tx:
            ids = list(tx.incidents.all_ids())
        for incident_id in ids:
            self.rebuild_projection(incident_id)
        return len(ids)

    def projected(self, incident_id: str) -> IncidentSummary:
        """What the projection of the stored events is, without storing it."""
        with self._store.read() as tx:
            ctx = self._load(tx, incident_id, now=self._clock.now(), clamp=False)
            return project(ctx.events, ctx.terms, ctx.policy, ctx.number, ctx.policy_version)

    # -- machinery --------------------------------------------------------------------------

    def _change(
        self,
        incident_id: str,
        build: Callable[[_Context], list[Draft]],
        *,
        at: datetime | None = None,
        event_ids: Callable[[EventKind], str] | None = None,
        after: AfterWrite | None = None,
    ) -> IncidentSummary:
        with self._store.transaction() as tx:
            now = self._clock.now() if at is None else at
            ctx = self._load(tx, incident_id, now=now, clamp=True)
            drafts = build(ctx)
            # Stamp after every event this writer holds (a peer's, whose clock ran ahead, too),
            # so the new event replays after what its author saw, whatever the wall clock says.
            held = latest_stamp(e.hlc for e in ctx.events)
            if held:
                self._hlc.observe(held)
            new = [
                self._event(
                    incident_id, kind, data, ctx.now, event_ids(kind) if event_ids else None
                )
                for kind, data in drafts
            ]
            events = [*ctx.events, *new]
            summary = project(events, ctx.terms, ctx.policy, ctx.number, ctx.policy_version)
            tx.incidents.append(new, summary, search_text(events))
            if after is not None:
                after(tx, summary)
            for listener in self._listeners:
                listener(tx, summary, new, events)
            return summary

    def _load(self, tx: Transaction, incident_id: str, *, now: datetime, clamp: bool) -> _Context:
        incident_id = ValidationError.wrap(
            INCIDENT, lambda: v.record_id(incident_id, what="incident")
        )
        events = tx.incidents.events(incident_id)
        opened = opened_event(events)
        stored = tx.incidents.summary(incident_id)
        if opened is None:
            raise ValidationError.single(INCIDENT, "This incident does not exist.")
        number = str(opened.data.get("number") or (stored.number if stored else ""))
        version = opened.data.get("policy_version")
        fallback = int(version) if version else (stored.policy_version if stored else 1)
        reader = ClockReader(tx, self._policies)  # versions never change: each parsed once
        # By the opened event's policy_version_id where it has one: a number can be renumbered
        # by sync (two versions saved at once), the version an incident opened under cannot.
        policy_version, policy = reader.governing(events, fallback)
        customer_id = str(opened.data.get("customer_id") or (stored.customer_id if stored else ""))
        terms = reader.terms(events, customer_id)
        if clamp:  # an incident's own events never go back in time, even with a skewed clock
            now = max(now, *(e.at for e in events))
        clocks = evaluate(events, terms, policy, now)
        return _Context(tx, events, number, policy_version, policy, terms, customer_id, now, clocks)

    def _event(
        self,
        incident_id: str,
        kind: EventKind,
        data: Mapping[str, Any],
        at: datetime,
        event_id: str | None = None,
    ) -> IncidentEvent:
        return IncidentEvent(
            id=event_id or new_id(),
            incident_id=incident_id,
            kind=kind,
            at=at,
            author=self._actor.name,
            origin=self._workstation,
            hlc=self._hlc.now(),
            data={k: (val.value if isinstance(val, Side) else val) for k, val in data.items()},
        )

    def _require(self, ctx: _Context, action: Action) -> None:
        """Refuse ``action`` in the words the detail view gives its disabled button."""
        reason = refusal(action, ctx.clocks, ctx.policy, self._zone_of(ctx))
        if reason:
            raise ValidationError.single(INCIDENT, reason)

    def _zone_of(self, ctx: _Context) -> tzinfo:
        return self._zone or ctx.terms.calendar.zone

    @staticmethod
    def _assignee(events: Iterable[IncidentEvent]) -> str | None:
        current: str | None = None
        for event in events:
            if event.kind is EventKind.ASSIGNED:
                agent = event.data.get("agent_id")
                current = str(agent) if agent else None
        return current

    @staticmethod
    def _default_recipient(ctx: _Context) -> str:
        opened = opened_event(ctx.events)
        contact_id = str(opened.data.get("contact_id") or "") if opened else ""
        contact = ctx.tx.customers.contact(contact_id) if contact_id else None
        if contact is None:
            return ""
        return contact.emails[0] if contact.emails else contact.name


def _report_values(report: NewIncident) -> dict[str, Any]:
    return {key: getattr(report, key) for key in (*REPORT_TEXT_FIELDS, "started_at")}


def _window_snapshot(window: SupportWindow) -> dict[str, Any]:
    return {
        "id": window.id,
        "name": window.name,
        "zone": window.zone,
        "hours": window.hours,
        "holidays": [d.isoformat() for d in window.holidays],
        "holiday_country": window.holiday_country,
        "holiday_subdivision": window.holiday_subdivision,
    }


def _designated(customer: Customer) -> set[str]:
    addresses = {e.casefold() for c in customer.contacts for e in c.emails}
    if customer.csm_email:
        addresses.add(customer.csm_email.casefold())
    return addresses


def _differs(report: Report, key: str, value: Any) -> bool:
    if key == "started_at":
        return report.started_at is None or report.started_at != datetime.fromisoformat(value)
    return str(report.value(key) or "") != str(value or "")
