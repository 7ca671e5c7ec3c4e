"""Incident history is append-only in the database itself, whatever program writes the file.

Raw ``sqlite3`` on a real file migrated to head: another tool, a script or a careless query
can add events but never change or remove one. The record of role changes is kept the same
way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from db.engine import open_database

EVENT = (
    "INSERT INTO incident_events (id, incident_id, kind, at, author, origin, hlc, data)"
    " VALUES (?, 'inc-1', 'opened', '2026-03-10 17:00:00.000000', 'Sofia', 'ws', '', '{}')"
)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite3"
    open_database(path, backup=False, quick_check=False).close()
    with sqlite3.connect(path) as raw:
        raw.execute(EVENT, ("ev-1",))
        raw.execute(
            "INSERT INTO agent_audit (at, actor_id, actor_name, agent_id, action, detail)"
            " VALUES ('2026-03-10 17:00:00.000000', 'a1', 'Priya', 'a2', 'role changed',"
            " 'agent → lead')"
        )
    return path


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM incident_events",
        "DELETE FROM incident_events WHERE id = 'ev-1'",
        "UPDATE incident_events SET author = 'Someone else'",
        "UPDATE incident_events SET kind = 'resolved', data = '{}' WHERE id = 'ev-1'",
    ],
)
def test_an_event_cannot_be_changed_or_deleted(history: Path, statement: str) -> None:
    raw = sqlite3.connect(history)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="incident history cannot be changed"):
            raw.execute(statement)
        raw.rollback()
        rows = raw.execute("SELECT id, kind, author FROM incident_events").fetchall()
    finally:
        raw.close()
    assert rows == [("ev-1", "opened", "Sofia")]


@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE", "INSERT OR IGNORE"])
def test_an_event_cannot_be_replaced_by_inserting_its_id_again(history: Path, verb: str) -> None:
    with sqlite3.connect(history) as raw:
        raw.execute(
            f"{verb} INTO incident_events (id, incident_id, kind, at, author, origin, hlc, data)"
            " VALUES ('ev-1', 'inc-1', 'resolved', '2026-03-10 18:00:00.000000', 'x', '', '',"
            " '{}')"
        )
        rows = raw.execute("SELECT id, kind, author FROM incident_events").fetchall()
    assert rows == [("ev-1", "opened", "Sofia")]


def test_events_are_still_appended(history: Path) -> None:
    with sqlite3.connect(history) as raw:
        raw.execute(EVENT, ("ev-2",))
        count = raw.execute("SELECT count(*) FROM incident_events").fetchone()[0]
    assert count == 2


def test_the_record_of_role_changes_cannot_be_rewritten(history: Path) -> None:
    raw = sqlite3.connect(history)
    try:
        for statement in ("DELETE FROM agent_audit", "UPDATE agent_audit SET actor_name = 'x'"):
            with pytest.raises(sqlite3.DatabaseError, match="role changes cannot be changed"):
                raw.execute(statement)
        rows = raw.execute("SELECT actor_name, detail FROM agent_audit").fetchall()
    finally:
        raw.close()
    assert rows == [("Priya", "agent → lead")]
