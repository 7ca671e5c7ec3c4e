"""Incidents: the append-only event table, the projection and the full-text index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, column, delete, func, select, table, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.domain.events import EventKind, IncidentEvent
from console.domain.records import IncidentSummary, Status
from console.services.ports import AttainmentRow, IncidentFilter
from db.models import FTS_TABLE, CustomerRow, EventRow, IncidentRow, UtcDateTime
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
    return values


_utc = UtcDateTime()
_S = TypeVar("_S", bound=Select)
_FTS = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))


def _bind_dt(value: datetime) -> str:
    stored = _utc.process_bind_param(value, None)  # type: ignore[arg-type]
    assert stored is not None
    return stored


def fts_query(user_text: str) -> str:
    """Turn what a person types into a safe FTS5 query: every word must match, as a prefix."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in user_text).split() if w]
    return " ".join(f'"{w}"*' for w in words)


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

    def summary(self, incident_id: str) -> IncidentSummary | None:
        row = self._s.scalar(select(IncidentRow).where(IncidentRow.id == incident_id))
        return summary_from_row(row) if row else None

    def by_number(self, number: str) -> IncidentSummary | None:
        row = self._s.scalar(select(IncidentRow).where(IncidentRow.number == number))
        return summary_from_row(row) if row else None

    def open_incidents(self) -> list[IncidentSummary]:
        stmt = (
            select(IncidentRow)
            .where(IncidentRow.status.in_([Status.OPEN.value, Status.WAITING_ON_CUSTOMER.value]))
            .order_by(IncidentRow.next_deadline.is_(None), IncidentRow.next_deadline)
        )
        return [summary_from_row(r) for r in self._s.scalars(stmt)]

    def _filtered(self, stmt: _S, flt: IncidentFilter, *, text_too: bool = True) -> _S:
        conditions: list[ColumnElement[bool]] = []
        if text_too and fts_query(flt.text):
            matches = select(_FTS.c.rowid).where(
                _FTS.c.incident_fts.op("MATCH")(fts_query(flt.text))
            )
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
        if flt.met is not None:
            conditions.append(IncidentRow.first_response_met.is_(flt.met))
        if flt.excluded is not None:
            conditions.append(IncidentRow.excluded.is_(flt.excluded))
        if flt.plans:
            conditions.append(IncidentRow.plan.in_(flt.plans))
        if flt.window_ids:
            customers = select(CustomerRow.id).where(CustomerRow.window_id.in_(flt.window_ids))
            conditions.append(IncidentRow.customer_id.in_(customers))
        return stmt.where(and_(*conditions)) if conditions else stmt

    def find(self, flt: IncidentFilter, *, limit: int, offset: int = 0) -> list[IncidentSummary]:
        """A page of incidents, newest first.

        With search text the full-text index drives the query in its own (newest recorded
        first) order, so a page costs the same whether a word is rare or common.
        """
        query = fts_query(flt.text)
        if query:
            stmt = (
                select(IncidentRow)
                .join(_FTS, _FTS.c.rowid == IncidentRow.pk)
                .where(_FTS.c.incident_fts.op("MATCH")(query))
                .order_by(_FTS.c.rowid.desc())
            )
            stmt = self._filtered(stmt, flt, text_too=False)
        else:
            stmt = self._filtered(select(IncidentRow), flt).order_by(
                IncidentRow.opened_at.desc(), IncidentRow.id.desc()
            )
        stmt = stmt.limit(limit).offset(offset)
        return [summary_from_row(r) for r in self._s.scalars(stmt)]

    def count(self, flt: IncidentFilter) -> int:
        stmt = self._filtered(select(func.count()).select_from(IncidentRow), flt)
        return int(self._s.scalar(stmt) or 0)

    def attainment(self, flt: IncidentFilter, now: datetime) -> list[AttainmentRow]:
        """First-response attainment by priority, plan and month; excluded incidents left out.

        An incident with no response yet counts as missed once its deadline has passed and is
        not counted while it can still be met.
        """
        met = func.sum(case((IncidentRow.first_response_met.is_(True), 1), else_=0))
        missed = func.sum(
            case(
                (IncidentRow.first_response_met.is_(False), 1),
                (
                    and_(
                        IncidentRow.first_response_met.is_(None),
                        IncidentRow.first_response_due < now,
                    ),
                    1,
                ),
                else_=0,
            )
        )
        month = IncidentRow.opened_month
        stmt = select(IncidentRow.priority, IncidentRow.plan, month, met, missed).where(
            IncidentRow.excluded.is_(False)
        )
        stmt = self._filtered(stmt, replace(flt, excluded=None))
        stmt = stmt.group_by(month, IncidentRow.priority, IncidentRow.plan).order_by(
            month, IncidentRow.priority, IncidentRow.plan
        )
        return [
            AttainmentRow(priority=p, plan=plan, month=m, met=int(a or 0), missed=int(b or 0))
            for p, plan, m, a, b in self._s.execute(stmt)
        ]

    def all_ids(self) -> Iterator[str]:
        yield from self._s.scalars(
            select(EventRow.incident_id).distinct().order_by(EventRow.incident_id)
        )

    def delete_projection(self) -> None:
        """Used only by a full rebuild; events are never deleted."""
        self._s.execute(delete(IncidentRow))
        self._s.execute(text(f"DELETE FROM {FTS_TABLE}"))
