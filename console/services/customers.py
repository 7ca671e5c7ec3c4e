"""Customers, their support windows and their ordered support lists.

Every edit is validated as a whole (one message per field) and saved at once in its own
transaction. Contacts are never removed: deleting one sets a flag, so the history of who was
contacted stays readable, and restoring one clears the flag on the same record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from console.domain.ids import HybridLogicalClock, new_id
from console.domain.policy import Policy
from console.domain.records import Agent, Contact, Customer, SupportWindow
from console.services import validation as v
from console.services.customer_incidents import (
    PAST_PAGE,
    CustomerIncident,
    CustomerIncidents,
    past_page,
    read_customer_incidents,
)
from console.services.policy import latest_policy, require_policy_editor
from console.services.ports import Clock, Store, Transaction
from console.services.ranking import key_at_end, ordered_by_rank, place
from console.services.validation import Errors, ValidationError


def is_list_stale(customer: Customer, now: datetime, stale_after_days: int) -> bool:
    """True when the customer has not confirmed its support list within the threshold."""
    if customer.list_confirmed_at is None:
        return True
    return now - customer.list_confirmed_at > timedelta(days=stale_after_days)


class CustomerService:
    def __init__(self, store: Store, clock: Clock, actor: Agent, hlc: HybridLogicalClock) -> None:
        self._store = store
        self._clock = clock
        self._actor = actor
        self._hlc = hlc

    # -- reading ----------------------------------------------------------------------------

    def customers(self) -> list[Customer]:
        with self._store.read() as tx:
            return tx.customers.list()

    def customer(self, customer_id: str) -> Customer:
        with self._store.read() as tx:
            return self._customer(tx, customer_id)

    def incidents(self, customer_id: str, past_limit: int = PAST_PAGE) -> CustomerIncidents:
        """The customer's open incidents (with their live state) and its latest past ones."""
        now = self._clock.now()
        with self._store.read() as tx:
            return read_customer_incidents(tx, customer_id, now, past_limit)

    def past_incidents(
        self, customer_id: str, offset: int, limit: int = PAST_PAGE
    ) -> tuple[CustomerIncident, ...]:
        """The next page of the customer's past incidents ("Show more")."""
        now = self._clock.now()
        with self._store.read() as tx:
            return past_page(tx, customer_id, now, offset=offset, limit=limit)

    def windows(self) -> list[SupportWindow]:
        with self._store.read() as tx:
            return tx.windows.list()

    def window(self, window_id: str) -> SupportWindow:
        with self._store.read() as tx:
            return self._window(tx, window_id)

    def is_stale(self, customer: Customer) -> bool:
        """Whether the customer's support list needs confirming (policy threshold in days)."""
        with self._store.read() as tx:
            _, policy = latest_policy(tx)
        return is_list_stale(customer, self._clock.now(), policy.support_list_stale_days)

    def stale_customers(self) -> list[Customer]:
        with self._store.read() as tx:
            _, policy = latest_policy(tx)
            customers = tx.customers.list()
        now = self._clock.now()
        return [c for c in customers if is_list_stale(c, now, policy.support_list_stale_days)]

    # -- customers --------------------------------------------------------------------------

    def create_customer(
        self,
        name: str,
        plan: str,
        window_id: str,
        *,
        csm_name: str = "",
        csm_email: str = "",
        csm_phone: str = "",
    ) -> Customer:
        draft = Customer(
            id=new_id(),
            name=name,
            plan=plan,
            window_id=window_id,
            csm_name=csm_name,
            csm_email=csm_email,
            csm_phone=csm_phone,
        )
        with self._store.transaction() as tx:
            customer = self._validated_customer(tx, draft)
            tx.customers.save(customer, self._hlc.now())
            return customer

    def edit_customer(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        plan: str | None = None,
        window_id: str | None = None,
        csm_name: str | None = None,
        csm_email: str | None = None,
        csm_phone: str | None = None,
    ) -> Customer:
        """Change the given fields; None leaves a field as it is."""
        with self._store.transaction() as tx:
            old = self._customer(tx, customer_id)
            draft = replace(
                old,
                name=_pick(name, old.name),
                plan=_pick(plan, old.plan),
                window_id=_pick(window_id, old.window_id),
                csm_name=_pick(csm_name, old.csm_name),
                csm_email=_pick(csm_email, old.csm_email),
                csm_phone=_pick(csm_phone, old.csm_phone),
            )
            customer = self._validated_customer(tx, draft)
            tx.customers.save(customer, self._hlc.now())
            return self._customer(tx, customer_id)

    def confirm_list(self, customer_id: str) -> Customer:
        """The customer confirmed its support list is current: the stale flag clears."""
        with self._store.transaction() as tx:
            customer = self._customer(tx, customer_id)
            if not customer.contacts:
                raise ValidationError.single(
                    "contacts", "The support list is empty: add at least one contact first."
                )
            confirmed = replace(customer, list_confirmed_at=self._clock.now())
            tx.customers.save(confirmed, self._hlc.now())
            return self._customer(tx, customer_id)

    def _validated_customer(self, tx: Transaction, draft: Customer) -> Customer:
        _, policy = latest_policy(tx)
        errors = Errors()
        name = errors.check("name", lambda: v.name(draft.name, what="customer name"))
        plan_id = errors.check(
            "plan", lambda: v.plan(draft.plan, [plan.id for plan in policy.plans])
        )
        window_id = errors.check("window_id", lambda: v.record_id(draft.window_id, what="window"))
        window = tx.windows.get(window_id) if window_id else None
        if window is None:
            errors.add(
                "window_id",
                "Choose a support window."
                if not draft.window_id
                else "This window no longer exists.",
            )
        region = v.region_for_zone(window.zone) if window else None
        csm_name = errors.check(
            "csm_name", lambda: v.optional_name(draft.csm_name, what="account manager's name")
        )
        csm_email = errors.check("csm_email", lambda: v.optional_email(draft.csm_email))
        csm_phone = errors.check("csm_phone", lambda: v.optional_phone(draft.csm_phone, region))
        has_csm = any(f.strip() for f in (draft.csm_name, draft.csm_email, draft.csm_phone))
        if has_csm and not draft.csm_name.strip():
            errors.add("csm_name", "The account manager's name is required with their details.")
        if has_csm and plan_id is not None and not policy.plan(plan_id).named_account_manager:
            errors.add(
                "csm_name",
                f"The {policy.plan(plan_id).name} plan has no named account manager: "
                "clear the account manager or choose a plan that has one.",
            )
        errors.raise_if_any()
        assert name is not None and plan_id is not None and window is not None
        return replace(
            draft,
            name=name,
            plan=plan_id,
            window_id=window.id,
            csm_name=csm_name or "",
            csm_email=csm_email or "",
            csm_phone=csm_phone or "",
        )

    # -- support list -----------------------------------------------------------------------

    def add_contact(
        self,
        customer_id: str,
        name: str,
        role: str = "",
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
    ) -> Contact:
        """Add a contact at the end of the list (the most responsible position)."""
        with self._store.transaction() as tx:
            customer = self._customer(tx, customer_id)
            draft = Contact(
                id=new_id(),
                customer_id=customer.id,
                name=name,
                role=role,
                emails=tuple(emails),
                phones=tuple(phones),
            )
            contact = self._validated_contact(tx, customer, draft)
            contact = replace(contact, rank=key_at_end(customer.contacts))
            tx.customers.save_contact(contact, self._hlc.now())
            return contact

    def edit_contact(
        self,
        contact_id: str,
        *,
        name: str | None = None,
        role: str | None = None,
        emails: Iterable[str] | None = None,
        phones: Iterable[str] | None = None,
    ) -> Contact:
        with self._store.transaction() as tx:
            old = self._contact(tx, contact_id)
            customer = self._customer(tx, old.customer_id)
            draft = replace(
                old,
                name=_pick(name, old.name),
                role=_pick(role, old.role),
                emails=old.emails if emails is None else tuple(emails),
                phones=old.phones if phones is None else tuple(phones),
            )
            contact = self._validated_contact(tx, customer, draft)
            tx.customers.save_contact(contact, self._hlc.now())
            return contact

    def delete_contact(self, contact_id: str) -> None:
        """Take a contact off the list; the record stays (flagged) for history and sync."""
        with self._store.transaction() as tx:
            self._contact(tx, contact_id)
            tx.customers.delete_contact(contact_id, self._hlc.now())

    def restore_contact(self, contact_id: str, *, index: int | None = None) -> Contact:
        """Bring a deleted contact back as the same record: same id, same details.

        Incidents that name it as their reporting contact find it on the list again, and the
        cleared flag syncs with a fresh clock, so it wins over the older delete everywhere.
        It takes its old key back if no contact on the list holds that key now; otherwise it
        goes next to the contacts that were its neighbours (after those whose keys sort below
        its old one). ``index`` puts it at that row instead (clamped to the list): an undo
        knows the exact place, even when keys around it were rewritten meanwhile.
        """
        with self._store.transaction() as tx:
            contact = self._deleted_contact(tx, contact_id)
            customer = self._customer(tx, contact.customer_id)
            others = ordered_by_rank(customer.contacts)
            old = contact.rank
            below = sum(1 for c in others if c.rank < old) if old else len(others)
            index = below if index is None else max(0, min(index, len(others)))
            stamp = self._hlc.now()
            if old and index == below and all(c.rank != old for c in others):
                rank = old
            else:
                keys = place(others, contact_id, index)
                rank = keys.pop(contact_id)
                by_id = {c.id: c for c in others}
                for row_id, key in keys.items():  # tied keys in the way, re-keyed
                    tx.customers.save_contact(replace(by_id[row_id], rank=key), stamp)
            tx.customers.restore_contact(contact_id, rank, stamp)
            return replace(contact, rank=rank)

    def move_contact(
        self, contact_id: str, before_id: str | None, after_id: str | None
    ) -> list[Contact]:
        """Put a contact between ``before_id`` (shown above it) and ``after_id`` (below it).

        None for ``before_id`` means first; None for ``after_id`` means last. Returns the list
        in its new order.
        """
        with self._store.transaction() as tx:
            contact = self._contact(tx, contact_id)
            customer = self._customer(tx, contact.customer_id)
            others = [c.id for c in ordered_by_rank(customer.contacts) if c.id != contact_id]
            index = self._index_between(others, before_id, after_id)
            return self._place(tx, customer, contact_id, index)

    def move_up(self, contact_id: str) -> list[Contact]:
        return self._shift(contact_id, -1)

    def move_down(self, contact_id: str) -> list[Contact]:
        return self._shift(contact_id, +1)

    def _shift(self, contact_id: str, step: int) -> list[Contact]:
        with self._store.transaction() as tx:
            contact = self._contact(tx, contact_id)
            customer = self._customer(tx, contact.customer_id)
            order = [c.id for c in ordered_by_rank(customer.contacts)]
            index = order.index(contact_id) + step
            if not 0 <= index < len(order):
                return ordered_by_rank(customer.contacts)
            return self._place(tx, customer, contact_id, index)

    def _place(
        self, tx: Transaction, customer: Customer, contact_id: str, index: int
    ) -> list[Contact]:
        by_id = {c.id: c for c in customer.contacts}
        for row_id, rank in place(customer.contacts, contact_id, index).items():
            tx.customers.save_contact(replace(by_id[row_id], rank=rank), self._hlc.now())
        return ordered_by_rank(self._customer(tx, customer.id).contacts)

    @staticmethod
    def _index_between(others: Sequence[str], before_id: str | None, after_id: str | None) -> int:
        if before_id is not None and before_id not in others:
            raise ValidationError.single("before_id", "That contact is not on this list.")
        if after_id is not None and after_id not in others:
            raise ValidationError.single("after_id", "That contact is not on this list.")
        if before_id is None and after_id is None:
            if others:
                raise ValidationError.single(
                    "before_id", "Say where the contact goes: after which contact, or first."
                )
            return 0
        if before_id is not None:
            index = others.index(before_id) + 1
            if after_id is not None and (index >= len(others) or others[index] != after_id):
                raise ValidationError.single(
                    "after_id", "The contacts above and below the new place are not neighbours."
                )
            return index
        assert after_id is not None
        return others.index(after_id)

    def _validated_contact(self, tx: Transaction, customer: Customer, draft: Contact) -> Contact:
        window = tx.windows.get(customer.window_id)
        region = v.region_for_zone(window.zone) if window else None
        errors = Errors()
        name = errors.check("name", lambda: v.name(draft.name))
        role = errors.check("role", lambda: v.optional_name(draft.role, what="role"))
        emails = v.emails(draft.emails, errors)
        phones = v.phones(draft.phones, errors, region)
        if not any(e.strip() for e in draft.emails) and not any(p.strip() for p in draft.phones):
            errors.add("emails", "Give at least one email address or phone number.")
        errors.raise_if_any()
        assert name is not None and role is not None
        return replace(draft, name=name, role=role, emails=emails, phones=phones)

    # -- windows ----------------------------------------------------------------------------

    def create_window(
        self,
        name: str,
        hours: str,
        zone: str,
        *,
        holidays: Iterable[date | str] = (),
        holiday_country: str = "",
        holiday_subdivision: str = "",
    ) -> SupportWindow:
        """Support windows are policy data: only a lead or an admin creates one."""
        require_policy_editor(self._actor, "create a support window")
        draft = SupportWindow(
            id=new_id(),
            name=name,
            hours=hours,
            zone=zone,
            holidays=tuple(holidays),  # type: ignore[arg-type]  # strings checked below
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )
        with self._store.transaction() as tx:
            window = self._validated_window(tx, draft)
            tx.windows.save(window, self._hlc.now())
            return window

    def edit_window(
        self,
        window_id: str,
        *,
        name: str | None = None,
        hours: str | None = None,
        zone: str | None = None,
        holidays: Iterable[date | str] | None = None,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
    ) -> SupportWindow:
        """Edit any window, built-in ones too (e.g. GMT switched to Europe/London).

        Support windows are policy data: only a lead or an admin changes one.
        """
        require_policy_editor(self._actor, "change a support window")
        with self._store.transaction() as tx:
            old = self._window(tx, window_id)
            draft = replace(
                old,
                name=_pick(name, old.name),
                hours=_pick(hours, old.hours),
                zone=_pick(zone, old.zone),
                holidays=old.holidays if holidays is None else tuple(holidays),  # type: ignore[arg-type]
                holiday_country=_pick(holiday_country, old.holiday_country),
                holiday_subdivision=_pick(holiday_subdivision, old.holiday_subdivision),
            )
            window = self._validated_window(tx, draft)
            tx.windows.save(window, self._hlc.now())
            return window

    def _validated_window(self, tx: Transaction, draft: SupportWindow) -> SupportWindow:
        errors = Errors()
        name = errors.check("name", lambda: v.name(draft.name, what="window name"))
        if name and any(
            w.name.casefold() == name.casefold() and w.id != draft.id for w in tx.windows.list()
        ):
            errors.add("name", f'A window named "{name}" already exists.')
        zone = errors.check("zone", lambda: v.zone(draft.zone))
        hours = errors.check("hours", lambda: v.window_hours(draft.hours, zone or "UTC"))
        days = v.holiday_dates(draft.holidays, errors)
        country = errors.check(
            "holiday_country",
            lambda: v.holiday_country(draft.holiday_country, draft.holiday_subdivision),
        )
        errors.raise_if_any()
        assert name is not None and zone is not None and hours is not None and country is not None
        return replace(
            draft,
            name=name,
            zone=zone,
            hours=hours,
            holidays=days,
            holiday_country=country[0],
            holiday_subdivision=country[1],
        )

    # -- look-ups ---------------------------------------------------------------------------

    @staticmethod
    def _customer(tx: Transaction, customer_id: str) -> Customer:
        customer_id = ValidationError.wrap(
            "customer", lambda: v.record_id(customer_id, what="customer")
        )
        customer = tx.customers.get(customer_id)
        if customer is None:
            raise ValidationError.single("customer", "This customer no longer exists.")
        return customer

    @staticmethod
    def _contact(tx: Transaction, contact_id: str) -> Contact:
        contact = tx.customers.contact(contact_id)
        if contact is None:
            raise ValidationError.single("contact", "This contact is no longer on the list.")
        return contact

    @staticmethod
    def _deleted_contact(tx: Transaction, contact_id: str) -> Contact:
        contact = tx.customers.contact(contact_id, include_deleted=True)
        if contact is None:
            raise ValidationError.single(
                "contact_id", "There is no such contact: nothing to restore."
            )
        if tx.customers.contact(contact_id) is not None:
            raise ValidationError.single(
                "contact_id",
                f"{contact.name} is still on the support list: only a deleted contact can be "
                "restored.",
            )
        return contact

    @staticmethod
    def _window(tx: Transaction, window_id: str) -> SupportWindow:
        window = tx.windows.get(window_id)
        if window is None:
            raise ValidationError.single("window", "This support window no longer exists.")
        return window

    def policy(self) -> Policy:
        with self._store.read() as tx:
            return latest_policy(tx)[1]


def _pick(new: str | None, old: str) -> str:
    return old if new is None else new
