"""Working out incidents' clocks inside a read transaction: events replayed under the policy
version and the terms that governed each incident.

The queue, the escalation panel, the wallboard and the incident use cases all read clocks
this way. One :class:`ClockReader` lives for one transaction and reads each policy version
and each customer's current terms once, however many incidents it replays.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from console.domain.clock_model import IncidentClocks, Terms
from console.domain.clocks import evaluate
from console.domain.events import IncidentEvent
from console.domain.policy import Policy, WindowSpec
from console.domain.projection import terms_of
from console.domain.records import IncidentSummary, SupportWindow
from console.services.policy import governing_policy
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

    def __init__(self, tx: Transaction, policies: dict[int, Policy] | None = None) -> None:
        self._tx = tx
        # Policy versions never change once saved: a caller may keep them across readers.
        self._policies = {} if policies is None else policies
        self._terms: dict[str, Terms] = {}

    def policy(self, version: int) -> Policy:
        """The policy as it stood at ``version``."""
        policy = self._policies.get(version)
        if policy is None:
            policy = self._policies[version] = governing_policy(self._tx, version)
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
        return evaluate(events, terms, self.policy(summary.policy_version), now)
