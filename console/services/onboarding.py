"""Importing customers and their support lists from a spreadsheet (DESIGN §5 "Onboarding").

Every row is checked with the very rules the customer forms use (the same validators, the
same messages), a plan says what would be created, updated or left alone, and applying it
writes everything in one transaction through the same repositories, with the same clock
stamps and rank keys as hand-typed customers, so an import syncs like them. Re-importing a
file changes nothing; a changed file updates in place. Customers are matched by the reference
column (a reference seen before keeps naming the same customer, even after a rename), else
by name; contacts by name within their customer, else by an email address they share.
"""

from __future__ import annotations

import re
import uuid
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from fractional_indexing import generate_n_keys_between

from console.domain.ids import HybridLogicalClock, new_id
from console.domain.policy import Policy
from console.domain.records import (
    Agent,
    Contact,
    Customer,
    PolicyVersion,
    Role,
    SupportWindow,
)
from console.services import validation as v
from console.services.customers import CustomerService
from console.services.onboarding_files import (
    BY_KEY,
    ImportFileError,
    Table,
    guess_mapping,
    mapping_from_text,
    mapping_problems,
    mapping_text,
    read_table,
)
from console.services.policy import latest_policy
from console.services.ports import Clock, Store, Transaction
from console.services.ranking import ordered_by_rank
from console.services.seed import builtin_window_id
from console.services.validation import ValidationError
from console.services.workstation import workstation

__all__ = [
    "IMPORT_AGENT",
    "Action",
    "ImportFileError",
    "ImportPlan",
    "ImportRefused",
    "Onboarding",
    "PlannedContact",
    "PlannedCustomer",
    "RowProblem",
]

#: Who the CLI imports as (creating customers needs no particular role).
IMPORT_AGENT = Agent(id="", name="Customer import", role=Role.LEAD)
_MAPPING_KEY = "import.mapping."
_REFERENCE_KEY = "import.reference."
_NAMESPACE = uuid.UUID("6f3c1d52-27b4-4c0e-9a55-0d5b7f1e2a90")
_SPLIT = re.compile(r"[;,\n]+")
_SPLIT_PHONES = re.compile(r"[;\n]+")

# the customer forms' field names → the column labels messages use
_CUSTOMER_FIELDS = {
    "name": "customer name",
    "plan": "plan",
    "window_id": "support window",
    "csm_name": "account manager's name",
    "csm_email": "account manager's email",
    "csm_phone": "account manager's phone",
}
_CONTACT_FIELDS = {"name": "contact name", "role": "role", "emails": "email", "phones": "phone"}
_CUSTOMER_KEYS = ("customer", "plan", "window", "csm_name", "csm_email", "csm_phone")


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class PlannedCustomer:
    row: int  # the customer's first row in the file
    action: Action
    customer: Customer  # as it will be stored (contacts not included)
    changed: tuple[str, ...] = ()  # the labels of changed fields, for an update
    reference: str = ""


@dataclass(frozen=True, slots=True)
class PlannedContact:
    row: int
    action: Action
    customer_name: str
    contact: Contact
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What applying a file does, row by row; refused rows are left out of it."""

    rows: int
    problems: tuple[RowProblem, ...]
    refused_rows: tuple[int, ...]
    customers: tuple[PlannedCustomer, ...]
    contacts: tuple[PlannedContact, ...]
    references: tuple[tuple[str, str], ...] = field(default=())  # reference → customer id

    def count(self, what: str, action: Action) -> int:
        items: Sequence[PlannedCustomer] | Sequence[PlannedContact] = (
            self.customers if what == "customers" else self.contacts
        )
        return sum(1 for item in items if item.action is action)

    @property
    def changes(self) -> int:
        customers = sum(1 for c in self.customers if c.action is not Action.UNCHANGED)
        return customers + sum(1 for c in self.contacts if c.action is not Action.UNCHANGED)

    def summary(self, *, refused: bool = True) -> str:
        """``12 customers created, 3 updated, 285 unchanged; 40 contacts created, …``."""

        def part(what: str) -> str:
            created = self.count(what, Action.CREATED)
            updated = self.count(what, Action.UPDATED)
            unchanged = self.count(what, Action.UNCHANGED)
            noun = what if created != 1 else what[:-1]
            return f"{created} {noun} created, {updated} updated, {unchanged} unchanged"

        text = f"{part('customers')}; {part('contacts')}"
        if self.refused_rows and refused:
            n = len(self.refused_rows)
            text += f"; {n} row{'s' if n != 1 else ''} refused"
        return text


class ImportRefused(ValueError):  # noqa: N818 (the name is the API)
    """Some rows were refused and only a complete import was asked for: nothing was written."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        n = len(plan.refused_rows)
        super().__init__(
            f"{n} row{'s are' if n != 1 else ' is'} refused, so nothing was imported: fix "
            "them, or import the valid rows only."
        )


