"""The escalation panel's read model (DESIGN §7): open incidents eligible for or at
Escalation 1 or 2, how their response stands, and whom to contact next.

Built on the one open-incident reader (``OpenIncidentReader``): the projection says which
open incidents can be on the list at all (a cheap pre-check), the reader works out their
clocks, and the domain (``console.domain.escalation``) says where each one stands. Between
loads the panel moves items forward with :meth:`EscalationItem.at`: arithmetic until the
clocks' next change, then one re-read of that incident's clocks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from console.domain.escalation import Ladder, Standing, ladder, standing
from console.domain.records import ACTIVE, IncidentSummary
from console.services.open_incidents import OpenIncident, OpenIncidentReader
from console.services.policy import governing_policy
from console.services.ports import Store
from console.services.ranking import ordered_by_rank

__all__ = ["EscalationItem", "EscalationService", "escalation_item", "may_escalate", "order_key"]

log = logging.getLogger(__name__)

_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class EscalationItem:
    """An open incident on the escalation path, as it stands at ``standing.reading.now``."""

    incident: OpenIncident
    standing: Standing
    changes_at: datetime | None  # the clocks' next change: re-read the incident then
    priority_rank: int = 0  # the priority's place in the policy (P1 first)

    @property
    def summary(self) -> IncidentSummary:
        return self.incident.summary

    @property
    def customer(self) -> str:
        return self.incident.customer

    def at(self, now: datetime) -> EscalationItem:
        """The same item at a later ``now`` (no events in between).

        Before ``changes_at`` the reading moves with arithmetic; from then on the incident's
        clocks are read again at ``now`` (calendar work for this one incident).
        """
        if self.changes_at is None or now < self.changes_at:
            return replace(self, standing=self.standing.advanced(now))
        again = escalation_item(self.incident.at(now), self.priority_rank)
        return again or replace(self, standing=self.standing.advanced(now), changes_at=None)


def escalation_item(incident: OpenIncident, priority_rank: int = 0) -> EscalationItem | None:
    """``incident`` as an escalation item, or None when it is neither eligible nor escalated."""
    clocks = incident.clocks
    if clocks is None:
        return None
    found = standing(clocks)
    if found is None:
        return None
    return EscalationItem(incident, found, clocks.next_transition_at(), priority_rank)


def order_key(item: EscalationItem) -> tuple[int, int, int, datetime, str]:
    """Urgent first: by priority, then a breached before an at-risk response clock, then
    the soonest deadline (so week-old P3 breaches do not push a breached P1 down). Then the
    rest, longest waiting first."""
    found, number = item.standing, item.summary.number
    if found.urgent:
        reading = found.reading
        return (0, item.priority_rank, reading.urgency, reading.deadline or _FAR, number)
    return (1, 0, 0, found.since or _FAR, number)


def may_escalate(summary: IncidentSummary) -> bool:
    """Cheap pre-check from the projection: only these can be eligible or escalated.

    Eligibility needs a missed response: escalated already, no first response yet (its
    deadline may have passed, or been missed before a priority change restarted it), or a
    first response that came late.
    """
    return summary.status in ACTIVE and (
        summary.escalation_level > 0
        or summary.first_response_at is None
        or summary.first_response_met is False
    )


class EscalationService:
    """Reads for the escalation panel: the list, and one incident's two ladders."""

    def __init__(self, store: Store, reader: OpenIncidentReader) -> None:
        self._store = store
        self._reader = reader

    def escalations(self) -> list[EscalationItem]:
        """Open incidents eligible for or at Escalation 1 or 2, in :func:`order_key` order."""
        snapshot = self._reader.snapshot(eager=0)
        ranks = {priority: rank for rank, priority in enumerate(snapshot.priorities)}
        candidates = [i for i in snapshot.incidents if may_escalate(i.summary)]
        items = []
        for incident in self._reader.evaluate(candidates):
            if incident.clock_error:
                log.warning(
                    "incident %s left out: %s", incident.summary.number, incident.clock_error
                )
                continue
            item = escalation_item(incident, ranks.get(incident.summary.priority, len(ranks)))
            if item is not None:
                items.append(item)
        return sorted(items, key=order_key)

    def ladder(self, item: EscalationItem) -> Ladder:
        """Who to contact next for ``item``, on both sides."""
        summary = item.summary
        with self._store.read() as tx:
            policy = governing_policy(tx, summary.policy_version)
            return ladder(
                customer=tx.customers.get(summary.customer_id),
                assignee=tx.agents.get(summary.assignee_id) if summary.assignee_id else None,
                contacts=ordered_by_rank(tx.escalation_contacts.list()),
                levels=policy.escalation_levels,
                contact_level=item.standing.contact_level,
            )
