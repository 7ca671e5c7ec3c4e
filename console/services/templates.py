"""Mail templates: list, save (team leads and admins), reset to default, render.

Templates are rendered by jinja2's ``SandboxedEnvironment`` with autoescape off (plain-text
mail) and ``StrictUndefined``, and before that each one is read as a tree and held to what a
mail needs: placeholders, text, ``if``, ``for`` over a list placeholder (nested at most two
deep), a few text filters and ``loop.index`` and its kin. No attribute access, no calls, no
arithmetic, no ``set``, macros or includes, so rendering takes a bounded number of steps,
and its output is cut off at ``RENDERED_MAX`` characters all the same.

A saved template comes back through team sync (a lead-only kind of record), so a stored one
is checked again each time it renders; a template that cannot render is refused in words.
"""

from __future__ import annotations

import builtins
import traceback
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from console.domain.calendar import BusinessCalendar
from console.domain.ids import HybridLogicalClock
from console.domain.policy import ClockKind
from console.domain.records import Agent, Role
from console.domain.templates import (
    BODY_MAX,
    KEYS,
    LIST_PLACEHOLDERS,
    NAMES,
    PLACEHOLDER_NAMES,
    PLACEHOLDERS,
    RENDERED_MAX,
    SUBJECT_MAX,
    MailTemplate,
    StoredTemplate,
    effective,
    when,
)
from console.services.incidents import IncidentDetails
from console.services.ports import Clock, Store, Transaction
from console.services.validation import NotAllowed, ValidationError
from console.services.workstation import workstation

__all__ = ["TemplateProblem", "TemplateService", "check_template", "render_text", "sample_context"]

#: Filters a template may use: text in, bounded text out.
FILTERS = frozenset(
    {
        "capitalize",
        "count",
        "d",
        "default",
        "first",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "reverse",
        "sort",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    }
)
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})
MAX_NESTING = 2
MAX_LITERAL_ITEMS = 50
_TEMPLATE_FILE = "<template>"

_ALLOWED = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.List,
    nodes.Tuple,
    nodes.For,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Filter,
    nodes.Test,
    nodes.Getitem,
    nodes.Slice,
    nodes.Concat,
    nodes.Keyword,
    nodes.Getattr,
)
_WHAT = {
    nodes.Call: "calls such as range(…)",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Macro: "macros",
    nodes.CallBlock: "{% call %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.With: "{% with %}",
}


class TemplateProblem(ValueError):  # noqa: N818 (the name is the API)
    """A template that cannot be used, in words ("line 3: …")."""


