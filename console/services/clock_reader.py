"""Working out incidents' clocks inside a read transaction: events replayed under the policy
version and the terms that governed each incident.

The queue, the escalation panel, the wallboard and the incident use cases all read clocks
this way. One :class:`ClockReader` lives for one transaction and reads each policy version
and each customer's current terms once, however many incidents it replays. An incident's
policy is the version its opening event names by id (numbers may change under sync), or by
number for incidents opened before the id was recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from console.domain.clock_model import IncidentClocks, Terms
from console.domain.clocks import evaluate
from console.domain.events import IncidentEvent
from console.domain.policy import Policy, WindowSpec
from console.domain.projection import opened_event, terms_of
from console.domain.records import IncidentSummary, PolicyVersion, SupportWindow
from console.services.policy import policy_of
from console.services.ports import Transaction

__all__ = ["ClockReader", "window_spec"]


def window_spec(window: SupportWindow) -> WindowSpec:
    """A stored support window as the policy's window specification (its calendar)."""
    return WindowSpec(
        id=window.id,
        name=window.name,
        zone=window.zone,
        hours=window.hours,
        holidays=tuple(window.holidays),
        holiday_country=window.holiday_country,
        holiday_subdivision=window.holiday_subdivision,
    )


class ClockReader:
    """Reads and replays incidents' events in ``tx``, keeping policies and terms it read."""

    def __init__(self, tx: Transaction, policies: dict[Any, Policy] | None = None) -> None:
        self._tx = tx
        # Keyed by the version's id: a version's text never changes once saved, so a caller
        # may keep them across readers. Its *number* may (sync renumbers a version saved
        # concurrently with another), so numbers are looked up afresh in each reader.
        self._policies = {} if policies is None else policies
        self._versions: dict[int, PolicyVersion] = {}
        self._by_id: dict[str, PolicyVersion] | None = None
        self._terms: dict[str, Terms] = {}

    def policy(self, version: int) -> Policy:
        """The policy as it stood at ``version`` (its number now)."""
        held = self._versions.get(version)
        if held is None:
            held = self._tx.policies.get(version)
            if held is None:
                raise LookupError(f"policy version {version} is missing from the database")
            self._versions[version] = held
        return self._parsed(held)

    def policy_by_id(self, policy_id: str) -> tuple[int, Policy]:
        """The policy version with id ``policy_id``: its number now, and the policy."""
        if self._by_id is None:
            self._by_id = {v.id: v for v in self._tx.policies.list()}
        held = self._by_id.get(policy_id)
        if held is None:
            raise LookupError(f"policy version {policy_id} is missing from the database")
        return held.version, self._parsed(held)

    def governing(self, events: Sequence[IncidentEvent], number: int) -> tuple[int, Policy]:
        """The policy that governs an incident, and its number now: the version its opening
        event names by id, or (incidents opened before ids were recorded) by ``number``."""
        opened = opened_event(events)
        policy_id = opened.data.get("policy_version_id") if opened else None
        if isinstance(policy_id, str) and policy_id:
            return self.policy_by_id(policy_id)
        return number, self.policy(number)

    def _parsed(self, version: PolicyVersion) -> Policy:
        policy = self._policies.get(version.id)
        if policy is None:
            policy = self._policies[version.id] = policy_of(version.text)
        return policy

    def terms(self, events: Sequence[IncidentEvent], customer_id: str) -> Terms:
        """The terms recorded when the incident opened, or (for an OPENED event written
        before terms were recorded) the customer's as they are now."""
        recorded = terms_of(events)
        if recorded is not None:
            return recorded
        terms = self._terms.get(customer_id)
        if terms is None:
            customer = self._tx.customers.get(customer_id)
            window = self._tx.windows.get(customer.window_id) if customer else None
            if customer is None or window is None:
                raise LookupError(f"customer {customer_id} or its support window is missing")
            terms = self._terms[customer_id] = Terms.of(customer.plan, window_spec(window))
        return terms

    def clocks(self, summary: IncidentSummary, now: datetime) -> IncidentClocks:
        """Every clock of the incident ``summary`` at ``now``."""
        events = self._tx.incidents.events(summary.id)
        terms = self.terms(events, summary.customer_id)
        _, policy = self.governing(events, summary.policy_version)
        return evaluate(events, terms, policy, now)
