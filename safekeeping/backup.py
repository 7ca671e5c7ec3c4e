"""Backups and restore of the SQLite file (DESIGN §5 "Safekeeping"), without Qt.

A backup copies the database with SQLite's online backup API in small steps, from one read
snapshot: in WAL mode a reader never blocks a writer, and holding the snapshot across the
steps keeps the copy consistent (a backup that re-read the file between steps would start
over each time another program committed). The copy is written under a temporary name in
the target folder, switched to the rollback journal (so it is one self-contained file),
checked with ``PRAGMA integrity_check``, hashed (SHA-256), fsynced, and only then renamed to
``<stem>-YYYYMMDD-HHMMSSZ.sqlite3``. A copy killed half-way is left as ``*.partial``, which
never looks complete, is never in the manifest, and is removed by the next backup.

``backups.json`` in the folder (written to a temporary name, then renamed) records each good
copy: file, created_at (UTC), size, sha256, schema revision, source path, app version.
Rotation keeps the newest copy of each of the last 7 days that have a copy and of each of the
last 4 ISO weeks that have one (``--keep-daily``/``--keep-weekly``), always the newest copy,
and never touches a file the manifest does not list.

Restore checks the copy (integrity, checksum against the manifest, a schema revision this
version knows), moves the current file and its -wal/-shm aside to
``<name>.replaced-<UTC time>`` and copies the backup in under a temporary name, then renames
it. :func:`restore_live` does the same for a database the running console has open: the
current content is copied aside and the backup is written into the file through SQLite, so
every connection sees either the old or the restored database, never a file swapped under it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

if sys.platform != "win32":
    import fcntl

__all__ = [
    "MANIFEST",
    "BackupCopy",
    "BackupRefused",
    "BackupResult",
    "CopyCheck",
    "RestoreRefused",
    "RestoreResult",
    "Rotation",
    "app_version",
    "back_up",
    "check_copy",
    "read_manifest",
    "restore",
    "restore_live",
    "shares_disk",
]

MANIFEST = "backups.json"
MANIFEST_FORMAT = 1
LOCK_FILE = ".backups.lock"
PARTIAL = ".partial"
_STAMP = "%Y%m%d-%H%M%SZ"
_BUSY_TIMEOUT_S = 5.0
#: Free space a copy needs beyond the database's own size (the journal, the manifest).
SPACE_MARGIN_BYTES = 1 << 20
_CHUNK = 1 << 20
#: How much of a copy may wait unwritten before it is flushed to the disk (see ``_flush``).
FLUSH_BYTES = 16 << 20


class BackupRefused(Exception):  # noqa: N818 (names are the API)
    """A backup that could not be made; ``message`` says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RestoreRefused(BackupRefused):
    """A copy that will not be restored (damaged, too new, or the database is in use)."""


@dataclass(frozen=True)
class Rotation:
    daily: int = 7
    weekly: int = 4


@dataclass(frozen=True)
class BackupCopy:
    """One good copy, as the manifest records it."""

    file: str
    created_at: datetime
    size: int
    sha256: str
    schema_revision: str | None
    source: str
    app_version: str

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "created_at": self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "size": self.size,
            "sha256": self.sha256,
            "schema_revision": self.schema_revision,
            "source": self.source,
            "app_version": self.app_version,
        }

    @classmethod
    def from_json(cls, values: dict[str, object]) -> BackupCopy:
        created = datetime.fromisoformat(str(values["created_at"]).replace("Z", "+00:00"))
        revision = values.get("schema_revision")
        size = values["size"]
        if not isinstance(size, int):
            raise ValueError("size is not a number")
        return cls(
            file=Path(str(values["file"])).name,  # never a path outside the folder
            created_at=created.astimezone(UTC),
            size=size,
            sha256=str(values["sha256"]),
            schema_revision=None if revision is None else str(revision),
            source=str(values.get("source", "")),
            app_version=str(values.get("app_version", "")),
        )


