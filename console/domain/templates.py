"""Mail templates: the canned responses an agent starts a mail from (DESIGN §11).

Six templates ship with the console and apply until a team lead saves the team's own
version; "Reset to default" removes it again. Each has an optional subject line (empty: the
outbox's threaded subject) and a body with placeholders, filled from the incident at hand.
This module holds what they are and what they may say; rendering lives in the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

#: The most a subject (one line) and a body may hold, as typed and as rendered.
SUBJECT_MAX = 300
BODY_MAX = 20_000
RENDERED_MAX = 100_000


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str  # as written in a template: {{ name }}
    meaning: str  # in words, for the placeholder list
    sample: str | tuple[str, ...]  # what the preview shows


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("customer_name", "the customer's name", "Northwind Freight"),
    Placeholder("incident_number", "the incident number", "INC-2026-0042"),
    Placeholder("title", "the incident's title", "Checkout returns 502"),
    Placeholder("priority", "the priority's id", "P1"),
    Placeholder("priority_label", "the priority's name", "Critical"),
    Placeholder("csm_name", "the customer's success manager", "Rachel Adeyemi"),
    Placeholder("csm_email", "the success manager's email", "rachel@vendor.example"),
    Placeholder(
        "missing_items",
        "the report items still missing (a list: loop over it)",
        ("Steps to reproduce", "Exact error message"),
    ),
    Placeholder(
        "next_update_due",
        "when the next status update is due, in the customer's zone",
        "Tue 09 Jun 2026 14:14 EDT",
    ),
    Placeholder(
        "next_update_due_agent",
        "when the next status update is due, in your zone",
        "Tue 09 Jun 2026 11:14 PDT",
    ),
    Placeholder("agent_name", "your name", "Sofia Alvarez"),
    Placeholder("contact_name", "the reporting contact's name", "Olivia Chen"),
    Placeholder(
        "exclusion_reason",
        "why the incident is excluded from support, in the policy's words",
        "use not authorised by the agreement or documentation",
    ),
)
PLACEHOLDER_NAMES = tuple(p.name for p in PLACEHOLDERS)
#: The placeholders that hold a list, the only things a template may loop over.
LIST_PLACEHOLDERS = frozenset({"missing_items"})


@dataclass(frozen=True, slots=True)
class MailTemplate:
    key: str
    name: str
    subject: str
    body: str
    is_default: bool = True
    updated_at: datetime | None = None  # the team's version: when a lead saved it
    author: str = ""  # and who


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """The team's version of a template as the database holds it."""

    key: str
    subject: str
    body: str
    updated_at: datetime | None
    author: str


_FIRST = """Dear {{ contact_name }},

Thank you for contacting us about {{ title }} ({{ incident_number }}). I am looking into it \
now at priority {{ priority }} ({{ priority_label }}).

{% if next_update_due %}We will send you the next status update by {{ next_update_due }}.\
{% else %}We will keep you informed as we make progress.{% endif %}

Kind regards,
{{ agent_name }}
"""

_UPDATE = """Dear {{ contact_name }},

Here is the latest on {{ incident_number }}: {{ title }}.



{% if next_update_due %}The next status update is due by {{ next_update_due }}.{% endif %}

Kind regards,
{{ agent_name }}
"""

_MISSING = """Dear {{ contact_name }},

Thank you for reporting incident {{ incident_number }}: {{ title }}. To help us resolve it, \
please send us:

{% for item in missing_items %}- {{ item }}
{% endfor %}
Please quote {{ incident_number }} in your reply.

Kind regards,
{{ agent_name }}
"""

_ESCALATED = """Dear {{ contact_name }},

Your incident {{ incident_number }} ({{ title }}) has been escalated, and we are giving it \
priority attention.{% if csm_name %} {{ csm_name }} ({{ csm_email }}), your customer success \
manager, is kept informed.{% endif %}

{% if next_update_due %}The next status update is due by {{ next_update_due }}.{% endif %}

Kind regards,
{{ agent_name }}
"""

_EXCLUDED = """Dear {{ contact_name }},

Thank you for reporting {{ incident_number }}: {{ title }}. Under the support policy this \
request falls outside the response-time commitments of your plan\
{% if exclusion_reason %} (it arises from {{ exclusion_reason }}){% endif %}, so its response \
times do not apply. We will still help where we can.

Kind regards,
{{ agent_name }}
"""

_NOT_LISTED = """Hello,

Thank you for contacting us about {{ title }} ({{ incident_number }}). Your address is not on \
the list of designated support contacts for {{ customer_name }}, so we cannot act on this \
request yet. Please ask one of your designated contacts to raise it{% if csm_name %}, or \
contact {{ csm_name }} ({{ csm_email }}){% endif %}.

Kind regards,
{{ agent_name }}
"""

#: (key, name, default subject, default body), in the order the console lists them.
DEFAULTS: tuple[tuple[str, str, str, str], ...] = (
    ("first_response", "First response", "", _FIRST),
    ("status_update", "Status update", "", _UPDATE),
    ("missing_details", "Missing details", "", _MISSING),
    ("escalation_acknowledged", "Escalation acknowledged", "", _ESCALATED),
    ("exclusion_notice", "Exclusion notice", "", _EXCLUDED),
    ("not_on_support_list", "Not on the support list", "", _NOT_LISTED),
)
KEYS = tuple(key for key, *_ in DEFAULTS)
NAMES = {key: name for key, name, *_ in DEFAULTS}


def default_template(key: str) -> MailTemplate:
    for known, name, subject, body in DEFAULTS:
        if known == key:
            return MailTemplate(known, name, subject, body)
    raise KeyError(key)


def effective(key: str, stored: StoredTemplate | None) -> MailTemplate:
    """The template in force: the team's version when one is saved, else the default."""
    fallback = default_template(key)
    if stored is None:
        return fallback
    return MailTemplate(
        key,
        fallback.name,
        stored.subject,
        stored.body,
        is_default=False,
        updated_at=stored.updated_at,
        author=stored.author,
    )


def when(at: datetime | None, zone: ZoneInfo | str | None) -> str:
    """'Tue 09 Jun 2026 11:14 PDT' in ``zone`` ('' when there is no time)."""
    if at is None:
        return ""
    tz = ZoneInfo(zone) if isinstance(zone, str) and zone else zone
    local = at.astimezone(tz) if isinstance(tz, ZoneInfo) else at
    return local.strftime("%a %d %b %Y %H:%M ") + (local.tzname() or "")
