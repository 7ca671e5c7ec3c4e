"""The mail outbox (DESIGN §11 "Out"): answers that reach the customer, and proof they did.

An agent's response or status update by email is written with its event and its outbox row
in one transaction (:meth:`OutboxService.respond`, :meth:`post_update`): nothing is sent
then, so composing works offline and a crash loses nothing. A sender (the console's mail
worker, ``mail watch``, ``web serve``) takes :meth:`due` mail, :meth:`claim`\\ s each one, and
says what the server answered: :meth:`sent` records ``MAIL_SENT`` at the instant the server
accepted it (the answer counts then), :meth:`deferred` waits with back-off, :meth:`failed`
records ``MAIL_FAILED`` (the answer never counts, and the incident says so).

Recipients follow the policy: the contact the agent picks from the customer's support list
(by default the reporting contact, else the first listed with an address), with the CSM
copied as the customer's primary contact where one is assigned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from console.domain.events import EventKind, IncidentEvent, UpdateChannel
from console.domain.ids import new_id
from console.domain.outbound import (
    OutboundMail,
    OutboxEntry,
    OutboxState,
    Purpose,
    SmtpAccount,
    compose,
    domain_of,
    mint_message_id,
    retry_delay,
    thread_subject,
)
from console.domain.records import Agent, Contact, Customer, IncidentSummary
from console.services import validation as v
from console.services.incidents import IncidentDetails, IncidentService, OutgoingMail
from console.services.mailboxes import check_server
from console.services.ports import Clock, Store, Transaction
from console.services.validation import NotAllowed, ValidationError

__all__ = ["MailDraft", "OutboxService", "SendingAccounts", "draft_for"]

#: A mail left ``sending`` this long was being sent by a sender that died: try it again.
#: Longer than any attempt can take (each SMTP step times out well before).
SENDING_LEASE = timedelta(minutes=5)
_THREAD_KEEP = 10  # References: the first message and the last few, as mail clients do
_ERROR_MAX = 2000
_ANSWERS = (EventKind.RESPONDED, EventKind.STATUS_UPDATE)


@dataclass(frozen=True, slots=True)
class MailDraft:
    """What an answer by email to an incident would be: who it goes to and from, and how it
    is threaded. The compose box shows it; :meth:`OutboxService.respond` sends it."""

    incident_id: str
    number: str
    account: SmtpAccount
    to: str
    cc: tuple[str, ...]
    subject: str
    in_reply_to: str
    references: tuple[str, ...]
    #: the customer's support list: (contact, address) for each address, in the list's order
    choices: tuple[tuple[Contact, str], ...]
    customer_name: str = ""


class SendingAccounts:
    """The SMTP accounts the outbox sends through (Settings → Mail…; leads and admins)."""

    def __init__(self, store: Store, actor: Agent) -> None:
        self._store = store
        self._actor = actor

    def accounts(self) -> list[SmtpAccount]:
        with self._store.read() as tx:
            return tx.outbox.accounts()

    def sending(self) -> SmtpAccount | None:
        """The account mail goes out through: the first enabled one (None: none set up)."""
        return next((a for a in self.accounts() if a.enabled), None)

    def save(self, draft: SmtpAccount) -> SmtpAccount:
        self._require_lead("change the servers mail is sent through")
        account = validate_account(draft)
        with self._store.transaction() as tx:
            taken = [
                a for a in tx.outbox.accounts() if a.name.casefold() == account.name.casefold()
            ]
            if any(a.id != account.id for a in taken):
                raise ValidationError.single("name", f"An account called “{account.name}” exists.")
            if account.id and tx.outbox.account(account.id) is None:
                raise ValidationError.single("name", "This account was removed meanwhile.")
            saved = account if account.id else replace(account, id=new_id())
            tx.outbox.save_account(saved)
            return saved

    def delete(self, account_id: str) -> None:
        self._require_lead("remove a sending account")
        with self._store.transaction() as tx:
            tx.outbox.delete_account(account_id)

    def _require_lead(self, what: str) -> None:
        if not self._actor.role.may_edit_policy:
            raise NotAllowed(f"Only a team lead or an admin may {what}.")


def validate_account(draft: SmtpAccount) -> SmtpAccount:
    """The account with its fields cleaned, or a ValidationError naming each bad field."""
    errors = check_server(
        draft.name,
        draft.host,
        draft.port,
        draft.username,
        draft.ca_file,
        username_required=False,
        port_hint="587 for STARTTLS, 465 for TLS",
    )
    if draft.security not in ("tls", "starttls"):
        errors.add("security", "Choose TLS (port 465) or STARTTLS (port 587).")
    address = draft.from_address.strip()
    checked = errors.check("from_address", lambda: v.email(address))
    name = " ".join(draft.from_name.split())
    if len(name) > 200 or any(ord(c) < 32 for c in name):
        errors.add("from_name", "The display name is at most 200 printable characters.")
    folder = draft.sent_folder.strip() or "Sent"
    if len(folder) > 200 or any(ord(c) < 32 for c in folder):
        errors.add("sent_folder", "The folder is at most 200 printable characters.")
    errors.raise_if_any()
    return replace(
        draft,
        name=" ".join(draft.name.split()),
        host=draft.host.strip(),
        username=draft.username.strip(),
        from_address=checked or address,
        from_name=name,
        ca_file=draft.ca_file.strip(),
        sent_folder=folder,
    )


class OutboxService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        incidents: IncidentService,
        actor: Agent,
    ) -> None:
        self._store = store
        self._clock = clock
        self._incidents = incidents
        self._actor = actor
        self.accounts = SendingAccounts(store, actor)

    # -- composing --------------------------------------------------------------------------

    def can_send(self) -> bool:
        return self.accounts.sending() is not None

    def draft(self, incident_id: str, recipient: str = "") -> MailDraft:
        """Who an answer to the incident goes to and how it is threaded; a ValidationError
        says why none can be sent (no sending account, no address on the support list)."""
        account = self.accounts.sending()
        if account is None:
            raise ValidationError.single(
                "account",
                "No server to send mail through: a lead sets one up in Settings → Mail….",
            )
        return draft_for(self._incidents.details(incident_id), account, recipient)

    def respond(
        self,
        incident_id: str,
        text: str,
        recipient: str = "",
        *,
        purpose: Purpose = Purpose.RESPONSE,
    ) -> IncidentSummary:
        """Send a response by email: its event and its outbox row are written together; it
        counts for the clock when the server accepts it."""
        draft = self._checked_draft(incident_id, recipient)
        outgoing = self._outgoing(draft, text, purpose)
        return self._incidents.respond(incident_id, text, "email", draft.to, mail=outgoing)

    def post_update(self, incident_id: str, text: str, recipient: str = "") -> IncidentSummary:
        """Send a status update by email to a designated contact, through the outbox."""
        draft = self._checked_draft(incident_id, recipient)
        outgoing = self._outgoing(draft, text, Purpose.STATUS_UPDATE)
        return self._incidents.post_status_update(
            incident_id, UpdateChannel.EMAIL, draft.to, text, mail=outgoing
        )

    def send_notice(
        self, incident_id: str, text: str, purpose: Purpose, recipient: str = ""
    ) -> OutboxEntry:
        """Queue an automated mail (an acknowledgement, a notice): no answer event, so it
        moves no clock; ``MAIL_SENT`` on the timeline shows it went out."""
        draft = self._checked_draft(incident_id, recipient)
        body = ValidationError.wrap("text", lambda: v.text(text, what="message"))
        mail = self._mail(draft, body, purpose, event_id="")
        with self._store.transaction() as tx:
            return self._queue(tx, mail)

    def _checked_draft(self, incident_id: str, recipient: str) -> MailDraft:
        draft = self.draft(incident_id, recipient)
        listed = {e.casefold() for _, e in draft.choices}
        if draft.to.casefold() not in listed:
            raise ValidationError.single(
                "recipient",
                f"{draft.to} is not on {draft.customer_name}'s support list: choose one of "
                "its addresses.",
            )
        return draft

    def _mail(self, draft: MailDraft, text: str, purpose: Purpose, event_id: str) -> OutboundMail:
        account = draft.account
        return OutboundMail(
            message_id=mint_message_id(domain_of(account.from_address)),
            incident_id=draft.incident_id,
            event_id=event_id,
            purpose=purpose,
            from_address=account.from_address,
            from_name=account.from_name,
            to=(draft.to,),
            cc=draft.cc,
            subject=draft.subject,
            text=text,
            in_reply_to=draft.in_reply_to,
            references=draft.references,
            account_id=account.id,
        )

    def _outgoing(self, draft: MailDraft, text: str, purpose: Purpose) -> OutgoingMail:
        event_id = new_id()
        mail = self._mail(draft, text.strip(), purpose, event_id)
        header = {
            "message_id": mail.message_id,
            "to": list(mail.to),
            "cc": list(mail.cc),
            "subject": mail.subject,
            "purpose": purpose.value,
        }

        def queue(tx: Transaction, _summary: IncidentSummary) -> None:
            self._queue(tx, mail)

        return OutgoingMail(event_id, header, queue)

    def _queue(self, tx: Transaction, mail: OutboundMail) -> OutboxEntry:
        now = self._clock.now()
        entry_id = new_id()
        tx.outbox.add(entry_id, mail, compose(mail, now), now)
        tx.mail.remember(mail.message_id, mail.incident_id, "out", now)
        entry = tx.outbox.get(entry_id)
        assert entry is not None
        return entry

    # -- automatic mail ---------------------------------------------------------------------

    def acknowledge_escalations(
        self, text: Callable[[IncidentDetails, int], str] | None = None
    ) -> None:
        """From now on, a customer's escalation recorded through this workstation's incident
        service queues an acknowledgement to the customer (``Auto-Submitted``) in the same
        transaction, when a server to send through is set up. ``text`` words it (the team's
        template); by default the console's own words."""
        words = text or acknowledgement_text

        def on_events(
            tx: Transaction,
            summary: IncidentSummary,
            new: list[IncidentEvent],
            _events: list[IncidentEvent],
        ) -> None:
            levels = [int(e.data.get("level") or 0) for e in new if e.kind is EventKind.ESCALATED]
            if not levels:
                return
            account = next((a for a in tx.outbox.accounts() if a.enabled), None)
            if account is None:
                return
            details = self._incidents.details(summary.id)  # joins this transaction
            try:
                draft = draft_for(details, account)
            except ValidationError:
                return  # nobody to tell by email: the incident still shows the escalation
            for level in levels:
                mail = self._mail(draft, words(details, level), Purpose.ACKNOWLEDGEMENT, "")
                self._queue(tx, mail)

        self._incidents.add_listener(on_events)

    def notify_exclusions(self, text: Callable[[IncidentDetails], str]) -> None:
        """From now on, an exclusion recorded with ``notify`` queues the exclusion notice
        (``text`` words it: the team's template) to the customer in the same transaction.
        Without a server to send through, or an address to send to, the exclusion is
        refused rather than recorded as told when nobody was."""

        def on_events(
            tx: Transaction,
            summary: IncidentSummary,
            new: list[IncidentEvent],
            _events: list[IncidentEvent],
        ) -> None:
            if not any(e.kind is EventKind.EXCLUDED and e.data.get("notify") for e in new):
                return
            account = next((a for a in tx.outbox.accounts() if a.enabled), None)
            if account is None:
                raise ValidationError.single(
                    "notify", "No server to send mail through is set up: untick the notice."
                )
            details = self._incidents.details(summary.id)  # joins this transaction
            draft = draft_for(details, account)  # a ValidationError names what is missing
            self._queue(tx, self._mail(draft, text(details), Purpose.NOTICE, ""))

        self._incidents.add_listener(on_events)

    # -- what is in it ----------------------------------------------------------------------

    def entries(
        self, incident_id: str | None = None, waiting_only: bool = False
    ) -> list[OutboxEntry]:
        states = [s for s in OutboxState if s.waiting] if waiting_only else None
        with self._store.read() as tx:
            return tx.outbox.entries(incident_id=incident_id, states=states)

    def waiting_count(self) -> int:
        with self._store.read() as tx:
            return tx.outbox.waiting_count()

    def mark(self) -> tuple[int, ...]:
        with self._store.read() as tx:
            return tx.outbox.outbox_mark()

    def threatened(self, entries: Sequence[OutboxEntry]) -> dict[str, datetime]:
        """For each waiting answer: the deadline it would meet if it went now and that is
        at risk or passed — the Outbox warns about these."""
        now = self._clock.now()
        out: dict[str, datetime] = {}
        for entry in entries:
            if not entry.state.waiting or not entry.mail.event_id:
                continue
            try:
                clocks = self._incidents.details(entry.mail.incident_id).clocks
            except ValidationError:
                continue
            for clock in clocks.live_clocks:
                if clock.deadline is not None and (clock.at_risk or clock.deadline <= now):
                    out[entry.id] = min(out.get(entry.id, clock.deadline), clock.deadline)
        return out

    def undelivered(self, incident_id: str) -> list[tuple[OutboxEntry, str, Contact | None]]:
        """Sent mail a bounce or an out-of-office came back for: (the mail, the address it
        names, the next contact on the support list with an address) — the console offers
        to send it to that contact."""
        details = self._incidents.details(incident_id)
        sent = {e.mail.message_id: e for e in self.entries(incident_id)}
        out = []
        for event in details.events:
            if event.kind is not EventKind.DELIVERY:
                continue
            entry = sent.get(str(event.data.get("about") or ""))
            if entry is None:
                continue
            named = [str(r) for r in event.data.get("recipients") or () if isinstance(r, str)]
            address = named[0] if named else entry.mail.to[0] if entry.mail.to else ""
            out.append((entry, address, _next_contact(details.customer, address)))
        return out

    # -- an agent's hand on it --------------------------------------------------------------

    def retry_now(self, entry_id: str) -> None:
        """Try a deferred mail at the next pass instead of waiting out its back-off."""
        now = self._clock.now()
        with self._store.transaction() as tx:
            entry = self._entry(tx, entry_id)
            if entry.state is not OutboxState.DEFERRED:
                raise ValidationError.single("outbox", f"This mail is {entry.state.value}.")
            tx.outbox.settle(
                entry_id,
                OutboxState.DEFERRED,
                error=entry.last_error,
                next_attempt_at=now,
                only_from=(OutboxState.DEFERRED,),
            )

    def withdraw(self, entry_id: str) -> IncidentSummary:
        """Take back a mail not sent yet: it fails for good, and its answer never counts."""
        with self._store.read() as tx:
            entry = self._entry(tx, entry_id)
        if entry.state not in (OutboxState.QUEUED, OutboxState.DEFERRED):
            raise ValidationError.single(
                "outbox",
                "Only a mail waiting to be sent can be withdrawn; this one is "
                f"{entry.state.value}.",
            )
        return self._fail(
            entry, f"Withdrawn by {self._actor.name}.", (OutboxState.QUEUED, OutboxState.DEFERRED)
        )

    def resend(self, entry_id: str, recipient: str) -> IncidentSummary:
        """Send a mail again to another contact (after a bounce): a new mail, same text."""
        with self._store.read() as tx:
            entry = self._entry(tx, entry_id)
        mail = entry.mail
        if mail.purpose is Purpose.STATUS_UPDATE:
            return self.post_update(mail.incident_id, mail.text, recipient)
        if mail.purpose.automated:
            self.send_notice(mail.incident_id, mail.text, mail.purpose, recipient)
            return self._incidents.summary(mail.incident_id)
        return self.respond(mail.incident_id, mail.text, recipient, purpose=mail.purpose)

    def _entry(self, tx: Transaction, entry_id: str) -> OutboxEntry:
        entry = tx.outbox.get(entry_id)
        if entry is None:
            raise ValidationError.single("outbox", "This mail is no longer in the outbox.")
        return entry

    # -- sending (the sender's side) ---------------------------------------------------------

    def due(self, limit: int = 50) -> list[OutboxEntry]:
        """Mail to try now, with its bytes: queued, deferred whose time came, and any left
        ``sending`` by a sender that was killed mid-attempt (sent again under the same
        Message-ID: a server that had not said 250 had not taken it)."""
        now = self._clock.now()
        with self._store.read() as tx:
            return tx.outbox.due(now, limit, now - SENDING_LEASE)

    def claim(self, entry: OutboxEntry) -> bool:
        """Take ``entry`` for one attempt; False if another sender has it or it was withdrawn."""
        with self._store.transaction() as tx:
            return tx.outbox.claim(entry.id, entry.state, entry.last_attempt_at, self._clock.now())

    def sent(self, entry: OutboxEntry, reply: str = "", refused: Sequence[str] = ()) -> datetime:
        """The server accepted the mail (now): ``MAIL_SENT`` on the incident at this instant
        and the row settled, in one transaction. Returns the acceptance instant."""
        at = self._clock.now()
        mail = entry.mail
        accepted = [r for r in mail.recipients if r not in set(refused)]
        data: dict[str, Any] = {
            "message_id": mail.message_id,
            "event_id": mail.event_id,
            "recipients": accepted,
            "purpose": mail.purpose.value,
            "subject": mail.subject,
            "reply": reply[:_ERROR_MAX],
        }
        if refused:
            data["refused"] = list(refused)

        def settle(tx: Transaction, _summary: IncidentSummary) -> None:
            tx.outbox.settle(entry.id, OutboxState.SENT, sent_at=at, refused=refused, error="")

        self._incidents.record_mail_outcome(mail.incident_id, EventKind.MAIL_SENT, data, at, settle)
        return at

    def deferred(self, entry: OutboxEntry, error: str) -> OutboxState:
        """The server said "later", or could not be reached: wait, or give up after
        :data:`~console.domain.outbound.GIVE_UP_AFTER` (then it failed)."""
        now = self._clock.now()
        with self._store.transaction() as tx:
            attempts = self._entry(tx, entry.id).attempts
            delay = retry_delay(max(attempts, 1), entry.queued_at, now)
            if delay is None:
                tries = "attempt" if attempts == 1 else "attempts"
                given_up = f"Given up after {attempts} {tries} over two days: {error}"
                self._fail(entry, given_up, (OutboxState.SENDING,))
                return OutboxState.FAILED
            tx.outbox.settle(
                entry.id,
                OutboxState.DEFERRED,
                error=error[:_ERROR_MAX],
                next_attempt_at=now + delay,
                only_from=(OutboxState.SENDING,),
            )
        return OutboxState.DEFERRED

    def failed(self, entry: OutboxEntry, error: str) -> None:
        """The server refused the mail for good (5xx): ``MAIL_FAILED`` on the incident."""
        self._fail(entry, error, (OutboxState.SENDING,))

    def _fail(
        self, entry: OutboxEntry, error: str, only_from: Sequence[OutboxState]
    ) -> IncidentSummary:
        mail = entry.mail
        words = error[:_ERROR_MAX]
        data = {
            "message_id": mail.message_id,
            "event_id": mail.event_id,
            "recipients": list(mail.recipients),
            "purpose": mail.purpose.value,
            "error": words,
        }
        settled: list[bool] = []

        def settle(tx: Transaction, _summary: IncidentSummary) -> None:
            done = tx.outbox.settle(entry.id, OutboxState.FAILED, error=words, only_from=only_from)
            if not done:  # sent or withdrawn meanwhile: say nothing on the incident
                raise _MovedError()
            settled.append(done)

        try:
            return self._incidents.record_mail_outcome(
                mail.incident_id, EventKind.MAIL_FAILED, data, self._clock.now(), settle
            )
        except _MovedError:
            raise ValidationError.single(
                "outbox", "This mail changed meanwhile (sent or withdrawn)."
            ) from None


