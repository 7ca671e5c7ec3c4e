"""Fixtures for the review screens (escalations, wallboard, history): the demo database.

Reuses the session's demo template from ``conftest.py`` (a copy per test), signed in as the
lead, with the vendor's escalation ladder filled in: two Escalation 1 contacts and one
Escalation 2 contact. Import the fixture into a test module
(``from tests.ui.review_fixtures import review_world``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from console.domain.records import EscalationContact, Role
from console.services.context import ConsoleContext
from console.services.review import ReviewService
from db.engine import open_database
from db.store import SqliteStore
from tests.ui.conftest import FakeClock, make_context


@dataclass(frozen=True)
class ReviewWorld:
    context: ConsoleContext
    clock: FakeClock
    store: SqliteStore
    escalation_contacts: tuple[EscalationContact, ...]

    @property
    def review(self) -> ReviewService:
        return ReviewService(self.context.store, self.context.clock)


@pytest.fixture
def review_world(demo_template: Path, tmp_path: Path) -> Iterator[ReviewWorld]:
    path = tmp_path / "console.sqlite3"
    shutil.copyfile(demo_template, path)
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    with store.read() as tx:
        lead = next(a for a in tx.agents.list() if a.role is Role.LEAD)
    clock = FakeClock()
    context = make_context(store, clock, lead, path)
    policy = context.policy
    contacts = tuple(policy.escalation_contacts())  # the demo's vendor ladder
    assert [c.level for c in contacts] == [1, 1, 2]
    yield ReviewWorld(context=context, clock=clock, store=store, escalation_contacts=contacts)
    QThreadPool.globalInstance().waitForDone()
    store.close()
