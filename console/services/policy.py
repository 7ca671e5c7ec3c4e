"""Policy versions and the vendor's escalation contacts: what only a lead or an admin edits."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import lru_cache

from console.domain.ids import HybridLogicalClock, new_id
from console.domain.policy import Policy, PolicyError, load_policy
from console.domain.records import Agent, EscalationContact, PolicyVersion
from console.services import validation as v
from console.services.ports import Clock, Store, Transaction
from console.services.ranking import key_at_end, ordered_by_rank, place
from console.services.validation import Errors, NotAllowed, ValidationError


@lru_cache(maxsize=32)
def policy_of(text: str) -> Policy:
    """The parsed policy of a stored version; versions never change, so parse each once."""
    return load_policy(text)


def latest_policy(tx: Transaction) -> tuple[PolicyVersion, Policy]:
    """The policy that governs incidents opened now."""
    version = tx.policies.latest()
    if version is None:
        raise LookupError("the database has no policy yet: seed it first (seed_defaults)")
    return version, policy_of(version.text)


def governing_policy(tx: Transaction, number: int) -> Policy:
    version = tx.policies.get(number)
    if version is None:
        raise LookupError(f"policy version {number} is missing from the database")
    return policy_of(version.text)


REASON_PREFIX = "# Reason: "


def _without_reason(text: str) -> str:
    """The policy text without the reason comment that heads it (what the policy says)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(REASON_PREFIX):
        lines.pop(0)
    return "".join(lines)


def reason_of(version: PolicyVersion) -> str:
    """Why ``version`` was saved ("" when no one said): the storage has no reason column, so
    the reason is kept as a TOML comment heading the version's text, and syncs with it."""
    first = version.text.split("\n", 1)[0]
    return first[len(REASON_PREFIX) :].strip() if first.startswith(REASON_PREFIX) else ""


def with_reason(text: str, reason: str) -> str:
    """``text`` headed by its one-line reason comment (a TOML comment: the policy ignores it)."""
    body = _without_reason(text)
    reason = " ".join(reason.split())
    return f"{REASON_PREFIX}{reason}\n{body}" if reason else body


def at_risk_from_arrival(policy: Policy) -> list[str]:
    """``Premium P1 (15 min)`` for each wall-time target no longer than the at-risk threshold
    it gets: such a clock is at risk from the moment the incident arrives."""
    found = []
    for plan in policy.plans:
        for target in plan.targets:
            if target.span.business_days:
                continue  # its length depends on the window's day; never that short in practice
            duration = timedelta(minutes=target.span.minutes)
            if duration > timedelta(0) and policy.at_risk_threshold(duration) >= duration:
                found.append(f"{plan.name} {target.priority} ({target.span.describe()})")
    return found


def require_policy_editor(actor: Agent, action: str) -> None:
    if not actor.role.may_edit_policy:
        raise NotAllowed(
            f"{actor.name} is signed in as {actor.role.value}: "
            f"only a lead or an admin may {action}."
        )


