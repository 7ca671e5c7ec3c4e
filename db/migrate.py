"""Alembic, configured in code: no alembic.ini is needed at run time.

The scripts live in ``db/migrations`` (``env.py``, ``script.py.mako``, ``versions/``).
``upgrade``/``downgrade`` take either an open :class:`db.engine.Database` (the whole
migration then runs in one ``BEGIN IMMEDIATE`` transaction on that engine's connection, with
foreign keys off so batch-mode table rebuilds cannot cascade, and a ``foreign_key_check``
before commit) or a SQLAlchemy ``Connection`` whose transaction the caller owns.

Importing Alembic costs about 0.3 s (it pulls in Mako and Pygments), so it is imported only
when a migration runs. ``known_revisions``/``head_revision`` read the ``revision`` and
``down_revision`` lines of the version files instead (``ast.literal_eval`` on just those
lines), falling back to Alembic for anything that is not a plain literal chain.

To write a new revision during development::

    from alembic import command
    from db.migrate import alembic_config
    command.revision(alembic_config("sqlite:///scratch.sqlite3"), "what changed",
                     autogenerate=True)   # against a scratch database upgraded to head
"""

# Alembic is imported lazily on purpose (see above).
# ruff: noqa: PLC0415

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, MetaData

from db.errors import StoreBug

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.schema import SchemaItem

#: The Alembic script folder. Tests may point this at a copy with extra revisions.
SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


class MigratableDatabase(Protocol):
    """What ``upgrade``/``downgrade`` need from :class:`db.engine.Database`."""

    @property
    def path(self) -> Path: ...

    def migration_connection(self) -> AbstractContextManager[Connection]:
        """A Connection (not yet begun) whose errors come out as typed StoreErrors."""
        ...


def alembic_config(target: str | Connection | None = None) -> Config:
    """A Config for our scripts; ``target`` is a database URL or an open Connection."""
    config = _config(SCRIPT_LOCATION)
    if isinstance(target, Connection):
        config.attributes["connection"] = target
    elif target is not None:
        config.set_main_option("sqlalchemy.url", _escape(str(target)))
    return config


def _config(location: Path) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _escape(str(location)))
    return config


def _escape(value: str) -> str:
    # Config options go through configparser interpolation.
    return value.replace("%", "%%")


def script_directory(location: Path | None = None) -> ScriptDirectory:
    """Alembic's view of the scripts (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config(location or SCRIPT_LOCATION))


def head_revision() -> str | None:
    """The newest revision the scripts know (None while there are none)."""
    chain = known_revisions()
    return chain[-1] if chain else None


def known_revisions() -> tuple[str, ...]:
    """Every revision the scripts know, oldest first."""
    return _known_revisions(SCRIPT_LOCATION)


@lru_cache(maxsize=4)
def _known_revisions(location: Path) -> tuple[str, ...]:
    chain = _literal_chain(location / "versions")
    if chain is None:  # branches, merges or computed ids: ask Alembic
        walk = script_directory(location).walk_revisions()
        chain = tuple(s.revision for s in reversed(list(walk)))
    return chain


def _literal_chain(versions: Path) -> tuple[str, ...] | None:
    """The linear chain base → head from the files' literals, or None if it is not that."""
    parents: dict[str, str | None] = {}
    for file in sorted(versions.glob("*.py")):
        if file.name.startswith(("__init__", ".", "#")):
            continue
        values = _module_literals(file, ("revision", "down_revision"))
        if "down_revision" not in values:
            return None
        revision, down = values.get("revision"), values["down_revision"]
        if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
            return None
        if revision in parents:
            return None
        parents[revision] = down
    children: dict[str | None, str] = {}
    for revision, down in parents.items():
        if down in children or (down is not None and down not in parents):
            return None
        children[down] = revision
    chain: list[str] = []
    current = children.get(None)
    while current is not None:
        chain.append(current)
        current = children.get(current)
    return tuple(chain) if len(chain) == len(parents) else None


_NOT_LITERAL = object()
_ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_]\w*)\s*(?::[^=]*)?=(?P<value>[^=].*)$")


def _module_literals(file: Path, names: tuple[str, ...]) -> dict[str, object]:
    """Top-level one-line ``name = <literal>`` assignments (a non-literal or a repeated name
    gives ``_NOT_LITERAL``, so the caller falls back to Alembic)."""
    found: dict[str, object] = {}
    for line in file.read_text(encoding="utf-8").splitlines():
        match = _ASSIGNMENT.match(line)
        if match is None or match["name"] not in names:
            continue
        try:
            value = ast.literal_eval(match["value"].strip())
        except (ValueError, SyntaxError):
            value = _NOT_LITERAL
        found[match["name"]] = _NOT_LITERAL if match["name"] in found else value
    return found


def current_revision(connection: Connection) -> str | None:
    """The revision a database is stamped with (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(
    target: MigratableDatabase | Connection,
    revision: str = "head",
    *,
    before: Callable[[Connection], None] | None = None,
) -> None:
    """Upgrade to ``revision``; ``before`` runs first, inside the same write transaction."""
    from alembic import command

    _run(target, lambda config: command.upgrade(config, revision), before)


def downgrade(target: MigratableDatabase | Connection, revision: str) -> None:
    from alembic import command

    _run(target, lambda config: command.downgrade(config, revision), None)


def _run(
    target: MigratableDatabase | Connection,
    step: Callable[[Config], None],
    before: Callable[[Connection], None] | None,
) -> None:
    if isinstance(target, Connection):
        scope: AbstractContextManager[Any] = (
            nullcontext() if target.in_transaction() else target.begin()
        )
        with scope:
            if before is not None:
                before(target)
            step(alembic_config(target))
        return

    with target.migration_connection() as connection, connection.begin():
        if before is not None:
            before(connection)
        step(alembic_config(connection))
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise StoreBug(
                f"a migration left rows that break foreign keys: {problems[:5]}",
                path=target.path,
            )


def target_metadata() -> MetaData | None:
    """``db.models.Base.metadata``, imported lazily (None if the models do not exist yet)."""
    try:
        from db.models import Base
    except ModuleNotFoundError as exc:
        if exc.name != "db.models":
            raise
        return None
    return Base.metadata


def virtual_tables(connection: Connection) -> frozenset[str]:
    """Virtual tables (FTS5) and their shadow tables: they live in migrations, not models."""
    names = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
    ).scalars()
    virtual = set(names)
    if not virtual:
        return frozenset()
    tables = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    ).scalars()
    return frozenset(
        t for t in tables if t in virtual or any(t.startswith(v + "_") for v in virtual)
    )


def include_object_for(
    connection: Connection,
) -> Callable[[SchemaItem, str | None, str, bool, SchemaItem | None], bool]:
    """An autogenerate filter that ignores virtual tables and their shadow tables."""
    ignored = virtual_tables(connection)

    def include_object(
        obj: SchemaItem, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        return not (type_ == "table" and reflected and compare_to is None and name in ignored)

    return include_object


def schema_diff(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models ([] = in sync)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    metadata = target_metadata()
    if metadata is None:
        raise StoreBug("db.models is missing, so there is no schema to compare with")
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "render_as_batch": True,
            "include_object": include_object_for(connection),
        },
    )
    return list(compare_metadata(context, metadata))
