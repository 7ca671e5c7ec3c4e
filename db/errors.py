"""Typed errors at the persistence edge.

The db layer raises these; the UI (or ``main.py``) decides how to show them. Each carries a
``message`` written for a support agent, naming the database file, and an ``exit_code`` that
``main.py`` exits with when the console cannot start (the ``report`` commands exit 1, as
DESIGN §10 says). Environment failures (locked, read-only, unreadable, disk full, disk
failing, corrupt, too new) are distinct from :class:`StoreBug`, which means our own code is
wrong.
No Qt here.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import ClassVar


class StoreError(Exception):
    """A database problem the user can act on; ``message`` says what to do."""

    exit_code: ClassVar[int] = 10

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None


class DatabaseLocked(StoreError):  # noqa: N818 (names are the API)
    exit_code: ClassVar[int] = 3

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            f"The database {path} is locked by another program; "
            "close other consoles using it and try again.",
            path=path,
        )


class DatabaseReadOnly(StoreError):  # noqa: N818 (names are the API)
    exit_code: ClassVar[int] = 4

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            f"The database {path} cannot be written: the file or its folder is read-only. "
            "Ask for write access to it, or open a database in a folder you can write to. "
            "Nothing was changed.",
            path=path,
        )


class DiskFull(StoreError):  # noqa: N818 (names are the API)
    exit_code: ClassVar[int] = 5

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            f"The disk holding the database {path} is full, so nothing more can be saved to it "
            "(what was saved before is kept). Free some disk space and try again.",
            path=path,
        )


class DatabaseCorrupt(StoreError):  # noqa: N818 (names are the API)
    exit_code: ClassVar[int] = 6

    def __init__(self, path: Path | str, detail: str) -> None:
        self.detail = detail
        self.backups = backup_copies(Path(path))
        super().__init__(
            f"The database {path} is damaged or is not a Support Console database "
            f"({detail}). It was left untouched. {_backup_advice(Path(path), self.backups)}",
            path=path,
        )


def backup_copies(path: Path) -> list[Path]:
    """The backup copies of ``path`` beside it (``<stem>.backup-*.sqlite3``), newest first."""
    try:
        found = [
            (copy.stat().st_mtime, copy)
            for copy in path.parent.glob(f"{glob.escape(path.stem)}.backup-*.sqlite3")
            if copy.is_file()
        ]
    except OSError:
        return []
    return [copy for _, copy in sorted(found, key=lambda pair: (-pair[0], pair[1].name))]


def _backup_advice(path: Path, backups: list[Path]) -> str:
    if not backups:
        return (
            f"There is no backup copy of it in {path.parent}: open another file with "
            "--db PATH, or restore one from your own backups."
        )
    shown = ", ".join(copy.name for copy in backups[:3])
    more = f" and {len(backups) - 3} older" if len(backups) > 3 else ""
    return (
        f"Backup copies beside it, newest first: {shown}{more}. Open one with --db PATH, "
        "or copy it in place of the damaged file."
    )


class DatabaseUnreadable(StoreError):  # noqa: N818 (names are the API)
    """The file or a folder on the way to it cannot be opened by this user."""

    exit_code: ClassVar[int] = 9

    def __init__(self, path: Path | str, blocked: Path | str) -> None:
        self.blocked = Path(blocked)
        what = "file" if self.blocked == Path(path) else "folder"
        super().__init__(
            f"The database {path} cannot be opened: you have no permission to open the {what} "
            f"{blocked}. Ask for access to it, or choose another database with --db PATH. "
            "Nothing was changed.",
            path=path,
        )


class DiskError(StoreError):
    """SQLite's "disk I/O error" on a disk that is not full: a failing or vanished disk."""

    exit_code: ClassVar[int] = 11

    def __init__(self, path: Path | str, detail: str) -> None:
        self.detail = detail
        super().__init__(
            f"The database {path} could not be read or written ({detail}): the disk holding "
            "it failed or went away. Check the disk (or network share) and try again.",
            path=path,
        )


class DatabaseTooNew(StoreError):  # noqa: N818 (names are the API)
    exit_code: ClassVar[int] = 7

    def __init__(self, path: Path | str, found: str, supported: str | None) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"The database {path} was written by a newer version of Support Console "
            f"(schema {found}; this version knows up to {supported or 'none'}). "
            "It was left untouched. Update Support Console to open it.",
            path=path,
        )


class StoreBug(StoreError):  # noqa: N818 (names are the API)
    """A programming error in the persistence layer, not something the user can fix."""

    exit_code: ClassVar[int] = 8

    def __init__(self, detail: str, *, path: Path | str | None = None) -> None:
        self.detail = detail
        super().__init__(
            f"Internal error in the database layer: {detail}. Please report this.", path=path
        )
