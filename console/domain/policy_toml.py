"""Policy TOML: parsing with validation that names each bad key, and writing it back.

``parse_policy(dump_policy(p)) == p`` for every valid policy: versions are stored as text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import holidays as holidays_pkg

from console.domain.calendar import zone_problem
from console.domain.events import Channel, Side
from console.domain.policy import (
    SPAN_BOUNDS,
    Cadence,
    CadenceClock,
    ClockKind,
    EscalationLevel,
    ExclusionReason,
    Plan,
    Policy,
    PolicyError,
    PriorityInfo,
    Span,
    Target,
    WindowSpec,
)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ID = _BARE_KEY

POLICY_MAX_BYTES = 1024 * 1024  # the default policy is 4 KiB
POLICY_MAX_DEPTH = 16  # arrays and inline tables inside each other; the default needs 2
STALE_DAYS_MAX = 3650  # ten years, as the policy editor offers
REOPEN_DAYS_MAX = 3650
SENDER_LIMIT_MAX = 10_000
HOURS_MAX = 500  # a window's hours text; a week of several ranges a day takes under 300
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but tab and line breaks

_HEADER = """\
# Support policy (DESIGN §2). A lead edits this in the app; every saved version is kept.
# Values with `assumed = true` were not published by the vendor: placeholders to edit.
# Durations: m = minutes, h = hours, bd = business days, combined like "1h30m". A business
# day is the window's open time on one day (8.5 h for 09:00-17:30).
# Clocks: "24x7" runs on the wall clock; "business" runs only in the customer's window hours;
# a status-update cadence on "target" runs on the same clock as that priority's target."""


