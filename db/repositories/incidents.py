"""Incidents: the append-only event table, the projection and the full-text index."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    column,
    delete,
    func,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.domain.events import EventKind, IncidentEvent
from console.domain.outcomes import Outcome
from console.domain.records import IncidentSummary, Status
from console.services.ports import AttainmentRow, IncidentFilter
from db.models import (
    FTS_TABLE,
    CustomerRow,
    EventRow,
    IncidentRow,
    SyncEventMemberRow,
    UtcDateTime,
)
from db.repositories._json import dumps, loads

_SUMMARY_FIELDS = (
    "id",
    "number",
    "customer_id",
    "title",
    "priority",
    "proposed_priority",
    "channel",
    "opened_at",
    "policy_version",
    "plan",
    "assignee_id",
    "escalation_level",
    "next_deadline",
    "first_response_due",
    "first_response_at",
    "first_response_met",
    "outcome_due",
    "outcome_priority",
    "excluded",
    "resolved_at",
    "updated_at",
)


def event_from_row(row: EventRow) -> IncidentEvent:
    return IncidentEvent(
        id=row.id,
        incident_id=row.incident_id,
        kind=EventKind(row.kind),
        at=row.at,
        author=row.author,
        origin=row.origin,
        hlc=row.hlc,
        data=loads(row.data),
    )


def event_values(event: IncidentEvent) -> dict[str, object]:
    return {
        "id": event.id,
        "incident_id": event.incident_id,
        "kind": event.kind.value,
        "at": event.at,
        "author": event.author,
        "origin": event.origin,
        "hlc": event.hlc,
        "data": dumps(event.data),
    }


def summary_from_row(row: IncidentRow) -> IncidentSummary:
    values = {name: getattr(row, name) for name in _SUMMARY_FIELDS}
    return IncidentSummary(status=Status(row.status), **values)


def summary_values(summary: IncidentSummary) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(summary, name) for name in _SUMMARY_FIELDS}
    values["status"] = summary.status.value
    values["opened_month"] = summary.opened_at.astimezone(UTC).strftime("%Y-%m")
    due = summary.outcome_due
    values["outcome_month"] = due.astimezone(UTC).strftime("%Y-%m") if due else ""
    return values


# The first response's outcome at ``now`` in SQL: ``projection.outcome_at`` restated for speed
# (the stored outcome is as of the last event; a pending one is missed once its deadline has
# passed). tests/services/test_outcome_sql.py keeps the two equal over random histories.
_ROW = IncidentRow


def _met() -> ColumnElement[bool]:
    return and_(_ROW.excluded.is_(False), _ROW.first_response_met.is_(True))


def _missed(now: datetime) -> ColumnElement[bool]:
    late = and_(_ROW.first_response_met.is_(None), _ROW.outcome_due < now)
    return and_(_ROW.excluded.is_(False), or_(_ROW.first_response_met.is_(False), late))


def _pending(now: datetime) -> ColumnElement[bool]:
    return and_(
        _ROW.excluded.is_(False), _ROW.first_response_met.is_(None), _ROW.outcome_due >= now
    )


def _excluded() -> ColumnElement[bool]:
    return and_(_ROW.excluded.is_(True), _ROW.outcome_due.is_not(None))


def _not_applicable() -> ColumnElement[bool]:
    return and_(_ROW.excluded.is_(False), _ROW.outcome_due.is_(None))


def outcome_condition(outcome: Outcome, now: datetime) -> ColumnElement[bool]:
    """The incidents whose first response has ``outcome`` at ``now``."""
    if outcome is Outcome.MET:
        return _met()
    if outcome is Outcome.MISSED:
        return _missed(now)
    if outcome is Outcome.PENDING:
        return _pending(now)
    if outcome is Outcome.EXCLUDED:
        return _excluded()
    return _not_applicable()


def _tally(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


_utc = UtcDateTime()
_S = TypeVar("_S", bound=Select)
_FTS = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))


def _bind_dt(value: datetime) -> str:
    stored = _utc.process_bind_param(value, None)  # type: ignore[arg-type]
    assert stored is not None
    return stored


# ``INC-<workstation>-<n>`` or ``INC-<mailbox>-<letters>``, typed whole (DESIGN §4).
_NUMBER = re.compile(r"INC-[0-9A-Z]{5}-[0-9A-Z]{5,12}", re.IGNORECASE)
# A word this long or longer matches as a prefix; the full-text index keeps prefixes of these
# lengths (migration 0012), so a short prefix reads one list instead of merging thousands.
PREFIX_FROM = 2


def typed_number(user_text: str) -> str | None:
    """The incident number ``user_text`` is, typed whole (any case), else None."""
    typed = user_text.strip()
    return typed.upper() if _NUMBER.fullmatch(typed) else None


def fts_query(user_text: str) -> str:
    """Turn what a person types into a safe FTS5 query: every word must match, a word of
    two or more letters as a prefix ("time" finds "timeout"), a single letter or digit as
    a whole word ("7" finds "Windows 7", not "700")."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in user_text).split() if w]
    return " ".join(f'"{w}"*' if len(w) >= PREFIX_FROM else f'"{w}"' for w in words)


class SqlIncidentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def append(
        self, events: Sequence[IncidentEvent], summary: IncidentSummary, search_text: str
    ) -> None:
        if events:
            stmt = sqlite_insert(EventRow).on_conflict_do_nothing(index_elements=["id"])
            self._s.execute(stmt, [event_values(e) for e in events])
        values = summary_values(summary)
        stmt = sqlite_insert(IncidentRow).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id"}
        )
        self._s.execute(stmt)
        pk = self._s.scalar(select(IncidentRow.pk).where(IncidentRow.id == summary.id))
        self._s.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :pk"), {"pk": pk})
        self._s.execute(
            text(f"INSERT INTO {FTS_TABLE}(rowid, number, title, body) VALUES (:pk, :n, :t, :b)"),
            {"pk": pk, "n": summary.number, "t": summary.title, "b": search_text},
        )

    def events(self, incident_id: str) -> list[IncidentEvent]:
        rows = self._s.scalars(
            select(EventRow).where(EventRow.incident_id == incident_id).order_by(EventRow.at)
        )
        return sorted((event_from_row(r) for r in rows), key=IncidentEvent.sort_key)

    def pushed_by(self, incident_id: str) -> dict[str, str]:
        rows = self._s.execute(
            select(SyncEventMemberRow.event_id, SyncEventMemberRow.member)
            .join(EventRow, EventRow.id == SyncEventMemberRow.event_id)
            .where(EventRow.incident_id == incident_id)
        )
        return {event_id: member for event_id, member in rows}

    def summary(self, incident_id: str) -> IncidentSummary | None:
        row = self._s.scalar(select(IncidentRow).where(IncidentRow.id == incident_id))
        return summary_from_row(row) if row else None

    def by_number(self, number: str) -> IncidentSummary | None:
        row = self._s.scalar(select(IncidentRow).where(IncidentRow.number == number))
        return summary_from_row(row) if row else None

    def changed_since(
        self, mark: int, limit: int = 500, *, besides: str = ""
    ) -> tuple[int, list[str]]:
        # Events are only ever inserted (0004's triggers refuse the rest): their rowids only
        # grow, so "after the mark" is a range of the table's own key.
        if mark < 0:
            top = self._s.execute(text("SELECT max(rowid) FROM incident_events")).scalar()
            return int(top or 0), []
        rows = self._s.execute(
            text(
                "SELECT rowid, incident_id, origin FROM incident_events WHERE rowid > :mark "
                "ORDER BY rowid LIMIT :limit"
            ),
            {"mark": mark, "limit": limit},
        ).all()
        if not rows:
            return mark, []
        ids = dict.fromkeys(str(r[1]) for r in rows if not besides or r[2] != besides)
        return int(rows[-1][0]), list(ids)

    def open_incidents(self) -> list[IncidentSummary]:
        stmt = (
            select(IncidentRow)
            .where(IncidentRow.status.in_([Status.OPEN.value, Status.WAITING_ON_CUSTOMER.value]))
            .order_by(IncidentRow.next_deadline.is_(None), IncidentRow.next_deadline)
        )
        return [summary_from_row(r) for r in self._s.scalars(stmt)]

    def for_customer(
        self, customer_id: str, *, active: bool, limit: int, offset: int = 0
    ) -> list[IncidentSummary]:
        """A page of one customer's incidents: open ones (``active``) newest opened first,
        past ones (resolved or excluded) most recently resolved first."""
        open_statuses = [Status.OPEN.value, Status.WAITING_ON_CUSTOMER.value]
        stmt = select(IncidentRow).where(IncidentRow.customer_id == customer_id)
        if active:
            stmt = stmt.where(IncidentRow.status.in_(open_statuses)).order_by(
                IncidentRow.opened_at.desc(), IncidentRow.id.desc()
            )
        else:
            # DESC puts a missing resolved date (NULL) last; the row id breaks ties, so an
            # index on (customer_id, resolved_at) gives this order without a sort.
            stmt = stmt.where(IncidentRow.status.not_in(open_statuses)).order_by(
                IncidentRow.resolved_at.desc(), IncidentRow.pk.desc()
            )
        stmt = stmt.limit(limit).offset(offset)
        return [summary_from_row(r) for r in self._s.scalars(stmt)]

    def _search(self, user_text: str) -> tuple[str, str] | None:
        """How ``user_text`` searches: ``("number", n)`` when it is an incident's number typed
        whole (that incident alone), ``("fts", query)`` for the full-text index, or None."""
        number = typed_number(user_text)
        if number is not None:
            found = self._s.scalar(select(IncidentRow.pk).where(IncidentRow.number == number))
            if found is not None:
                return "number", number
        query = fts_query(user_text)
        return ("fts", query) if query else None

    def _filtered(
        self, stmt: _S, flt: IncidentFilter, now: datetime | None, *, text_too: bool = True
    ) -> _S:
        conditions = self._conditions(flt, now, text_too=text_too)
        return stmt.where(and_(*conditions)) if conditions else stmt

    def _conditions(
        self, flt: IncidentFilter, now: datetime | None, *, text_too: bool = True
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        search = self._search(flt.text) if text_too else None
        if search is not None and search[0] == "number":
            conditions.append(IncidentRow.number == search[1])
        elif search is not None:
            matches = select(_FTS.c.rowid).where(_FTS.c.incident_fts.op("MATCH")(search[1]))
            conditions.append(IncidentRow.pk.in_(matches))
        if flt.statuses:
            conditions.append(IncidentRow.status.in_(flt.statuses))
        if flt.customer_ids:
            conditions.append(IncidentRow.customer_id.in_(flt.customer_ids))
        if flt.priorities:
            conditions.append(IncidentRow.priority.in_(flt.priorities))
        if flt.assignee_id:
            conditions.append(IncidentRow.assignee_id == flt.assignee_id)
        if flt.unassigned:
            conditions.append(IncidentRow.assignee_id.is_(None))
        if flt.opened_from:
            conditions.append(IncidentRow.opened_at >= flt.opened_from)
        if flt.opened_to:
            conditions.append(IncidentRow.opened_at < flt.opened_to)
        if flt.outcome is not None:
            if now is None:
                raise ValueError("an outcome filter needs the instant to judge outcomes at")
            conditions.append(outcome_condition(flt.outcome, now))
        if flt.excluded is not None:
            conditions.append(IncidentRow.excluded.is_(flt.excluded))
        if flt.plans:
            conditions.append(IncidentRow.plan.in_(flt.plans))
        if flt.window_ids:
            customers = select(CustomerRow.id).where(CustomerRow.window_id.in_(flt.window_ids))
            conditions.append(IncidentRow.customer_id.in_(customers))
        return conditions

    def find(
        self,
        flt: IncidentFilter,
        *,
        limit: int,
        offset: int = 0,
        now: datetime | None = None,
    ) -> list[IncidentSummary]:
        """A page of incidents, newest first; ``now`` judges an outcome filter.

        With search text the full-text index drives the query in its own (newest recorded
        first) order, so a page costs the same whether a word is rare or common. An
        incident's number typed whole finds that incident (if the other filters keep it).
        """
        search = self._search(flt.text)
        if search is not None and search[0] == "fts":
            stmt = (
                select(IncidentRow)
                .join(_FTS, _FTS.c.rowid == IncidentRow.pk)
                .where(_FTS.c.incident_fts.op("MATCH")(search[1]))
                .order_by(_FTS.c.rowid.desc())
            )
            stmt = self._filtered(stmt, flt, now, text_too=False)
        else:
            stmt = self._filtered(select(IncidentRow), flt, now).order_by(
                IncidentRow.opened_at.desc(), IncidentRow.id.desc()
            )
        stmt = stmt.limit(limit).offset(offset)
        return [summary_from_row(r) for r in self._s.scalars(stmt)]

    def count(self, flt: IncidentFilter, now: datetime | None = None) -> int:
        """How many incidents ``flt`` selects. With search text the full-text index is
        counted directly (every row of it is one incident), joined to the incidents only
        when other filters need their columns."""
        search = self._search(flt.text)
        if search is None or search[0] == "number":
            stmt = self._filtered(select(func.count()).select_from(IncidentRow), flt, now)
            return int(self._s.scalar(stmt) or 0)
        stmt = select(func.count()).select_from(_FTS)
        conditions = self._conditions(flt, now, text_too=False)
        if conditions:
            stmt = stmt.join(IncidentRow, IncidentRow.pk == _FTS.c.rowid).where(*conditions)
        return int(self._s.scalar(stmt.where(_FTS.c.incident_fts.op("MATCH")(search[1]))) or 0)

    def attainment(self, flt: IncidentFilter, now: datetime) -> list[AttainmentRow]:
        """First-response outcomes at ``now`` by the priority that set the deadline, the plan
        and the deadline's month: met, missed, pending and (apart) excluded.

        One pass over the covering index ``ix_incidents_attainment`` in its group order.
        """
        priority, month = IncidentRow.outcome_priority, IncidentRow.outcome_month
        stmt = select(
            priority,
            IncidentRow.plan,
            month,
            _tally(_met()),
            _tally(_missed(now)),
            _tally(_pending(now)),
            _tally(_excluded()),
        ).where(IncidentRow.outcome_due.is_not(None))
        stmt = self._filtered(stmt, flt, now)
        stmt = stmt.group_by(month, priority, IncidentRow.plan).order_by(
            month, priority, IncidentRow.plan
        )
        return [
            AttainmentRow(
                priority=p,
                plan=plan,
                month=m,
                met=int(met or 0),
                missed=int(missed or 0),
                pending=int(pending or 0),
                excluded=int(excluded or 0),
            )
            for p, plan, m, met, missed, pending, excluded in self._s.execute(stmt)
        ]

    def all_ids(self) -> Iterator[str]:
        yield from self._s.scalars(
            select(EventRow.incident_id).distinct().order_by(EventRow.incident_id)
        )

    def delete_projection(self) -> None:
        """Used only by a full rebuild; events are never deleted."""
        self._s.execute(delete(IncidentRow))
        self._s.execute(text(f"DELETE FROM {FTS_TABLE}"))