@dataclass(frozen=True)
class BackupResult:
    copy: BackupCopy
    path: Path
    warnings: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()  # rotated away
    seconds: float = 0.0
    longest_step_seconds: float = 0.0  # the longest single backup step (the source is read)


@dataclass(frozen=True)
class CopyCheck:
    path: Path
    revision: str | None
    sha256: str
    size: int
    created_at: datetime | None  # from the manifest, when it lists the copy
    older_schema: bool  # the console brings it up to date when it opens it


@dataclass(frozen=True)
class RestoreResult:
    restored: Path
    replaced: tuple[Path, ...] = field(default=())  # where the previous files were moved
    check: CopyCheck | None = None


def app_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415
    except ImportError:  # pragma: no cover
        return "unknown"
    try:
        return version("support-console")
    except PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------------------------
# Backup


def back_up(
    db_path: Path | str,
    folder: Path | str,
    *,
    now: datetime | None = None,
    rotation: Rotation = Rotation(),
    pages: int = 256,
    sleep: float = 0.0,
    create_folder: bool = False,
    check_space: bool = True,
    after_step: Callable[[int, int], None] | None = None,
    flush_bytes: int = FLUSH_BYTES,
) -> BackupResult:
    """Write one checked copy of ``db_path`` into ``folder`` and rotate the older ones.

    Raises :class:`BackupRefused` (in words) for a missing database, a missing or
    unwritable folder (created only with ``create_folder``, for the default folder: a
    chosen network share that is not mounted must not be replaced by a local folder), a full
    disk, another backup under way in the folder, or a copy that fails its check.
    ``after_step(remaining, total)`` is called after each step of ``pages`` pages.
    """
    started = time.perf_counter()
    source = Path(db_path).expanduser().absolute()
    target = Path(folder).expanduser().absolute()
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if not source.is_file():
        raise BackupRefused(f"There is no database at {source} to back up.")
    _usable_folder(target, create=create_folder)
    warnings = []
    if shares_disk(source, target):
        warnings.append(
            f"The backup folder {target} is on the same disk as the database: a failed disk "
            "would lose both. Choose a folder on another disk or a network share."
        )
    with _folder_lock(target), _disk_errors(target):
        _remove_partials(target)
        copy, path, longest = _write_copy(
            source,
            target,
            moment,
            pages=pages,
            sleep=sleep,
            check_space=check_space,
            after_step=after_step,
            flush_bytes=flush_bytes,
        )
        copies, manifest_warning = _load_manifest(target)
        if manifest_warning:
            warnings.append(manifest_warning)
        copies = [c for c in copies if c.file != copy.file] + [copy]
        removed = _rotate(target, copies, rotation)
        kept = [c for c in copies if c.file not in removed]
        _write_manifest(target, kept)
    return BackupResult(
        copy=copy,
        path=path,
        warnings=tuple(warnings),
        removed=tuple(removed),
        seconds=time.perf_counter() - started,
        longest_step_seconds=longest,
    )


def shares_disk(db_path: Path, folder: Path) -> bool:
    """Whether ``folder`` is on the same file system as the database (or is its folder)."""
    try:
        if folder.resolve() == db_path.resolve().parent:
            return True
        return folder.stat().st_dev == db_path.resolve().parent.stat().st_dev
    except OSError:
        return False


