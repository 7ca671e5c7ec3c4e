"""The projection of an incident's events: the summary lists and queries read, and its text.

Pure and deterministic: the summary is evaluated at the instant of the last event, never at
the wall clock, so rebuilding from the same events under the same policy version always gives
an equal summary. What depends on "now" (at risk, breached, a pending first response that has
since been missed) is derived from the stored deadlines: ``outcome_at`` for the first
response's outcome.

The OPENED event carries the incident's terms as they were when it was received (plan and a
snapshot of the support window), so later edits to the customer or the window never change
the deadlines of an incident already reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.domain.clocks import Terms, evaluate
from console.domain.events import REPORT_ITEMS, EventKind, IncidentEvent, ordered
from console.domain.outcomes import Outcome, first_response
from console.domain.policy import Policy, WindowSpec
from console.domain.records import IncidentSummary, Status

# Report items that are free text; ``started_at`` and ``attachments`` are kept apart.
REPORT_TEXT_FIELDS = ("affected", "impact", "steps", "error_message")
_SEARCHED = ("title", *REPORT_TEXT_FIELDS, "text", "reason", "recipient")
# What the projection stores of the first response's outcome as of the last event.
_MET = {Outcome.MET: True, Outcome.MISSED: False}


@dataclass(frozen=True, slots=True)
class Report:
    """The incident report as it stands after every REPORT_UPDATED event."""

    title: str = ""
    affected: str = ""
    impact: str = ""
    started_at: datetime | None = None
    steps: str = ""
    error_message: str = ""
    vendor_ref: str = ""
    attachments: tuple[Mapping[str, Any], ...] = ()

    def value(self, item: str) -> object:
        return getattr(self, item)

    @property
    def missing(self) -> tuple[tuple[str, str], ...]:
        """The report items (DESIGN §2) still missing, as (key, label) pairs."""
        return tuple((key, label) for key, label in REPORT_ITEMS if not self.value(key))


def opened_event(events: Iterable[IncidentEvent]) -> IncidentEvent | None:
    """The (first) OPENED event, which carries the number, customer, terms and policy."""
    opened = [e for e in events if e.kind is EventKind.OPENED]
    return min(opened, key=IncidentEvent.sort_key) if opened else None


def window_of(opened: IncidentEvent) -> WindowSpec | None:
    """The support window snapshot taken when the incident was received."""
    raw = opened.data.get("window")
    if not isinstance(raw, Mapping) or not raw.get("hours") or not raw.get("zone"):
        return None
    return WindowSpec(
        id=str(raw.get("id", "")),
        name=str(raw.get("name", "")),
        zone=str(raw["zone"]),
        hours=str(raw["hours"]),
        holidays=tuple(
            d if isinstance(d, date) else date.fromisoformat(str(d))
            for d in raw.get("holidays") or ()
        ),
        holiday_country=str(raw.get("holiday_country") or ""),
        holiday_subdivision=str(raw.get("holiday_subdivision") or ""),
    )


def terms_of(events: Iterable[IncidentEvent]) -> Terms | None:
    """The terms recorded at opening, or None when the OPENED event lacks them."""
    opened = opened_event(events)
    if opened is None:
        return None
    window = window_of(opened)
    plan = str(opened.data.get("plan") or "")
    if window is None or not plan:
        return None
    return Terms.of(plan, window)


def project(
    events: Iterable[IncidentEvent],
    terms: Terms,
    policy: Policy,
    number: str,
    policy_version: int,
) -> IncidentSummary:
    """The summary of an incident, from its events alone (any order, duplicates ignored)."""
    timeline = _unique(events)
    opened = opened_event(timeline)
    if opened is None:
        raise ValueError("an incident needs an OPENED event to be projected")
    last = timeline[-1]
    clocks = evaluate(timeline, terms, policy, last.at)
    # The queue orders by the deadline of the clock the agent acts on next (the one live
    # reading): which clock that is depends on the events alone, never on the time.
    acting = clocks.current
    first = clocks.first_response
    outcome = first_response(clocks)
    met = _MET.get(outcome.outcome)
    assignee: str | None = None
    resolved_at: datetime | None = None
    for event in timeline:
        if event.kind is EventKind.ASSIGNED:
            agent = event.data.get("agent_id")
            assignee = str(agent) if agent else None
        elif event.kind is EventKind.RESOLVED and clocks.status is Status.RESOLVED:
            resolved_at = event.at
    return IncidentSummary(
        id=opened.incident_id,
        number=number,
        customer_id=str(opened.data.get("customer_id") or ""),
        title=current_report(timeline).title,
        priority=clocks.priority,
        proposed_priority=clocks.proposed_priority,
        status=clocks.status,
        channel=str(opened.data.get("channel") or ""),
        opened_at=opened.at,
        policy_version=policy_version,
        plan=terms.plan,
        assignee_id=assignee,
        escalation_level=clocks.escalation_level,
        next_deadline=acting.deadline if acting is not None else None,
        first_response_due=first.deadline,
        first_response_at=clocks.responded_at,
        first_response_met=met,
        outcome_due=outcome.deadline,
        outcome_priority=outcome.priority,
        excluded=clocks.status is Status.EXCLUDED,
        resolved_at=resolved_at,
        updated_at=last.at,
    )


def outcome_at(summary: IncidentSummary, now: datetime) -> Outcome:
    """The first response's outcome at ``now``, from the projection alone.

    The projection holds the outcome as of the last event; after it only time moves, and time
    changes one thing: a pending first response is missed once its deadline has passed (a
    response at the deadline itself would still have met). This restates
    ``outcomes.first_response`` for lists that cannot replay every incident, and the SQL in
    ``db/repositories/incidents.py`` restates this; a property test keeps all three equal.
    """
    if summary.excluded:
        return Outcome.EXCLUDED
    if summary.first_response_met is not None:
        return Outcome.MET if summary.first_response_met else Outcome.MISSED
    if summary.outcome_due is None:
        return Outcome.NOT_APPLICABLE
    return Outcome.MISSED if now > summary.outcome_due else Outcome.PENDING


def current_report(events: Iterable[IncidentEvent]) -> Report:
    """Fold OPENED and REPORT_UPDATED into the report as it stands."""
    fields: dict[str, Any] = {"attachments": []}
    for event in _unique(events):
        if event.kind not in (EventKind.OPENED, EventKind.REPORT_UPDATED):
            continue
        data = event.data
        for key in ("title", *REPORT_TEXT_FIELDS, "vendor_ref"):
            if key in data and data[key] is not None:
                fields[key] = str(data[key])
        if data.get("started_at"):
            fields["started_at"] = _instant(data["started_at"], data.get("started_zone"))
        fields["attachments"].extend(a for a in data.get("attachments") or () if a)
    fields["attachments"] = tuple(fields["attachments"])
    return Report(**fields)


def search_text(events: Iterable[IncidentEvent]) -> str:
    """Everything worth finding an incident by: title, report, notes, updates, reasons."""
    parts: list[str] = []
    for event in _unique(events):
        for key in _SEARCHED:
            value = event.data.get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in parts:
                parts.append(value.strip())
        for item in event.data.get("attachments") or ():
            if isinstance(item, Mapping) and item.get("filename"):
                parts.append(str(item["filename"]))
        if event.kind is EventKind.ASSIGNED and event.data.get("agent_name"):
            parts.append(str(event.data["agent_name"]))
    return "\n".join(parts)


def _unique(events: Iterable[IncidentEvent]) -> list[IncidentEvent]:
    by_id = {event.id: event for event in events}
    return ordered(by_id.values())


def _instant(value: object, zone_name: object) -> datetime | None:
    """A stored report instant back in the zone it was reported in."""
    if isinstance(value, datetime):
        instant = value
    else:
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if instant.tzinfo is None:
        return None
    if isinstance(zone_name, str) and zone_name:
        try:
            return instant.astimezone(ZoneInfo(zone_name))
        except (ZoneInfoNotFoundError, ValueError):
            return instant
    return instant
