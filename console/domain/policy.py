"""The support policy as data: windows, priorities, plans, targets, cadences, escalation.

The policy is TOML text (``resources/policy.toml`` holds the defaults, DESIGN §2). Versions are
stored as text in the database, so ``Policy.to_toml()`` must load back to an equal policy.
Loading validates everything and names the offending key and value, because a lead edits this
by hand and needs to know exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from console.domain.calendar import BusinessCalendar
from console.domain.events import Channel, Side

DEFAULT_POLICY_PATH = Path(__file__).resolve().parents[2] / "resources" / "policy.toml"

_SPAN = re.compile(r"^(?:(?P<bd>\d+)bd)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")
_SPAN_TEXT_MAX = 40  # "90bd2160h59m" and then some: longer text is no duration

# The longest target or status-update cadence a policy may set. Beyond a quarter of a year a
# deadline means nothing to a customer, and a span of years on a window open a few hours a
# week would put deadlines past the last year the calendar computes.
MAX_BUSINESS_DAYS = 90
MAX_HOURS = 2_160  # 90 days
SPAN_BOUNDS = (
    f"at most {MAX_BUSINESS_DAYS} business days ({MAX_BUSINESS_DAYS}bd) "
    f"and at most {MAX_HOURS:,} hours ({MAX_HOURS}h)"
)


class PolicyError(ValueError):
    """A policy text that cannot be used; the message names the key path and the value."""


class ClockKind(StrEnum):
    """Which clock a target runs on."""

    WALL = "24x7"  # wall clock, around the clock
    BUSINESS = "business"  # the customer's window hours


class CadenceClock(StrEnum):
    """Which clock a status-update cadence runs on."""

    WALL = "24x7"
    BUSINESS = "business"
    TARGET = "target"  # the same clock as the plan's response target for that priority


@dataclass(frozen=True, slots=True)
class Span:
    """A length of time as written in the policy: whole business days plus minutes.

    Minutes count on whatever clock the target uses; business days are resolved against a
    calendar (N × its business day) only when a clock starts.
    """

    business_days: int = 0
    minutes: int = 0

    @classmethod
    def parse(cls, text: str) -> Span:
        """Parse ``15m``, ``2h``, ``1h30m``, ``2bd``; raise ``ValueError`` otherwise."""
        short = isinstance(text, str) and len(text) <= _SPAN_TEXT_MAX
        match = _SPAN.match(text.strip().lower()) if short else None
        if match is None or not any(match.groups()):
            raise ValueError(f"{text!r} is not a duration like 15m, 2h or 1bd")
        bd, h, m = (int(g) if g else 0 for g in match.group("bd", "h", "m"))
        return cls(business_days=bd, minutes=h * 60 + m)

    def __str__(self) -> str:
        parts = []
        if self.business_days:
            parts.append(f"{self.business_days}bd")
        hours, minutes = divmod(self.minutes, 60)
        if hours:
            parts.append(f"{hours}h")
        if minutes or not parts:
            parts.append(f"{minutes}m")
        return "".join(parts)

    @property
    def is_zero(self) -> bool:
        return self.business_days == 0 and self.minutes == 0

    @property
    def within_bounds(self) -> bool:
        """Whether a policy may set this span (:data:`SPAN_BOUNDS`)."""
        return self.business_days <= MAX_BUSINESS_DAYS and self.minutes <= MAX_HOURS * 60

    def resolve(self, business_day: timedelta) -> timedelta:
        """The span as a duration, given the length of one business day."""
        return business_day * self.business_days + timedelta(minutes=self.minutes)

    def describe(self) -> str:
        """Readable form: ``2 business days``, ``1 h 30 min``, ``15 min``."""
        parts = []
        if self.business_days:
            unit = "business day" if self.business_days == 1 else "business days"
            parts.append(f"{self.business_days} {unit}")
        hours, minutes = divmod(self.minutes, 60)
        if hours:
            parts.append(f"{hours} h")
        if minutes:
            parts.append(f"{minutes} min")
        return " ".join(parts) or "0 min"


@dataclass(frozen=True, slots=True)
class Target:
    """A response target or update cadence: how long, on which clock, and who set it."""

    span: Span
    clock: ClockKind
    plan: str = ""
    priority: str = ""
    assumed: bool = False
    clock_from_target: bool = False  # a cadence running on the same clock as the target

    def duration(self, calendar: BusinessCalendar) -> timedelta:
        """The target as open time on ``calendar`` (business days use its business day)."""
        if self.span.business_days == 0:
            return timedelta(minutes=self.span.minutes)
        return self.span.resolve(calendar.business_day())

    def describe(self) -> str:
        where = "on the 24×7 clock" if self.clock is ClockKind.WALL else "in business hours"
        return f"{self.span.describe()} {where}"


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often status updates are owed for a priority; ``every`` None means never."""

    priority: str
    every: Span | None
    clock: CadenceClock = CadenceClock.TARGET
    assumed: bool = False