class _MovedError(Exception):
    """The outbox row was no longer in the state the action expected: roll back."""


def acknowledgement_text(details: IncidentDetails, level: int) -> str:
    """The console's own acknowledgement of an escalation (a team's template replaces it)."""
    contact = details.contact
    greeting = f"Dear {contact.name}," if contact is not None else "Hello,"
    levels = {lv.level: lv.role for lv in details.policy.escalation_levels}
    role = levels.get(level, "")
    who = f" Our {role} is now responsible for it." if role else ""
    return "\n".join(
        [
            greeting,
            "",
            f"We have received your escalation of incident {details.summary.number} "
            f"({details.summary.title}) to Escalation {level}.{who} We will respond within "
            "the target your support plan sets.",
            "",
            f"Please quote {details.summary.number} in any reply.",
        ]
    )


def draft_for(details: IncidentDetails, account: SmtpAccount, recipient: str = "") -> MailDraft:
    """The draft of an answer to the incident ``details`` shows, sent through ``account``:
    to ``recipient`` (by default the reporting contact, else the first address on the
    support list), the CSM copied, threaded to the customer's last message."""
    summary, customer = details.summary, details.customer
    if customer is None:
        raise ValidationError.single("recipient", "This incident's customer was removed.")
    choices = tuple((c, e) for c in customer.contacts for e in c.emails)
    if not choices:
        raise ValidationError.single(
            "recipient",
            f"{customer.name}'s support list has no email address: add one in Customers.",
        )
    to = recipient.strip()
    if not to:
        reporter = details.contact
        to = next((e for c, e in choices if reporter and c.id == reporter.id), choices[0][1])
    in_reply_to, references, last_subject = _thread(details.events)
    csm = customer.csm_email
    cc = (csm,) if csm and csm.casefold() != to.casefold() else ()
    return MailDraft(
        incident_id=summary.id,
        number=summary.number,
        account=account,
        to=to,
        cc=cc,
        subject=thread_subject(summary.number, summary.title, last_subject),
        in_reply_to=in_reply_to,
        references=references,
        choices=choices,
        customer_name=customer.name,
    )


