"""Alembic environment, run by ``db.migrate`` (there is no alembic.ini).

At run time ``db.migrate`` passes an open Connection in ``config.attributes["connection"]``,
already inside its ``BEGIN IMMEDIATE`` transaction on the app's engine (WAL, foreign keys off
for the migration); Alembic then runs every step inside that one transaction. With a URL
instead (development tooling), an engine with the same SQLite settings is made here.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import NullPool

from db.engine import MIGRATION_OPTIONS, configure_sqlite_engine
from db.migrate import include_object_for, target_metadata

config = context.config


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        render_as_batch=True,  # SQLite cannot ALTER most things: rebuild tables in batches
        compare_type=True,
        include_object=include_object_for(connection),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata(),
        render_as_batch=True,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("db.migrate.alembic_config() needs a URL or a Connection")
    engine = create_engine(url, poolclass=NullPool)
    options: dict[str, object] = {}
    if engine.dialect.name == "sqlite":
        configure_sqlite_engine(engine)
        options = MIGRATION_OPTIONS
    try:
        with engine.connect() as connection:
            connection.execution_options(**options)
            with connection.begin():
                _configure_and_run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
