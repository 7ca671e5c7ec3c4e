"""``main.py export --to FILE.zip`` and ``main.py import archive FILE.zip`` (DESIGN §10).

Results go to stdout, problems to stderr in words; exit 0 on success, 1 when the archive or
the database was refused (nothing was written), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from db.engine import database_exists, open_database
from db.errors import StoreError
from db.store import SqliteStore
from safekeeping.archive import ArchiveError, Progress, export_archive
from safekeeping.archive_import import import_archive

__all__ = ["export_command", "import_archive_command"]

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | int:
    try:
        return parser.parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE


def _db_option(parser: argparse.ArgumentParser, default_db: Callable[[], Path], what: str) -> None:
    parser.add_argument("--db", type=Path, default=None, help=f"{what} (default: {default_db()})")


def _os_words(error: OSError, path: Path) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk holding {path.parent} is full."
    if error.errno == errno.EFBIG:
        return f"{path} would be larger than {path.parent} allows (a file size limit)."
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path.parent} cannot be written to (permission denied or read-only)."
    return f"{path}: {error.strerror or error}."


def export_command(
    argv: Sequence[str], default_db: Callable[[], Path], *, progress: Progress | None = None
) -> int:
    """``main.py export --to FILE.zip [--db PATH]``; ``progress`` hears each member written."""
    parser = argparse.ArgumentParser(
        prog="main.py export",
        description=(
            "Write everything the database holds (customers, support lists, windows, policy "
            "versions, agents and roles, vendor contacts, saved views, every incident with "
            "every event, attachments) to a zip in the documented archive format "
            "(docs/archive-format.md). The zip appears under its name only once complete "
            "and checked. Passphrases are never exported."
        ),
    )
    parser.add_argument("--to", type=Path, required=True, metavar="FILE.zip")
    _db_option(parser, default_db, "the database to export")
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    path: Path = args.db or default_db()
    target: Path = args.to
    try:
        if not database_exists(path):
            print(f"There is no database at {path} (see --db).", file=sys.stderr)
            return EXIT_REFUSED
        store = SqliteStore(open_database(path))
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_REFUSED
    try:
        summary = export_archive(store, target, now=datetime.now(UTC), progress=progress)
    except ArchiveError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_REFUSED
    except StoreError as exc:
        print(f"{exc.message} Nothing was exported.", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"{_os_words(exc, target)} Nothing was exported.", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()
    print(f"exported {summary.describe()} to {target}")
    return EXIT_OK


def import_archive_command(argv: Sequence[str], default_db: Callable[[], Path]) -> int:
    """``main.py import archive FILE.zip [--db PATH]``: into a new or empty database."""
    parser = argparse.ArgumentParser(
        prog="main.py import archive",
        description=(
            "Bring an archive written by `main.py export` into a new or empty database (no "
            "customers, no incidents): all of it in one transaction, or nothing. Leads and "
            "admins choose their passphrase again at their first sign-in."
        ),
    )
    parser.add_argument("archive", type=Path, metavar="FILE.zip")
    _db_option(parser, default_db, "the database to import into (made if missing)")
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    path: Path = args.db or default_db()
    source: Path = args.archive
    try:
        summary = import_archive(source, path, now=datetime.now(UTC))
    except ArchiveError as exc:
        print(f"Nothing was imported: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED
    except StoreError as exc:
        print(f"Nothing was imported: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"Nothing was imported: {_os_words(exc, source)}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"imported {summary.describe()} into {path}")
    if summary.first_sign_in:
        print("passphrases to choose at the first sign-in: " + ", ".join(summary.first_sign_in))
    return EXIT_OK