@dataclass(slots=True)
class _Row:
    number: int
    values: dict[str, str]
    emails: list[str]
    phones: list[str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    @property
    def has_contact(self) -> bool:
        return bool(
            self.get("contact").strip()
            or self.get("role").strip()
            or any(e.strip() for e in self.emails)
            or any(p.strip() for p in self.phones)
        )


@dataclass(slots=True)
class _Group:
    key: str
    reference: str
    rows: list[_Row] = field(default_factory=list)


class Onboarding:
    """The use case behind Customers → Import… and ``main.py import customers``."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        actor: Agent = IMPORT_AGENT,
        hlc: HybridLogicalClock | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._actor = actor
        self._hlc = hlc
        # The forms' own rules; the service's clock is never used for validation.
        self._rules = CustomerService(store, clock, actor, hlc or HybridLogicalClock("import"))

    # -- the file and its mapping ------------------------------------------------------------

    @staticmethod
    def read(path: Path | str) -> Table:
        return read_table(Path(path))

    def mapping_for(self, table: Table) -> tuple[str, ...]:
        """The mapping last used for files with these columns, else one guessed from names."""
        with self._store.read() as tx:
            remembered = tx.meta.get(_MAPPING_KEY + table.signature)
        return mapping_from_text(remembered, len(table.header)) or guess_mapping(table.header)

    def remember_mapping(self, table: Table, mapping: Sequence[str]) -> None:
        with self._store.transaction() as tx:
            tx.meta.set(_MAPPING_KEY + table.signature, mapping_text(mapping))

    # -- planning and applying --------------------------------------------------------------

    def plan(self, table: Table, mapping: Sequence[str]) -> ImportPlan:
        """What importing ``table`` would do now; nothing is written."""
        _check_mapping(table, mapping)
        with self._store.read() as tx:
            return self._plan(tx, table, mapping)

    def apply(
        self,
        table: Table,
        mapping: Sequence[str],
        *,
        valid_only: bool = False,
        before_each: Callable[[], None] | None = None,
    ) -> ImportPlan:
        """Import in one transaction: all rows, or with ``valid_only`` the rows not refused.

        Without ``valid_only`` a single refused row raises :class:`ImportRefused` and writes
        nothing. The plan is made again inside the transaction, so what another program wrote
        since a preview is taken into account. ``before_each`` runs before every write (a
        progress hook; if it raises, nothing is imported).
        """
        _check_mapping(table, mapping)
        hlc = self._hlc or workstation(self._store).hlc
        with self._store.transaction() as tx:
            plan = self._plan(tx, table, mapping)
            if plan.refused_rows and not valid_only:
                raise ImportRefused(plan)
            for planned in plan.customers:
                if planned.action is not Action.UNCHANGED:
                    if before_each is not None:
                        before_each()
                    tx.customers.save(planned.customer, hlc.now())
            for contact in plan.contacts:
                if contact.action is not Action.UNCHANGED:
                    if before_each is not None:
                        before_each()
                    tx.customers.save_contact(contact.contact, hlc.now())
            for reference, customer_id in plan.references:
                tx.meta.set(_REFERENCE_KEY + reference, customer_id)
            tx.meta.set(_MAPPING_KEY + table.signature, mapping_text(mapping))
        return plan

    def _plan(self, tx: Transaction, table: Table, mapping: Sequence[str]) -> ImportPlan:
        _, policy = latest_policy(tx)
        windows = tx.windows.list()
        existing = tx.customers.list()
        planner = _Planner(tx, policy, windows, existing, self._rules)
        return planner.run(_rows(table, mapping))


def _check_mapping(table: Table, mapping: Sequence[str]) -> None:
    problems = mapping_problems(table.header, mapping)
    if problems:
        raise ValidationError({f"mapping[{i}]": p for i, p in enumerate(problems)})


def _rows(table: Table, mapping: Sequence[str]) -> list[_Row]:
    rows = []
    for number, cells in zip(table.numbers, table.rows, strict=True):
        values: dict[str, str] = {}
        emails: list[str] = []
        phones: list[str] = []
        for key, cell in zip(mapping, cells, strict=False):
            if key == "emails":
                emails.extend(part.strip() for part in _SPLIT.split(cell) if part.strip())
            elif key == "phones":
                phones.extend(part.strip() for part in _SPLIT_PHONES.split(cell) if part.strip())
            elif key:
                values[key] = cell
        rows.append(_Row(number, values, emails, phones))
    return rows


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def reference_id(reference: str) -> str:
    """The id a customer first imported under ``reference`` takes, on every workstation."""
    return str(uuid.uuid5(_NAMESPACE, f"customer:{_fold(reference)}"))


class _Reads:
    """The transaction as the forms' rules see it, with the windows and the latest policy
    read once for the whole file instead of once a row."""

    def __init__(self, tx: Transaction, windows: Sequence[SupportWindow]) -> None:
        self._tx = tx
        self.windows = _Windows(tx, {w.id: w for w in windows})
        self.policies = _Policies(tx)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)


class _Windows:
    def __init__(self, tx: Transaction, windows: dict[str, SupportWindow]) -> None:
        self._tx = tx
        self._windows = windows

    def get(self, window_id: str) -> SupportWindow | None:
        return self._windows.get(window_id)

    def list(self) -> list[SupportWindow]:
        return list(self._windows.values())


class _Policies:
    def __init__(self, tx: Transaction) -> None:
        self._latest = tx.policies.latest()

    def latest(self) -> PolicyVersion | None:
        return self._latest


class _Planner:
    def __init__(
        self,
        tx: Transaction,
        policy: Policy,
        windows: list[SupportWindow],
        existing: list[Customer],
        rules: CustomerService,
    ) -> None:
        self._tx = tx
        self._reads = cast(Transaction, _Reads(tx, windows))  # what the rules look up, once
        self._policy = policy
        self._rules = rules
        self._plans: dict[str, str] = {}
        for plan in policy.plans:
            self._plans[plan.id.casefold()] = plan.id
            self._plans[_fold(plan.name)] = plan.id
        self._windows: dict[str, str] = {}
        for window in windows:
            self._windows[window.id.casefold()] = window.id
            self._windows[_fold(window.name)] = window.id
        for spec in policy.windows:
            wid = builtin_window_id(spec.id)
            if any(w.id == wid for w in windows):
                self._windows.setdefault(spec.id.casefold(), wid)
        self._window_names = sorted({w.name for w in windows})
        self._by_id = {c.id: c for c in existing}
        self._by_name: dict[str, list[Customer]] = {}
        for customer in existing:
            self._by_name.setdefault(_fold(customer.name), []).append(customer)
        self.problems: list[RowProblem] = []
        self.refused: set[int] = set()

    def refuse(self, row: int, label: str, message: str) -> None:
        self.problems.append(RowProblem(row, label, message))
        self.refused.add(row)

    def run(self, rows: list[_Row]) -> ImportPlan:
        groups = self._groups(rows)
        customers: list[PlannedCustomer] = []
        contacts: list[PlannedContact] = []
        references: list[tuple[str, str]] = []
        claimed: set[str] = set()
        for group in groups:
            planned = self._customer(group, claimed)
            if planned is None:
                continue
            claimed.add(planned.customer.id)
            customers.append(planned)
            if group.reference and planned.customer.id != reference_id(group.reference):
                references.append((_fold(group.reference), planned.customer.id))
            contacts.extend(self._contacts(group, planned))
        self.problems.sort(key=lambda p: p.row)
        return ImportPlan(
            rows=len(rows),
            problems=tuple(self.problems),
            refused_rows=tuple(sorted(self.refused)),
            customers=tuple(customers),
            contacts=tuple(contacts),
            references=tuple(references),
        )

    # -- grouping rows into customers --------------------------------------------------------

    def _groups(self, rows: list[_Row]) -> list[_Group]:
        groups: dict[str, _Group] = {}
        name_of_reference: dict[str, tuple[str, int]] = {}
        for row in rows:
            reference = " ".join(row.get("reference").split())
            name = _fold(row.get("customer"))
            if reference:
                problem = self._text(row.number, reference, "customer reference")
                if problem:
                    continue
                key = "ref:" + reference.casefold()
                seen = name_of_reference.setdefault(key, (name, row.number))
                if name and seen[0] and name != seen[0]:
                    self.refuse(
                        row.number,
                        "customer name",
                        f"reference {v.shown(reference)} is named differently on row "
                        f"{seen[1]}: one reference is one customer.",
                    )
                    continue
            elif name:
                key = "name:" + name
            else:
                self.refuse(row.number, "customer name", "The customer name is required.")
                continue
            groups.setdefault(key, _Group(key, reference)).rows.append(row)
        return list(groups.values())

    def _text(self, row: int, value: str, label: str) -> bool:
        try:
            v.optional_name(value, what=label)
        except ValueError as exc:
            self.refuse(row, label, str(exc))
            return True
        return False

    # -- the customer ------------------------------------------------------------------------

    def _match(self, group: _Group, name: str, claimed: set[str]) -> Customer | None:
        if group.reference:
            found = self._by_id.get(reference_id(group.reference))
            if found is None:
                known = self._tx.meta.get(_REFERENCE_KEY + _fold(group.reference))
                found = self._by_id.get(known) if known else None
            if found is not None:
                return found
        candidates = [c for c in self._by_name.get(_fold(name), []) if c.id not in claimed]
        return candidates[0] if candidates else None

    def _customer(self, group: _Group, claimed: set[str]) -> PlannedCustomer | None:
        first = group.rows[0]
        values = {key: first.get(key) for key in _CUSTOMER_KEYS}
        mapped = set(first.values)
        old = self._match(group, values["customer"], claimed)
        plan_id = self._plans.get(_fold(values["plan"]), values["plan"].strip())
        window_id = self._windows.get(_fold(values["window"]), "")
        if old is None:
            customer_id = reference_id(group.reference) if group.reference else new_id()
            draft = Customer(id=customer_id, name="", plan="", window_id="")
        else:
            draft = old
        draft = replace(
            draft,
            name=values["customer"] if "customer" in mapped else draft.name,
            plan=plan_id if "plan" in mapped else draft.plan,
            window_id=window_id if "window" in mapped else draft.window_id,
            csm_name=values["csm_name"] if "csm_name" in mapped else draft.csm_name,
            csm_email=values["csm_email"] if "csm_email" in mapped else draft.csm_email,
            csm_phone=values["csm_phone"] if "csm_phone" in mapped else draft.csm_phone,
            contacts=(),
        )
        errors: dict[str, str] = {}
        try:
            customer = self._rules._validated_customer(self._reads, draft)
        except ValidationError as exc:
            errors = exc.errors
        if values["plan"].strip() and _fold(values["plan"]) not in self._plans:
            errors["plan"] = (
                f"{v.shown(values['plan'].strip())} is not a plan of the current policy "
                f"(one of: {', '.join(p.name for p in self._policy.plans)})."
            )
        if values["window"].strip() and not window_id:
            known = ", ".join(self._window_names) or "none"
            errors["window_id"] = (
                f"{v.shown(values['window'].strip())} is not a known support window "
                f"(one of: {known})."
            )
        if errors or first.number in self.refused:
            for key, message in errors.items():
                self.refuse(first.number, _CUSTOMER_FIELDS.get(key, key), message)
            self._refuse_rest(group, first.number)
            return None
        for row in group.rows[1:]:  # customer columns repeated: a different value is refused
            for key in _CUSTOMER_KEYS:
                value = row.get(key)
                if key in mapped and value.strip() and not self._same(key, value, values[key]):
                    label = BY_KEY[key].label
                    self.refuse(
                        row.number,
                        label,
                        f"{v.shown(value)} differs from row {first.number} "
                        f"({v.shown(values[key])}) for the same customer.",
                    )
        if old is None:
            return PlannedCustomer(first.number, Action.CREATED, customer, (), group.reference)
        changed = tuple(
            label
            for key, label in _CUSTOMER_FIELDS.items()
            if getattr(customer, key) != getattr(old, key)
        )
        action = Action.UPDATED if changed else Action.UNCHANGED
        return PlannedCustomer(
            first.number, action, replace(customer, contacts=()), changed, group.reference
        )

    def _same(self, key: str, one: str, other: str) -> bool:
        """Whether two cells say the same (a plan or window by name or by id alike)."""
        names = {"plan": self._plans, "window": self._windows}.get(key)
        if names is not None:
            return names.get(_fold(one), _fold(one)) == names.get(_fold(other), _fold(other))
        return _fold(one) == _fold(other)

    def _refuse_rest(self, group: _Group, first: int) -> None:
        for row in group.rows[1:]:
            if row.number not in self.refused:
                self.refuse(
                    row.number,
                    "customer",
                    f"not imported: its customer is refused (see row {first}).",
                )

    # -- its support list --------------------------------------------------------------------

    def _contacts(self, group: _Group, planned: PlannedCustomer) -> list[PlannedContact]:
        customer = planned.customer
        old_list = ordered_by_rank(
            self._by_id[customer.id].contacts if customer.id in self._by_id else ()
        )
        by_name = {_fold(c.name): c for c in reversed(old_list)}
        by_email = {e.casefold(): c for c in reversed(old_list) for e in c.emails}
        used: set[str] = set()
        seen_names: dict[str, int] = {}
        order: list[tuple[int, Contact, Contact | None]] = []  # row, draft, old
        # a contact the file names is that row's: an address shared with another row never
        # takes it first (the file's order must not decide who keeps whom)
        named = {
            by_name[_fold(row.get("contact"))].id
            for row in group.rows
            if _fold(row.get("contact")) in by_name
        }
        for row in group.rows:
            if not row.has_contact or row.number in self.refused:
                continue
            name = _fold(row.get("contact"))
            if name and name in seen_names:
                self.refuse(
                    row.number,
                    "contact name",
                    f"{v.shown(row.get('contact').strip())} is already on row "
                    f"{seen_names[name]} for this customer: one row per contact.",
                )
                continue
            if name:
                seen_names[name] = row.number
            old = by_name.get(name) if name else None
            if old is None:
                old = next(
                    (
                        by_email[e.casefold()]
                        for e in row.emails
                        if e.casefold() in by_email and by_email[e.casefold()].id not in named
                    ),
                    None,
                )
            if old is not None and old.id in used:
                old = None
            base = old or Contact(id=new_id(), customer_id=customer.id, name="", role="")
            draft = replace(
                base,
                name=row.get("contact"),
                role=row.get("role") if "role" in row.values else base.role,
                emails=tuple(row.emails),
                phones=tuple(row.phones),
            )
            try:
                contact = self._rules._validated_contact(self._reads, customer, draft)
            except ValidationError as exc:
                for key, message in exc.errors.items():
                    label = _CONTACT_FIELDS.get(key.split("[", 1)[0], key)
                    self.refuse(row.number, label, message)
                if old is not None:  # stays where it is, as it is
                    used.add(old.id)
                    order.append((row.number, old, old))
                continue
            if old is not None:
                used.add(old.id)
            order.append((row.number, contact, old))
        rest = [(0, c, c) for c in old_list if c.id not in used]
        return _ranked(planned, [*order, *rest])


def _ranked(
    planned: PlannedCustomer, order: list[tuple[int, Contact, Contact | None]]
) -> list[PlannedContact]:
    """Keys in the file's order, keeping every existing key that already fits it."""
    ranks = [old.rank if old is not None else "" for _, _, old in order]
    keys = _keys(ranks)
    out: list[PlannedContact] = []
    for (row, contact, old), rank in zip(order, keys, strict=True):
        final = replace(contact, rank=rank)
        if row == 0:
            if final.rank != contact.rank:  # a contact the file leaves out, re-keyed
                out.append(PlannedContact(0, Action.UPDATED, planned.customer.name, final, ()))
            continue
        if old is None:
            out.append(PlannedContact(row, Action.CREATED, planned.customer.name, final))
            continue
        changed = tuple(
            label
            for key, label in (
                ("name", "name"),
                ("role", "role"),
                ("emails", "emails"),
                ("phones", "phones"),
                ("rank", "position"),
            )
            if getattr(final, key) != getattr(old, key)
        )
        action = Action.UPDATED if changed else Action.UNCHANGED
        out.append(PlannedContact(row, action, planned.customer.name, final, changed))
    return out


def _keys(ranks: Sequence[str]) -> list[str]:
    """Strictly increasing keys: the longest run of existing keys already in order is kept,
    the others (and new rows, given as "") get keys between their kept neighbours."""
    keep = _increasing(ranks)
    out = list(ranks)
    index = 0
    while index < len(ranks):
        if index in keep:
            index += 1
            continue
        end = index
        while end < len(ranks) and end not in keep:
            end += 1
        lower = out[index - 1] if index > 0 else None
        upper = ranks[end] if end < len(ranks) else None
        out[index:end] = generate_n_keys_between(lower, upper, end - index)
        index = end
    return out


def _increasing(ranks: Sequence[str]) -> set[int]:
    """Positions of a longest strictly increasing subsequence of the non-empty keys."""
    tails: list[str] = []
    tail_at: list[int] = []
    previous: dict[int, int] = {}
    for position, rank in enumerate(ranks):
        if not rank:
            continue
        slot = bisect_left(tails, rank)
        if slot == len(tails):
            tails.append(rank)
            tail_at.append(position)
        else:
            tails[slot] = rank
            tail_at[slot] = position
        previous[position] = tail_at[slot - 1] if slot > 0 else -1
    kept: set[int] = set()
    at = tail_at[-1] if tail_at else -1
    while at >= 0:
        kept.add(at)
        at = previous[at]
    return kept
