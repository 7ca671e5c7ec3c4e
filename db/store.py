"""The SQLite implementation of the services' Store port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from db.engine import Database
from db.repositories.incidents import SqlIncidentRepository
from db.repositories.mail import SqlMailRepository
from db.repositories.outbox import SqlOutboxRepository
from db.repositories.records import (
    SqlAgentRepository,
    SqlAttachmentRepository,
    SqlCustomerRepository,
    SqlEscalationContactRepository,
    SqlMetaRepository,
    SqlPolicyRepository,
    SqlWindowRepository,
)
from db.repositories.templates import SqlTemplateRepository
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
        self.templates = SqlTemplateRepository(session)
        self.mail = SqlMailRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.meta = SqlMetaRepository(session)


class SqliteStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._open = threading.local()  # this thread's open write transaction, if any

    @property
    def path(self) -> str:
        return str(self.database.path)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        """One write transaction. Opened again on the same thread while one is open, it is a
        savepoint of that one: the inner work is undone alone if it fails, and lands with
        the outer commit (mail intake files fifty messages in one commit this way)."""
        outer: SqlTransaction | None = getattr(self._open, "tx", None)
        if outer is not None:
            with outer.session.begin_nested():
                yield outer
            return
        with self.database.transaction() as session:
            self._open.tx = SqlTransaction(session)
            try:
                yield self._open.tx
            finally:
                self._open.tx = None  # before the commit and its callbacks run

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        """A read snapshot; inside this thread's open write transaction, that transaction
        (so it sees what the transaction wrote so far)."""
        outer: SqlTransaction | None = getattr(self._open, "tx", None)
        if outer is not None:
            yield outer
            return
        with self.database.read() as session:
            yield SqlTransaction(session)

    def close(self) -> None:
        self.database.close()
