"""How an incident's priority came about: the customer's proposal, the vendor's classification.

``priority_story`` tells both sides, each with who set it and why; the incident detail and the
history review show it under the title.
"""

from __future__ import annotations

from datetime import UTC
from html import escape
from zoneinfo import ZoneInfo

from console.domain.events import EventKind, IncidentEvent
from console.domain.explain import when
from console.services.incidents import IncidentDetails


def priority_story(details: IncidentDetails) -> tuple[str, str]:
    """The customer's proposed priority and the vendor's classification, each with who and why."""
    events, policy, clocks = details.events, details.policy, details.clocks
    opened = next((e for e in events if e.kind is EventKind.OPENED), None)
    # Names, reasons and priorities are people's text: escaped inside our own markup.
    contact = escape(details.contact.name) if details.contact else "the customer"
    customer_set: IncidentEvent | None = None
    any_set: IncidentEvent | None = None
    for event in events:
        if event.kind is EventKind.PRIORITY_CHANGED:
            any_set = event
            if event.data.get("side") == "customer":
                customer_set = event
    zone = details.clocks.first_response.window_zone
    proposed = escape(clocks.proposed_priority)
    if customer_set is not None:
        why = escape(str(customer_set.data.get("reason") or ""))
        proposed_text = (
            f"<b>Customer proposed {proposed}</b> — asked on {_at(customer_set, zone)}, "
            f"recorded by {escape(customer_set.author)}" + (f": “{why}”" if why else "")
        )
    elif proposed:
        proposed_text = f"<b>Customer proposed {proposed}</b> — by {contact} when reporting"
    else:
        proposed_text = "<b>Customer proposed no priority</b> — none was stated when reporting"
    priority = escape(clocks.priority)
    try:
        plan = policy.plan(clocks.plan)
    except KeyError:
        plan = None
    if any_set is not None:
        side = "the customer's request" if any_set.data.get("side") == "customer" else "triage"
        why = escape(str(any_set.data.get("reason") or ""))
        vendor_text = (
            f"<b>Vendor classified {priority}</b> — set by {escape(any_set.author)} on "
            f"{_at(any_set, zone)} after {side}" + (f": “{why}”" if why else "")
        )
    elif plan is not None and plan.customer_proposes:
        vendor_text = (
            f"<b>Vendor classified {priority}</b> — the customer's proposal stands "
            f"(on the {escape(plan.name)} plan the customer proposes)"
        )
    else:
        author = escape(opened.author) if opened else "the vendor"
        channel = str(opened.data.get("channel") or "") if opened else ""
        default = policy.default_priority(channel) if channel else None
        how = (
            f" (the {escape(channel)} default)"
            if default == clocks.priority and not clocks.proposed_priority
            else ""
        )
        vendor_text = f"<b>Vendor classified {priority}</b> — by {author} at opening{how}"
    return proposed_text, vendor_text


def _at(event: IncidentEvent, zone_name: str) -> str:
    return when(event.at, ZoneInfo(zone_name) if zone_name else UTC)
