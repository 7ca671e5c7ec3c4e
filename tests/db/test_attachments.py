"""Reading an attachment back from SQLite: scoped to its incident, bytes exactly as stored."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.domain.records import Attachment
from db.engine import open_database
from db.store import SqliteStore

ADDED = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(open_database(tmp_path / "t.sqlite3", backup=False, quick_check=False))
    yield store
    store.close()


def attachment(incident_id: str, name: str, content: bytes, number: int) -> Attachment:
    return Attachment(
        id=f"0190c0de-0000-7000-8000-{number:012d}",
        incident_id=incident_id,
        filename=name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_at=ADDED,
        author="Sofia Alvarez",
    )


def test_read_returns_the_record_and_the_bytes_as_stored(store: SqliteStore) -> None:
    content = b"\x00\x01 binary log \xff\r\n"
    log = attachment("incident-a", "app.log", content, 1)
    with store.transaction() as tx:
        tx.attachments.add(log, content)

    with store.read() as tx:
        found = tx.attachments.read("incident-a", log.id)

    assert found == (log, content)


def test_read_is_scoped_to_the_incident(store: SqliteStore) -> None:
    log = attachment("incident-a", "app.log", b"a", 1)
    other = attachment("incident-b", "app.log", b"b", 2)
    with store.transaction() as tx:
        tx.attachments.add(log, b"a")
        tx.attachments.add(other, b"b")

    with store.read() as tx:
        assert tx.attachments.read("incident-b", log.id) is None  # another incident's file
        assert tx.attachments.read("incident-a", "no-such-id") is None
        assert tx.attachments.read("incident-b", other.id) == (other, b"b")
