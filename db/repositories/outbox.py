"""The mail outbox and the SMTP accounts (migration 0010). Local to this database.

A row is claimed for sending by a conditional update (``state`` still what it was read as),
so two senders on one file — the console and a ``mail watch`` — never both send one mail.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from console.domain.outbound import OutboundMail, OutboxEntry, OutboxState, Purpose, SmtpAccount
from db.models import IncidentRow, OutboxRow, SmtpAccountRow

_ACCOUNT_FIELDS = (
    "id",
    "name",
    "host",
    "port",
    "security",
    "username",
    "from_address",
    "from_name",
    "ca_file",
    "sent_mailbox_id",
    "sent_folder",
    "enabled",
)


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _mail(row: OutboxRow) -> OutboundMail:
    try:
        data = json.loads(row.mail)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    try:
        purpose = Purpose(row.purpose)
    except ValueError:
        purpose = Purpose.RESPONSE
    return OutboundMail(
        message_id=row.message_id,
        incident_id=row.incident_id,
        event_id=row.event_id,
        purpose=purpose,
        from_address=str(data.get("from_address") or ""),
        from_name=str(data.get("from_name") or ""),
        to=_texts(data.get("to")),
        cc=_texts(data.get("cc")),
        subject=str(data.get("subject") or ""),
        text=str(data.get("text") or ""),
        in_reply_to=str(data.get("in_reply_to") or ""),
        references=_texts(data.get("references")),
        account_id=row.account_id,
    )


def _entry(row: OutboxRow, number: str = "", *, raw: bool = False) -> OutboxEntry:
    try:
        refused = _texts(json.loads(row.refused))
    except ValueError:
        refused = ()
    return OutboxEntry(
        id=row.id,
        mail=_mail(row),
        state=OutboxState(row.state),
        queued_at=row.queued_at,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
        refused=refused,
        number=number,
        raw=row.raw if raw else b"",
    )


class SqlOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- the outbox -------------------------------------------------------------------------

    def add(self, entry_id: str, mail: OutboundMail, raw: bytes, at: datetime) -> None:
        fields = asdict(mail)
        for key in ("message_id", "incident_id", "event_id", "purpose", "account_id"):
            fields.pop(key)
        self._s.add(
            OutboxRow(
                id=entry_id,
                message_id=mail.message_id,
                incident_id=mail.incident_id,
                event_id=mail.event_id,
                purpose=mail.purpose.value,
                account_id=mail.account_id,
                mail=json.dumps(fields, ensure_ascii=False),
                raw=raw,
                state=OutboxState.QUEUED.value,
                attempts=0,
                queued_at=at,
                next_attempt_at=at,
                last_error="",
                refused="[]",
            )
        )
        self._s.flush()

    def get(self, entry_id: str, *, raw: bool = False) -> OutboxEntry | None:
        row = self._s.get(OutboxRow, entry_id)
        return _entry(row, raw=raw) if row is not None else None

    def entries(
        self,
        *,
        incident_id: str | None = None,
        states: Sequence[OutboxState] | None = None,
        limit: int = 500,
    ) -> list[OutboxEntry]:
        query = select(OutboxRow, IncidentRow.number).outerjoin(
            IncidentRow, IncidentRow.id == OutboxRow.incident_id
        )
        if incident_id is not None:
            query = query.where(OutboxRow.incident_id == incident_id)
        if states is not None:
            query = query.where(OutboxRow.state.in_([s.value for s in states]))
        query = query.order_by(OutboxRow.queued_at.desc(), OutboxRow.id.desc()).limit(limit)
        return [_entry(row, number or "") for row, number in self._s.execute(query)]

    def due(self, now: datetime, limit: int, stale_before: datetime) -> list[OutboxEntry]:
        """Mail to try now, oldest first: queued or deferred with its time come, and any left
        ``sending`` since before ``stale_before`` (its sender was killed mid-attempt)."""
        waiting = (OutboxState.QUEUED.value, OutboxState.DEFERRED.value)
        rows = self._s.scalars(
            select(OutboxRow)
            .where(
                or_(
                    OutboxRow.state.in_(waiting) & (OutboxRow.next_attempt_at <= now),
                    (OutboxRow.state == OutboxState.SENDING.value)
                    & (OutboxRow.last_attempt_at < stale_before),
                )
            )
            .order_by(OutboxRow.next_attempt_at, OutboxRow.queued_at)
            .limit(limit)
        )
        return [_entry(row, raw=True) for row in rows]

    def claim(
        self, entry_id: str, expected: OutboxState, last_attempt: datetime | None, at: datetime
    ) -> bool:
        """Mark the mail ``sending`` if it is still as read (``expected``, last tried at
        ``last_attempt``); False if another sender took it or an agent withdrew it."""
        tried = (
            OutboxRow.last_attempt_at.is_(None)
            if last_attempt is None
            else OutboxRow.last_attempt_at == last_attempt
        )
        result = self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == entry_id, OutboxRow.state == expected.value, tried)
            .values(
                state=OutboxState.SENDING.value,
                attempts=OutboxRow.attempts + 1,
                last_attempt_at=at,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def settle(
        self,
        entry_id: str,
        state: OutboxState,
        *,
        error: str = "",
        next_attempt_at: datetime | None = None,
        sent_at: datetime | None = None,
        refused: Sequence[str] = (),
        only_from: Sequence[OutboxState] | None = None,
    ) -> bool:
        query = update(OutboxRow).where(OutboxRow.id == entry_id)
        if only_from is not None:
            query = query.where(OutboxRow.state.in_([s.value for s in only_from]))
        result = self._s.execute(
            query.values(
                state=state.value,
                last_error=error,
                next_attempt_at=next_attempt_at,
                sent_at=sent_at,
                refused=json.dumps(list(refused)),
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def waiting_count(self) -> int:
        waiting = [s.value for s in OutboxState if s.waiting]
        return int(self._s.scalar(select(func.count()).where(OutboxRow.state.in_(waiting))) or 0)

    def outbox_mark(self) -> tuple[int, ...]:
        """Changes whenever a mail is queued, tried, sent or given up on (another program's
        sending shows in a running console's Outbox by it)."""
        sent, failed = OutboxState.SENT.value, OutboxState.FAILED.value
        row = self._s.execute(
            select(
                func.count(),
                func.coalesce(func.sum(OutboxRow.attempts), 0),
                func.coalesce(func.sum(case((OutboxRow.state == sent, 1), else_=0)), 0),
                func.coalesce(func.sum(case((OutboxRow.state == failed, 1), else_=0)), 0),
            )
        ).one()
        return tuple(int(v) for v in row)

    # -- SMTP accounts ----------------------------------------------------------------------

    def accounts(self) -> list[SmtpAccount]:
        rows = self._s.scalars(select(SmtpAccountRow).order_by(SmtpAccountRow.name))
        return [SmtpAccount(**{f: getattr(r, f) for f in _ACCOUNT_FIELDS}) for r in rows]

    def account(self, account_id: str) -> SmtpAccount | None:
        row = self._s.get(SmtpAccountRow, account_id)
        if row is None:
            return None
        return SmtpAccount(**{f: getattr(row, f) for f in _ACCOUNT_FIELDS})

    def save_account(self, account: SmtpAccount) -> None:
        row = self._s.get(SmtpAccountRow, account.id)
        values = {f: getattr(account, f) for f in _ACCOUNT_FIELDS}
        if row is None:
            self._s.add(SmtpAccountRow(**values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
        self._s.flush()

    def delete_account(self, account_id: str) -> None:
        self._s.execute(delete(SmtpAccountRow).where(SmtpAccountRow.id == account_id))