@dataclass(frozen=True, slots=True)
class PriorityInfo:
    id: str
    label: str
    definition: str


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A support window as the policy defines it; ``calendar()`` builds its clock."""

    id: str
    name: str
    zone: str
    hours: str
    holidays: tuple[date, ...] = ()
    holiday_country: str = ""
    holiday_subdivision: str = ""

    def calendar(self) -> BusinessCalendar:
        return _calendar(
            self.hours, self.zone, self.holidays, self.holiday_country, self.holiday_subdivision
        )


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    name: str
    priority_set_by: Side
    named_account_manager: bool
    targets: tuple[Target, ...]

    def target(self, priority: str) -> Target:
        for target in self.targets:
            if target.priority == priority:
                return target
        raise KeyError(f"plan {self.id!r} has no target for priority {priority!r}")

    @property
    def customer_proposes(self) -> bool:
        return self.priority_set_by is Side.CUSTOMER


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    level: int
    role: str  # the vendor-side role contacted at this level
    description: str = ""


@dataclass(frozen=True, slots=True)
class ExclusionReason:
    code: str  # "i" .. "iv"
    text: str


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    priorities: tuple[PriorityInfo, ...]
    windows: tuple[WindowSpec, ...]
    plans: tuple[Plan, ...]
    cadences: tuple[Cadence, ...]
    channel_defaults: tuple[tuple[Channel, str], ...]
    at_risk_percent: float
    at_risk_minimum: timedelta
    escalation_levels: tuple[EscalationLevel, ...]
    exclusions: tuple[ExclusionReason, ...]
    support_list_stale_days: int
    # Email (DESIGN §11): a customer's reply within this many days of resolving reopens the
    # incident, later it opens a new one linked to it; one sender may send this many messages
    # in this long before the rest wait in the Inbox (a mail loop stops here).
    reopen_days: int = 14
    sender_limit: int = 10
    sender_limit_window: timedelta = timedelta(minutes=10)

    # -- look-ups ---------------------------------------------------------------------------

    @property
    def priority_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.priorities)

    def priority(self, priority_id: str) -> PriorityInfo:
        return _find(self.priorities, "id", priority_id, "priority")

    def plan(self, plan_id: str) -> Plan:
        return _find(self.plans, "id", plan_id, "plan")

    def window(self, window_id: str) -> WindowSpec:
        return _find(self.windows, "id", window_id, "window")

    def escalation_level(self, level: int) -> EscalationLevel:
        return _find(self.escalation_levels, "level", level, "escalation level")

    def exclusion(self, code: str) -> ExclusionReason:
        return _find(self.exclusions, "code", code, "exclusion reason")

    def default_priority(self, channel: Channel | str) -> str | None:
        """The priority a new incident from ``channel`` starts with, if the policy sets one."""
        for ch, priority in self.channel_defaults:
            if ch == channel:
                return priority
        return None

    def target(self, plan: str, priority: str) -> Target:
        """The initial-response target for ``plan`` and ``priority``."""
        return self.plan(plan).target(priority)

    def cadence(self, plan: str, priority: str) -> Target | None:
        """The status-update cadence for ``plan`` and ``priority``, or None if none is owed."""
        cadence = _find(self.cadences, "priority", priority, "priority")
        if cadence.every is None:
            return None
        response = self.target(plan, priority)
        if cadence.clock is CadenceClock.TARGET:
            clock = response.clock
        else:
            clock = ClockKind(cadence.clock.value)
        return Target(
            span=cadence.every,
            clock=clock,
            plan=plan,
            priority=priority,
            assumed=cadence.assumed,
            clock_from_target=cadence.clock is CadenceClock.TARGET,
        )

    def at_risk_threshold(self, target_duration: timedelta) -> timedelta:
        """Remaining time at or below which a clock of this length is at risk."""
        share = target_duration * (self.at_risk_percent / 100)
        return max(share, self.at_risk_minimum)

    # -- text -------------------------------------------------------------------------------

    def to_toml(self) -> str:
        """Policy text that ``load_policy`` reads back to an equal policy."""
        from console.domain.policy_toml import dump_policy  # noqa: PLC0415 (import cycle)

        return dump_policy(self)


def _find(items: Iterable[Any], attr: str, value: object, what: str) -> Any:
    for item in items:
        if getattr(item, attr) == value:
            return item
    raise KeyError(f"unknown {what} {value!r}")


@lru_cache(maxsize=256)
def _calendar(
    hours: str, zone: str, holidays: tuple[date, ...], country: str, subdivision: str
) -> BusinessCalendar:
    return BusinessCalendar.parse(
        hours,
        zone,
        holidays=holidays,
        holiday_country=country or None,
        holiday_subdivision=subdivision or None,
    )


# -- loading ---------------------------------------------------------------------------------


def load_default_policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def load_policy(text: str) -> Policy:
    """Parse and validate policy TOML; raise ``PolicyError`` naming the bad key and value."""
    from console.domain.policy_toml import parse_policy  # noqa: PLC0415 (import cycle)

    return parse_policy(text)
