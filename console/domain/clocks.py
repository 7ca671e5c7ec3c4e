"""SLA clocks (DESIGN §3): a pure function of an incident's events, its terms, the policy and now.

Nothing here is stored. ``evaluate`` replays the events once to fix every clock's instants
(start, at-risk, deadline, stop); ``IncidentClocks.at(now)`` then derives the states from those
instants with a handful of calendar calls, so a ticker can re-read states without replaying,
and ``next_transition_at`` tells it when the next displayed change happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from console.domain.calendar import BusinessCalendar
from console.domain.clock_model import (
    ANSWERS,
    Clock,
    ClockState,
    ClockType,
    IncidentClocks,
    PastDue,
    PauseReason,
    Terms,
    check_aware,
    derive_state,
    eligible_at,
)
from console.domain.events import EventKind, IncidentEvent, ordered
from console.domain.explain import explain
from console.domain.policy import ClockKind, Policy, Target
from console.domain.records import ACTIVE, Status

__all__ = [
    "Clock",
    "ClockState",
    "ClockType",
    "IncidentClocks",
    "PauseReason",
    "Terms",
    "evaluate",
    "explain",
]


# -- evaluation ------------------------------------------------------------------------------


def evaluate(
    events: Iterable[IncidentEvent], terms: Terms, policy: Policy, now: datetime
) -> IncidentClocks:
    """Replay an incident's events (any order) under ``policy`` and read the clocks at now.

    Raises ``KeyError`` when the terms' plan or an event's priority is not in ``policy``.
    """
    check_aware(now)
    return _Replay(terms, policy).run(ordered(events), now)


@cache
def _wall_calendar() -> BusinessCalendar:
    return BusinessCalendar.always_open()


@dataclass(slots=True)
class _Run:
    """A clock while the events are replayed (mutable; frozen into ``Clock`` at the end).

    The at-risk instant costs a calendar call, so it is worked out only for the run that is
    shown (``risk_instant``); runs replaced by a later update never need it.
    """

    kind: ClockType
    target: Target
    calendar: BusinessCalendar
    duration: timedelta
    threshold: timedelta
    started_at: datetime
    start_reason: str
    first_started_at: datetime
    deadline: datetime | None = None
    segment: tuple[datetime, timedelta] | None = None  # (running since, open time left then)
    risk_kept: datetime | None = None  # at risk already when paused
    missed_before: datetime | None = None
    missed_priority: str = ""
    waits: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    waiting_since: datetime | None = None
    frozen: timedelta | None = None
    stopped_at: datetime | None = None
    stop_reason: str = ""
    stop_state: ClockState | None = None
    sent_at: datetime | None = None  # an emailed answer: when the agent sent it
    queued_at: datetime | None = None  # an emailed answer waits in the outbox since

    @property
    def live(self) -> bool:
        return self.stop_state is None

    def add(self, start: datetime, duration: timedelta) -> datetime:
        if self.target.clock is ClockKind.WALL:  # 24x7: open time is real elapsed time
            return start + duration
        return self.calendar.add(start, duration)

    def run_from(self, at: datetime, left: timedelta) -> None:
        self.deadline, self.segment = self.add(at, left), (at, left)

    def risk_instant(self) -> datetime | None:
        """The first instant with at most ``threshold`` left (None while frozen)."""
        if self.risk_kept is not None or self.segment is None or self.deadline is None:
            return self.risk_kept
        start, left = self.segment
        return self.add(start, left - self.threshold) if left > self.threshold else start

    def late_at(self, at: datetime) -> bool:
        return self.deadline is not None and self.deadline < at

    def first_miss(self, at: datetime) -> datetime | None:
        """The earliest deadline of this clock missed by ``at``, if any."""
        if self.missed_before is not None:
            return self.missed_before
        return self.deadline if self.late_at(at) else None

    def stop(
        self,
        at: datetime,
        reason: str,
        state: ClockState | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        if not self.live:
            return
        self.sent_at, self.queued_at = sent_at, None
        if state is None:
            state = ClockState.MISSED if self.late_at(at) else ClockState.MET
        if self.waiting_since is not None:
            self.waits.append((self.waiting_since, at))
            self.waiting_since = None
        self.stopped_at, self.stop_reason, self.stop_state = at, reason, state

    def pause(self, at: datetime) -> None:
        if not self.live or self.waiting_since is not None:
            return
        self.waiting_since = at
        if self.deadline is not None and at < self.deadline:  # a breach is not undone
            if self.target.clock is ClockKind.WALL:
                left = self.deadline - at
            else:
                left = self.calendar.elapsed(at, self.deadline)
            if left <= self.threshold:
                self.risk_kept = self.risk_instant()
            self.frozen, self.deadline, self.segment = left, None, None

    def resume(self, at: datetime) -> None:
        if not self.live or self.waiting_since is None:
            return
        self.waits.append((self.waiting_since, at))
        self.waiting_since = None
        if self.frozen is not None:
            left, self.frozen = self.frozen, None
            self.run_from(at, left)

    def freeze(self, now: datetime, plan_name: str, terms: Terms) -> Clock:
        at_risk_at = self.risk_instant()
        if self.stop_state is None:
            derived = derive_state(
                now,
                self.target,
                self.calendar,
                deadline=self.deadline,
                at_risk_at=at_risk_at,
                frozen=self.frozen,
            )
        else:
            derived = (self.stop_state, None, None, None, None)
        state, wall, business, resumes, pause = derived
        return Clock(
            kind=self.kind,
            state=state,
            now=now,
            target=self.target,
            calendar=self.calendar,
            plan_name=plan_name,
            window_name=terms.window_name,
            window_zone=terms.calendar.zone_name,
            duration=self.duration,
            threshold=self.threshold,
            started_at=self.started_at,
            start_reason=self.start_reason,
            first_started_at=self.first_started_at,
            missed_before=self.missed_before,
            missed_priority=self.missed_priority,
            deadline=self.deadline,
            at_risk_at=at_risk_at,
            stopped_at=self.stopped_at,
            stop_reason=self.stop_reason,
            sent_at=self.sent_at,
            queued_at=self.queued_at,
            waits=(*self.waits, *([(self.waiting_since, None)] if self.waiting_since else [])),
            frozen_remaining=self.frozen,
            wall_remaining=wall,
            business_remaining=business,
            resumes_at=resumes,
            pause_reason=pause,
        )


class _Replay:
    """Walks the ordered events once, keeping the clocks of DESIGN §3."""

    def __init__(self, terms: Terms, policy: Policy) -> None:
        self.terms, self.policy = terms, policy
        self.status = Status.OPEN
        self.priority = ""
        self.proposed = ""
        self.level = 0
        self.opened_at: datetime | None = None
        self.responded_at: datetime | None = None
        self.excluded_reason = ""
        self.missed_updates = 0
        self.first: _Run | None = None
        self.update: _Run | None = None
        self.update_note = "not due before the first response"
        self.escalations: dict[int, _Run] = {}
        self.missed: dict[int, datetime] = {}  # escalation level -> eligible since
        self.past_updates: list[PastDue] = []
        # Emailed answers in the outbox, by Message-ID: (RESPONDED or STATUS_UPDATE, sent at).
        self.queued: dict[str, tuple[EventKind, datetime]] = {}
        # Resolved (at this instant) while an emailed response was on its way: the response
        # clocks stay open until the mail is accepted or fails.
        self.held_since: datetime | None = None

    # -- helpers --

    def start(
        self, kind: ClockType, target: Target, at: datetime, reason: str, paused: bool = False
    ) -> _Run:
        cal = self.terms.calendar if target.clock is ClockKind.BUSINESS else _wall_calendar()
        duration = target.duration(cal)
        threshold = self.policy.at_risk_threshold(duration)
        run = _Run(kind, target, cal, duration, threshold, at, reason, at)
        if paused:
            run.waiting_since, run.frozen = at, duration
        else:
            run.run_from(at, duration)
        return run

    def restart(self, old: _Run, target: Target, at: datetime, reason: str, paused: bool) -> _Run:
        run = self.start(old.kind, target, at, reason, paused)
        run.first_started_at = old.first_started_at
        run.missed_before = old.first_miss(at)
        if run.missed_before is not None:
            run.missed_priority = old.missed_priority or old.target.priority
        return run

    def start_updates(self, at: datetime, reason: str, sent_at: datetime | None = None) -> None:
        """Start (or restart) the status-update clock at ``at`` with the current cadence."""
        old = self.update
        if old is not None and old.live:
            self.settle_update(old, at, reason, sent_at)
        cadence = self.policy.cadence(self.terms.plan, self.priority)
        if cadence is None:
            self.update = None
            self.update_note = f"no status updates are owed for {self.priority}"
            return
        waiting = self.status is Status.WAITING_ON_CUSTOMER
        self.update = self.start(ClockType.STATUS_UPDATE, cadence, at, reason, waiting)

    def settle_update(
        self, run: _Run, at: datetime, reason: str, sent_at: datetime | None = None
    ) -> None:
        """Stop the status-update clock ``run`` at ``at`` and decide its due time.

        An update or response meets it by its deadline; anything else that stops it (a
        priority change, resolving) only decides it when the deadline had already passed.
        """
        late = run.late_at(at)
        answered = reason in ANSWERS
        if late:
            self.missed_updates += 1
        if run.deadline is not None and (late or answered):
            self.past_updates.append(
                PastDue(run.deadline, run.target.priority, at if answered else None, not late)
            )
        state = None if answered or late else ClockState.NOT_APPLICABLE
        run.stop(at, reason, state, sent_at if answered else None)

    def record_miss(self, level: int, run: _Run | None, at: datetime) -> None:
        """Remember that ``run`` missed a deadline by ``at``: escalation ``level`` is earned."""
        if run is None or level > len(self.policy.escalation_levels):
            return
        since = run.first_miss(at)
        if since is not None and level not in self.missed:
            self.missed[level] = since

    def response_runs(self) -> list[tuple[int, _Run]]:
        runs = [(1, self.first)] if self.first is not None else []
        runs += [(lv + 1, run) for lv, run in sorted(self.escalations.items())]
        return [(lv, run) for lv, run in runs if run.live]

    # -- replay --

    def run(self, events: list[IncidentEvent], now: datetime) -> IncidentClocks:
        opened = next((e for e in events if e.kind is EventKind.OPENED), None)
        if opened is not None:
            self.on_opened(opened)
            for event in events:
                if event is not opened and event.kind is not EventKind.OPENED:
                    self.apply(event)
        return self.result(now)

    def on_opened(self, event: IncidentEvent) -> None:
        self.opened_at = event.at
        channel = str(event.data.get("channel") or "")
        self.priority = str(
            event.data.get("priority")
            or self.policy.default_priority(channel)
            or self.policy.priority_ids[-1]
        )
        self.proposed = str(event.data.get("proposed_priority") or "")
        target = self.policy.target(self.terms.plan, self.priority)
        reason = "when the incident was received"
        self.first = self.start(ClockType.FIRST_RESPONSE, target, event.at, reason)

    def apply(self, event: IncidentEvent) -> None:
        at, kind, data = event.at, event.kind, event.data
        active = self.status in ACTIVE
        mailed = _queued_mail(data) if kind in _ANSWER_KINDS else ""
        if mailed and active:  # by email: it counts when the mail server accepts it
            self.queued.setdefault(mailed, (kind, at))
        elif kind is EventKind.RESPONDED and active:
            self.on_response(at)
        elif kind is EventKind.STATUS_UPDATE and active and self.responded_at is not None:
            self.start_updates(at, "after the status update")
        elif kind is EventKind.MAIL_SENT:
            self.on_mail_sent(at, str(data.get("message_id") or ""), active)
        elif kind is EventKind.MAIL_FAILED:
            self.queued.pop(str(data.get("message_id") or ""), None)
            self.settle_held()
        elif kind is EventKind.PRIORITY_CHANGED:
            self.on_priority(at, str(data.get("priority") or ""), str(data.get("side") or ""))
        elif kind is EventKind.ESCALATED and active:
            self.on_escalated(at, int(data.get("level") or 1))
        elif kind is EventKind.WAITING_ON_CUSTOMER and self.status is Status.OPEN:
            self.status = Status.WAITING_ON_CUSTOMER
            if self.update is not None:
                self.update.pause(at)
        elif kind is EventKind.RESUMED and self.status is Status.WAITING_ON_CUSTOMER:
            self.status = Status.OPEN
            if self.update is not None:
                self.update.resume(at)
        elif kind is EventKind.EXCLUDED and active:
            self.excluded_reason = str(data.get("reason") or "")
            self.close(at, Status.EXCLUDED, "excluded")
        elif kind is EventKind.RESOLVED and active:
            self.close(at, Status.RESOLVED, "resolved")
        elif kind is EventKind.REOPENED and not active:
            self.status = Status.OPEN
            self.held_since = None  # clocks kept open over the resolve simply run on
            self.missed.clear()
            self.start_updates(at, "when the incident was reopened")

    def on_response(self, at: datetime, sent_at: datetime | None = None) -> None:
        for level, run in self.response_runs():
            self.record_miss(level, run, at)
            run.stop(at, "responded", sent_at=sent_at)
        if self.responded_at is None:
            self.responded_at = at
            self.start_updates(at, "after the first response", sent_at)
        else:
            self.start_updates(at, "after the response", sent_at)

    def on_mail_sent(self, at: datetime, message_id: str, active: bool) -> None:
        """The mail server accepted an emailed answer: it counts now (DESIGN §3)."""
        queued = self.queued.pop(message_id, None)
        if queued is None:
            return
        kind, sent_at = queued
        if not active:
            if kind is EventKind.RESPONDED and self.held_since is not None:
                # Resolved while its answer was on its way: the answer still counts.
                for _, run in self.response_runs():
                    run.stop(at, "responded", sent_at=sent_at)
                self.responded_at = self.responded_at or at
                self.settle_held()
            return
        if kind is EventKind.RESPONDED:
            self.on_response(at, sent_at)
        elif self.responded_at is not None:
            self.start_updates(at, "after the status update", sent_at)

    def on_priority(self, at: datetime, new: str, side: str) -> None:
        if not new:
            return
        old, self.priority = self.priority, new
        if side == "customer":
            self.proposed = new
        if new == old or self.status not in ACTIVE:
            return
        reason = f"when the priority changed from {old} to {new}"
        first = self.first
        if self.responded_at is None and first is not None and first.live:
            self.record_miss(1, first, at)
            target = self.policy.target(self.terms.plan, new)
            self.first = self.restart(first, target, at, reason, paused=False)
        elif self.responded_at is not None:
            self.start_updates(at, reason)

    def on_escalated(self, at: datetime, level: int) -> None:
        if level in self.escalations or level not in (1, 2):  # the ladder has two levels
            return
        self.level = max(self.level, level)
        target = self.policy.target(self.terms.plan, self.priority)
        kind = ClockType.ESCALATION_1 if level == 1 else ClockType.ESCALATION_2
        reason = f"when the customer escalated to Escalation {level}"
        self.escalations[level] = self.start(kind, target, at, reason)

    def settle_held(self) -> None:
        """Once no emailed response is on its way any more, response clocks kept open over a
        resolve are decided: missed at the resolve, as resolving without a response is."""
        held = self.held_since
        if held is None or any(k is EventKind.RESPONDED for k, _ in self.queued.values()):
            return
        self.held_since = None
        for _, run in self.response_runs():
            run.stop(held, "resolved without a response", ClockState.MISSED)

    def close(self, at: datetime, status: Status, reason: str) -> None:
        self.status = status
        self.missed.clear()
        mailed = any(k is EventKind.RESPONDED for k, _ in self.queued.values())
        holding = status is Status.RESOLVED and mailed and bool(self.response_runs())
        # Resolved right after answering by email: the response counts when the server
        # accepts it, so its clocks wait for the mail instead of being missed now.
        self.held_since = at if holding else None
        for _, run in [] if holding else self.response_runs():
            if status is Status.EXCLUDED:
                run.stop(at, reason, ClockState.NOT_APPLICABLE)
            else:  # resolving is not a response: an unanswered clock is missed (DESIGN §3)
                run.stop(at, "resolved without a response", ClockState.MISSED)
        update = self.update
        if update is not None and update.live:
            if status is Status.EXCLUDED:
                update.stop(at, reason, ClockState.NOT_APPLICABLE)
            else:
                self.settle_update(update, at, reason)

    # -- result --

    def result(self, now: datetime) -> IncidentClocks:
        plan_name = self._plan_name()
        self.mark_queued()

        def frozen(run: _Run | None, kind: ClockType, note: str) -> Clock:
            if run is None:
                return Clock(kind=kind, state=ClockState.NOT_APPLICABLE, now=now, note=note)
            return run.freeze(now, plan_name, self.terms)

        eligibility: list[tuple[int, datetime]] = []
        if self.status in ACTIVE:
            levels = {1: self.first, 2: self.escalations.get(1)}
            for level, run in levels.items():
                since = self.missed.get(level)
                if since is None and run is not None and run.live and run.deadline is not None:
                    since = run.missed_before or run.deadline
                allowed = self.level < level <= len(self.policy.escalation_levels)
                if since is not None and allowed:
                    eligibility.append((level, since))
        no_escalation = "the customer has not escalated"
        eligible_level, eligible_since = eligible_at(tuple(eligibility), now)
        return IncidentClocks(
            now=now,
            status=self.status,
            plan=self.terms.plan,
            priority=self.priority,
            proposed_priority=self.proposed,
            escalation_level=self.level,
            eligible_level=eligible_level,
            eligible_since=eligible_since,
            first_response=frozen(self.first, ClockType.FIRST_RESPONSE, "no OPENED event"),
            status_update=frozen(self.update, ClockType.STATUS_UPDATE, self.update_note),
            escalation_1=frozen(self.escalations.get(1), ClockType.ESCALATION_1, no_escalation),
            escalation_2=frozen(self.escalations.get(2), ClockType.ESCALATION_2, no_escalation),
            responded_at=self.responded_at,
            excluded_reason=self.excluded_reason,
            missed_updates=self.missed_updates,
            eligibility=tuple(eligibility),
            past_updates=tuple(self.past_updates),
        )

    def mark_queued(self) -> None:
        """Say on each live clock an emailed answer would stop that it waits in the outbox."""
        if self.status not in ACTIVE and self.held_since is None:
            return
        for kind, sent_at in self.queued.values():
            runs = [run for _, run in self.response_runs()]
            if kind is EventKind.STATUS_UPDATE or not runs:
                runs = [self.update] if self.update is not None and self.update.live else []
            for run in runs:
                run.queued_at = min(run.queued_at or sent_at, sent_at)

    def _plan_name(self) -> str:
        try:
            return self.policy.plan(self.terms.plan).name
        except KeyError:
            return self.terms.plan


_ANSWER_KINDS = frozenset({EventKind.RESPONDED, EventKind.STATUS_UPDATE})


def _queued_mail(data: Mapping[str, Any]) -> str:
    """The Message-ID of an answer sent through the outbox ('' for one that counted when it
    was recorded: by phone, on the status page, or recorded before the outbox existed)."""
    mail = data.get("mail")
    if not isinstance(mail, Mapping):
        return ""
    message_id = mail.get("message_id")
    return message_id if isinstance(message_id, str) else ""
