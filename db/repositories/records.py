"""Customers, support lists, windows, policy versions, agents, vendor contacts, attachments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from console.domain.ids import latest_stamp
from console.domain.records import (
    Agent,
    Attachment,
    Contact,
    Customer,
    EscalationContact,
    PolicyVersion,
    Role,
    SupportWindow,
)
from console.services.ports import AgentAccess, AgentChange
from db.models import (
    AgentAuditRow,
    AgentCredentialRow,
    AgentRow,
    AttachmentRow,
    Base,
    ContactRow,
    CustomerRow,
    EscalationContactRow,
    Meta,
    PolicyVersionRow,
    WindowRow,
)
from db.repositories._json import dumps, loads


def _upsert(session: Session, model: type[Base], values: dict[str, object]) -> None:
    stmt = sqlite_insert(model).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id"}
    )
    session.execute(stmt)


def _contact(row: ContactRow) -> Contact:
    return Contact(
        id=row.id,
        customer_id=row.customer_id,
        name=row.name,
        role=row.role,
        emails=tuple(loads(row.emails)),
        phones=tuple(loads(row.phones)),
        rank=row.rank,
    )


class SqlCustomerRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _customer(self, row: CustomerRow, contacts: tuple[Contact, ...]) -> Customer:
        return Customer(
            id=row.id,
            name=row.name,
            plan=row.plan,
            window_id=row.window_id,
            csm_name=row.csm_name,
            csm_email=row.csm_email,
            csm_phone=row.csm_phone,
            list_confirmed_at=row.list_confirmed_at,
            contacts=contacts,
        )

    def _contacts(self, customer_id: str | None = None) -> dict[str, list[Contact]]:
        stmt = select(ContactRow).where(ContactRow.deleted.is_(False))
        if customer_id is not None:
            stmt = stmt.where(ContactRow.customer_id == customer_id)
        by_customer: dict[str, list[Contact]] = {}
        for row in self._s.scalars(stmt.order_by(ContactRow.rank, ContactRow.id)):
            by_customer.setdefault(row.customer_id, []).append(_contact(row))
        return by_customer

    def get(self, customer_id: str) -> Customer | None:
        row = self._s.get(CustomerRow, customer_id)
        if row is None or row.deleted:
            return None
        return self._customer(row, tuple(self._contacts(customer_id).get(customer_id, [])))

    def list(self) -> list[Customer]:
        contacts = self._contacts()
        rows = self._s.scalars(
            select(CustomerRow).where(CustomerRow.deleted.is_(False)).order_by(CustomerRow.name)
        )
        return [self._customer(r, tuple(contacts.get(r.id, []))) for r in rows]

    def save(self, customer: Customer, hlc: str) -> None:
        _upsert(
            self._s,
            CustomerRow,
            {
                "id": customer.id,
                "name": customer.name,
                "plan": customer.plan,
                "window_id": customer.window_id,
                "csm_name": customer.csm_name,
                "csm_email": customer.csm_email,
                "csm_phone": customer.csm_phone,
                "list_confirmed_at": customer.list_confirmed_at,
                "hlc": hlc,
                "deleted": False,
            },
        )

    def save_contact(self, contact: Contact, hlc: str) -> None:
        _upsert(
            self._s,
            ContactRow,
            {
                "id": contact.id,
                "customer_id": contact.customer_id,
                "name": contact.name,
                "role": contact.role,
                "emails": dumps(list(contact.emails)),
                "phones": dumps(list(contact.phones)),
                "rank": contact.rank,
                "hlc": hlc,
                "deleted": False,
            },
        )

    def delete_contact(self, contact_id: str, hlc: str) -> None:
        self._s.execute(
            update(ContactRow).where(ContactRow.id == contact_id).values(deleted=True, hlc=hlc)
        )

    def restore_contact(self, contact_id: str, rank: str, hlc: str) -> None:
        self._s.execute(
            update(ContactRow)
            .where(ContactRow.id == contact_id)
            .values(deleted=False, rank=rank, hlc=hlc)
        )

    def contact(self, contact_id: str, *, include_deleted: bool = False) -> Contact | None:
        row = self._s.get(ContactRow, contact_id)
        if row is None or (row.deleted and not include_deleted):
            return None
        return _contact(row)


def _window(row: WindowRow) -> SupportWindow:
    return SupportWindow(
        id=row.id,
        name=row.name,
        hours=row.hours,
        zone=row.zone,
        holidays=tuple(date.fromisoformat(d) for d in loads(row.holidays)),
        holiday_country=row.holiday_country,
        holiday_subdivision=row.holiday_subdivision,
        builtin=row.builtin,
    )


class SqlWindowRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, window_id: str) -> SupportWindow | None:
        row = self._s.get(WindowRow, window_id)
        return _window(row) if row is not None and not row.deleted else None

    def list(self) -> list[SupportWindow]:
        rows = self._s.scalars(
            select(WindowRow)
            .where(WindowRow.deleted.is_(False))
            .order_by(WindowRow.builtin.desc(), WindowRow.name)
        )
        return [_window(r) for r in rows]

    def save(self, window: SupportWindow, hlc: str) -> None:
        _upsert(
            self._s,
            WindowRow,
            {
                "id": window.id,
                "name": window.name,
                "hours": window.hours,
                "zone": window.zone,
                "holidays": dumps([d.isoformat() for d in window.holidays]),
                "holiday_country": window.holiday_country,
                "holiday_subdivision": window.holiday_subdivision,
                "builtin": window.builtin,
                "hlc": hlc,
                "deleted": False,
            },
        )


def _policy(row: PolicyVersionRow) -> PolicyVersion:
    return PolicyVersion(
        id=row.id, version=row.version, text=row.text, created_at=row.created_at, author=row.author
    )


class SqlPolicyRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def latest(self) -> PolicyVersion | None:
        row = self._s.scalar(
            select(PolicyVersionRow).order_by(PolicyVersionRow.version.desc()).limit(1)
        )
        return _policy(row) if row else None

    def get(self, version: int) -> PolicyVersion | None:
        row = self._s.scalar(select(PolicyVersionRow).where(PolicyVersionRow.version == version))
        return _policy(row) if row else None

    def list(self) -> list[PolicyVersion]:
        rows = self._s.scalars(select(PolicyVersionRow).order_by(PolicyVersionRow.version))
        return [_policy(r) for r in rows]

    def add(self, version: PolicyVersion) -> None:
        self._s.add(
            PolicyVersionRow(
                id=version.id,
                version=version.version,
                text=version.text,
                created_at=version.created_at,
                author=version.author,
            )
        )
        self._s.flush()


class SqlAgentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _agent(row: AgentRow) -> Agent:
        return Agent(id=row.id, name=row.name, role=Role(row.role), email=row.email)

    def get(self, agent_id: str) -> Agent | None:
        row = self._s.get(AgentRow, agent_id)
        return self._agent(row) if row is not None and not row.deleted else None

    def list(self) -> list[Agent]:
        rows = self._s.scalars(
            select(AgentRow).where(AgentRow.deleted.is_(False)).order_by(AgentRow.name)
        )
        return [self._agent(r) for r in rows]

    def save(self, agent: Agent, hlc: str) -> None:
        _upsert(
            self._s,
            AgentRow,
            {
                "id": agent.id,
                "name": agent.name,
                "role": agent.role.value,
                "email": agent.email,
                "hlc": hlc,
                "deleted": False,
            },
        )

    def access(self, agent_id: str) -> AgentAccess:
        row = self._s.get(AgentCredentialRow, agent_id)
        if row is None:
            return AgentAccess(agent_id)
        return AgentAccess(agent_id, passphrase_hash=row.passphrase_hash, active=row.active)

    def set_access(self, access: AgentAccess, at: datetime) -> None:
        values = {
            "agent_id": access.agent_id,
            "passphrase_hash": access.passphrase_hash,
            "active": access.active,
            "changed_at": at,
        }
        stmt = sqlite_insert(AgentCredentialRow).values(values)
        self._s.execute(
            stmt.on_conflict_do_update(
                index_elements=["agent_id"],
                set_={k: stmt.excluded[k] for k in values if k != "agent_id"},
            )
        )

    def record_change(self, change: AgentChange) -> None:
        self._s.add(
            AgentAuditRow(
                at=change.at,
                actor_id=change.actor_id,
                actor_name=change.actor_name,
                agent_id=change.agent_id,
                action=change.action,
                detail=change.detail,
            )
        )
        self._s.flush()

    def changes(self, agent_id: str | None = None) -> tuple[AgentChange, ...]:
        stmt = select(AgentAuditRow).order_by(AgentAuditRow.id)
        if agent_id is not None:
            stmt = stmt.where(AgentAuditRow.agent_id == agent_id)
        return tuple(
            AgentChange(
                at=r.at,
                actor_id=r.actor_id,
                actor_name=r.actor_name,
                agent_id=r.agent_id,
                action=r.action,
                detail=r.detail,
            )
            for r in self._s.scalars(stmt)
        )


class SqlEscalationContactRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def list(self, level: int | None = None) -> list[EscalationContact]:
        stmt = select(EscalationContactRow).where(EscalationContactRow.deleted.is_(False))
        if level is not None:
            stmt = stmt.where(EscalationContactRow.level == level)
        stmt = stmt.order_by(
            EscalationContactRow.level, EscalationContactRow.rank, EscalationContactRow.id
        )
        return [
            EscalationContact(
                id=r.id,
                level=r.level,
                name=r.name,
                role=r.role,
                email=r.email,
                phone=r.phone,
                rank=r.rank,
            )
            for r in self._s.scalars(stmt)
        ]

    def save(self, contact: EscalationContact, hlc: str) -> None:
        _upsert(
            self._s,
            EscalationContactRow,
            {
                "id": contact.id,
                "level": contact.level,
                "name": contact.name,
                "role": contact.role,
                "email": contact.email,
                "phone": contact.phone,
                "rank": contact.rank,
                "hlc": hlc,
                "deleted": False,
            },
        )

    def delete(self, contact_id: str, hlc: str) -> None:
        self._s.execute(
            update(EscalationContactRow)
            .where(EscalationContactRow.id == contact_id)
            .values(deleted=True, hlc=hlc)
        )


_ATTACHMENT_COLUMNS = (
    AttachmentRow.id,
    AttachmentRow.incident_id,
    AttachmentRow.filename,
    AttachmentRow.size,
    AttachmentRow.sha256,
    AttachmentRow.added_at,
    AttachmentRow.author,
)


class SqlAttachmentRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, attachment: Attachment, content: bytes) -> None:
        self._s.add(
            AttachmentRow(
                id=attachment.id,
                incident_id=attachment.incident_id,
                filename=attachment.filename,
                size=attachment.size,
                sha256=attachment.sha256,
                content=content,
                added_at=attachment.added_at,
                author=attachment.author,
            )
        )
        self._s.flush()

    def list(self, incident_id: str) -> list[Attachment]:
        rows = self._s.execute(
            select(*_ATTACHMENT_COLUMNS)
            .where(AttachmentRow.incident_id == incident_id)
            .order_by(AttachmentRow.added_at)
        )
        return [Attachment(*row) for row in rows]

    def content(self, attachment_id: str) -> bytes:
        data = self._s.scalar(
            select(AttachmentRow.content).where(AttachmentRow.id == attachment_id)
        )
        if data is None:
            raise KeyError(f"no attachment {attachment_id}")
        return data

    def read(self, incident_id: str, attachment_id: str) -> tuple[Attachment, bytes] | None:
        row = self._s.execute(
            select(*_ATTACHMENT_COLUMNS, AttachmentRow.content).where(
                AttachmentRow.id == attachment_id, AttachmentRow.incident_id == incident_id
            )
        ).one_or_none()
        if row is None:
            return None
        attachment = Attachment(
            id=row.id,
            incident_id=row.incident_id,
            filename=row.filename,
            size=row.size,
            sha256=row.sha256,
            added_at=row.added_at,
            author=row.author,
        )
        return attachment, bytes(row.content or b"")


class SqlMetaRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, key: str) -> str | None:
        row = self._s.get(Meta, key)
        return row.value if row else None

    def set(self, key: str, value: str) -> None:
        stmt = sqlite_insert(Meta).values(key=key, value=value)
        self._s.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))

    def highest_stamp(self) -> str:
        tops = [
            self._s.execute(select(func.max(table.c.hlc))).scalar()
            for table in Base.metadata.sorted_tables
            if "hlc" in table.c and table.name != "sync_outbox"  # queued copies of these
        ]
        return latest_stamp(tops)

    def next_sequence(self, name: str) -> int:
        key = f"sequence.{name}"
        value = int(self.get(key) or "0") + 1
        self.set(key, str(value))
        return value
