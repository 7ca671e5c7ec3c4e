"""What is synced, and how a stored value travels: the tables, their fields, their clocks.

Records (agents, windows, saved views, mail templates, customers, contacts, vendor escalation
contacts) merge field by field, last writer wins by hybrid logical clock; the workstation id,
the last part of every stamp, breaks ties. Append-only tables (policy versions, attachments,
incident events) merge as grow-only sets. Values travel exactly as SQLite stores them (dates as
text, booleans as 0/1, JSON columns as their text); only bytes are wrapped, as ``{"$b64": …}``.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from typing import Any

from console.domain.ids import HlcStamp
from db.models import Base

#: Tables in the order a snapshot queues them, so rows come before rows that refer to them.
ENTITY_ORDER = (
    "support_windows",
    "agents",
    "saved_views",
    "mail_templates",
    "policy_versions",
    "customers",
    "contacts",
    "escalation_contacts",
    "attachments",
    "incident_events",
)
RECORD_TABLES = (
    "support_windows",
    "agents",
    "saved_views",
    "mail_templates",
    "customers",
    "contacts",
    "escalation_contacts",
)
APPEND_ONLY_TABLES = ("policy_versions", "attachments", "incident_events")
NOT_FIELDS = ("id", "hlc")

#: Kinds of record only a team lead or an admin may change (DESIGN §6): the server refuses
#: them from an agent at push, and a replica refuses to merge them from one at pull. Saved
#: views are not: agents share views too.
LEAD_ONLY = frozenset(
    {"support_windows", "agents", "policy_versions", "escalation_contacts", "mail_templates"}
)

#: Each kind of record in words, plural: "only a team lead or admin may change support windows".
PLURALS = {
    "support_windows": "support windows",
    "agents": "agents and their roles",
    "saved_views": "saved views",
    "mail_templates": "mail templates",
    "policy_versions": "the policy",
    "customers": "customers",
    "contacts": "contacts",
    "escalation_contacts": "vendor escalation contacts",
    "attachments": "attachments",
    "incident_events": "incident timelines",
}

#: A well-formed stamp, as the server checks it: millis, counter, workstation.
HLC_PATTERN = re.compile(r"^[0-9]{13}-[0-9]{5,9}-[0-9A-Za-z_-]{1,64}$")

#: Record labels for conflict messages: (what it is, the column that names it).
LABELS = {
    "support_windows": ("support window", "name"),
    "agents": ("agent", "name"),
    "saved_views": ("saved view", "name"),
    "mail_templates": ("mail template", "id"),
    "customers": ("customer", "name"),
    "contacts": ("contact", "name"),
    "escalation_contacts": ("escalation contact", "name"),
    "policy_versions": ("policy version", "version"),
}


@cache
def columns(table: str) -> tuple[str, ...]:
    return tuple(column.name for column in Base.metadata.tables[table].columns)


@cache
def record_fields(table: str) -> tuple[str, ...]:
    """The merged fields of a record table: every column but its id and its clock."""
    return tuple(name for name in columns(table) if name not in NOT_FIELDS)


@cache
def fallbacks(table: str) -> dict[str, Any]:
    """Values for fields a first pulled change lacks: the column default, or NULL."""
    found: dict[str, Any] = {}
    for column in Base.metadata.tables[table].columns:
        default = column.default
        if default is not None and getattr(default, "is_scalar", False):
            value = default.arg  # type: ignore[attr-defined]
            found[column.name] = int(value) if isinstance(value, bool) else value
        elif column.nullable:
            found[column.name] = None
    return found


def clock_key(stamp: str | None) -> tuple[int, int, str]:
    """A stamp as a sortable key; '' (never written) sorts first."""
    if not stamp:
        return (-1, -1, "")
    try:
        value = HlcStamp.decode(stamp)
    except ValueError:
        return (-1, -1, stamp)
    return (value.millis, value.counter, value.node)


def origin(stamp: str | None) -> str:
    """The workstation that wrote a stamp ('' when unknown)."""
    return clock_key(stamp)[2] if stamp and clock_key(stamp)[0] >= 0 else ""


def encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1 and "$b64" in value:
        return base64.b64decode(value["$b64"])
    return value