class _Sandbox(SandboxedEnvironment):
    """No attribute of any value is reachable (the placeholders are text and lists of text),
    but a loop's own ``loop.index`` and its kin."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return type(obj).__name__ == "LoopContext" and attr in LOOP_ATTRIBUTES

    def is_safe_callable(self, obj: Any) -> bool:
        return False


def _environment() -> _Sandbox:
    env = _Sandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in FILTERS}
    return env


_ENV = _environment()


def _known() -> str:
    return ", ".join(PLACEHOLDER_NAMES)


class _Checker:
    """Walks a parsed template and names the first thing it may not do."""

    def check(self, node: nodes.Node, bound: frozenset[str] = frozenset(), depth: int = 0) -> None:
        line = getattr(node, "lineno", 1) or 1
        if not isinstance(node, _ALLOWED):
            what = _WHAT.get(type(node), f"“{type(node).__name__.lower()}” expressions")
            if isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
                what = "arithmetic"
            raise TemplateProblem(f"line {line}: {what} cannot be used in a mail template")
        if (
            isinstance(node, nodes.Name)
            and node.ctx == "load"
            and node.name not in bound | set(PLACEHOLDER_NAMES)
        ):
            raise TemplateProblem(
                f"line {line}: '{node.name}' is not a placeholder; known: {_known()}"
            )
        if isinstance(node, nodes.Getattr):
            if not (
                isinstance(node.node, nodes.Name)
                and node.node.name == "loop"
                and "loop" in bound
                and node.attr in LOOP_ATTRIBUTES
            ):
                raise TemplateProblem(
                    f"line {line}: '.{node.attr}' cannot be used in a mail template (only "
                    "loop.index and its kin inside a loop)"
                )
            return
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise TemplateProblem(
                f"line {line}: the filter '{node.name}' is not available; available: "
                + ", ".join(sorted(FILTERS))
            )
        if isinstance(node, nodes.List | nodes.Tuple) and len(node.items) > MAX_LITERAL_ITEMS:
            raise TemplateProblem(f"line {line}: a list may hold at most {MAX_LITERAL_ITEMS} items")
        if isinstance(node, nodes.For):
            self._loop(node, bound, depth, line)
            return
        for child in node.iter_child_nodes():
            self.check(child, bound, depth)

    def _loop(self, node: nodes.For, bound: frozenset[str], depth: int, line: int) -> None:
        if node.recursive:
            raise TemplateProblem(f"line {line}: a recursive loop cannot be used")
        if depth + 1 > MAX_NESTING:
            raise TemplateProblem(f"line {line}: loops may nest at most {MAX_NESTING} deep")
        source: nodes.Node = node.iter
        while isinstance(source, nodes.Filter) and source.node is not None:
            source = source.node
        if not (
            (isinstance(source, nodes.Name) and source.name in LIST_PLACEHOLDERS)
            or isinstance(source, nodes.List | nodes.Tuple)
        ):
            lists = ", ".join(sorted(LIST_PLACEHOLDERS))
            raise TemplateProblem(f"line {line}: a loop may only go over {lists} or a list")
        self.check(node.iter, bound, depth)
        targets = [node.target, *node.target.find_all(nodes.Name)]
        names = frozenset(n.name for n in targets if isinstance(n, nodes.Name))
        inner = bound | names | {"loop"}
        if node.test is not None:
            self.check(node.test, bound | names, depth + 1)
        for child in node.body:
            self.check(child, inner, depth + 1)
        for child in node.else_:
            self.check(child, bound, depth)


def check_template(text: str) -> Any:
    """``text`` compiled, once it has passed the checks; ``TemplateProblem`` otherwise."""
    try:
        tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"line {exc.lineno}: {exc.message}") from None
    _Checker().check(tree)
    try:
        return _ENV.from_string(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"line {exc.lineno}: {exc.message}") from None


def _line_of(exc: BaseException) -> int | None:
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == _TEMPLATE_FILE:
            found = frame.lineno
    return found


def render_text(text: str, context: Mapping[str, Any]) -> str:
    """``text`` rendered against ``context``: at most ``RENDERED_MAX`` characters."""
    template = check_template(text)
    parts: list[str] = []
    size = 0
    try:
        for chunk in template.generate(dict(context)):
            size += len(chunk)
            if size > RENDERED_MAX:
                raise TemplateProblem(
                    f"the rendered text would be longer than {RENDERED_MAX:,} characters"
                )
            parts.append(chunk)
    except TemplateProblem:
        raise
    except (UndefinedError, SecurityError, TemplateError, TypeError, ValueError) as exc:
        line = _line_of(exc)
        where = f"line {line}: " if line else ""
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise TemplateProblem(f"{where}{message}") from None
    return "".join(parts)


def sample_context() -> dict[str, Any]:
    """The sample incident every template is tried against before it is saved."""
    return {
        p.name: list(p.sample) if isinstance(p.sample, tuple) else p.sample for p in PLACEHOLDERS
    }


def details_context(
    details: IncidentDetails, agent_name: str, agent_zone: ZoneInfo | str
) -> dict[str, Any]:
    summary, customer, contact = details.summary, details.customer, details.contact
    try:
        label = details.policy.priority(summary.priority).label if summary.priority else ""
    except (KeyError, ValueError, LookupError):
        label = ""
    due = next_update_if_sent(details)
    window = details.clocks.first_response.window_zone or agent_zone
    return {
        "customer_name": customer.name if customer else "",
        "incident_number": summary.number,
        "title": summary.title,
        "priority": summary.priority,
        "priority_label": label,
        "csm_name": customer.csm_name if customer else "",
        "csm_email": customer.csm_email if customer else "",
        "missing_items": [lbl for key, lbl in details.missing_items if key != "vendor_ref"],
        "next_update_due": when(due, window),
        "next_update_due_agent": when(due, agent_zone),
        "agent_name": agent_name,
        "contact_name": contact.name if contact else "",
        "exclusion_reason": _exclusion_reason(details),
    }


def _exclusion_reason(details: IncidentDetails) -> str:
    code = details.clocks.excluded_reason
    if not code:
        return ""
    try:
        text = details.policy.exclusion(code).text
    except KeyError:
        return ""
    return text[:1].lower() + text[1:].rstrip(".")


def next_update_if_sent(details: IncidentDetails) -> datetime | None:
    """When the next status update would be due if this answer went out now (one cadence
    after it, on the cadence's clock); None when the policy owes none for the priority."""
    clocks = details.clocks
    try:
        cadence = details.policy.cadence(clocks.plan, clocks.priority)
    except KeyError:
        return None
    if cadence is None:
        return None
    if cadence.clock is ClockKind.WALL:
        return clocks.now + cadence.duration(BusinessCalendar.always_open())
    calendar = next((c.calendar for c in clocks.clocks if c.is_business and c.calendar), None)
    if calendar is None:
        return None
    return calendar.add(clocks.now, cadence.duration(calendar))


def _one_line(text: str) -> str:
    return " ".join(text.split())


class TemplateService:
    """The team's mail templates: everyone reads and renders them, leads and admins edit."""

    def __init__(
        self, store: Store, clock: Clock, actor: Agent, hlc: HybridLogicalClock | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._actor = actor
        self._hlc = hlc

    @property
    def placeholders(self) -> tuple[tuple[str, str], ...]:
        """(name, meaning) of every placeholder, for the list to insert from."""
        return tuple((p.name, p.meaning) for p in PLACEHOLDERS)

    def may_edit(self) -> bool:
        with self._store.read() as tx:
            return self._role(tx) in (Role.LEAD, Role.ADMIN)

    def list(self) -> list[MailTemplate]:
        with self._store.read() as tx:
            stored = {t.key: t for t in tx.templates.list()}
        return [effective(key, stored.get(key)) for key in KEYS]

    def get(self, key: str) -> MailTemplate:
        self._known(key)
        with self._store.read() as tx:
            return effective(key, tx.templates.get(key))

    def choices(self) -> builtins.list[tuple[str, str]]:
        """(key, name) of every template, for the compose box's "/" list."""
        return [(key, NAMES[key]) for key in KEYS]

    def preview(self, subject: str, body: str) -> tuple[str, str]:
        """``subject`` and ``body`` rendered against the sample incident (as ``save`` checks
        them); ``ValidationError`` naming the field otherwise."""
        clean_subject, clean_body = self._validated(subject, body)
        sample = sample_context()
        return (
            self._subject(render_text(clean_subject, sample), str(sample["incident_number"])),
            render_text(clean_body, sample),
        )

    def save(self, key: str, subject: str, body: str) -> MailTemplate:
        """The team's version of template ``key``; ``NotAllowed`` unless a lead or admin."""
        self._known(key)
        clean_subject, clean_body = self._validated(subject, body)
        hlc = self._hlc or workstation(self._store).hlc
        with self._store.transaction() as tx:
            self._require_lead(tx, "change")
            stored = StoredTemplate(
                key, clean_subject, clean_body, self._clock.now(), self._actor.name
            )
            tx.templates.save(stored, hlc.now())
        return effective(key, stored)

    def reset(self, key: str) -> MailTemplate:
        """Remove the team's version of ``key``: the default applies again."""
        self._known(key)
        hlc = self._hlc or workstation(self._store).hlc
        with self._store.transaction() as tx:
            self._require_lead(tx, "reset")
            if tx.templates.get(key) is not None:
                tx.templates.delete(key, hlc.now())
        return effective(key, None)

    def render(
        self, key: str, details: IncidentDetails, agent_zone: ZoneInfo | str
    ) -> tuple[str, str]:
        """(subject, body) of template ``key`` for the incident; an empty subject means the
        outbox's threaded subject. ``ValidationError`` (field ``template``) when the template
        in force cannot render, naming the problem."""
        template = self.get(key)
        context = details_context(details, self._actor.name, agent_zone)
        try:
            subject = render_text(template.subject, context) if template.subject else ""
            body = render_text(template.body, context)
        except TemplateProblem as exc:
            raise ValidationError.single(
                "template", f"The “{template.name}” template cannot be used: {exc}"
            ) from None
        return self._subject(subject, details.summary.number), body

    def render_body(self, key: str, details: IncidentDetails, agent_zone: ZoneInfo | str) -> str:
        return self.render(key, details, agent_zone)[1]

    # -- rules ------------------------------------------------------------------------------

    @staticmethod
    def _subject(rendered: str, number: str) -> str:
        line = _one_line(rendered)
        if not line:
            return ""
        tag = f"[{number}]"
        if not line.startswith(tag):
            line = f"{tag} {line}"
        return line[:SUBJECT_MAX]

    @staticmethod
    def _known(key: str) -> None:
        if key not in KEYS:
            raise ValidationError.single("template", f"there is no mail template “{key[:60]}”")

    @staticmethod
    def _validated(subject: str, body: str) -> tuple[str, str]:
        errors: dict[str, str] = {}
        clean_subject = subject.strip() if isinstance(subject, str) else ""
        clean_body = body if isinstance(body, str) else ""
        if "\n" in clean_subject or "\r" in clean_subject:
            errors["subject"] = "the subject is one line"
        elif len(clean_subject) > SUBJECT_MAX:
            errors["subject"] = f"the subject may be at most {SUBJECT_MAX} characters"
        if not clean_body.strip():
            errors["body"] = "the body is empty"
        elif len(clean_body) > BODY_MAX:
            errors["body"] = f"the body may be at most {BODY_MAX:,} characters"
        sample = sample_context()
        for field, text in (("subject", clean_subject), ("body", clean_body)):
            if field in errors or not text:
                continue
            try:
                render_text(text, sample)
            except TemplateProblem as exc:
                errors[field] = str(exc)
        if errors:
            raise ValidationError(errors)
        return clean_subject, clean_body

    def _require_lead(self, tx: Transaction, action: str) -> None:
        if self._role(tx) not in (Role.LEAD, Role.ADMIN):
            raise NotAllowed(f"Only a team lead or an admin may {action} mail templates.")

    def _role(self, tx: Transaction) -> Role:
        """The actor's role as the database holds it now (sync may have changed it)."""
        try:
            current = tx.agents.get(self._actor.id)
        except ValueError:
            current = None
        return current.role if current is not None else self._actor.role
