"""The fields of each archive member and their checks (format version 1).

Each check takes a line's value and returns what the store keeps, or raises ``ValueError``
in words; the importer prefixes the member, the line and the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from console.domain.calendar import BusinessCalendar
from console.domain.events import EventKind
from console.domain.records import Role

Check = Callable[[Any], Any]


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, found {_kind(value)}")
    return value


def ident(value: Any) -> str:
    value = text(value)
    if not value.strip() or len(value) > 200:
        raise ValueError("expected an id (1 to 200 characters)")
    return value


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, found {_kind(value)}")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, found {_kind(value)}")
    return value


def instant(value: Any) -> datetime:
    try:
        at = datetime.fromisoformat(text(value))
    except ValueError:
        raise ValueError(f"expected an ISO 8601 instant, found {value!r}") from None
    if at.tzinfo is None:
        raise ValueError(f"the instant {value!r} has no UTC offset")
    return at


def optional_instant(value: Any) -> datetime | None:
    return None if value is None else instant(value)


def texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of texts")
    return list(value)


def dates(value: Any) -> list[str]:
    for item in texts(value):
        try:
            date.fromisoformat(item)
        except ValueError:
            raise ValueError(f"{item!r} is not an ISO date") from None
    return list(value)


def mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, found {_kind(value)}")
    return value


def role(value: Any) -> str:
    try:
        return Role(text(value)).value
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"{value!r} is not a role (one of: {names})") from None


def kind(value: Any) -> str:
    try:
        return EventKind(text(value)).value
    except ValueError:
        raise ValueError(f"{value!r} is not an event kind") from None


def sha256(value: Any) -> str:
    value = text(value)
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError("expected a sha256 in lower-case hex")
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else "nothing"
    )


#: Every member's fields (all required, no others allowed).
FIELDS: dict[str, dict[str, Check]] = {
    "windows": {
        "id": ident,
        "name": text,
        "hours": text,
        "zone": text,
        "holidays": dates,
        "holiday_country": text,
        "holiday_subdivision": text,
        "builtin": boolean,
        "hlc": text,
        "deleted": boolean,
    },
    "policy_versions": {
        "id": ident,
        "version": integer,
        "text": text,
        "created_at": instant,
        "author": text,
    },
    "agents": {
        "id": ident,
        "name": text,
        "role": role,
        "email": text,
        "hlc": text,
        "deleted": boolean,
    },
    "customers": {
        "id": ident,
        "name": text,
        "plan": text,
        "window_id": ident,
        "csm_name": text,
        "csm_email": text,
        "csm_phone": text,
        "list_confirmed_at": optional_instant,
        "hlc": text,
        "deleted": boolean,
    },
    "contacts": {
        "id": ident,
        "customer_id": ident,
        "name": text,
        "role": text,
        "emails": texts,
        "phones": texts,
        "rank": text,
        "hlc": text,
        "deleted": boolean,
    },
    "escalation_contacts": {
        "id": ident,
        "level": integer,
        "name": text,
        "role": text,
        "email": text,
        "phone": text,
        "rank": text,
        "hlc": text,
        "deleted": boolean,
    },
    "saved_views": {
        "id": ident,
        "name": text,
        "owner_id": text,
        "shared": boolean,
        "filter": mapping,
        "hlc": text,
        "deleted": boolean,
    },
    "mail_templates": {
        "id": text,
        "subject": text,
        "body": text,
        "updated_at": text,
        "author": text,
        "hlc": text,
        "deleted": boolean,
    },
    "agent_access": {"agent_id": ident, "active": boolean},
    "agent_changes": {
        "at": instant,
        "actor_id": text,
        "actor_name": text,
        "agent_id": ident,
        "action": text,
        "detail": text,
    },
    "incidents": {
        "id": ident,
        "number": text,
        "customer_id": text,
        "title": text,
        "status": text,
        "opened_at": optional_instant,
        "events": integer,
    },
    "events": {
        "id": ident,
        "incident_id": ident,
        "kind": kind,
        "at": instant,
        "author": text,
        "origin": text,
        "hlc": text,
        "data": mapping,
    },
    "attachments": {
        "id": ident,
        "incident_id": ident,
        "filename": text,
        "size": integer,
        "sha256": sha256,
        "added_at": instant,
        "author": text,
        "member": text,
    },
}


def window_problem(values: dict[str, Any]) -> str | None:
    """Why a window's hours and zone make no calendar, if they do not."""
    try:
        BusinessCalendar.parse(
            values["hours"],
            values["zone"],
            holidays=[date.fromisoformat(d) for d in values["holidays"]],
        )
    except (ValueError, KeyError) as error:
        return f"hours/zone: {error}"
    return None