def dump_policy(policy: Policy) -> str:
    out: list[str] = [_HEADER, ""]
    out.append(f"name = {_quote(policy.name)}")
    out += ["", "# A clock is at risk when its remaining time is at most this share of its target,"]
    out.append("# and never less than the minimum.")
    out.append("[at_risk]")
    out.append(f"percent = {_number(policy.at_risk_percent)}")
    minutes = int(policy.at_risk_minimum.total_seconds() // 60)
    out.append(f'minimum = "{_minutes_text(minutes)}"')
    out += ["", "# A customer's support list is flagged when not confirmed for this long."]
    out.append("[support_list]")
    out.append(f"stale_after_days = {policy.support_list_stale_days}")
    out += ["", "# A customer's reply within reopen_days of resolving reopens the incident; later"]
    out.append("# it opens a new one, linked. One sender may send sender_limit messages in")
    out.append("# sender_window before the rest wait in the Inbox (a mail loop stops there).")
    out.append("[mail]")
    out.append(f"reopen_days = {policy.reopen_days}")
    out.append(f"sender_limit = {policy.sender_limit}")
    window = int(policy.sender_limit_window.total_seconds() // 60)
    out.append(f'sender_window = "{_minutes_text(window)}"')
    out += ["", "# The priority a new incident starts with, by the channel it arrived on."]
    out.append("[channel_defaults]")
    out += [f"{_key(ch.value)} = {_quote(pid)}" for ch, pid in policy.channel_defaults]
    for p in policy.priorities:
        out += ["", f"[priorities.{_key(p.id)}]"]
        out.append(f"label = {_quote(p.label)}")
        out.append(f"definition = {_quote(p.definition)}")
    for w in policy.windows:
        out += ["", f"[windows.{_key(w.id)}]"]
        out.append(f"name = {_quote(w.name)}")
        out.append(f"zone = {_quote(w.zone)}")
        out.append(f"hours = {_quote(w.hours)}")
        out.append(f"holidays = [{', '.join(d.isoformat() for d in w.holidays)}]")
        if w.holiday_country:
            out.append(f"holiday_country = {_quote(w.holiday_country)}")
        if w.holiday_subdivision:
            out.append(f"holiday_subdivision = {_quote(w.holiday_subdivision)}")
    for plan in policy.plans:
        out += ["", f"[plans.{_key(plan.id)}]"]
        out.append(f"name = {_quote(plan.name)}")
        out.append(f"priority_set_by = {_quote(plan.priority_set_by.value)}")
        out.append(f"named_account_manager = {'true' if plan.named_account_manager else 'false'}")
        out.append(f"[plans.{_key(plan.id)}.targets]")
        out += [_target_line(t) for t in plan.targets]
    out += ["", "# Status updates owed after the first response, by priority."]
    out.append("[status_updates]")
    out += [_cadence_line(c) for c in policy.cadences]
    for level in policy.escalation_levels:
        out += ["", "[[escalation]]", f"level = {level.level}", f"role = {_quote(level.role)}"]
        if level.description:
            out.append(f"description = {_quote(level.description)}")
    out += ["", "# Incidents the vendor owes no support for; excluding one stops its clocks."]
    out.append("[exclusions]")
    out += [f"{_key(e.code)} = {_quote(e.text)}" for e in policy.exclusions]
    return "\n".join(out) + "\n"


def _target_line(t: Target) -> str:
    fields = [f'target = "{t.span}"', f"clock = {_quote(t.clock.value)}"]
    if t.assumed:
        fields.append("assumed = true")
    return f"{_key(t.priority)} = {{ {', '.join(fields)} }}"


def _cadence_line(c: Cadence) -> str:
    if c.every is None:
        fields = ['every = "none"']
    else:
        fields = [f'every = "{c.every}"', f"clock = {_quote(c.clock.value)}"]
    if c.assumed:
        fields.append("assumed = true")
    return f"{_key(c.priority)} = {{ {', '.join(fields)} }}"


def _minutes_text(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _quote(key)


def _quote(value: str) -> str:
    """A TOML basic string; escapes what TOML forbids raw (quotes, backslash, controls)."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# -- parsing ---------------------------------------------------------------------------------


def parse_policy(text: str) -> Policy:
    """Parse and validate policy TOML; raise ``PolicyError`` naming the bad key and value.

    The text is bounded before it is parsed: at most :data:`POLICY_MAX_BYTES` of UTF-8 and
    :data:`POLICY_MAX_DEPTH` levels of nesting (the parser recurses per level), and no lone
    surrogate, which no database or file can hold.
    """
    if not isinstance(text, str):
        raise PolicyError(f"policy: the policy must be text, not {type(text).__name__}")
    broken = _SURROGATE.search(text)
    if broken:
        line = text.count("\n", 0, broken.start()) + 1
        raise PolicyError(
            f"policy: line {line} contains a broken character (U+{ord(broken.group()):04X}, "
            "half of a character pair) that cannot be saved"
        )
    size = len(text.encode("utf-8"))
    if size > POLICY_MAX_BYTES:
        raise PolicyError(
            f"policy: the text is {size:,} bytes; a policy is at most {POLICY_MAX_BYTES:,} "
            f"bytes ({POLICY_MAX_BYTES // (1024 * 1024)} MiB)"
        )
    _check_nesting(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy is not valid TOML: {exc}") from exc
    except RecursionError:  # _check_nesting keeps well inside the limit; never a traceback
        raise PolicyError(
            f"policy: values are nested too deeply (at most {POLICY_MAX_DEPTH} levels)"
        ) from None
    return _Loader().policy(data)


def _check_nesting(text: str) -> None:
    """Refuse arrays and inline tables nested more than :data:`POLICY_MAX_DEPTH` deep.

    A scan of the TOML lexical structure: brackets and braces count outside strings (basic,
    literal and their multi-line forms) and comments. Table headers (``[a]``, ``[[a]]``) close
    on their own line, so they add at most two levels for an instant.
    """
    depth, line, i, n = 0, 1, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "[{":
            depth += 1
            if depth > POLICY_MAX_DEPTH:
                raise PolicyError(
                    f"policy: line {line} nests arrays or tables more than "
                    f"{POLICY_MAX_DEPTH} levels deep"
                )
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == "\n":
            line += 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if ch == '"' and text[j] == "\\":
                    j += 1  # an escape: the next character cannot close the string
                elif text[j] == "\n" and len(quote) == 1:
                    break  # TOML ends a one-line string here (the parser reports it)
                j += 1
            line += text.count("\n", i, j)
            i = j + len(quote)
            continue
        i += 1


_TOP_KEYS = (
    "name",
    "at_risk",
    "support_list",
    "channel_defaults",
    "mail",
    "priorities",
    "windows",
    "plans",
    "status_updates",
    "escalation",
    "exclusions",
)


class _Loader:
    """Walks the parsed TOML, checking each value where it is read."""

    def policy(self, data: dict[str, Any]) -> Policy:
        _keys(data, "", _TOP_KEYS, required=tuple(k for k in _TOP_KEYS[1:] if k != "mail"))
        name = _string(data.get("name", ""), "name", allow_empty=True)
        priorities = self.priorities(_table(data["priorities"], "priorities"))
        ids = tuple(p.id for p in priorities)
        at_risk = _table(data["at_risk"], "at_risk")
        _keys(at_risk, "at_risk", ("percent", "minimum"), required=("percent", "minimum"))
        percent = at_risk["percent"]
        if isinstance(percent, bool) or not isinstance(percent, int | float):
            raise _err("at_risk.percent", percent, "is not a number")
        if not 0 <= percent <= 100:
            raise _err("at_risk.percent", percent, "is outside 0-100")
        minimum = _span(at_risk["minimum"], "at_risk.minimum", allow_zero=True)
        if minimum.business_days:
            raise _err("at_risk.minimum", at_risk["minimum"], "must be in hours and minutes")
        support_list = _table(data["support_list"], "support_list")
        _keys(support_list, "support_list", ("stale_after_days",), required=("stale_after_days",))
        stale = support_list["stale_after_days"]
        if isinstance(stale, bool) or not isinstance(stale, int) or stale <= 0:
            raise _err("support_list.stale_after_days", stale, "is not a positive whole number")
        if stale > STALE_DAYS_MAX:
            raise _err(
                "support_list.stale_after_days",
                stale,
                f"is too long: at most {STALE_DAYS_MAX} days (ten years)",
            )
        return Policy(
            name=name,
            priorities=priorities,
            windows=self.windows(_table(data["windows"], "windows")),
            plans=self.plans(_table(data["plans"], "plans"), ids),
            cadences=self.cadences(_table(data["status_updates"], "status_updates"), ids),
            channel_defaults=self.channels(
                _table(data["channel_defaults"], "channel_defaults"), ids
            ),
            at_risk_percent=float(percent),
            at_risk_minimum=timedelta(minutes=minimum.minutes),
            escalation_levels=self.escalation(data["escalation"]),
            exclusions=self.exclusions(_table(data["exclusions"], "exclusions")),
            support_list_stale_days=stale,
            **self.mail(_table(data.get("mail", {}), "mail")),
        )

    @staticmethod
    def mail(table: dict[str, Any]) -> dict[str, Any]:
        """The optional ``[mail]`` table (policies saved before it existed lack it)."""
        _keys(table, "mail", ("reopen_days", "sender_limit", "sender_window"))
        out: dict[str, Any] = {}
        for key, field, top in (
            ("reopen_days", "reopen_days", REOPEN_DAYS_MAX),
            ("sender_limit", "sender_limit", SENDER_LIMIT_MAX),
        ):
            if key not in table:
                continue
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise _err(f"mail.{key}", value, "is not a positive whole number")
            if value > top:
                raise _err(f"mail.{key}", value, f"is too large: at most {top}")
            out[field] = value
        if "sender_window" in table:
            span = _span(table["sender_window"], "mail.sender_window")
            if span.business_days or span.minutes > 24 * 60:
                raise _err(
                    "mail.sender_window",
                    table["sender_window"],
                    "must be in hours and minutes, at most 24h",
                )
            out["sender_limit_window"] = timedelta(minutes=span.minutes)
        return out

    def priorities(self, table: dict[str, Any]) -> tuple[PriorityInfo, ...]:
        if not table:
            raise PolicyError("priorities: at least one priority is required")
        out = []
        for pid, raw in table.items():
            path = f"priorities.{pid}"
            _check_id(pid, path)
            entry = _table(raw, path)
            _keys(entry, path, ("label", "definition"), required=("label", "definition"))
            out.append(
                PriorityInfo(
                    id=pid,
                    label=_string(entry["label"], f"{path}.label"),
                    definition=_string(entry["definition"], f"{path}.definition"),
                )
            )
        return tuple(out)

    def windows(self, table: dict[str, Any]) -> tuple[WindowSpec, ...]:
        if not table:
            raise PolicyError("windows: at least one support window is required")
        out = []
        allowed = ("name", "zone", "hours", "holidays", "holiday_country", "holiday_subdivision")
        for wid, raw in table.items():
            path = f"windows.{wid}"
            _check_id(wid, path)
            entry = _table(raw, path)
            _keys(entry, path, allowed, required=("name", "zone", "hours"))
            zone = _string(entry["zone"], f"{path}.zone")
            problem = zone_problem(zone)
            if problem is not None:
                raise _err(f"{path}.zone", zone, f"is not a known IANA time zone: {problem}")
            raw_days = entry.get("holidays", [])
            if not isinstance(raw_days, list):
                raise _err(f"{path}.holidays", raw_days, "is not a list of dates")
            days = tuple(_date(d, f"{path}.holidays[{i}]") for i, d in enumerate(raw_days))
            country = _string(entry.get("holiday_country", ""), f"{path}.holiday_country", True)
            subdiv = _string(
                entry.get("holiday_subdivision", ""), f"{path}.holiday_subdivision", True
            )
            if subdiv and not country:
                raise _err(f"{path}.holiday_subdivision", subdiv, "needs a holiday_country")
            if country:
                _check_country(country, subdiv, path)
            hours = _string(entry["hours"], f"{path}.hours")
            if len(hours) > HOURS_MAX:
                raise _err(
                    f"{path}.hours", hours, f"is {len(hours):,} characters; at most {HOURS_MAX} fit"
                )
            spec = WindowSpec(
                id=wid,
                name=_string(entry["name"], f"{path}.name"),
                zone=zone,
                hours=hours,
                holidays=tuple(sorted(set(days))),
                holiday_country=country,
                holiday_subdivision=subdiv,
            )
            try:
                spec.calendar()
            except ValueError as exc:
                raise _err(f"{path}.hours", spec.hours, f"is not valid: {exc}") from exc
            out.append(spec)
        return tuple(out)

    def plans(self, table: dict[str, Any], priorities: tuple[str, ...]) -> tuple[Plan, ...]:
        if not table:
            raise PolicyError("plans: at least one plan is required")
        out = []
        allowed = ("name", "priority_set_by", "named_account_manager", "targets")
        for plan_id, raw in table.items():
            path = f"plans.{plan_id}"
            _check_id(plan_id, path)
            entry = _table(raw, path)
            _keys(entry, path, allowed, required=allowed)
            set_by = entry["priority_set_by"]
            if set_by not in {s.value for s in Side}:
                raise _err(f"{path}.priority_set_by", set_by, 'is not "vendor" or "customer"')
            nam = entry["named_account_manager"]
            if not isinstance(nam, bool):
                raise _err(f"{path}.named_account_manager", nam, "is not true or false")
            targets_path = f"{path}.targets"
            targets = _table(entry["targets"], targets_path)
            _check_priorities(targets, targets_path, priorities)
            out.append(
                Plan(
                    id=plan_id,
                    name=_string(entry["name"], f"{path}.name"),
                    priority_set_by=Side(set_by),
                    named_account_manager=nam,
                    targets=tuple(
                        self.target(targets[pid], f"{targets_path}.{pid}", plan_id, pid)
                        for pid in priorities
                    ),
                )
            )
        return tuple(out)

    def target(self, raw: Any, path: str, plan: str, priority: str) -> Target:
        entry = _table(raw, path)
        _keys(entry, path, ("target", "clock", "assumed"), required=("target", "clock"))
        span = _span(entry["target"], f"{path}.target")
        clock = entry["clock"]
        if clock not in {c.value for c in ClockKind}:
            raise _err(f"{path}.clock", clock, 'is not a clock kind ("24x7" or "business")')
        if span.business_days and clock == ClockKind.WALL:
            raise _err(f"{path}.target", entry["target"], "counts business days on a 24x7 clock")
        return Target(
            span=span,
            clock=ClockKind(clock),
            plan=plan,
            priority=priority,
            assumed=_bool(entry.get("assumed", False), f"{path}.assumed"),
        )

    def cadences(self, table: dict[str, Any], priorities: tuple[str, ...]) -> tuple[Cadence, ...]:
        _check_priorities(table, "status_updates", priorities)
        out = []
        for pid in priorities:
            path = f"status_updates.{pid}"
            entry = _table(table[pid], path)
            _keys(entry, path, ("every", "clock", "assumed"), required=("every",))
            every_raw = entry["every"]
            assumed = _bool(entry.get("assumed", False), f"{path}.assumed")
            if every_raw == "none":
                if "clock" in entry:
                    raise _err(
                        f"{path}.clock", entry["clock"], 'makes no sense with every = "none"'
                    )
                out.append(Cadence(priority=pid, every=None, assumed=assumed))
                continue
            every = _span(every_raw, f"{path}.every", hint=' or "none"')
            clock = entry.get("clock", CadenceClock.TARGET.value)
            if clock not in {c.value for c in CadenceClock}:
                raise _err(
                    f"{path}.clock", clock, 'is not a clock kind ("24x7", "business" or "target")'
                )
            if every.business_days and clock == CadenceClock.WALL:
                raise _err(f"{path}.every", every_raw, "counts business days on a 24x7 clock")
            out.append(Cadence(pid, every, CadenceClock(clock), assumed))
        return tuple(out)

    def channels(
        self, table: dict[str, Any], priorities: tuple[str, ...]
    ) -> tuple[tuple[Channel, str], ...]:
        out = []
        known = {c.value for c in Channel}
        for channel, priority in table.items():
            path = f"channel_defaults.{channel}"
            if channel not in known:
                raise _err(path, channel, f"is not a channel ({', '.join(sorted(known))})")
            if priority not in priorities:
                raise _err(path, priority, f"is not a priority ({', '.join(priorities)})")
            out.append((Channel(channel), str(priority)))
        return tuple(out)

    def escalation(self, raw: Any) -> tuple[EscalationLevel, ...]:
        if not isinstance(raw, list) or not raw:
            raise _err("escalation", raw, "is not a list of [[escalation]] levels")
        out = []
        for i, item in enumerate(raw):
            path = f"escalation[{i}]"
            entry = _table(item, path)
            _keys(entry, path, ("level", "role", "description"), required=("level", "role"))
            level = entry["level"]
            if level != i + 1 or isinstance(level, bool):
                raise _err(f"{path}.level", level, f"should be {i + 1} (levels count up from 1)")
            out.append(
                EscalationLevel(
                    level=level,
                    role=_string(entry["role"], f"{path}.role"),
                    description=_string(entry.get("description", ""), f"{path}.description", True),
                )
            )
        return tuple(out)

    def exclusions(self, table: dict[str, Any]) -> tuple[ExclusionReason, ...]:
        if not table:
            raise PolicyError("exclusions: at least one exclusion reason is required")
        out = []
        for code, text in table.items():
            path = f"exclusions.{code}"
            _check_id(code, path)
            out.append(ExclusionReason(code=code, text=_string(text, path)))
        return tuple(out)


# -- validation helpers ----------------------------------------------------------------------


def _show(value: Any, limit: int = 80) -> str:
    """A value as TOML would write it, cut short: a message never repeats a huge value."""
    if isinstance(value, str):
        shown = _quote(value)
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, int | float):
        shown = repr(value)
    elif isinstance(value, dict):
        shown = "a table"
    elif isinstance(value, list):
        shown = f"a list of {len(value)}"
    else:
        shown = str(value)
    return shown if len(shown) <= limit else shown[: limit - 2] + "…" + shown[-1:]


def _err(path: str, value: Any, problem: str) -> PolicyError:
    return PolicyError(f"{path}: {_show(value)} {problem}")


def _keys(
    table: Mapping[str, Any], path: str, allowed: Iterable[str], required: Iterable[str] = ()
) -> None:
    allowed = tuple(allowed)
    where = f"{path}." if path else ""
    for key in table:
        if key not in allowed:
            raise PolicyError(f"{where}{key}: unknown key (expected one of: {', '.join(allowed)})")
    for key in required:
        if key not in table:
            raise PolicyError(f"{where}{key}: missing")


def _table(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _err(path, value, "is not a table")
    return value


def _string(value: Any, path: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise _err(path, value, "is not a string")
    if not allow_empty and not value.strip():
        raise _err(path, value, "is empty")
    control = _CONTROL.search(value)
    if control:
        raise _err(
            path, value, f"contains a control character (U+{ord(control.group()):04X}): remove it"
        )
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _err(path, value, "is not true or false")
    return value


def _date(value: Any, path: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _err(path, value, "is not a date like 2026-12-25")


def _span(value: Any, path: str, allow_zero: bool = False, hint: str = "") -> Span:
    if not isinstance(value, str):
        raise _err(path, value, f"is not a duration like 15m, 2h or 1bd{hint}")
    try:
        span = Span.parse(value)
    except ValueError:
        raise _err(path, value, f"is not a duration like 15m, 2h or 1bd{hint}") from None
    if span.is_zero and not allow_zero:
        raise _err(path, value, "must be longer than zero")
    if not span.within_bounds:
        raise _err(path, value, f"is too long: durations are {SPAN_BOUNDS}")
    return span


def _check_id(key: str, path: str) -> None:
    if not _ID.match(key):
        raise _err(path, key, "is not a valid id (letters, digits, _ and - only)")


def _check_priorities(table: Mapping[str, Any], path: str, priorities: tuple[str, ...]) -> None:
    for key in table:
        if key not in priorities:
            raise PolicyError(
                f"{path}.{key}: unknown priority {_show(key)} (priorities are "
                f"{', '.join(priorities)})"
            )
    for pid in priorities:
        if pid not in table:
            raise PolicyError(f"{path}: missing priority {pid}")


def _check_country(country: str, subdivision: str, path: str) -> None:
    try:
        holidays_pkg.country_holidays(country, subdiv=subdivision or None, years=2026)
    except NotImplementedError as exc:
        key = "holiday_subdivision" if subdivision and "subdiv" in str(exc) else "holiday_country"
        value = subdivision if key == "holiday_subdivision" else country
        raise _err(f"{path}.{key}", value, f"is not known to the holidays package ({exc})") from exc
