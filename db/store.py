"""The SQLite implementation of the services' Store port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from db.engine import Database
from db.repositories.incidents import SqlIncidentRepository
from db.repositories.mail import SqlMailRepository
from db.repositories.records import (
    SqlAgentRepository,
    SqlAttachmentRepository,
    SqlCustomerRepository,
    SqlEscalationContactRepository,
    SqlMetaRepository,
    SqlPolicyRepository,
    SqlWindowRepository,
)
from db.repositories.views import SqlSavedViewRepository


class SqlTransaction:
    """Repositories sharing one Session, so one commit covers everything done through them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.incidents = SqlIncidentRepository(session)
        self.customers = SqlCustomerRepository(session)
        self.windows = SqlWindowRepository(session)
        self.policies = SqlPolicyRepository(session)
        self.agents = SqlAgentRepository(session)
        self.escalation_contacts = SqlEscalationContactRepository(session)
        self.attachments = SqlAttachmentRepository(session)
        self.saved_views = SqlSavedViewRepository(session)
        self.mail = SqlMailRepository(session)
        self.meta = SqlMetaRepository(session)


class SqliteStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def path(self) -> str:
        return str(self.database.path)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.database.transaction() as session:
            yield SqlTransaction(session)

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        with self.database.read() as session:
            yield SqlTransaction(session)

    def close(self) -> None:
        self.database.close()
