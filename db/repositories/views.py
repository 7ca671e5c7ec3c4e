"""Saved views: named queue filters, synced like the other record tables.

Rows may have come from any peer through team sync, with values of any type SQLite holds;
reading one never fails: text is made text, and a filter that is not a filter's JSON reads
as the default filter (``ViewFilter.from_json``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.domain.views import SavedView, ViewFilter
from db.models import SavedViewRow

_COLUMNS = (
    SavedViewRow.id,
    SavedViewRow.name,
    SavedViewRow.owner_id,
    SavedViewRow.shared,
    SavedViewRow.filter,
)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _view(row: Any) -> SavedView:
    stored = row.filter
    return SavedView(
        id=_text(row.id),
        name=_text(row.name),
        owner_id=_text(row.owner_id),
        shared=row.shared is True or row.shared == 1,
        filter=ViewFilter.from_json(stored) if isinstance(stored, str) else ViewFilter(),
    )


class SqlSavedViewRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def list(self) -> list[SavedView]:
        rows = self._s.execute(
            select(*_COLUMNS).where(SavedViewRow.deleted.is_(False)).order_by(SavedViewRow.id)
        )
        return [_view(r) for r in rows]

    def get(self, view_id: str) -> SavedView | None:
        row = self._s.execute(
            select(*_COLUMNS).where(SavedViewRow.id == view_id, SavedViewRow.deleted.is_(False))
        ).one_or_none()
        return _view(row) if row is not None else None

    def save(self, view: SavedView, hlc: str) -> None:
        values = {
            "id": view.id,
            "name": view.name,
            "owner_id": view.owner_id,
            "shared": view.shared,
            "filter": view.filter.to_json(),
            "hlc": hlc,
            "deleted": False,
        }
        stmt = sqlite_insert(SavedViewRow).values(values)
        self._s.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id"}
            )
        )

    def delete(self, view_id: str, hlc: str) -> None:
        self._s.execute(
            update(SavedViewRow).where(SavedViewRow.id == view_id).values(deleted=True, hlc=hlc)
        )
