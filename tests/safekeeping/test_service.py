"""BackupService: when a backup is due, when the status bar warns, the folder setting, and a
failed attempt kept for the status and retried."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from console.services.backups import (
    DAILY,
    OVERDUE_AFTER,
    SYNC_SETTINGS_KEY,
    BackupService,
    BackupSettings,
)
from console.services.validation import ValidationError
from db.sync.client import SETTINGS_KEY
from safekeeping.backup import BackupRefused, read_manifest
from tests.safekeeping.conftest import World


@pytest.fixture
def service(world: World) -> BackupService:
    return BackupService(world.store, world.clock, world.path)


def test_until_a_folder_is_chosen_copies_go_beside_the_database_with_a_warning(
    service: BackupService, world: World
) -> None:
    assert service.due()
    result = service.backup_now()
    assert result.path.parent == world.path.parent / "backups"
    assert any("same disk" in w for w in result.warnings)
    status = service.status()
    assert not status.chosen and status.shares_disk
    assert status.last is not None and status.last.file == result.path.name
    assert status.last.sha256 == result.copy.sha256


def test_a_backup_is_due_a_day_after_the_last_one_to_the_second(
    service: BackupService, world: World
) -> None:
    service.backup_now()
    world.clock.advance(DAILY - timedelta(seconds=1))
    assert not service.due()
    world.clock.advance(seconds=1)
    assert service.due()


def test_the_status_warns_after_two_days_without_a_backup_to_the_second(
    service: BackupService, world: World
) -> None:
    assert service.status().overdue  # never backed up
    service.backup_now()
    assert not service.status().overdue
    world.clock.advance(OVERDUE_AFTER - timedelta(seconds=1))
    assert not service.status().overdue
    world.clock.advance(seconds=1)
    status = service.status()
    assert status.overdue and status.days_without == 2


def test_daily_backups_switched_off_are_never_due(service: BackupService) -> None:
    service.save_settings(BackupSettings(daily=False))
    assert not service.due()
    assert service.backup_if_due() is None


def test_a_chosen_folder_is_kept_and_used(
    service: BackupService, world: World, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    saved = service.save_settings(BackupSettings(folder=str(share), keep_daily=3, keep_weekly=2))
    assert service.settings() == saved
    result = service.backup_now()
    assert result.path.parent == share
    assert [c.file for c in service.copies()] == [result.path.name]


def test_settings_name_what_is_wrong(service: BackupService, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        service.save_settings(
            BackupSettings(folder=str(tmp_path / "gone"), keep_daily=0, keep_weekly=5000)
        )
    assert set(refused.value.errors) == {"folder", "keep_daily", "keep_weekly"}
    assert "does not exist" in refused.value.errors["folder"]
    with pytest.raises(ValidationError, match="full path"):
        service.save_settings(BackupSettings(folder="relative/folder"))


def test_a_failed_attempt_is_shown_and_the_next_one_retries(
    service: BackupService, world: World, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    service.save_settings(BackupSettings(folder=str(share)))
    share.rmdir()  # the network share went away
    with pytest.raises(BackupRefused, match="does not exist"):
        service.backup_now()
    status = service.status()
    assert "does not exist" in status.error and status.last is None
    assert service.due()  # tried again at the next check
    share.mkdir()
    service.backup_now()
    assert service.status().error == ""
    assert len(read_manifest(share)) == 1


def test_sync_is_recognised_by_the_key_sync_uses(service: BackupService, world: World) -> None:
    assert SYNC_SETTINGS_KEY == SETTINGS_KEY
    assert not service.sync_on()
    with world.store.transaction() as tx:
        tx.meta.set(SETTINGS_KEY, '{"url": "pg"}')
    assert service.sync_on()
