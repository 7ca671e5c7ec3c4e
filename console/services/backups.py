"""Backups the console makes by itself (DESIGN §5 "Safekeeping"): the settings, whether one is
due, the last good copy, and restore. The copying itself is ``safekeeping.backup``.

Settings and the last good backup live in the database's ``meta`` table, so the status bar
knows them without reading the backup folder (which may be a slow or absent network share).
Until a folder is chosen, copies go to ``backups/`` beside the database, with a warning that
they share its disk.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.services.ports import Clock, Store
from console.services.validation import ValidationError
from safekeeping.backup import (
    LAST_BACKUP_KEY,
    BackupCopy,
    BackupRefused,
    BackupResult,
    CopyCheck,
    RestoreResult,
    Rotation,
    back_up,
    check_copy,
    last_backup_value,
    read_manifest,
    restore_live,
    shares_disk,
)

__all__ = [
    "DAILY",
    "OVERDUE_AFTER",
    "BackupService",
    "BackupSettings",
    "BackupStatus",
    "LastBackup",
]

#: How often the console backs up by itself, and when the status bar starts warning.
DAILY = timedelta(days=1)
OVERDUE_AFTER = timedelta(days=2)

FOLDER_KEY = "backup_folder"
DAILY_KEY = "backup_daily"
KEEP_DAILY_KEY = "backup_keep_daily"
KEEP_WEEKLY_KEY = "backup_keep_weekly"
ERROR_KEY = "backup_error"
#: Where sync keeps its settings in ``meta`` (``db.sync.client.SETTINGS_KEY``).
SYNC_SETTINGS_KEY = "sync.settings"
MAX_KEEP = 1000


@dataclass(frozen=True)
class BackupSettings:
    folder: str = ""  # "" = backups/ beside the database
    daily: bool = True
    keep_daily: int = Rotation.daily
    keep_weekly: int = Rotation.weekly

    @property
    def rotation(self) -> Rotation:
        return Rotation(self.keep_daily, self.keep_weekly)


@dataclass(frozen=True)
class LastBackup:
    at: datetime
    file: str
    folder: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BackupStatus:
    last: LastBackup | None
    age: timedelta | None
    overdue: bool  # no good backup for OVERDUE_AFTER (or none at all)
    folder: Path
    chosen: bool  # a folder was chosen (else the default beside the database)
    shares_disk: bool
    daily: bool
    error: str = ""  # why the last attempt failed, if it did
    running: bool = False

    @property
    def days_without(self) -> int:
        return self.age.days if self.age is not None else 0


def _parse_bool(text: str | None, default: bool) -> bool:
    if text is None or text == "":
        return default
    return text.strip().lower() in ("1", "true", "yes", "on")


def _parse_count(text: str | None, default: int) -> int:
    try:
        value = int(text) if text else default
    except ValueError:
        return default
    return value if 1 <= value <= MAX_KEEP else default


class BackupService:
    """One database's backups. Safe to call from a worker thread (one backup at a time)."""

    def __init__(self, store: Store, clock: Clock, db_path: Path | str) -> None:
        self._store = store
        self._clock = clock
        self._db_path = Path(db_path).expanduser().absolute()
        self._running = threading.Lock()

    @property
    def db_path(self) -> Path:
        return self._db_path

    @property
    def default_folder(self) -> Path:
        return self._db_path.parent / "backups"

    # -- settings -----------------------------------------------------------------------------

    def settings(self) -> BackupSettings:
        with self._store.read() as tx:
            meta = tx.meta
            return BackupSettings(
                folder=meta.get(FOLDER_KEY) or "",
                daily=_parse_bool(meta.get(DAILY_KEY), True),
                keep_daily=_parse_count(meta.get(KEEP_DAILY_KEY), Rotation.daily),
                keep_weekly=_parse_count(meta.get(KEEP_WEEKLY_KEY), Rotation.weekly),
            )

    def save_settings(self, settings: BackupSettings) -> BackupSettings:
        """Check and store; a chosen folder must exist and be writable now."""
        errors = {}
        folder = settings.folder.strip()
        if folder:
            path = Path(folder).expanduser()
            if not path.is_absolute():
                errors["folder"] = f"{folder} is not a full path: choose the folder again."
            elif not path.is_dir():
                errors["folder"] = (
                    f"The folder {folder} does not exist: connect its disk or share, or "
                    "choose another."
                )
            elif not _writable(path):
                errors["folder"] = f"The folder {folder} cannot be written: choose another."
            folder = str(path)
        for key, value in (
            ("keep_daily", settings.keep_daily),
            ("keep_weekly", settings.keep_weekly),
        ):
            if not 1 <= value <= MAX_KEEP:
                errors[key] = f"Keep between 1 and {MAX_KEEP} copies."
        if errors:
            raise ValidationError(errors)
        clean = replace(settings, folder=folder)
        with self._store.transaction() as tx:
            tx.meta.set(FOLDER_KEY, clean.folder)
            tx.meta.set(DAILY_KEY, "1" if clean.daily else "0")
            tx.meta.set(KEEP_DAILY_KEY, str(clean.keep_daily))
            tx.meta.set(KEEP_WEEKLY_KEY, str(clean.keep_weekly))
        return clean

    def folder(self, settings: BackupSettings | None = None) -> Path:
        chosen = (settings or self.settings()).folder
        return Path(chosen) if chosen else self.default_folder

    # -- status -------------------------------------------------------------------------------

    def last_backup(self) -> LastBackup | None:
        with self._store.read() as tx:
            text = tx.meta.get(LAST_BACKUP_KEY)
        if not text:
            return None
        try:
            values = json.loads(text)
            at = datetime.fromisoformat(str(values["created_at"]).replace("Z", "+00:00"))
            return LastBackup(
                at=at.astimezone(UTC),
                file=str(values["file"]),
                folder=str(values["folder"]),
                sha256=str(values["sha256"]),
                size=int(values["size"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def status(self) -> BackupStatus:
        settings = self.settings()
        last = self.last_backup()
        with self._store.read() as tx:
            error = tx.meta.get(ERROR_KEY) or ""
        now = self._clock.now()
        age = max(now - last.at, timedelta(0)) if last else None
        folder = self.folder(settings)
        return BackupStatus(
            last=last,
            age=age,
            overdue=age is None or age >= OVERDUE_AFTER,
            folder=folder,
            chosen=bool(settings.folder),
            shares_disk=not settings.folder or shares_disk(self._db_path, folder),
            daily=settings.daily,
            error=error,
            running=self._running.locked(),
        )

    def due(self) -> bool:
        """Daily backups on, and none in the last day (a failed attempt is retried)."""
        settings = self.settings()
        if not settings.daily:
            return False
        last = self.last_backup()
        return last is None or self._clock.now() - last.at >= DAILY

    def sync_on(self) -> bool:
        with self._store.read() as tx:
            return bool(tx.meta.get(SYNC_SETTINGS_KEY))

    # -- doing it -----------------------------------------------------------------------------

    def backup_now(self) -> BackupResult:
        """Write a copy now; :class:`BackupRefused` says why not (also kept for the status)."""
        if not self._running.acquire(blocking=False):
            raise BackupRefused("A backup is already under way.")
        try:
            settings = self.settings()
            try:
                result = back_up(
                    self._db_path,
                    self.folder(settings),
                    now=self._clock.now(),
                    rotation=settings.rotation,
                    create_folder=not settings.folder,
                )
            except BackupRefused as refused:
                with self._store.transaction() as tx:
                    tx.meta.set(ERROR_KEY, refused.message)
                raise
            with self._store.transaction() as tx:
                tx.meta.set(LAST_BACKUP_KEY, last_backup_value(result))
                tx.meta.set(ERROR_KEY, "")
            return result
        finally:
            self._running.release()

    def backup_if_due(self) -> BackupResult | None:
        return self.backup_now() if self.due() else None

    def copies(self) -> list[BackupCopy]:
        """The good copies in the backup folder's manifest, newest first."""
        return list(reversed(read_manifest(self.folder())))

    def check(self, backup: Path | str) -> CopyCheck:
        return check_copy(backup)

    def restore(self, backup: Path | str) -> RestoreResult:
        """Restore into the open database; the console closes afterwards."""
        return restore_live(backup, self._db_path, now=self._clock.now())


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK | os.X_OK)
