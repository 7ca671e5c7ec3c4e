"""A throwaway PostgreSQL cluster for the sync tests and the sync benchmark.

``PgCluster.start()`` runs ``initdb`` and ``pg_ctl`` from the installed PostgreSQL binaries
in a fresh temporary folder, listening on 127.0.0.1 (a free port) and on a unix socket in
that folder. PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user
(or a ``sc-pg-test`` user made for the purpose) which owns the folder. Local connections as
the superuser need no password; other roles log in over TCP with a password (SCRAM).
``fsync`` is off (a killed *server* loses nothing it acknowledged; only an operating-system
crash could) to keep the suite quick; ``synchronous_commit`` stays on.

``PgCluster.start(tls=(cert_pem, key_pem))`` also turns TLS on with that server certificate
(``tests/sync/tls.py`` makes one signed by a test authority); connections may then use it.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
_FALLBACK_USER = "sc-pg-test"


class ClusterError(RuntimeError):
    """PostgreSQL could not be set up; the message says why."""


def find_bin_dir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for folder in reversed(candidates):
        if (Path(folder) / "pg_ctl").exists() and (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise ClusterError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin "
        "or on PATH; `make test` installs the Debian package 'postgresql'."
    )


def _run_as_user() -> str | None:
    """The unprivileged user to run the server as (None: we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", _FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _FALLBACK_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ClusterError(
            f"running as root, and no unprivileged user to run PostgreSQL as: useradd said "
            f"{result.stderr.strip()!r}"
        )
    return _FALLBACK_USER


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgCluster:
    folder: Path
    bin_dir: Path
    port: int
    user: str | None
    tls: bool = False
    _databases: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def _cmd(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*prefix, *args]

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise ClusterError(
                f"{' '.join(args[:2])} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def _options(self) -> str:
        settings = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.folder),
            "fsync": "off",
            "full_page_writes": "off",
            "synchronous_commit": "on",
            "max_connections": "200",
        }
        if self.tls:
            settings.update(
                ssl="on",
                ssl_cert_file=str(self.folder / "server.crt"),
                ssl_key_file=str(self.folder / "server.key"),
            )
        return " ".join(f"-c {k}={v}" for k, v in settings.items())

    @classmethod
    def start(cls, tls: tuple[bytes, bytes] | None = None) -> PgCluster:
        """A running cluster; ``tls`` (certificate PEM, key PEM) turns TLS on with them."""
        bin_dir = find_bin_dir()
        user = _run_as_user()
        folder = Path(tempfile.mkdtemp(prefix="sc-pg-"))
        if user:
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        cluster = cls(folder=folder, bin_dir=bin_dir, port=free_port(), user=user, tls=bool(tls))
        try:
            if tls:
                cluster._write_tls_files(*tls)
            cluster._run(
                str(bin_dir / "initdb"),
                "-D",
                str(cluster.data),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
            (cluster.data / "pg_hba.conf").write_text(
                "local all all trust\n"
                f"host all {SUPERUSER} 127.0.0.1/32 trust\n"
                "host all all 127.0.0.1/32 scram-sha-256\n"
            )
            cluster._pg_ctl("start")
        except BaseException:
            cluster.remove()
            raise
        return cluster

    def _write_tls_files(self, cert_pem: bytes, key_pem: bytes) -> None:
        """The server's certificate and key, owned by the server's user (key: 0600)."""
        for name, content, mode in (
            ("server.crt", cert_pem, 0o644),
            ("server.key", key_pem, 0o600),
        ):
            path = self.folder / name
            path.write_bytes(content)
            path.chmod(mode)
            if self.user:
                entry = pwd.getpwnam(self.user)
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run(
            str(self.bin_dir / "pg_ctl"),
            action,
            "-D",
            str(self.data),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.log),
            "-o",
            self._options,
            *extra,
        )

    def restart_immediately(self) -> None:
        """``pg_ctl -m immediate restart``: the server dies as in a crash and recovers."""
        self._pg_ctl("restart", "-m", "immediate")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w")

    def start_again(self) -> None:
        self._pg_ctl("start")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def admin_conninfo(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgresql://127.0.0.1:{self.port}/{dbname}"

    def create_database(self, prefix: str = "sync") -> str:
        name = f"{prefix}_{os.getpid()}_{next(self._databases)}"
        with psycopg.connect(self.admin_conninfo(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def create_role(self, name: str, password: str) -> None:
        with psycopg.connect(self.admin_conninfo(), autocommit=True) as connection:
            exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
            if exists.fetchone() is None:
                connection.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(name), sql.Literal(password)
                    )
                )
