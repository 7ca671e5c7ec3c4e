"""A write transaction opened inside another on the same thread is a savepoint of it (mail
intake files fifty messages per commit this way): what fails inside is undone alone, reads
inside see what the batch wrote, and nothing lands before the outer commit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.engine import open_database
from db.store import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(open_database(tmp_path / "t.sqlite3", backup=False, quick_check=False))
    yield store
    store.close()


def value(store: SqliteStore, key: str) -> str | None:
    with store.read() as tx:
        return tx.meta.get(key)


def test_a_failure_inside_a_batch_undoes_that_part_alone(store: SqliteStore) -> None:
    seen_elsewhere: list[str | None] = []
    with store.transaction() as outer:
        outer.meta.set("first", "1")
        with pytest.raises(RuntimeError), store.transaction() as inner:
            inner.meta.set("second", "2")
            raise RuntimeError("this message could not be filed")
        with store.transaction() as inner:
            inner.meta.set("third", "3")
        assert value(store, "first") == "1"  # a read inside sees the batch so far
        assert value(store, "second") is None
        other = threading.Thread(target=lambda: seen_elsewhere.append(value(store, "first")))
        other.start()
        other.join()
    assert seen_elsewhere == [None]  # another thread sees nothing before the commit
    assert [value(store, k) for k in ("first", "second", "third")] == ["1", None, "3"]


def test_a_failed_batch_leaves_nothing(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as outer:
        outer.meta.set("first", "1")
        with store.transaction() as inner:
            inner.meta.set("second", "2")
        raise RuntimeError("the database went away")
    assert value(store, "first") is None and value(store, "second") is None
    with store.transaction() as tx:  # and the next transaction is an ordinary one again
        tx.meta.set("after", "yes")
    assert value(store, "after") == "yes"
