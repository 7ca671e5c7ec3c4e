"""Typed errors at the persistence edge.

The db layer raises these; the UI (or ``main.py``) decides how to show them. Each carries a
``message`` written for a support agent, naming the database file, and an ``exit_code`` that
``main.py`` exits with when it cannot start. Environment failures (locked, read-only, disk
full, corrupt, too new) are distinct from :class:`StoreBug`, which means our own code is wrong.
No Qt here.
"""

from __future__ import annotations

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
            f"The disk holding the database {path} is full, so the last change was not saved. "
            "Free some disk space and try again.",
            path=path,
        )


class DatabaseCorrupt(StoreError):  # noqa: N818 (names are the API)
    exit_code: ClassVar[int] = 6

    def __init__(self, path: Path | str, detail: str) -> None:
        self.detail = detail
        name = Path(path)
        super().__init__(
            f"The database {path} is damaged or is not a Support Console database "
            f"({detail}). It was left untouched. Restore a backup copy "
            f"({name.stem}.backup-*.sqlite3 beside it) or open another file.",
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
