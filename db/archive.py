"""Table access for the full export and its import (``safekeeping.archive``).

The record tables are read whole, deleted rows and clock stamps included: an old incident
names a contact removed from its support list since, and a replica that later joins a team
needs the stamps its rows were written with. Rows are written back column for column, the
way the repositories write them (JSON columns as the repositories' sorted JSON). Events go in
as the incident repository stores them; projections and the search index are never written
here: the console derives them from the events (``projection_rebuilder``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from console.domain.events import IncidentEvent
from db import migrate
from db.models import (
    AgentRow,
    AttachmentRow,
    Base,
    ContactRow,
    CustomerRow,
    EscalationContactRow,
    EventRow,
    IncidentRow,
    MailTemplateRow,
    PolicyVersionRow,
    SavedViewRow,
    WindowRow,
)
from db.repositories.incidents import event_values

__all__ = ["RECORDS", "ArchiveTables", "RecordTable", "StoredEvent"]


@dataclass(frozen=True, slots=True)
class RecordTable:
    """One record table as the archive carries it: its columns, and which hold JSON."""

    model: type[Base]
    columns: tuple[str, ...]
    json_columns: frozenset[str] = frozenset()
    order_by: str = "id"


#: Member name (without ``.jsonl``) → table, in the order an import writes them (a customer
#: needs its window, a contact its customer).
RECORDS: dict[str, RecordTable] = {
    "windows": RecordTable(
        WindowRow,
        (
            "id",
            "name",
            "hours",
            "zone",
            "holidays",
            "holiday_country",
            "holiday_subdivision",
            "builtin",
            "hlc",
            "deleted",
        ),
        frozenset({"holidays"}),
    ),
    "policy_versions": RecordTable(
        PolicyVersionRow, ("id", "version", "text", "created_at", "author"), order_by="version"
    ),
    "agents": RecordTable(AgentRow, ("id", "name", "role", "email", "hlc", "deleted")),
    "customers": RecordTable(
        CustomerRow,
        (
            "id",
            "name",
            "plan",
            "window_id",
            "csm_name",
            "csm_email",
            "csm_phone",
            "list_confirmed_at",
            "hlc",
            "deleted",
        ),
    ),
    "contacts": RecordTable(
        ContactRow,
        ("id", "customer_id", "name", "role", "emails", "phones", "rank", "hlc", "deleted"),
        frozenset({"emails", "phones"}),
    ),
    "escalation_contacts": RecordTable(
        EscalationContactRow,
        ("id", "level", "name", "role", "email", "phone", "rank", "hlc", "deleted"),
    ),
    "saved_views": RecordTable(
        SavedViewRow,
        ("id", "name", "owner_id", "shared", "filter", "hlc", "deleted"),
        frozenset({"filter"}),
    ),
    "mail_templates": RecordTable(
        MailTemplateRow, ("id", "subject", "body", "updated_at", "author", "hlc", "deleted")
    ),
}


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event row as stored: ``data`` is its JSON object with the store's ``$dt`` and
    ``$date`` tags left as they are."""

    id: str
    incident_id: str
    kind: str
    at: datetime
    author: str
    origin: str
    hlc: str
    data: Any


def _decoded(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


class ArchiveTables:
    """Whole-table reads and column-for-column writes inside one Session's transaction."""

    def __init__(self, session: Session) -> None:
        self._s = session

    # -- reading ----------------------------------------------------------------------------

    def schema_revision(self) -> str | None:
        return migrate.current_revision(self._s.connection())

    def rows(self, member: str) -> Iterator[dict[str, Any]]:
        """Every row of a record table, deleted ones too, JSON columns decoded."""
        table = RECORDS[member]
        model: Any = table.model
        columns = [getattr(model, name) for name in table.columns]
        stmt = select(*columns).order_by(getattr(model, table.order_by))
        for row in self._s.execute(stmt):
            values = dict(zip(table.columns, row, strict=True))
            for name in table.json_columns:
                values[name] = _decoded(values[name])
            yield values

    def events(self) -> Iterator[StoredEvent]:
        """Every event, incident by incident, each incident's in the order they replay."""
        stmt = select(EventRow).order_by(
            EventRow.incident_id, EventRow.at, EventRow.hlc, EventRow.id
        )
        for row in self._s.scalars(stmt.execution_options(yield_per=2000)):
            yield StoredEvent(
                id=row.id,
                incident_id=row.incident_id,
                kind=row.kind,
                at=row.at,
                author=row.author,
                origin=row.origin,
                hlc=row.hlc,
                data=_decoded(row.data),
            )

    def counts(self) -> dict[str, int]:
        """How many customers (deleted ones too), incidents and events the database holds."""

        def count(model: Any) -> int:
            return int(self._s.scalar(select(func.count()).select_from(model)) or 0)

        return {
            "customers": count(CustomerRow),
            "incidents": count(IncidentRow),
            "events": count(EventRow),
            "attachments": count(AttachmentRow),
        }

    # -- writing ----------------------------------------------------------------------------

    def clear_policy_versions(self) -> int:
        """Remove the policy versions of a database with no incidents (none governs anything
        yet), so an import brings the archive's history in whole; returns how many."""
        if self.counts()["events"]:
            raise ValueError("policy versions govern incidents here and are never removed")
        result: Any = self._s.execute(delete(PolicyVersionRow))
        return int(result.rowcount or 0)

    def existing_ids(self, member: str) -> set[str]:
        model: Any = RECORDS[member].model
        return set(self._s.scalars(select(model.id)))

    def put(self, member: str, values: dict[str, Any]) -> None:
        """Write one record row (replacing the row with its id, if there is one)."""
        table = RECORDS[member]
        row = {name: values[name] for name in table.columns}
        for name in table.json_columns:
            row[name] = json.dumps(row[name], sort_keys=True, ensure_ascii=False)
        model: Any = table.model
        self._s.execute(delete(model).where(model.id == row["id"]))
        self._s.execute(insert(model).values(row))

    def add_events(self, events: Sequence[IncidentEvent]) -> None:
        """Insert events as the incident repository stores them. An id already stored is
        skipped (0004's trigger ignores it): compare ``counts()`` to see that none was."""
        if events:
            self._s.execute(insert(EventRow), [event_values(e) for e in events])
