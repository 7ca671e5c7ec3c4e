"""The SQLite engine: pragmas, honest transactions, typed errors, safe opening.

``open_database(path)`` is the only way the app opens its file. Before anything writes to an
existing file it checks, read-only, that the file is a healthy SQLite database (header, size,
``quick_check``), that its schema revision is one our migrations know, and that the file and
its folder are writable; a refused file is left byte-for-byte unchanged, and no -wal/-shm
or backup file is created. If opening fails after that (a full disk, a lock), whatever this
opening created is removed again (``Database.abandon``, which ``main.py`` also calls when the
start fails later), unless another program has the database open. If a migration is
pending, it takes the write lock, writes a backup copy beside the file and runs Alembic to
head, all in one transaction.

Transactions: pysqlite's own BEGIN handling is switched off (``isolation_level = None``) and
SQLAlchemy's "begin" event emits it instead, so every transaction really is one: reads see a
single snapshot, DDL is transactional, and write transactions start with ``BEGIN IMMEDIATE``
so a lock held by someone else is reported when the transaction starts, never halfway.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from db import migrate
from db.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnreadable,
    DiskError,
    DiskFull,
    StoreBug,
    StoreError,
)

if sys.platform != "win32":
    import fcntl

log = logging.getLogger(__name__)

#: Execution options read by the "begin" listener (set on engines/connections).
BEGIN_MODE = "support_console_begin"  # "DEFERRED" (default) or "IMMEDIATE"
QUERY_ONLY = "support_console_query_only"  # True: the transaction cannot write
FOREIGN_KEYS = "support_console_foreign_keys"  # False only while migrating

WRITE_OPTIONS: dict[str, Any] = {BEGIN_MODE: "IMMEDIATE"}
READ_OPTIONS: dict[str, Any] = {QUERY_ONLY: True}
MIGRATION_OPTIONS: dict[str, Any] = {BEGIN_MODE: "IMMEDIATE", FOREIGN_KEYS: False}

DEFAULT_BUSY_TIMEOUT_MS = 5000

#: Meta keys of the start-up check (DESIGN §5): when the console last closed the file cleanly
#: (removed while it is open), and when a whole-file check last found it healthy.
CLEAN_CLOSE_KEY = "console.closed_cleanly_at"
LAST_CHECK_KEY = "console.last_quick_check_at"
#: A clean start still checks the whole file (off the GUI thread) once this long has passed.
CHECK_EVERY = timedelta(days=7)

SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100

# Primary SQLite result codes (the low byte of an extended code).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


# --------------------------------------------------------------------------------------------
# Error translation


def classify(error: BaseException, path: Path | str) -> StoreError | None:
    """The typed error for a SQLite/SQLAlchemy/OS failure, or None if it is not one of ours."""
    if isinstance(error, StoreError):
        return error
    if isinstance(error, sa_exc.DBAPIError):
        if isinstance(error, sa_exc.IntegrityError):
            return None
        error = error.orig if error.orig is not None else error
    if isinstance(error, sqlite3.Error):
        return _classify_sqlite(error, Path(path))
    if isinstance(error, OSError):
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskFull(path)
        if error.errno in (errno.EACCES, errno.EPERM):
            blocked = blocked_folder(Path(path))
            if blocked is not None:
                return DatabaseUnreadable(path, blocked)
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return DatabaseReadOnly(path)
        if error.errno == errno.EIO:
            return DiskFull(path) if _disk_is_full(Path(path)) else DiskError(path, str(error))
    return None


def blocked_folder(path: Path) -> Path | None:
    """The first folder on the way to ``path`` this user may not enter, if there is one."""
    for folder in reversed(path.parents):
        try:
            if not folder.is_dir():
                return None
        except OSError:
            return folder
        if not os.access(folder, os.X_OK):
            return folder
    return None


def _disk_is_full(path: Path) -> bool:
    try:
        folder = next((p for p in (path, *path.parents) if p.is_dir()), None)
        return folder is not None and shutil.disk_usage(folder).free < FULL_BELOW_BYTES
    except OSError:
        return False


def _sqlite_code(error: BaseException | None) -> int | None:
    """The (extended) SQLite result code behind an error, if there is one."""
    if isinstance(error, sa_exc.DBAPIError):
        error = error.orig
    code = getattr(error, "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


# For errors without a result code (raised by the driver rather than by SQLite).
_MESSAGES = {
    "database is locked": _SQLITE_BUSY,
    "database table is locked": _SQLITE_LOCKED,
    "attempt to write a readonly database": _SQLITE_READONLY,
    "database or disk is full": _SQLITE_FULL,
    "database disk image is malformed": _SQLITE_CORRUPT,
    "file is not a database": _SQLITE_NOTADB,
    "unable to open database file": _SQLITE_CANTOPEN,
    "disk i/o error": _SQLITE_IOERR,
}

#: Below this much free space a "disk I/O error" is a full disk (SQLite often reports ENOSPC
#: while growing its -shm or -wal file as an I/O error rather than as SQLITE_FULL).
FULL_BELOW_BYTES = 1 << 20


def _classify_sqlite(error: sqlite3.Error, path: Path) -> StoreError | None:
    code = _sqlite_code(error)
    if code is None:
        text = str(error).lower()
        primary = next((c for message, c in _MESSAGES.items() if message in text), None)
    else:
        primary = code & 0xFF
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return DatabaseLocked(path)
    if primary == _SQLITE_READONLY:
        return DatabaseReadOnly(path)
    if primary == _SQLITE_FULL:
        return DiskFull(path)
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return DatabaseCorrupt(path, str(error))
    if primary == _SQLITE_IOERR:
        return DiskFull(path) if _disk_is_full(path) else DiskError(path, str(error))
    if primary == _SQLITE_CANTOPEN:
        blocked = blocked_folder(path)
        if blocked is not None:
            return DatabaseUnreadable(path, blocked)
        if not _writable(path):
            return DatabaseReadOnly(path)
    return None


@contextmanager
def translate_errors(path: Path | str, *, os_errors: bool = False) -> Iterator[None]:
    """Re-raise database environment failures as typed :class:`StoreError` subclasses.

    Locked/busy, read-only, disk full and corrupt are translated; anything else (constraint
    violations, SQL mistakes) propagates unchanged. ``os_errors``: also translate OSErrors
    (ENOSPC, EROFS, EACCES), for blocks whose only file operations concern the database.
    """
    caught: tuple[type[BaseException], ...] = (sa_exc.DBAPIError, sqlite3.Error)
    if os_errors:
        caught = (*caught, OSError)
    try:
        yield
    except StoreError:
        raise
    except caught as error:
        typed = classify(error, path)
        if typed is None:
            raise
        raise typed from error


# --------------------------------------------------------------------------------------------
# Engine


def configure_sqlite_engine(engine: Engine, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
    """Pragmas on every new connection; our own BEGIN for every transaction."""
    timeout = int(busy_timeout_ms)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Stop pysqlite from issuing (or skipping) BEGIN itself; the "begin" hook does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {timeout}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()
        record.info[FOREIGN_KEYS] = True
        record.info[QUERY_ONLY] = False

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        state = connection.connection.info
        # These pragmas only take effect outside a transaction, so set them before BEGIN.
        foreign_keys = bool(options.get(FOREIGN_KEYS, True))
        if state.get(FOREIGN_KEYS) != foreign_keys:
            connection.exec_driver_sql(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            state[FOREIGN_KEYS] = foreign_keys
        query_only = bool(options.get(QUERY_ONLY, False))
        if state.get(QUERY_ONLY) != query_only:
            connection.exec_driver_sql(f"PRAGMA query_only = {'ON' if query_only else 'OFF'}")
            state[QUERY_ONLY] = query_only
        mode = options.get(BEGIN_MODE, "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE"):
            raise StoreBug(f"unknown transaction mode {mode!r}")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


class Database:
    """One SQLite file: its engine and its sessions. Use ``open_database`` to make one."""

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        # Files and folders that did not exist before this opening (see ``abandon``).
        self.created: tuple[Path, ...] = ()
        # Whether ``quick_check()`` is due: the file was not checked while opening and the
        # console did not close it cleanly last time, or its last check is a week old.
        self.check_due = False
        self._checking: sqlite3.Connection | None = None
        self.engine = create_engine(
            URL.create("sqlite", database=str(self.path)),
            connect_args={"timeout": busy_timeout_ms / 1000},
        )
        configure_sqlite_engine(self.engine, busy_timeout_ms)
        self._write_sessions = sessionmaker(
            bind=self.engine.execution_options(**WRITE_OPTIONS), expire_on_commit=False
        )
        self._read_sessions = sessionmaker(
            bind=self.engine.execution_options(**READ_OPTIONS), expire_on_commit=False
        )
        self._on_commit: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A Session in one write transaction: committed on success, rolled back on error.

        The write lock is taken on entry (``BEGIN IMMEDIATE``), so a database locked by
        another program raises :class:`DatabaseLocked` here, before any work is done.
        """
        with translate_errors(self.path), self._write_sessions() as session, session.begin():
            session.connection()  # BEGIN IMMEDIATE now
            yield session
        for callback in tuple(self._on_commit):
            callback()

    def on_commit(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` after every write transaction commits, on the committing thread
        (keep it quick: e.g. wake another thread); returns a function that stops it."""
        self._on_commit.append(callback)

        def stop() -> None:
            with suppress(ValueError):
                self._on_commit.remove(callback)

        return stop

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A Session in one read transaction (one snapshot); it cannot write."""
        try:
            with translate_errors(self.path), self._read_sessions() as session:
                session.connection()
                yield session
        except DatabaseReadOnly as error:
            # Plain SQLITE_READONLY here is our own "PRAGMA query_only" refusing a write;
            # a read-only file or folder shows up with an extended code instead.
            if _sqlite_code(error.__cause__) != _SQLITE_READONLY:
                raise
            raise StoreBug("a write was attempted inside Database.read()", path=self.path) from (
                error
            )

    @contextmanager
    def migration_connection(self) -> Iterator[Connection]:
        """A Connection for Alembic: BEGIN IMMEDIATE, foreign keys off (caller begins)."""
        with translate_errors(self.path), self.engine.connect() as connection:
            yield connection.execution_options(**MIGRATION_OPTIONS)

    def check_integrity(self) -> list[str]:
        """``PRAGMA integrity_check``: the problems found, or [] if the file is healthy."""
        try:
            with self.read() as session:
                result = session.connection().exec_driver_sql("PRAGMA integrity_check")
                rows = [str(row) for row in result.scalars()]
        except DatabaseCorrupt as error:  # too damaged for the check itself to finish
            return [error.detail]
        return [] if rows == ["ok"] else rows

    def quick_check(self) -> list[str] | None:
        """``PRAGMA quick_check`` over the whole file (about 1 s per GB; run it off the GUI
        thread): the problems found, or [] if the file is healthy, which is then recorded so
        the next check is due in a week; None if ``stop_check`` stopped it first."""
        try:
            connection = sqlite3.connect(
                self.path, timeout=self.busy_timeout_ms / 1000, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise classify(error, self.path) or DiskError(self.path, str(error)) from error
        self._checking = connection
        try:
            rows = [str(r[0]) for r in connection.execute("PRAGMA quick_check")]
        except sqlite3.OperationalError as error:
            if str(error) == "interrupted":
                return None
            raise classify(error, self.path) or DiskError(self.path, str(error)) from error
        except sqlite3.DatabaseError as error:  # too damaged for the check itself to finish
            return [str(error)]
        finally:
            self._checking = None
            connection.close()
        problems = [] if rows == ["ok"] else rows
        if not problems:
            self._set_meta(LAST_CHECK_KEY, datetime.now(UTC).isoformat())
            self.check_due = False
        return problems

    def stop_check(self) -> None:
        """Stop a running ``quick_check`` (from any thread): the console is closing."""
        checking = self._checking
        if checking is not None:
            with suppress(sqlite3.Error):
                checking.interrupt()

    def mark_in_use(self) -> None:
        """The console has the file open: until ``mark_closed_cleanly`` an end of the process
        (a crash, a kill, a power cut) leaves the next start to check the whole file."""
        with self.transaction() as session:
            session.connection().exec_driver_sql(
                "DELETE FROM meta WHERE key = ?", (CLEAN_CLOSE_KEY,)
            )

    def mark_closed_cleanly(self) -> None:
        """The console is closing normally: its next start checks only header and schema."""
        self._set_meta(CLEAN_CLOSE_KEY, datetime.now(UTC).isoformat())

    def _set_meta(self, key: str, value: str) -> None:
        with self.transaction() as session:
            session.connection().exec_driver_sql(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        """Close every connection (the last one checkpoints and removes -wal/-shm)."""
        self.engine.dispose()

    def abandon(self) -> None:
        """Close, and remove what opening this database created, for a start that failed.

        A new database file and any -wal/-shm that were not there before are removed, unless
        another program has the database open (it holds the -shm's lock) or the -wal holds
        frames (they may be committed work: SQLite folds them in on the next open).
        """
        pool = self.engine.pool
        in_use = isinstance(pool, QueuePool) and pool.checkedout() > 0
        self.close()
        if in_use:  # a Session still open here: leave everything as it is
            return
        try:
            self._remove_created()
        except OSError as error:  # never hide the failure that brought us here
            log.warning("could not remove what opening %s created: %s", self.path, error)

    def _remove_created(self) -> None:
        wal, shm = _sidecar(self.path, "-wal"), _sidecar(self.path, "-shm")
        # Nothing of ours to remove: do not even look at the -shm's lock (closing a file
        # descriptor drops every POSIX lock this process holds on it, a live connection's too).
        if not self.created or _in_use(shm):
            return
        if wal in self.created and _size(wal) == 0:
            wal.unlink(missing_ok=True)
        if wal.exists():
            return  # the -shm and the file go with their -wal
        for created in (shm, self.path):
            if created in self.created:
                created.unlink(missing_ok=True)
        folders = [c for c in self.created if c not in (wal, shm, self.path)]
        for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
            try:
                folder.rmdir()  # only if empty
            except OSError:
                break

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Opening


@dataclass(frozen=True)
class _Found:
    revisions: tuple[str, ...]
    user_tables: tuple[str, ...]
    closed_cleanly: bool = False
    last_checked: datetime | None = None


def open_database(
    path: Path | str,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    backup: bool = True,
    quick_check: bool = True,
) -> Database:
    """Open (creating or migrating as needed) the database at ``path``.

    Raises :class:`DatabaseCorrupt`, :class:`DatabaseTooNew`, :class:`DatabaseReadOnly`,
    :class:`DatabaseUnreadable`, :class:`DatabaseLocked`, :class:`DiskFull` or
    :class:`DiskError`, leaving an existing file untouched when it is refused, and its folder
    as it was: whatever this call created (the folder, a new file, -wal/-shm) is removed
    again. ``quick_check`` runs SQLite's ``PRAGMA quick_check`` over the whole file first
    (about 1 s per GB from a warm cache). Without it only the header (size, page size) and
    the schema are checked, and ``Database.check_due`` says whether the caller should run
    ``Database.quick_check()`` soon, off the GUI thread: after a start that did not follow a
    clean close (``mark_in_use`` / ``mark_closed_cleanly``), or a week after the last check.
    """
    path = Path(path).expanduser().absolute()
    blocked = blocked_folder(path)
    if blocked is not None:
        raise DatabaseUnreadable(path, blocked)
    folders = _make_folder(path)
    try:
        database = _open(path, busy_timeout_ms, backup=backup, quick_check=quick_check)
    except BaseException:
        for folder in reversed(folders):
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    database.created = (*database.created, *folders)
    return database


def _open(path: Path, busy_timeout_ms: int, *, backup: bool, quick_check: bool) -> Database:
    found: _Found | None = None
    existed = {p for p in (path, _sidecar(path, "-wal"), _sidecar(path, "-shm")) if _exists(p)}
    if path in existed:
        if not path.is_file():
            raise StoreError(
                f"{path} is not a database file (it is a folder or a device).", path=path
            )
        if path.stat().st_size > 0:
            is_wal = _check_header(path)
            found = _probe(path, is_wal=is_wal, timeout_ms=busy_timeout_ms, check=quick_check)
            _refuse_unknown(path, found)
    if not _writable(path):
        raise DatabaseReadOnly(path)

    database = Database(path, busy_timeout_ms=busy_timeout_ms)
    database.check_due = found is not None and not quick_check and _check_due(found)
    database.created = tuple(
        p for p in (path, _sidecar(path, "-wal"), _sidecar(path, "-shm")) if p not in existed
    )
    try:
        with translate_errors(path, os_errors=True), database.engine.connect():
            pass  # first connection: WAL and pragmas now, so failures surface here
        head = migrate.head_revision()
        current = found.revisions[0] if found and found.revisions else None
        if current != head:

            def back_up_first(connection: Connection) -> None:
                # Under the write lock, so the copy is exactly what is about to be migrated
                # (another console may have migrated it meanwhile: then there is nothing to do).
                now = migrate.current_revision(connection)
                if backup and now is not None and now != head:
                    write_backup(path, now, timeout_ms=busy_timeout_ms)

            try:
                migrate.upgrade(database, before=back_up_first)
            except StoreError:
                raise
            except Exception as error:
                raise StoreBug(
                    f"upgrading the database schema from {current or 'empty'} to {head} failed"
                    f" ({error!r}); the database was left as it was",
                    path=path,
                ) from error
    except BaseException:
        database.abandon()
        raise
    return database


def _check_due(found: _Found) -> bool:
    if not found.closed_cleanly or found.last_checked is None:
        return True
    return datetime.now(UTC) - found.last_checked >= CHECK_EVERY


def database_exists(path: Path | str) -> bool:
    """Whether there is something at ``path``; :class:`DatabaseUnreadable` if this user may
    not look (a folder on the way cannot be entered)."""
    return _exists(Path(path).expanduser().absolute())


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; a folder on the way this user may not enter is refused."""
    try:
        path.stat()
    except FileNotFoundError:
        return False
    except PermissionError as error:
        raise DatabaseUnreadable(path, blocked_folder(path) or path) from error
    except OSError as error:
        typed = classify(error, path)
        raise typed or StoreError(
            f"The database {path} cannot be opened: {error.strerror}.", path=path
        ) from error
    return True


def _make_folder(path: Path) -> list[Path]:
    """Create the database's folder (and its parents) if need be; returns those created."""
    missing = []
    for folder in (path.parent, *path.parent.parents):
        if _exists(folder):
            break
        missing.append(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return list(reversed(missing))  # outermost first
    except OSError as error:
        typed = classify(error, path)
        raise typed or StoreError(
            f"The folder for the database {path} cannot be created: {error.strerror}.", path=path
        ) from error


def _writable(path: Path) -> bool:
    """Whether SQLite can write the file and create its -wal/-shm/backup beside it."""
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    for candidate in (path, _sidecar(path, "-wal"), _sidecar(path, "-shm")):
        if candidate.exists() and not os.access(candidate, os.R_OK | os.W_OK):
            return False
    return True


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


# The "DMS" byte of a -shm file: every connection that has the database open in WAL mode
# holds a shared lock on it (SQLite's unix VFS, ``UNIX_SHM_DMS``).
_SHM_DMS_BYTE = 128


def _in_use(shm: Path) -> bool:
    """Whether another process has the database open (holds the -shm's DMS lock)."""
    if sys.platform == "win32":  # Windows refuses to delete an open file anyway
        return False
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: keep everything
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE)
        return False
    finally:
        os.close(fd)


def _check_header(path: Path) -> bool:
    """Cheap checks of the 100-byte header; returns whether the file is in WAL mode."""
    size = path.stat().st_size
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_SIZE)
    except PermissionError as error:
        raise DatabaseUnreadable(path, blocked_folder(path) or path) from error
    if len(header) < _HEADER_SIZE or header[:16] != SQLITE_MAGIC:
        raise DatabaseCorrupt(path, "the file does not start like a SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise DatabaseCorrupt(path, f"invalid page size {page_size}")
    page_count = int.from_bytes(header[28:32], "big")
    count_is_valid = header[92:96] == header[24:28]  # version-valid-for == change counter
    wal = _sidecar(path, "-wal")
    wal_has_frames = wal.exists() and wal.stat().st_size > 0  # may hold the missing pages
    expected = page_count * page_size
    if count_is_valid and not wal_has_frames and size < expected:
        raise DatabaseCorrupt(path, f"the file is truncated: {size} of {expected} bytes")
    return header[18] == 2 and header[19] == 2


def _probe(path: Path, *, is_wal: bool, timeout_ms: int, check: bool) -> _Found:
    """Read the schema revision without writing anything (not even -wal/-shm files)."""
    # A WAL database opened read-only still creates -wal/-shm; with no -wal there is nothing
    # uncommitted to read, so "immutable" reads the file as it is and touches nothing.
    immutable = is_wal and not _sidecar(path, "-wal").exists()
    uri = f"{path.as_uri()}?mode=ro{'&immutable=1' if immutable else ''}"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=timeout_ms / 1000)
    except sqlite3.Error as error:
        raise _probe_error(error, path) from error
    try:
        tables = tuple(
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        )
        if check:
            problems = [r[0] for r in connection.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise DatabaseCorrupt(path, "; ".join(problems[:3]))
        revisions: tuple[str, ...] = ()
        if "alembic_version" in tables:
            revisions = tuple(
                r[0] for r in connection.execute("SELECT version_num FROM alembic_version")
            )
        marks: dict[str, str] = {}
        if "meta" in tables:
            marks = dict(
                connection.execute(
                    "SELECT key, value FROM meta WHERE key IN (?, ?)",
                    (CLEAN_CLOSE_KEY, LAST_CHECK_KEY),
                ).fetchall()
            )
    except sqlite3.Error as error:
        raise _probe_error(error, path) from error
    finally:
        connection.close()
    user = tuple(t for t in tables if t != "alembic_version" and not t.startswith("sqlite_"))
    return _Found(
        revisions=revisions,
        user_tables=user,
        closed_cleanly=CLEAN_CLOSE_KEY in marks,
        last_checked=_instant(marks.get(LAST_CHECK_KEY)),
    )


def _instant(text: str | None) -> datetime | None:
    try:
        at = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)


def _probe_error(error: sqlite3.Error, path: Path) -> StoreError:
    typed = _classify_sqlite(error, path)
    if typed is not None:
        return typed
    return StoreError(f"The database {path} cannot be opened: {error}.", path=path)


def _refuse_unknown(path: Path, found: _Found) -> None:
    known = set(migrate.known_revisions())
    for revision in found.revisions:
        if revision not in known:
            raise DatabaseTooNew(path, revision, migrate.head_revision())
    if len(found.revisions) > 1:
        raise DatabaseCorrupt(path, f"several schema revisions at once: {found.revisions}")
    if found.user_tables and not found.revisions:
        raise DatabaseCorrupt(path, "it holds tables but no Support Console schema revision")


def write_backup(path: Path, revision: str | None, *, timeout_ms: int) -> Path:
    """Copy the database (SQLite backup API) to ``<stem>.backup-<rev>-<UTC time>.sqlite3``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = f"{path.stem}.backup-{revision or 'empty'}-{stamp}"
    target = path.with_name(f"{base}.sqlite3")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{base}-{n}.sqlite3")
    partial = target.with_name(target.name + ".part")
    with translate_errors(path, os_errors=True):
        try:
            source = sqlite3.connect(path, timeout=timeout_ms / 1000)
            try:
                copy = sqlite3.connect(partial)
                try:
                    copy.execute("PRAGMA synchronous = FULL")
                    source.backup(copy)
                finally:
                    copy.close()
            finally:
                source.close()
            _fsync(partial)
            os.replace(partial, target)
            if os.name == "posix":  # make the rename itself durable
                _fsync(target.parent, folder=True)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    log.info("backed up %s to %s before migrating", path, target)
    return target


def _fsync(path: Path, *, folder: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY if folder else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
