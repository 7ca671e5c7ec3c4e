"""Acting on several incidents at once (the queue's bulk bar): one incident at a time.

Each incident goes through the ordinary :class:`IncidentService` use case, so the rules are
the same as for one. Before calling it, :func:`apply_one` reads the incident's summary: an
incident the action cannot apply to (resolved, already assigned so, already that priority)
is skipped with a reason in words, and the summary before the change is what undo restores.
:func:`describe` says what happened to the whole selection in one sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from console.domain.records import ACTIVE, IncidentSummary, Status
from console.services.incidents import IncidentService
from console.services.validation import NotAllowed, ValidationError

__all__ = [
    "UNDO_REASON",
    "BulkKind",
    "BulkRequest",
    "Outcome",
    "apply_one",
    "describe",
    "describe_undo",
    "undo_one",
]

UNDO_REASON = "Undo"
_LISTED = 3  # skipped incidents named one by one; the rest are counted


class BulkKind(StrEnum):
    ASSIGN = "assign"  # to an agent (Take them: to the signed-in agent)
    UNASSIGN = "unassign"
    PRIORITY = "priority"
    WAIT = "wait"
    NOTE = "note"

    @property
    def undoable(self) -> bool:
        return self is not BulkKind.NOTE


@dataclass(frozen=True)
class BulkRequest:
    kind: BulkKind
    agent_id: str | None = None
    agent_name: str = ""  # "you" when it is the signed-in agent
    priority: str = ""
    reason: str = ""
    text: str = ""


@dataclass(frozen=True)
class Outcome:
    incident_id: str
    number: str
    changed: bool
    why: str = ""  # why it was skipped (or could not be undone)
    before: IncidentSummary | None = None


_STATUS_WORDS = {
    Status.RESOLVED: "resolved",
    Status.EXCLUDED: "excluded",
    Status.WAITING_ON_CUSTOMER: "waiting on the customer",
    Status.OPEN: "open",
}


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.errors.values()) or str(error)
    return str(error)


def _skip_reason(request: BulkRequest, before: IncidentSummary) -> str:
    """Why ``request`` does not apply to the incident as it stands ("" when it does)."""
    number = before.number
    if request.kind is not BulkKind.NOTE and before.status not in ACTIVE:
        return f"{number} is {_STATUS_WORDS[before.status]}"
    if request.kind is BulkKind.ASSIGN and before.assignee_id == request.agent_id:
        whose = "yours" if request.agent_name == "you" else f"{request.agent_name}'s"
        return f"{number} is already {whose}"
    if request.kind is BulkKind.UNASSIGN and before.assignee_id is None:
        return f"{number} is not assigned"
    if request.kind is BulkKind.PRIORITY and before.priority == request.priority:
        return f"{number} is already {request.priority}"
    if request.kind is BulkKind.WAIT and before.status is Status.WAITING_ON_CUSTOMER:
        return f"{number} is already waiting on the customer"
    return ""


def apply_one(service: IncidentService, request: BulkRequest, incident_id: str) -> Outcome:
    """Do ``request`` to one incident, or say why not (runs on a worker thread)."""
    try:
        before = service.summary(incident_id)
    except (ValidationError, NotAllowed) as error:
        return Outcome(incident_id, incident_id, False, _message(error))
    skip = _skip_reason(request, before)
    if skip:
        return Outcome(incident_id, before.number, False, skip, before)
    try:
        if request.kind is BulkKind.ASSIGN:
            service.assign(incident_id, request.agent_id)
        elif request.kind is BulkKind.UNASSIGN:
            service.assign(incident_id, None)
        elif request.kind is BulkKind.PRIORITY:
            service.change_priority(incident_id, request.priority, request.reason)
        elif request.kind is BulkKind.WAIT:
            service.wait_on_customer(incident_id, request.text)
        else:
            service.note(incident_id, request.text)
    except (ValidationError, NotAllowed) as error:
        return Outcome(incident_id, before.number, False, f"{before.number}: {_message(error)}")
    return Outcome(incident_id, before.number, True, "", before)


def _changed_since(request: BulkRequest, now: IncidentSummary) -> bool:
    """Whether someone changed the incident again after the bulk action did: undo then
    leaves it alone rather than overwrite their change."""
    kind = request.kind
    if kind is BulkKind.ASSIGN:
        return now.assignee_id != request.agent_id
    if kind is BulkKind.UNASSIGN:
        return now.assignee_id is not None
    if kind is BulkKind.PRIORITY:
        return now.priority != request.priority
    return now.status is not Status.WAITING_ON_CUSTOMER


def undo_one(service: IncidentService, request: BulkRequest, done: Outcome) -> Outcome:
    """Put back what ``done`` changed: the previous assignee or priority, or resume; unless
    the incident was changed again since, by someone else or on another workstation."""
    kind = request.kind
    before = done.before
    if not done.changed or before is None or not kind.undoable:
        return Outcome(done.incident_id, done.number, False, f"{done.number} was not changed")
    try:
        if _changed_since(request, service.summary(done.incident_id)):
            why = f"{done.number} was changed again since"
            return Outcome(done.incident_id, done.number, False, why)
        if kind in (BulkKind.ASSIGN, BulkKind.UNASSIGN):
            service.assign(done.incident_id, before.assignee_id)
        elif kind is BulkKind.PRIORITY:
            service.change_priority(done.incident_id, before.priority, UNDO_REASON)
        else:
            service.resume(done.incident_id, UNDO_REASON)
    except (ValidationError, NotAllowed) as error:
        return Outcome(done.incident_id, done.number, False, f"{done.number}: {_message(error)}")
    return Outcome(done.incident_id, done.number, True, "", before)


def _done_words(request: BulkRequest, count: int) -> str:
    kind = request.kind
    if kind is BulkKind.ASSIGN:
        return f"Assigned {count} to {request.agent_name or 'the agent'}"
    if kind is BulkKind.UNASSIGN:
        return f"Unassigned {count}"
    if kind is BulkKind.PRIORITY:
        return f"Changed {count} to {request.priority}"
    if kind is BulkKind.WAIT:
        return f"Put {count} waiting on the customer"
    return f"Added a note to {count}"


def _skipped(outcomes: Sequence[Outcome], what: str) -> str:
    missed = [o for o in outcomes if not o.changed]
    if not missed:
        return ""
    named = ", ".join(o.why for o in missed[:_LISTED])
    more = len(missed) - _LISTED
    tail = f" and {more} more" if more > 0 else ""
    return f"; {len(missed)} {what}: {named}{tail}"


def describe(request: BulkRequest, outcomes: Sequence[Outcome]) -> str:
    """One sentence for the result strip: "Assigned 5 to you; 2 skipped: INC-… is resolved"."""
    changed = sum(1 for o in outcomes if o.changed)
    words = _done_words(request, changed) + _skipped(outcomes, "skipped") + "."
    if request.kind is BulkKind.NOTE and changed:
        words += " Notes cannot be undone."
    return words


def describe_undo(outcomes: Sequence[Outcome]) -> str:
    changed = sum(1 for o in outcomes if o.changed)
    return f"Undone on {changed}" + _skipped(outcomes, "could not be undone") + "."
