"""The team's mail templates: one row per template key, synced like the other record tables.

Rows may have come from any peer through team sync, with values of any type SQLite holds;
reading one never fails: text is made text, and a time that is not one reads as none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.domain.templates import KEYS, StoredTemplate
from db.models import MailTemplateRow

_COLUMNS = (
    MailTemplateRow.id,
    MailTemplateRow.subject,
    MailTemplateRow.body,
    MailTemplateRow.updated_at,
    MailTemplateRow.author,
)
_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def _template(row: Any) -> StoredTemplate:
    return StoredTemplate(
        key=_text(row.id),
        subject=_text(row.subject),
        body=_text(row.body),
        updated_at=_time(row.updated_at),
        author=_text(row.author),
    )


class SqlTemplateRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def list(self) -> list[StoredTemplate]:
        rows = self._s.execute(
            select(*_COLUMNS)
            .where(MailTemplateRow.deleted.is_(False), MailTemplateRow.id.in_(KEYS))
            .order_by(MailTemplateRow.id)
        )
        return [_template(r) for r in rows]

    def get(self, key: str) -> StoredTemplate | None:
        row = self._s.execute(
            select(*_COLUMNS).where(MailTemplateRow.id == key, MailTemplateRow.deleted.is_(False))
        ).one_or_none()
        return _template(row) if row is not None else None

    def save(self, template: StoredTemplate, hlc: str) -> None:
        at = template.updated_at
        values = {
            "id": template.key,
            "subject": template.subject,
            "body": template.body,
            "updated_at": at.astimezone(UTC).strftime(_FORMAT) if at is not None else "",
            "author": template.author,
            "hlc": hlc,
            "deleted": False,
        }
        stmt = sqlite_insert(MailTemplateRow).values(values)
        self._s.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id"}
            )
        )

    def delete(self, key: str, hlc: str) -> None:
        self._s.execute(
            update(MailTemplateRow).where(MailTemplateRow.id == key).values(deleted=True, hlc=hlc)
        )
