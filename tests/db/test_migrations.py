"""Alembic migrations: fresh databases reach head matching the models; every step goes up and
down; a pending migration is preceded by a backup and runs all-or-nothing; a newer database is
refused untouched.

Scenarios that need a later revision than the real ones use a copy of ``db/migrations`` with
one test-only revision added, by pointing ``db.migrate.SCRIPT_LOCATION`` at it.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from db import migrate
from db.engine import Database, open_database
from db.errors import DatabaseLocked, DatabaseTooNew, StoreBug
from db.models import Base

CHAIN = migrate.known_revisions()
HEAD = migrate.head_revision()
BACKUP_NAME = re.compile(r"console\.backup-(?P<rev>[^-]+)-\d{8}T\d{6}Z(-\d+)?\.sqlite3")

# Rebuilds a table other rows point at (customers.window_id → support_windows.id), the
# batch-mode operation that would cascade or fail if foreign keys were on while migrating.
REBUILD_REFERENCED_TABLE = '''
"""Test only: add a column to support_windows by rebuilding the table (batch mode)."""

import sqlalchemy as sa
from alembic import op

revision = "t0002"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_windows", recreate="always") as batch:
        batch.add_column(sa.Column("colour", sa.String(16), nullable=False, server_default="blue"))


def downgrade() -> None:
    with op.batch_alter_table("support_windows", recreate="always") as batch:
        batch.drop_column("colour")
'''

FAILS_HALFWAY = '''
"""Test only: a migration that does some work and then fails."""

import sqlalchemy as sa
from alembic import op

revision = "t0002"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("UPDATE meta SET value = 'changed'")
    raise RuntimeError("this migration fails halfway")


def downgrade() -> None:
    pass
'''


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def revision_of(path: Path) -> str | None:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    finally:
        connection.close()
    return rows[0][0] if rows else None


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.backup-*"))


def user_tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
    return names - {"alembic_version"}


@pytest.fixture
def later_scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Install a copy of the migrations with one extra revision (its source as argument)."""

    def install(source: str) -> Path:
        location = tmp_path / "migrations"
        shutil.rmtree(location, ignore_errors=True)
        shutil.copytree(
            migrate.SCRIPT_LOCATION, location, ignore=shutil.ignore_patterns("__pycache__")
        )
        (location / "versions" / "t0002_test.py").write_text(source.format(head=HEAD))
        monkeypatch.setattr(migrate, "SCRIPT_LOCATION", location)
        return location

    return install


@pytest.fixture
def db_at_head(tmp_path: Path) -> Path:
    """A closed database at the real head, with a window, a customer using it and a meta row."""
    path = tmp_path / "data" / "console.sqlite3"
    with open_database(path) as database, database.transaction() as session:
        session.execute(
            text(
                "INSERT INTO support_windows (id, name, hours, zone, holidays, holiday_country,"
                " holiday_subdivision, builtin, hlc, deleted)"
                " VALUES ('w1', 'GMT', 'Mon-Fri 09:00-17:30', 'Etc/GMT', '[]', '', '', 1, '', 0)"
            )
        )
        session.execute(
            text(
                "INSERT INTO customers (id, name, plan, window_id, csm_name, csm_email,"
                " csm_phone, hlc, deleted) VALUES ('c1', 'Acme', 'Premium', 'w1', '', '', '',"
                " '', 0)"
            )
        )
        session.execute(text("INSERT INTO meta (key, value) VALUES ('workstation', 'ws-1')"))
    return path


# --------------------------------------------------------------------------------------------
# Fresh databases and the scripts themselves


def test_the_scripts_form_one_chain_and_the_fast_reader_agrees_with_alembic() -> None:
    scripts = migrate.script_directory()
    walked = tuple(reversed([s.revision for s in scripts.walk_revisions()]))
    assert walked, "there are no migrations"
    assert migrate.known_revisions() == walked
    assert HEAD == scripts.get_current_head() == walked[-1]


def test_revisions_that_are_not_plain_literals_are_read_through_alembic(
    later_scripts: Callable[[str], Path],
) -> None:
    computed = REBUILD_REFERENCED_TABLE.replace(
        "down_revision = {head!r}", "down_revision = str({head!r})"
    )
    later_scripts(computed)
    assert migrate.known_revisions() == (*CHAIN, "t0002")
    assert migrate.head_revision() == "t0002"


