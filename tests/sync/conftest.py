"""A real PostgreSQL for the sync tests: one throwaway cluster per run, one database per test.

If PostgreSQL cannot be started the tests fail with the reason; they are never skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import psycopg
import pytest
from keyring.backend import KeyringBackend
from psycopg import sql

from db.sync.server import add_member, init_server
from tests.sync.pg import ClusterError, PgCluster
from tests.sync.replicas import Replica, TrueTime, make_replica


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = PgCluster.start()
    except (ClusterError, OSError, TimeoutError) as exc:
        pytest.fail(f"PostgreSQL could not be started for the sync tests: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        finally:
            cluster.remove()


@dataclass(frozen=True)
class Server:
    cluster: PgCluster
    dbname: str

    @property
    def conninfo(self) -> str:
        return self.cluster.admin_conninfo(self.dbname)

    @property
    def url(self) -> str:
        return self.cluster.url(self.dbname)


@pytest.fixture
def server(pg_cluster: PgCluster) -> Server:
    """A fresh database on the cluster, with the sync schema applied."""
    name = pg_cluster.create_database()
    init_server(pg_cluster.admin_conninfo(name))
    return Server(pg_cluster, name)


@dataclass(frozen=True)
class Login:
    """An ordinary login role of the cluster, connecting over TCP with its password."""

    name: str
    password: str
    port: int
    dbname: str

    @property
    def conninfo(self) -> str:
        return (
            f"host=127.0.0.1 port={self.port} dbname={self.dbname} user={self.name} "
            f"password={self.password} sslmode=disable"
        )

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(self.conninfo, autocommit=autocommit)


@pytest.fixture
def login(pg_cluster: PgCluster, server: Server) -> Callable[..., Login]:
    """``login(name, team=None, app_role="agent")``: a login role, a member of ``team``."""

    def make(name: str, team: str | None = None, app_role: str = "agent") -> Login:
        password = f"{name}-password"
        pg_cluster.create_role(name, password)
        if team is not None:
            add_member(server.conninfo, team, name, app_role)
        return Login(name, password, pg_cluster.port, server.dbname)

    return make


@pytest.fixture(scope="session")
def db_admin(pg_cluster: PgCluster) -> tuple[str, str]:
    """A superuser that logs in with a password: (name, password)."""
    name, password = "sync_dba", "sync-dba-password"
    pg_cluster.create_role(name, password)
    with psycopg.connect(pg_cluster.admin_conninfo(), autocommit=True) as connection:
        connection.execute(sql.SQL("ALTER ROLE {} SUPERUSER").format(sql.Identifier(name)))
    return name, password


@pytest.fixture
def truth() -> TrueTime:
    return TrueTime()


@pytest.fixture
def replicas(tmp_path: Path, server: Server, truth: TrueTime) -> Iterator[Callable[..., Replica]]:
    made: list[Replica] = []

    def make(name: str, **options: object) -> Replica:
        replica = make_replica(tmp_path, name, server.conninfo, truth=truth, **options)  # type: ignore[arg-type]
        made.append(replica)
        return replica

    yield make
    for replica in made:
        replica.close()


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in memory, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.passwords:
            raise PasswordDeleteError(username)
        del self.passwords[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