class PolicyService:
    """Saves new policy versions and keeps the vendor-side escalation ladder."""

    def __init__(self, store: Store, clock: Clock, actor: Agent, hlc: HybridLogicalClock) -> None:
        self._store = store
        self._clock = clock
        self._actor = actor
        self._hlc = hlc

    # -- policy versions --------------------------------------------------------------------

    def current(self) -> tuple[PolicyVersion, Policy]:
        with self._store.read() as tx:
            return latest_policy(tx)

    def versions(self) -> list[PolicyVersion]:
        with self._store.read() as tx:
            return tx.policies.list()

    def save_policy(self, text_or_policy: str | Policy, reason: str = "") -> PolicyVersion:
        """Store the policy as a new version (the old ones stay); unchanged text adds none.

        ``reason`` (why the lead changed it) is kept with the version: see :func:`reason_of`.
        """
        require_policy_editor(self._actor, "change the support policy")
        text = text_or_policy if isinstance(text_or_policy, str) else text_or_policy.to_toml()
        text = with_reason(text, reason) if reason.strip() else text
        try:
            load_policy(text)
        except PolicyError as exc:
            raise ValidationError.single("policy", str(exc)) from exc
        with self._store.transaction() as tx:
            latest = tx.policies.latest()
            if latest is not None and _without_reason(latest.text) == _without_reason(text):
                return latest
            version = PolicyVersion(
                id=new_id(),
                version=(latest.version + 1) if latest else 1,
                text=text,
                created_at=self._clock.now(),
                author=self._actor.name,
            )
            tx.policies.add(version)
            return version

    # -- escalation contacts ----------------------------------------------------------------

    def escalation_contacts(self, level: int | None = None) -> list[EscalationContact]:
        with self._store.read() as tx:
            return tx.escalation_contacts.list(level)

    def add_escalation_contact(
        self, level: int, name: str, role: str = "", email: str = "", phone: str = ""
    ) -> EscalationContact:
        """Add a vendor-side contact at the end of its level's ladder."""
        require_policy_editor(self._actor, "edit the escalation contacts")
        with self._store.transaction() as tx:
            draft = EscalationContact(
                id=new_id(), level=level, name=name, role=role, email=email, phone=phone
            )
            contact = self._validated(tx, draft)
            ladder = tx.escalation_contacts.list(contact.level)
            contact = replace(contact, rank=key_at_end(ladder))
            tx.escalation_contacts.save(contact, self._hlc.now())
            return contact

    def edit_escalation_contact(
        self,
        contact_id: str,
        *,
        level: int | None = None,
        name: str | None = None,
        role: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> EscalationContact:
        require_policy_editor(self._actor, "edit the escalation contacts")
        with self._store.transaction() as tx:
            old = self._get(tx, contact_id)
            draft = replace(
                old,
                level=old.level if level is None else level,
                name=old.name if name is None else name,
                role=old.role if role is None else role,
                email=old.email if email is None else email,
                phone=old.phone if phone is None else phone,
            )
            contact = self._validated(tx, draft)
            if contact.level != old.level:
                ladder = tx.escalation_contacts.list(contact.level)
                contact = replace(contact, rank=key_at_end(ladder))
            tx.escalation_contacts.save(contact, self._hlc.now())
            return contact

    def delete_escalation_contact(self, contact_id: str) -> None:
        require_policy_editor(self._actor, "edit the escalation contacts")
        with self._store.transaction() as tx:
            self._get(tx, contact_id)
            tx.escalation_contacts.delete(contact_id, self._hlc.now())

    def move_escalation_contact(self, contact_id: str, index: int) -> EscalationContact:
        """Move a contact to ``index`` within its level's ladder (0 = contacted first)."""
        require_policy_editor(self._actor, "edit the escalation contacts")
        with self._store.transaction() as tx:
            contact = self._get(tx, contact_id)
            ladder = tx.escalation_contacts.list(contact.level)
            if not 0 <= index < len(ladder):
                raise ValidationError.single(
                    "index", f"Position {index + 1} is outside the ladder of {len(ladder)}."
                )
            by_id = {c.id: c for c in ladder}
            for row_id, rank in place(ladder, contact_id, index).items():
                tx.escalation_contacts.save(replace(by_id[row_id], rank=rank), self._hlc.now())
            return next(c for c in tx.escalation_contacts.list(contact.level) if c.id == contact_id)

    def move_escalation_contact_up(self, contact_id: str) -> EscalationContact:
        return self._shift(contact_id, -1)

    def move_escalation_contact_down(self, contact_id: str) -> EscalationContact:
        return self._shift(contact_id, +1)

    def _shift(self, contact_id: str, step: int) -> EscalationContact:
        with self._store.read() as tx:
            contact = self._get(tx, contact_id)
            ladder = ordered_by_rank(tx.escalation_contacts.list(contact.level))
        index = [c.id for c in ladder].index(contact_id) + step
        if not 0 <= index < len(ladder):
            return contact
        return self.move_escalation_contact(contact_id, index)

    def _get(self, tx: Transaction, contact_id: str) -> EscalationContact:
        for contact in tx.escalation_contacts.list():
            if contact.id == contact_id:
                return contact
        raise ValidationError.single("contact", "This escalation contact no longer exists.")

    def _validated(self, tx: Transaction, draft: EscalationContact) -> EscalationContact:
        _, policy = latest_policy(tx)
        errors = Errors()
        levels = [lvl.level for lvl in policy.escalation_levels]
        if draft.level not in levels:
            errors.add(
                "level",
                f"Escalation level {draft.level} is not in the policy (levels: "
                f"{', '.join(map(str, levels))}).",
            )
        name = errors.check("name", lambda: v.name(draft.name))
        role = errors.check("role", lambda: v.optional_name(draft.role, what="role"))
        email = errors.check("email", lambda: v.optional_email(draft.email))
        phone = errors.check("phone", lambda: v.optional_phone(draft.phone, None))
        if not (draft.email or "").strip() and not (draft.phone or "").strip():
            errors.add("email", "Give an email address or a phone number.")
        errors.raise_if_any()
        assert name is not None and role is not None and email is not None and phone is not None
        return replace(draft, name=name, role=role, email=email, phone=phone)