def test_a_new_path_gets_a_database_at_head_matching_the_models(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.sqlite3"
    with open_database(path) as database:
        assert set(Base.metadata.tables) <= user_tables(database)
        with database.engine.connect() as connection:
            assert migrate.current_revision(connection) == HEAD
            assert migrate.schema_diff(connection) == []
        with database.read() as session:
            assert session.scalar(text("PRAGMA journal_mode")) == "wal"
    assert backups(path.parent) == []


def test_the_url_form_used_by_developer_tooling_reaches_the_same_schema(tmp_path: Path) -> None:
    path = tmp_path / "tooling.sqlite3"
    command.upgrade(migrate.alembic_config(f"sqlite:///{path}"), "head")
    assert revision_of(path) == HEAD
    with Database(path) as database, database.engine.connect() as connection:
        assert migrate.schema_diff(connection) == []


def test_offline_sql_can_be_generated(capsys: pytest.CaptureFixture[str]) -> None:
    command.upgrade(migrate.alembic_config("sqlite://"), "head", sql=True)
    assert "CREATE TABLE meta" in capsys.readouterr().out


@pytest.mark.parametrize("target", migrate.known_revisions())
def test_every_revision_goes_up_step_by_step_and_back_down(tmp_path: Path, target: str) -> None:
    chain = migrate.known_revisions()
    steps = chain[: chain.index(target) + 1]
    with Database(tmp_path / "steps.sqlite3") as database:
        for expected in steps:
            migrate.upgrade(database, "+1")
            with database.engine.connect() as connection:
                assert migrate.current_revision(connection) == expected
        if target == HEAD:
            with database.engine.connect() as connection:
                assert migrate.schema_diff(connection) == []
        for below in reversed((None, *steps[:-1])):
            migrate.downgrade(database, "-1")
            with database.engine.connect() as connection:
                assert migrate.current_revision(connection) == below
        assert user_tables(database) == set()
        with database.engine.connect() as connection:  # and up again, on a Connection
            migrate.upgrade(connection, target)
            connection.commit()
            assert migrate.current_revision(connection) == target


# --------------------------------------------------------------------------------------------
# Pending migrations: backup first, all or nothing


def test_a_pending_migration_is_preceded_by_a_backup(
    db_at_head: Path, later_scripts: Callable[[str], Path]
) -> None:
    folder = db_at_head.parent
    later_scripts(REBUILD_REFERENCED_TABLE)

    with open_database(db_at_head) as database:
        with database.read() as session:
            assert session.execute(text("SELECT id, colour FROM support_windows")).all() == [
                ("w1", "blue")
            ]
            assert session.scalar(text("SELECT window_id FROM customers")) == "w1"
        # Foreign keys are back on after the migration.
        with pytest.raises(IntegrityError), database.transaction() as session:
            session.execute(text("UPDATE customers SET window_id = 'nowhere'"))
    assert revision_of(db_at_head) == "t0002"

    [backup] = backups(folder)
    match = BACKUP_NAME.fullmatch(backup.name)
    assert match and match["rev"] == HEAD
    assert revision_of(backup) == HEAD
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("SELECT value FROM meta").fetchall() == [("ws-1",)]
        columns = [row[1] for row in copy.execute("PRAGMA table_info(support_windows)")]
        assert "colour" not in columns
    finally:
        copy.close()
    assert not list(folder.glob("*.part"))

    open_database(db_at_head).close()  # now at head: no second backup
    assert backups(folder) == [backup]


def test_a_locked_database_is_not_backed_up_or_migrated(
    db_at_head: Path, later_scripts: Callable[[str], Path]
) -> None:
    later_scripts(REBUILD_REFERENCED_TABLE)
    other = sqlite3.connect(db_at_head, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseLocked):
            open_database(db_at_head, busy_timeout_ms=50)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert revision_of(db_at_head) == HEAD
    assert backups(db_at_head.parent) == []  # the copy is taken under the write lock


def test_no_backup_when_already_at_head_or_new(db_at_head: Path, tmp_path: Path) -> None:
    open_database(db_at_head).close()
    assert backups(db_at_head.parent) == []
    open_database(tmp_path / "fresh.sqlite3").close()
    assert backups(tmp_path) == []


def test_backup_can_be_turned_off(db_at_head: Path, later_scripts: Callable[[str], Path]) -> None:
    later_scripts(REBUILD_REFERENCED_TABLE)
    open_database(db_at_head, backup=False).close()
    assert revision_of(db_at_head) == "t0002"
    assert backups(db_at_head.parent) == []


def test_a_failing_migration_changes_nothing(
    db_at_head: Path, later_scripts: Callable[[str], Path]
) -> None:
    later_scripts(FAILS_HALFWAY)
    with pytest.raises(StoreBug) as caught:
        open_database(db_at_head)
    assert "fails halfway" in caught.value.message
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert revision_of(db_at_head) == HEAD
    check = sqlite3.connect(db_at_head)
    try:
        tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master")}
        assert "half_done" not in tables
        assert check.execute("SELECT value FROM meta").fetchall() == [("ws-1",)]
    finally:
        check.close()
    assert len(backups(db_at_head.parent)) == 1  # the copy was taken before trying


def test_a_database_written_by_a_newer_version_is_refused_untouched(
    db_at_head: Path,
    later_scripts: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = migrate.SCRIPT_LOCATION
    later_scripts(REBUILD_REFERENCED_TABLE)
    open_database(db_at_head, backup=False).close()  # the newer version migrates it
    monkeypatch.setattr(migrate, "SCRIPT_LOCATION", real)  # and we are the older version

    folder = db_at_head.parent
    before, files = sha256(db_at_head), sorted(folder.iterdir())
    with pytest.raises(DatabaseTooNew) as caught:
        open_database(db_at_head)
    assert (caught.value.found, caught.value.supported) == ("t0002", HEAD)
    assert sha256(db_at_head) == before
    assert sorted(folder.iterdir()) == files
