"""Email intake's tables (migration 0009): the ledger, raw bytes, Message-IDs, the Inbox.

Local to this database; nothing here is synced. Addresses are compared lower-cased, as the
parser leaves them; a contact's addresses are read from its JSON list, whatever a peer put
there (anything that is not a list of text matches nothing).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.domain.mail import Mailbox
from console.services.ports import HeldMail, LedgerEntry
from db.models import (
    ContactRow,
    CustomerRow,
    MailboxRow,
    MailHeldRow,
    MailLedgerRow,
    MailMessageIdRow,
    MailRawRow,
)


def _emails(stored: Any) -> list[str]:
    try:
        values = json.loads(stored) if isinstance(stored, str) else []
    except ValueError:
        return []
    if not isinstance(values, list):
        return []
    return [v.strip().lower() for v in values if isinstance(v, str)]


def _held(row: MailHeldRow) -> HeldMail:
    return HeldMail(
        id=row.id,
        mailbox=row.mailbox,
        ledger_id=row.ledger_id,
        sha256=row.sha256,
        sender=row.sender,
        sender_name=row.sender_name,
        subject=row.subject,
        received_at=row.received_at,
        verdict=row.verdict,
        why=row.why,
        status=row.status,
    )


class SqlMailRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def seen(self, mailbox: str, ledger_id: str) -> bool:
        found = self._s.scalar(
            select(MailLedgerRow.id).where(
                MailLedgerRow.mailbox == mailbox, MailLedgerRow.ledger_id == ledger_id
            )
        )
        return found is not None

    def last_uid(self, mailbox: str, uidvalidity: int) -> int:
        found = self._s.scalar(
            select(func.max(MailLedgerRow.uid)).where(
                MailLedgerRow.mailbox == mailbox, MailLedgerRow.uidvalidity == uidvalidity
            )
        )
        return int(found or 0)

    def record(self, entry: LedgerEntry, raw: bytes) -> None:
        self._s.execute(
            sqlite_insert(MailRawRow)
            .values(sha256=entry.sha256, raw=raw)
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        self._s.add(
            MailLedgerRow(
                mailbox=entry.mailbox,
                ledger_id=entry.ledger_id,
                uidvalidity=entry.uidvalidity,
                uid=entry.uid,
                sha256=entry.sha256,
                verdict=entry.verdict,
                incident_id=entry.incident_id,
                sender=entry.sender,
                received_at=entry.received_at,
                imported_at=entry.imported_at,
                detail=entry.detail,
            )
        )
        self._s.flush()

    def raw(self, sha256: str) -> bytes | None:
        found = self._s.scalar(select(MailRawRow.raw).where(MailRawRow.sha256 == sha256))
        return bytes(found) if found is not None else None

    def incident_of(self, message_ids: Sequence[str]) -> str | None:
        if not message_ids:
            return None
        rows = self._s.execute(
            select(MailMessageIdRow.message_id, MailMessageIdRow.incident_id).where(
                MailMessageIdRow.message_id.in_(list(message_ids))
            )
        ).all()
        found = {str(mid): str(incident) for mid, incident in rows}
        return next((found[mid] for mid in message_ids if mid in found), None)

    def remember(self, message_id: str, incident_id: str, direction: str, at: datetime) -> None:
        if not message_id:
            return
        self._s.execute(
            sqlite_insert(MailMessageIdRow)
            .values(
                message_id=message_id, incident_id=incident_id, direction=direction, recorded_at=at
            )
            .on_conflict_do_nothing(index_elements=["message_id"])
        )

    def received_from(self, sender: str, since: datetime) -> int:
        if not sender:
            return 0
        count = self._s.scalar(
            select(func.count(MailLedgerRow.id)).where(
                MailLedgerRow.sender == sender, MailLedgerRow.received_at >= since
            )
        )
        return int(count or 0)

    def contacts_with_email(self, address: str) -> list[tuple[str, str]]:
        wanted = address.strip().lower()
        if not wanted:
            return []
        # A LIKE narrows the rows (case-insensitive for ASCII in SQLite); the JSON decides.
        pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._s.execute(
            select(ContactRow.customer_id, ContactRow.id, ContactRow.emails)
            .join(CustomerRow, CustomerRow.id == ContactRow.customer_id)
            .where(
                ContactRow.deleted.is_not(True),
                CustomerRow.deleted.is_not(True),
                ContactRow.emails.like(pattern, escape="\\"),
            )
            .order_by(ContactRow.customer_id, ContactRow.rank)
        ).all()
        return [(str(c), str(i)) for c, i, emails in rows if wanted in _emails(emails)]

    def hold(self, held: HeldMail) -> None:
        self._s.execute(
            sqlite_insert(MailHeldRow)
            .values(
                mailbox=held.mailbox,
                ledger_id=held.ledger_id,
                sha256=held.sha256,
                sender=held.sender,
                sender_name=held.sender_name,
                subject=held.subject,
                received_at=held.received_at,
                verdict=held.verdict,
                why=held.why,
                status=held.status,
                decided_by="",
            )
            .on_conflict_do_nothing(index_elements=["mailbox", "ledger_id"])
        )

    def held(self, status: str = "held") -> list[HeldMail]:
        rows = self._s.scalars(
            select(MailHeldRow)
            .where(MailHeldRow.status == status)
            .order_by(MailHeldRow.received_at, MailHeldRow.id)
        )
        return [_held(r) for r in rows]

    def held_mark(self) -> tuple[int, int]:
        row = self._s.execute(
            select(func.count(), func.coalesce(func.max(MailHeldRow.id), 0)).where(
                MailHeldRow.status == "held"
            )
        ).one()
        return int(row[0]), int(row[1])

    def held_one(self, held_id: int) -> HeldMail | None:
        row = self._s.get(MailHeldRow, held_id)
        return _held(row) if row is not None else None

    def decide(self, held_id: int, status: str, by: str, at: datetime) -> None:
        self._s.execute(
            update(MailHeldRow)
            .where(MailHeldRow.id == held_id)
            .values(status=status, decided_by=by, decided_at=at)
        )

    def settle(self, mailbox: str, ledger_id: str, verdict: str, incident_id: str) -> None:
        self._s.execute(
            update(MailLedgerRow)
            .where(MailLedgerRow.mailbox == mailbox, MailLedgerRow.ledger_id == ledger_id)
            .values(verdict=verdict, incident_id=incident_id)
        )

    # -- mailboxes ------------------------------------------------------------------------

    def mailboxes(self) -> list[Mailbox]:
        rows = self._s.scalars(select(MailboxRow).order_by(MailboxRow.name))
        return [_mailbox(r) for r in rows]

    def mailbox(self, mailbox_id: str) -> Mailbox | None:
        row = self._s.get(MailboxRow, mailbox_id)
        return _mailbox(row) if row is not None else None

    def save_mailbox(self, mailbox: Mailbox) -> None:
        row = self._s.get(MailboxRow, mailbox.id)
        if row is None:
            row = MailboxRow(id=mailbox.id, uidvalidity=0, last_uid=0)
            self._s.add(row)
        elif (row.host, row.port, row.username, row.folder) != (
            mailbox.host,
            mailbox.port,
            mailbox.username,
            mailbox.folder,
        ):
            row.uidvalidity, row.last_uid = 0, 0  # another mailbox: read it from the start
        row.name, row.host, row.port = mailbox.name, mailbox.host, mailbox.port
        row.username, row.folder, row.after = mailbox.username, mailbox.folder, mailbox.after
        row.move_to, row.ca_file = mailbox.move_to, mailbox.ca_file
        row.starttls, row.enabled = mailbox.starttls, mailbox.enabled
        self._s.flush()

    def delete_mailbox(self, mailbox_id: str) -> None:
        row = self._s.get(MailboxRow, mailbox_id)
        if row is not None:
            self._s.delete(row)

    def read_mark(self, mailbox_id: str) -> tuple[int, int]:
        row = self._s.get(MailboxRow, mailbox_id)
        return (row.uidvalidity, row.last_uid) if row is not None else (0, 0)

    def set_read_mark(self, mailbox_id: str, uidvalidity: int, uid: int) -> None:
        self._s.execute(
            update(MailboxRow)
            .where(MailboxRow.id == mailbox_id)
            .values(uidvalidity=uidvalidity, last_uid=uid)
        )


def _mailbox(row: MailboxRow) -> Mailbox:
    return Mailbox(
        id=row.id,
        name=row.name,
        host=row.host,
        port=row.port,
        username=row.username,
        folder=row.folder,
        after=row.after,
        move_to=row.move_to,
        ca_file=row.ca_file,
        starttls=bool(row.starttls),
        enabled=bool(row.enabled),
    )
