"""The backup status in the status bar, Settings → Backups…, and the worker that backs up by
itself: real widgets, a real database, a clock that moves only when told."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.domain.records import Agent, Role
from console.qt.backup_worker import BackupWorker
from console.qt.settings import Settings
from console.qt.worker import Dispatcher
from console.services.backups import BackupService, BackupSettings, BackupStatus, LastBackup
from console.services.context import ConsoleContext
from console.services.workstation import workstation
from console.ui.backups import BackupsDialog, BackupStatusWidget, wire_backups
from console.ui.shell.main_window import MainWindow
from console.ui.theme import current_theme
from db.sync.client import SETTINGS_KEY
from safekeeping.backup import read_manifest
from tests.safekeeping.conftest import World, titles_in

LONDON = ZoneInfo("Europe/London")

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def dispatcher(qtbot: QtBot) -> Iterator[Dispatcher]:
    jobs = Dispatcher()
    yield jobs
    jobs.wait_for_done()
    gc.collect()


@pytest.fixture
def service(world: World) -> BackupService:
    return BackupService(world.store, world.clock, world.path)


def _status(at: datetime | None, now: datetime, **changes: object) -> BackupStatus:
    last = LastBackup(at, "console-x.sqlite3", "/mnt/nas", "ab" * 32, 10) if at else None
    values: dict[str, object] = {
        "last": last,
        "age": now - at if at else None,
        "overdue": at is None or now - at >= timedelta(days=2),
        "folder": Path("/mnt/nas"),
        "chosen": True,
        "shares_disk": False,
        "daily": True,
    }
    values.update(changes)
    return BackupStatus(**values)  # type: ignore[arg-type]


def test_the_status_bar_shows_the_last_backup_in_local_time(qtbot: QtBot) -> None:
    now = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)
    widget = BackupStatusWidget(lambda: now, LONDON)
    qtbot.addWidget(widget)
    widget.show_status(_status(datetime(2026, 7, 1, 8, 12, tzinfo=UTC), now))
    assert widget.label.text() == "Backed up 09:12"  # BST
    assert not widget.warning
    widget.show_status(_status(datetime(2026, 6, 30, 8, 12, tzinfo=UTC), now))
    assert widget.label.text() == "Backed up 30 Jun 09:12"


def test_three_days_without_a_backup_is_a_warning_in_colour_and_words(qtbot: QtBot) -> None:
    now = datetime(2026, 7, 4, 15, 0, tzinfo=UTC)
    widget = BackupStatusWidget(lambda: now, LONDON)
    qtbot.addWidget(widget)
    widget.show_status(_status(datetime(2026, 7, 1, 8, 12, tzinfo=UTC), now))
    assert widget.label.text() == "No backup for 3 days"
    assert widget.warning
    red = current_theme().state_color("breached").name()
    assert red in widget.label.styleSheet()
    assert "Last good backup: Wed 01 Jul 2026 09:12" in widget.toolTip()
    with qtbot.waitSignal(widget.clicked):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_a_failed_attempt_warns_even_when_the_last_copy_is_recent(qtbot: QtBot) -> None:
    now = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)
    widget = BackupStatusWidget(lambda: now, LONDON)
    qtbot.addWidget(widget)
    widget.show_status(
        _status(datetime(2026, 7, 1, 8, 0, tzinfo=UTC), now, error="The disk is <full>")
    )
    assert widget.warning
    # shown as typed: the folder's or the OS's words are escaped, never taken for markup
    assert widget.toolTip().startswith("<qt>")
    assert "The last attempt failed: The disk is &lt;full&gt;" in widget.toolTip()


def test_no_backup_yet_is_said_too(qtbot: QtBot) -> None:
    now = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)
    widget = BackupStatusWidget(lambda: now, LONDON)
    qtbot.addWidget(widget)
    widget.show_status(_status(None, now, chosen=False, shares_disk=True))
    assert widget.label.text() == "No backup yet" and widget.warning
    assert "on the database's own disk" in widget.toolTip()


def test_the_worker_backs_up_when_due_off_the_gui_thread(
    qtbot: QtBot, service: BackupService, world: World
) -> None:
    worker = BackupWorker(service)
    with qtbot.waitSignal(worker.backup_made, timeout=20_000) as made:
        worker.start()
    assert worker.timer.isActive() and worker.timer.interval() == 60 * 60 * 1000
    assert made.args[0].path.exists()
    with qtbot.waitSignal(worker.status_changed, timeout=20_000) as shown:
        worker.timer.timeout.emit()  # the next hourly check: nothing is due
    assert shown.args[0].last.file == made.args[0].path.name
    assert len(read_manifest(world.path.parent / "backups")) == 1
    assert worker.stop()


def test_the_worker_says_why_a_backup_failed(
    qtbot: QtBot, service: BackupService, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    service.save_settings(BackupSettings(folder=str(share)))
    share.rmdir()
    worker = BackupWorker(service)
    with qtbot.waitSignal(worker.backup_failed, timeout=20_000) as failed:
        worker.start()
    assert "does not exist" in failed.args[0]
    assert worker.stop()


def test_the_dialog_saves_the_folder_and_backs_up_now(
    qtbot: QtBot, service: BackupService, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    worker = BackupWorker(service)
    dialog = BackupsDialog(service, dispatcher, worker)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No folder chosen" in dialog.folder_hint.text())
    assert dialog.daily.isChecked() and dialog.keep_daily.value() == 7
    dialog.folder.setText(str(tmp_path / "not-there"))
    dialog.save.click()
    qtbot.waitUntil(lambda: "does not exist" in dialog.folder_error.text())
    share = tmp_path / "share"
    share.mkdir()
    dialog.folder.setText(str(share))
    dialog.keep_weekly.setValue(6)
    with qtbot.waitSignal(dialog.settings_saved) as saved:
        dialog.save.click()
    assert saved.args[0].folder == str(share) and saved.args[0].keep_weekly == 6
    with qtbot.waitSignal(worker.backup_made, timeout=20_000):
        dialog.back_up_now.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    [copy] = read_manifest(share)
    assert dialog.table.item(0, 2).text() == copy.sha256[:16]
    assert "Last good backup" in dialog.status_line.text()
    worker.stop()


def test_restore_asks_says_sync_pulls_back_and_the_console_closes(
    qtbot: QtBot, service: BackupService, dispatcher: Dispatcher, world: World
) -> None:
    service.backup_now()
    before = world.titles()
    world.open_incident("Opened after the backup")
    with world.store.transaction() as tx:
        tx.meta.set(SETTINGS_KEY, '{"url": "pg"}')
    asked: list[str] = []
    told: list[str] = []

    def confirm(_parent: object, text: str) -> bool:
        asked.append(text)
        return True

    dialog = BackupsDialog(
        service,
        dispatcher,
        None,
        zone=LONDON,
        confirm=confirm,
        inform=lambda _p, text: told.append(text),
    )
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    dialog.table.selectRow(0)
    assert dialog.restore_button.isEnabled()
    with qtbot.waitSignal(dialog.restored, timeout=20_000) as restored:
        dialog.restore_button.click()
    [question] = asked
    assert "The console closes after the restore" in question
    assert "pulls the server's copy of the team's changes back" in question
    assert "console.sqlite3.replaced-" in question
    assert "The console closes now" in told[0]
    assert titles_in(world.path) == before
    assert "Opened after the backup" in titles_in(restored.args[0].replaced[0])


def test_a_cancelled_restore_changes_nothing(
    qtbot: QtBot, service: BackupService, dispatcher: Dispatcher, world: World
) -> None:
    service.backup_now()
    world.open_incident("Opened after the backup")
    asked: list[str] = []
    dialog = BackupsDialog(
        service, dispatcher, None, confirm=lambda _p, text: asked.append(text) is not None
    )
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    dialog.restore_copy(service.folder() / service.copies()[0].file)
    qtbot.waitUntil(lambda: bool(asked))
    dispatcher.wait_for_done()
    assert "Team sync" not in asked[0]
    assert "Opened after the backup" in world.titles()
    assert not list(world.path.parent.glob("*.replaced-*"))


def test_a_damaged_copy_is_refused_in_the_dialog_without_asking(
    qtbot: QtBot, service: BackupService, dispatcher: Dispatcher, world: World
) -> None:
    result = service.backup_now()
    with result.path.open("r+b") as file:
        file.seek(8192)
        file.write(b"\x00" * 4096)
    asked: list[str] = []
    dialog = BackupsDialog(
        service, dispatcher, None, confirm=lambda _p, text: asked.append(text) is None
    )
    qtbot.addWidget(dialog)
    dialog.restore_copy(result.path)
    qtbot.waitUntil(lambda: "damaged" in dialog.message.text())
    assert asked == []


def test_wire_backups_adds_the_status_and_the_settings_entry(
    qtbot: QtBot, world: World, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    station = workstation(world.store)
    context = ConsoleContext.build(
        world.store,
        world.clock,
        Agent("a1", "Sofia", Role.AGENT),
        station.id,
        station.hlc,
        LONDON,
        str(world.path),
    )
    window = MainWindow(context, dispatcher, Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    wire_backups(window, context, dispatcher)
    status = window.statusBar().findChild(BackupStatusWidget)
    assert status is not None
    qtbot.waitUntil(lambda: status.label.text().startswith("Backed up"), timeout=20_000)
    [entry] = [a for a in window.settings_menu.actions() if a.text() == "Backups…"]
    entry.trigger()
    dialog = window.findChild(BackupsDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    dialog.close()
    worker = window.findChild(BackupWorker)
    assert worker is not None and worker.timer.isActive()
    window.close()  # a theme switch or the end of the day: this window's checks stop
    assert not worker.timer.isActive()


def test_only_a_lead_or_an_admin_may_restore(
    qtbot: QtBot, service: BackupService, dispatcher: Dispatcher
) -> None:
    service.backup_now()
    dialog = BackupsDialog(service, dispatcher, may_restore=False)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    dialog.table.selectRow(0)
    assert not dialog.restore_button.isEnabled() and not dialog.restore_file.isEnabled()
    assert "Only a team lead or an admin" in dialog.restore_button.toolTip()
    assert dialog.back_up_now.isEnabled()  # anyone may make a copy