def _thread(events: Sequence[IncidentEvent]) -> tuple[str, tuple[str, ...], str]:
    """(the customer's last Message-ID, the References chain, that message's subject)."""
    ids: list[str] = []
    last_in, last_subject = "", ""
    for event in events:
        data = event.data
        mid, subject = "", ""
        if event.kind is EventKind.OPENED and isinstance(data.get("mail"), dict):
            mid = str(data["mail"].get("message_id") or "")
            subject = str(data["mail"].get("subject") or "")
        elif event.kind is EventKind.CUSTOMER_MESSAGE:
            mid, subject = str(data.get("message_id") or ""), str(data.get("subject") or "")
        elif event.kind in _ANSWERS and isinstance(data.get("mail"), dict):
            ours = str(data["mail"].get("message_id") or "")
            if ours:
                ids.append(ours)
            continue
        if mid:
            ids.append(mid)
            last_in, last_subject = mid, subject
    chain = list(dict.fromkeys(ids))
    if len(chain) > _THREAD_KEEP:
        chain = [chain[0], *chain[-(_THREAD_KEEP - 1) :]]
    return last_in, tuple(chain), last_subject


def _next_contact(customer: Customer | None, address: str) -> Contact | None:
    """The contact after the one with ``address`` on the support list, with an address."""
    if customer is None:
        return None
    contacts = list(customer.contacts)
    index = next(
        (
            i
            for i, c in enumerate(contacts)
            if address.casefold() in {e.casefold() for e in c.emails}
        ),
        -1,
    )
    return next((c for c in contacts[index + 1 :] if c.emails), None)