def _usable_folder(folder: Path, *, create: bool) -> None:
    if not folder.exists():
        if not create:
            raise BackupRefused(
                f"The backup folder {folder} does not exist: connect the disk or network share "
                "it is on, or choose another folder. No backup was made."
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BackupRefused(
                f"The backup folder {folder} cannot be created ({error.strerror}). "
                "No backup was made."
            ) from error
    if not folder.is_dir():
        raise BackupRefused(f"{folder} is not a folder: choose a folder for the backups.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupRefused(
            f"The backup folder {folder} cannot be written: ask for write access to it, "
            "or choose another folder. No backup was made."
        )


def _full_disk(folder: Path) -> BackupRefused:
    return BackupRefused(
        f"The disk holding the backup folder {folder} is full: no backup was made (the "
        "earlier copies are kept). Free some space there or choose another folder; the next "
        "backup tries again."
    )


@contextlib.contextmanager
def _disk_errors(folder: Path) -> Iterator[None]:
    """OS and SQLite failures while writing into ``folder`` as :class:`BackupRefused`."""
    try:
        yield
    except BackupRefused:
        raise
    except sqlite3.Error as error:
        text = str(error).lower()
        if "full" in text or _free(folder) < SPACE_MARGIN_BYTES:
            raise _full_disk(folder) from error
        raise BackupRefused(
            f"The backup into {folder} failed ({error}); no copy was kept. The next backup "
            "tries again."
        ) from error
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _full_disk(folder) from error
        raise BackupRefused(
            f"The backup into {folder} failed: {error.strerror or error} "
            f"({error.filename or folder}). The next backup tries again."
        ) from error


def _free(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 1 << 62


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """One backup at a time per folder (the console and a scheduled ``backup`` command)."""
    if sys.platform == "win32":
        yield
        return
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise BackupRefused(
            f"The backup folder {folder} cannot be written ({error.strerror})."
        ) from error
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            raise BackupRefused(
                f"Another backup into {folder} is under way: try again when it has finished."
            ) from error
        yield
    finally:
        os.close(fd)  # drops the lock


def _remove_partials(folder: Path) -> None:
    """What a killed backup left (only ever under the temporary name)."""
    for leftover in folder.glob(f"*.sqlite3{PARTIAL}*"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def copy_name(source: Path, moment: datetime) -> str:
    return f"{source.stem}-{moment.astimezone(UTC).strftime(_STAMP)}.sqlite3"


def _write_copy(
    source: Path,
    folder: Path,
    moment: datetime,
    *,
    pages: int,
    sleep: float,
    check_space: bool,
    after_step: Callable[[int, int], None] | None,
    flush_bytes: int,
) -> tuple[BackupCopy, Path, float]:
    name = copy_name(source, moment)
    n = 1
    while (folder / name).exists():
        n += 1
        name = f"{copy_name(source, moment).removesuffix('.sqlite3')}-{n}.sqlite3"
    final = folder / name
    partial = folder / f"{name}{PARTIAL}"
    try:
        src = _connect_source(source)
    except sqlite3.Error as error:
        raise BackupRefused(f"The database {source} cannot be read for a backup ({error}).") from (
            error
        )
    longest = 0.0
    try:
        wal = str(src.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
        page_size = int(src.execute("PRAGMA page_size").fetchone()[0])
        if wal:  # one snapshot for every step; writers go on into the -wal meanwhile
            src.execute("BEGIN")
        revision = _revision(src)
        needed = page_size * int(src.execute("PRAGMA page_count").fetchone()[0])
        if check_space and _free(folder) < needed + SPACE_MARGIN_BYTES:
            raise _full_disk(folder)
        dst = sqlite3.connect(partial, isolation_level=None)
        try:
            last = time.perf_counter()
            unflushed = 0

            def progress(status: int, remaining: int, total: int) -> None:
                nonlocal last, longest, unflushed
                now = time.perf_counter()
                longest = max(longest, now - last)
                unflushed += pages
                if unflushed * page_size >= flush_bytes:
                    _flush(partial)
                    unflushed = 0
                if after_step is not None:
                    after_step(remaining, total)
                last = time.perf_counter()

            src.backup(dst, pages=pages, progress=progress, sleep=sleep)
            if wal:
                src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode = DELETE").fetchone()
            problems = [str(r[0]) for r in dst.execute("PRAGMA integrity_check")]
        finally:
            dst.close()
        if problems != ["ok"]:
            raise BackupRefused(
                f"The copy of {source} failed its integrity check ({'; '.join(problems[:3])}): "
                "it was not kept. The database itself may be damaged: see Help on restoring "
                "the last good backup."
            )
        digest, size = _sha256(partial)
        _fsync(partial)
        os.replace(partial, final)
        _fsync_folder(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        for sidecar in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(f"{partial}{sidecar}").unlink()
        raise
    finally:
        src.close()
    copy = BackupCopy(
        file=name,
        created_at=moment,
        size=size,
        sha256=digest,
        schema_revision=revision,
        source=str(source),
        app_version=app_version(),
    )
    return copy, final, longest


def _flush(path: Path) -> None:
    """Write the copy's pages out as it grows: a large backlog of unwritten pages would
    make a writer's fsync (the console's commit, on the same disk) wait for all of it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        getattr(os, "fdatasync", os.fsync)(fd)
    finally:
        os.close(fd)


def _connect_source(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        f"{path.as_uri()}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S, isolation_level=None
    )
    connection.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
    return connection


def _revision(connection: sqlite3.Connection) -> str | None:
    tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    if "alembic_version" not in tables:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# Manifest and rotation


def read_manifest(folder: Path | str) -> list[BackupCopy]:
    """The good copies the folder's manifest lists, oldest first ([] without a manifest)."""
    copies, _warning = _load_manifest(Path(folder))
    return copies


def _load_manifest(folder: Path) -> tuple[list[BackupCopy], str]:
    path = folder / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], ""
    except OSError as error:
        return [], f"The list of backups {path} cannot be read ({error.strerror})."
    try:
        values = json.loads(text)
        copies = [BackupCopy.from_json(v) for v in values["copies"]]
    except (ValueError, KeyError, TypeError) as error:
        return [], (
            f"The list of backups {path} is damaged ({error}); a new one was started and no "
            "older copy was deleted."
        )
    return sorted(copies, key=lambda c: c.created_at), ""  # stable: the list's own order


def _write_manifest(folder: Path, copies: list[BackupCopy]) -> None:
    body = {
        "format": MANIFEST_FORMAT,
        "copies": [c.as_json() for c in sorted(copies, key=lambda c: c.created_at)],
    }
    temporary = folder / f"{MANIFEST}{PARTIAL}"
    with temporary.open("w", encoding="utf-8") as file:
        json.dump(body, file, indent=2)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, folder / MANIFEST)
    _fsync_folder(folder)


def kept_copies(copies: list[BackupCopy], rotation: Rotation) -> set[str]:
    """The files rotation keeps: per source, the newest copy of each of the last ``daily``
    days that have one and of each of the last ``weekly`` ISO weeks that have one, and
    always the newest copy."""
    keep: set[str] = set()
    by_source: dict[str, list[tuple[int, BackupCopy]]] = {}
    for position, copy in enumerate(copies):  # the list's order breaks ties: later is newer
        by_source.setdefault(copy.source, []).append((position, copy))
    for group in by_source.values():
        ordered = sorted(group, key=lambda pair: (pair[1].created_at, pair[0]), reverse=True)
        newest_first = [copy for _position, copy in ordered]
        keep.add(newest_first[0].file)
        keep |= _newest_per(newest_first, lambda d: (d.year, d.month, d.day), rotation.daily)
        keep |= _newest_per(newest_first, lambda d: d.isocalendar()[:2], rotation.weekly)
    return keep


def _newest_per(
    newest_first: list[BackupCopy], period: Callable[[date], tuple[int, ...]], count: int
) -> set[str]:
    kept: set[str] = set()
    seen: set[tuple[int, ...]] = set()
    for copy in newest_first:
        key = period(copy.created_at.astimezone(UTC).date())
        if key in seen:
            continue
        if len(seen) >= count:
            break
        seen.add(key)
        kept.add(copy.file)
    return kept


_COPY_NAME = re.compile(r".+-\d{8}-\d{6}Z(-\d+)?\.sqlite3$")


def _rotate(folder: Path, copies: list[BackupCopy], rotation: Rotation) -> list[str]:
    keep = kept_copies(copies, rotation)
    removed = []
    for copy in copies:
        if copy.file in keep or not _COPY_NAME.match(copy.file):
            continue
        with contextlib.suppress(FileNotFoundError):
            (folder / copy.file).unlink()
        removed.append(copy.file)
    return removed


# --------------------------------------------------------------------------------------------
# Restore


def check_copy(backup: Path | str) -> CopyCheck:
    """Check a copy before it is restored; :class:`RestoreRefused` says what is wrong."""
    from db import migrate  # noqa: PLC0415 (Alembic's revision list, only when restoring)

    path = Path(backup).expanduser().absolute()
    if not path.is_file():
        raise RestoreRefused(f"There is no backup copy at {path}.")
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as error:
        raise RestoreRefused(f"The copy {path} cannot be read ({error.strerror}).") from error
    if len(header) < 100 or header[:16] != b"SQLite format 3\x00":
        raise RestoreRefused(
            f"The copy {path} is not a SQLite database (or is damaged): it was not restored."
        )
    listed = {c.file: c for c in read_manifest(path.parent)}.get(path.name)
    digest, size = _sha256(path)
    if listed is not None and listed.sha256 != digest:
        raise RestoreRefused(
            f"The copy {path} is damaged: its checksum differs from the one recorded when it "
            "was made. It was not restored; choose another copy."
        )
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            problems = [str(r[0]) for r in connection.execute("PRAGMA integrity_check")]
            revision = _revision(connection)
            tables = [
                r[0]
                for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise RestoreRefused(
            f"The copy {path} is damaged ({error}): it was not restored; choose another copy."
        ) from error
    if problems != ["ok"]:
        raise RestoreRefused(
            f"The copy {path} is damaged ({'; '.join(problems[:3])}): it was not restored; "
            "choose another copy."
        )
    known = migrate.known_revisions()
    if revision is None:
        raise RestoreRefused(
            f"The copy {path} is not a Support Console database"
            f"{' (it holds no tables)' if not tables else ''}: it was not restored."
        )
    if revision not in known:
        raise RestoreRefused(
            f"The copy {path} was written by a newer version of Support Console (schema "
            f"{revision}; this version knows up to {migrate.head_revision() or 'none'}). "
            "Update Support Console to restore it. Nothing was changed."
        )
    return CopyCheck(
        path=path,
        revision=revision,
        sha256=digest,
        size=size,
        created_at=listed.created_at if listed else None,
        older_schema=revision != migrate.head_revision(),
    )


def _aside_name(db_path: Path, moment: datetime) -> Path:
    base = db_path.with_name(f"{db_path.name}.replaced-{moment.astimezone(UTC).strftime(_STAMP)}")
    aside, n = base, 1
    while any(Path(f"{aside}{s}").exists() for s in ("", "-wal", "-shm")):
        n += 1
        aside = base.with_name(f"{base.name}-{n}")
    return aside


def restore(
    backup: Path | str, db_path: Path | str, *, now: datetime | None = None
) -> RestoreResult:
    """Replace the (closed) database at ``db_path`` with a checked copy.

    The current file and its -wal/-shm are moved aside to ``<name>.replaced-<UTC time>``
    (their -wal/-shm renamed with them, so the moved file still opens with everything it
    held); nothing is deleted. Refused while another program has the database open.
    """
    check = check_copy(backup)
    target = Path(db_path).expanduser().absolute()
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    if target.exists() and _in_use(target):
        raise RestoreRefused(
            f"The database {target} is open in another program (a console, 'mail watch' or "
            "'web serve'): close them, then restore. Nothing was changed."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming = target.with_name(f"{target.name}.restoring")
        try:
            shutil.copyfile(check.path, incoming)
            _fsync(incoming)
            if _sha256(incoming)[0] != check.sha256:
                raise RestoreRefused(
                    f"Copying {check.path} to {target.parent} did not give an identical file "
                    "(the disk may be failing). Nothing was changed."
                )
            replaced: list[Path] = []
            if target.exists():
                aside = _aside_name(target, moment)
                for suffix in ("", "-wal", "-shm"):
                    current = Path(f"{target}{suffix}")
                    if current.exists():
                        moved = Path(f"{aside}{suffix}")
                        os.replace(current, moved)
                        replaced.append(moved)
            os.replace(incoming, target)
            _fsync_folder(target.parent)
        except BaseException:
            with contextlib.suppress(OSError):
                incoming.unlink()
            raise
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise RestoreRefused(
                f"The disk holding {target} is full: the copy could not be put in place. "
                "Nothing was changed; free some space and try again."
            ) from error
        raise RestoreRefused(
            f"The restore into {target} failed: {error.strerror or error}. Nothing was changed."
        ) from error
    return RestoreResult(restored=target, replaced=tuple(replaced), check=check)


def restore_live(
    backup: Path | str, db_path: Path | str, *, now: datetime | None = None
) -> RestoreResult:
    """Restore into a database this process (and others) may have open.

    The current content is first copied aside (``<name>.replaced-<UTC time>``, a consistent
    copy taken with the backup API), then the backup is written into the database through
    SQLite in one write transaction. The caller closes the console afterwards, so nothing
    holds state read from the replaced database.
    """
    check = check_copy(backup)
    target = Path(db_path).expanduser().absolute()
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    aside = _aside_name(target, moment)
    try:
        live = sqlite3.connect(target, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            copy = sqlite3.connect(f"{check.path.as_uri()}?mode=ro&immutable=1", uri=True)
            try:
                sizes = (
                    live.execute("PRAGMA page_size").fetchone()[0],
                    copy.execute("PRAGMA page_size").fetchone()[0],
                )
                if sizes[0] != sizes[1]:
                    raise RestoreRefused(
                        f"The copy {check.path} uses another page size ({sizes[1]} bytes, the "
                        f"database {sizes[0]}): close the console and restore it with "
                        "'python main.py restore'. Nothing was changed."
                    )
                kept = sqlite3.connect(f"{aside}.partial", isolation_level=None)
                try:
                    live.backup(kept)
                    kept.execute("PRAGMA journal_mode = DELETE").fetchone()
                finally:
                    kept.close()
                _fsync(Path(f"{aside}.partial"))
                os.replace(f"{aside}.partial", aside)
                copy.backup(live)
            finally:
                copy.close()
        finally:
            live.close()
    except sqlite3.Error as error:
        with contextlib.suppress(OSError):
            Path(f"{aside}.partial").unlink()
        raise RestoreRefused(
            f"The restore into {target} failed ({error}); the database was left as it was."
        ) from error
    except OSError as error:
        with contextlib.suppress(OSError):
            Path(f"{aside}.partial").unlink()
        raise RestoreRefused(
            f"The restore into {target} failed: {error.strerror or error}. "
            "The database was left as it was."
        ) from error
    return RestoreResult(restored=target, replaced=(aside,), check=check)


# The "DMS" byte of a -shm file: every connection that has the database open in WAL mode
# holds a shared lock on it (SQLite's unix VFS).
_SHM_DMS_BYTE = 128


def _in_use(db_path: Path) -> bool:
    """Whether another process has the database open (holds the -shm's DMS lock)."""
    if sys.platform == "win32":  # Windows refuses to move an open file anyway
        return False
    shm = Path(f"{db_path}-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE)
        return False
    finally:
        os.close(fd)


def record_last_backup(db_path: Path | str, result: BackupResult) -> None:
    """Note the copy in the database's ``meta`` (for a ``backup`` run outside the console)."""
    connection = sqlite3.connect(Path(db_path), timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (LAST_BACKUP_KEY, last_backup_value(result)),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()


#: The meta key the status bar reads (the same as console.services.backups uses).
LAST_BACKUP_KEY = "last_backup"


def last_backup_value(result: BackupResult) -> str:
    return json.dumps(
        {
            "file": result.copy.file,
            "folder": str(result.path.parent),
            "created_at": result.copy.as_json()["created_at"],
            "size": result.copy.size,
            "sha256": result.copy.sha256,
        },
        sort_keys=True,
    )
