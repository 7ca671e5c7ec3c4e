"""``main.py backup`` and ``main.py restore``: the same copies the console makes, for scripts.

``backup --db PATH --to DIR [--keep-daily N] [--keep-weekly N]`` prints the file written and
its SHA-256 (and what rotation removed); ``restore BACKUP --db PATH`` checks the copy, moves
the current file aside and puts the copy in its place. Problems go to stderr in words; exit
0 done, 1 refused, 2 a usage error (DESIGN §10).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from safekeeping.backup import (
    BackupRefused,
    Rotation,
    back_up,
    record_last_backup,
    restore,
)

__all__ = ["SYNC_SETTINGS_KEY", "backup_command", "restore_command", "sync_configured"]

#: Where sync keeps its settings in ``meta`` (``db.sync.client.SETTINGS_KEY``).
SYNC_SETTINGS_KEY = "sync.settings"

BACKUP_HELP = """\
Write a checked copy of the database (SQLite's online backup: the console and other programs
keep working meanwhile) into DIR as <name>-YYYYMMDD-HHMMSSZ.sqlite3, record it with its
SHA-256 in DIR/backups.json, and rotate: the newest copy of each of the last --keep-daily days
and of each of the last --keep-weekly ISO weeks that have one is kept, and files the list does
not name are never deleted. For a scheduled job choose a folder on another disk or a network
share. Exit status: 0 done, 1 refused (missing folder, full disk, damaged copy), 2 usage.
"""

RESTORE_HELP = """\
Put a backup copy in place of the database. The copy is checked first (integrity, checksum,
a schema this version knows); a damaged copy or one from a newer version is refused. The
current file and its -wal/-shm are moved aside to <name>.replaced-<UTC time>, never deleted.
Close the console, 'mail watch' and 'web serve' first. Exit status: 0 done, 1 refused, 2 usage.
"""


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{value} is outside 1…1000")
    return value


def backup_command(argv: Sequence[str], default_db: Callable[[], Path]) -> int:
    parser = argparse.ArgumentParser(
        prog="main.py backup",
        description=BACKUP_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", metavar="PATH", type=Path, help="the database to back up")
    parser.add_argument(
        "--to", metavar="DIR", type=Path, required=True, help="the folder for the copies"
    )
    parser.add_argument("--keep-daily", metavar="N", type=_count, default=Rotation.daily)
    parser.add_argument("--keep-weekly", metavar="N", type=_count, default=Rotation.weekly)
    args = parser.parse_args(list(argv))
    db_path: Path = args.db or default_db()
    try:
        result = back_up(db_path, args.to, rotation=Rotation(args.keep_daily, args.keep_weekly))
    except BackupRefused as refused:
        print(refused.message, file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    print(f"Backed up {db_path} to {result.path}")
    print(f"sha256 {result.copy.sha256}  {result.copy.file}")
    for removed in result.removed:
        print(f"Rotated away {removed}")
    try:
        record_last_backup(db_path, result)
    except sqlite3.Error as error:  # the copy is good; only the note in the database failed
        print(
            f"Warning: the backup is good, but the database {db_path} could not note it "
            f"({error}); the console will not show it as the last backup.",
            file=sys.stderr,
        )
    return 0


def restore_command(argv: Sequence[str], default_db: Callable[[], Path]) -> int:
    parser = argparse.ArgumentParser(
        prog="main.py restore",
        description=RESTORE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("backup", metavar="BACKUP", type=Path, help="the copy to restore")
    parser.add_argument("--db", metavar="PATH", type=Path, help="the database to replace")
    args = parser.parse_args(list(argv))
    db_path: Path = args.db or default_db()
    synced = sync_configured(db_path) or sync_configured(args.backup)
    try:
        result = restore(args.backup, db_path)
    except BackupRefused as refused:
        print(refused.message, file=sys.stderr)
        return 1
    print(f"Restored {result.check.path if result.check else args.backup} to {result.restored}")
    for moved in result.replaced:
        print(f"The replaced file was kept as {moved}")
    if result.check is not None and result.check.older_schema:
        print("The copy is from an earlier version: the console brings it up to date on start.")
    if synced:
        print(
            "Team sync is set up: when the console next starts it pulls the server's copy of "
            "the team's changes back, so everything shared since this backup returns. Changes "
            "made here that never reached the server are only in the replaced file."
        )
    return 0


def sync_configured(path: Path) -> bool:
    """Whether the database at ``path`` has sync settings (read-only; False if unreadable)."""
    if not Path(path).is_file():
        return False
    try:
        uri = f"{Path(path).absolute().as_uri()}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=2.0)
        try:
            row = connection.execute(
                "SELECT value FROM meta WHERE key = ?", (SYNC_SETTINGS_KEY,)
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0])
