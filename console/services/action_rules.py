"""Which actions an incident's state allows now, and in what words a refusal says why.

One source for both sides of the same decision: the detail view disables a button with the
reason as its tooltip, and ``IncidentService`` raises the very same reason when the action is
called anyway (a stale screen, another workstation's change). Times are shown in the zone the
caller passes: the agent's, so a tooltip and a refusal name the same instant the same way.

Refusals that depend on what was asked (which level, which agent, what text) are not here:
they belong to the use case that receives the request.
"""

from __future__ import annotations

from datetime import tzinfo
from enum import StrEnum

from console.domain.clock_model import Clock, ClockState, ClockType, IncidentClocks
from console.domain.explain import when
from console.domain.policy import Policy
from console.domain.records import ACTIVE, Status


class Action(StrEnum):
    """An action on one incident; the value names the detail view's slot for it."""

    RESPOND = "respond"
    POST_UPDATE = "post_update"
    ASSIGN = "assign"
    NOTE = "add_note"
    CHANGE_PRIORITY = "change_priority"
    WAIT_ON_CUSTOMER = "wait_on_customer"
    RESUME = "resume"
    ESCALATE = "escalate"
    EXCLUDE = "exclude"
    RESOLVE = "resolve"
    REOPEN = "reopen"


_ANY_TIME = (Action.ASSIGN, Action.NOTE)  # the team's own bookkeeping, open or closed
_STATUS_WORDS = {
    Status.OPEN: "open",
    Status.WAITING_ON_CUSTOMER: "waiting on the customer",
    Status.RESOLVED: "resolved",
    Status.EXCLUDED: "excluded",
}

RESPOND_FIRST = "Respond first: status updates are owed only after the first response."
ALREADY_WAITING = "The incident is already waiting on the customer."
NOT_WAITING = "The incident is not waiting on the customer."
NOTHING_TO_REOPEN = "The incident is open: there is nothing to reopen."
NO_RESPONSE_OWED = (
    "The customer has already had a response: resolve without a resolution message, or "
    "send it with Respond first."
)
_CLOSED_BY = {  # a response clock's stop reason when closing the incident stopped it
    "resolved": "resolved",
    "resolved without a response": "resolved",
    "excluded": "excluded",
}
_RESPONSE_NAMES = {
    ClockType.FIRST_RESPONSE: "the first response",
    ClockType.ESCALATION_1: "the response to Escalation 1",
    ClockType.ESCALATION_2: "the response to Escalation 2",
}


def refusals(clocks: IncidentClocks, policy: Policy, zone: tzinfo) -> dict[str, str]:
    """For every :class:`Action`, why it is refused now ("" when it is allowed)."""
    return {action: refusal(action, clocks, policy, zone) for action in Action}


def refusal(action: Action, clocks: IncidentClocks, policy: Policy, zone: tzinfo) -> str:
    """Why ``action`` is refused on an incident whose clocks stand so ("" when allowed)."""
    status = clocks.status
    if action in _ANY_TIME:
        return ""
    if action is Action.RESUME:
        return "" if status is Status.WAITING_ON_CUSTOMER else NOT_WAITING
    if action is Action.REOPEN:
        return NOTHING_TO_REOPEN if status in ACTIVE else ""
    closed = closed_refusal(status)
    if closed:
        return closed
    if action is Action.POST_UPDATE and clocks.responded_at is None:
        return RESPOND_FIRST
    if action is Action.WAIT_ON_CUSTOMER and status is Status.WAITING_ON_CUSTOMER:
        return ALREADY_WAITING
    if action is Action.ESCALATE:
        return escalation_refusal(clocks, policy, zone)
    return ""


def closed_refusal(status: Status) -> str:
    """Why nothing but a note, an assignment or reopening is allowed ("" while active)."""
    if status in ACTIVE:
        return ""
    return f"The incident is {_STATUS_WORDS[status]}: reopen it first."


def escalation_refusal(clocks: IncidentClocks, policy: Policy, zone: tzinfo) -> str:
    """Why the customer may not escalate to the next level now ("" when they may).

    A level is earned when the vendor misses the response it watches: the report's first
    response for Escalation 1, the response to Escalation 1 for Escalation 2.
    """
    level, top = clocks.escalation_level, len(policy.escalation_levels)
    if level >= top:
        return f"The incident is at Escalation {level}, the highest level."
    following = level + 1
    since = dict(clocks.eligibility).get(following)
    if since is not None and since < clocks.now:  # earned the instant after the deadline
        return ""
    watched = clocks.first_response if following == 1 else clocks.escalation_1
    what = "the report" if following == 1 else "Escalation 1"
    due = since if since is not None else (watched.deadline if watched.is_live else None)
    if due is not None:
        return (
            f"Escalation {following} becomes available at {when(due, zone)} if the vendor "
            f"has not responded to {what} by then."
        )
    stopped = watched.stopped_at
    closed = _CLOSED_BY.get(watched.stop_reason)
    if stopped is not None and closed:  # reopened
        return (
            f"Escalation {following} is not available: the clock for a response to {what} "
            f"stopped when the incident was {closed}."
        )
    if watched.state is ClockState.MET:
        at = f" at {when(stopped, zone)}" if stopped is not None else ""
        return (
            f"Escalation {following} is not available: the vendor responded to {what} "
            f"within the target{at}."
        )
    return f"Escalation {following} is not available: no response to {what} is being timed."


def escalation_note(clocks: IncidentClocks, zone: tzinfo) -> str:
    """Since when the next level may be escalated to ("" unless it may be now)."""
    following = clocks.escalation_level + 1
    since = dict(clocks.eligibility).get(following)
    if since is None or since > clocks.now:
        return ""
    return f"Eligible for Escalation {following} since {when(since, zone)}."


def unanswered(clocks: IncidentClocks) -> tuple[Clock, ...]:
    """The response clocks still waiting for a response to the customer (DESIGN §3).

    The first response, and the clock of each escalation level not yet answered. Resolving
    without a response counts each of them missed; a resolution message sent with the
    resolve is the response that stops them (met if at or before its deadline).
    """
    watched = (clocks.first_response, clocks.escalation_1, clocks.escalation_2)
    return tuple(clock for clock in watched if clock.is_live)


def unanswered_names(clocks: IncidentClocks) -> str:
    """``unanswered`` in words: "the first response and the response to Escalation 1"."""
    names = [_RESPONSE_NAMES[clock.kind] for clock in unanswered(clocks)]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
