"""The Qt side of sync: the worker thread's signals, the status-bar item, the settings dialog."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from console.qt.sync_worker import SyncWorker
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.sync import SyncService, SyncState, SyncStatus, TlsMode
from console.ui.sync import SyncSettingsDialog, SyncStatusWidget
from db.sync.backend import SqlSyncBackend
from tests.services.conftest import report
from tests.sync.conftest import MemoryKeyring, Server
from tests.sync.replicas import Replica
from tests.sync.test_merge import customer_on
from tests.sync.test_service import MEMBER_PASSWORD, join, service_for, settings_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

UTC_ZONE = ZoneInfo("UTC")


def context_for(replica: Replica) -> ConsoleContext:
    return ConsoleContext.build(
        replica.store,
        replica.clock,
        replica.agent,
        replica.workstation_id,
        replica.hlc,
        UTC_ZONE,
        str(replica.path),
    )


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (SyncStatus(), "Sync off"),
        (SyncStatus(SyncState.CONNECTING), "Connecting… · all sent"),
        (
            SyncStatus(SyncState.ONLINE, 0, datetime(2026, 3, 10, 17, 0, 5, tzinfo=UTC)),
            "Online · all sent · synced 17:00:05",
        ),
        (
            SyncStatus(
                SyncState.OFFLINE,
                3,
                datetime(2026, 3, 10, 17, 0, 5, tzinfo=UTC),
                "Cannot reach the sync server at db: connection refused.",
                conflicts=1,
            ),
            "Offline · 3 pending · synced 17:00:05 · 1 conflict",
        ),
    ],
)
def test_the_status_item_says_online_or_offline_pending_and_last_sync(
    qtbot, status: SyncStatus, text: str
) -> None:
    widget = SyncStatusWidget(UTC_ZONE)
    qtbot.addWidget(widget)
    widget.show_status(status)
    assert widget.label.text() == text
    if status.last_error:
        assert status.last_error in widget.toolTip()
    with qtbot.waitSignal(widget.clicked):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


@pytest.fixture
def dispatcher(qtbot) -> Iterator[Dispatcher]:
    d = Dispatcher()
    yield d
    d.wait_for_done()
    qtbot.waitUntil(lambda: not d.busy)


@pytest.fixture
def dialog_for(
    qtbot, dispatcher: Dispatcher
) -> Callable[[Replica, SyncService], SyncSettingsDialog]:
    def make(replica: Replica, service: SyncService) -> SyncSettingsDialog:
        dialog = SyncSettingsDialog(context_for(replica), service, dispatcher=dispatcher)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.data_loaded):
            pass
        return dialog

    return make


def fill(
    dialog: SyncSettingsDialog, server: Server, team: str = "support", password: str = "a secret"
) -> None:
    """The test cluster has no TLS: "Off" is chosen on purpose, as the dialog warns."""
    dialog.url.setText(server.url)
    dialog.tls_mode.setCurrentIndex(dialog.tls_mode.findData(TlsMode.DISABLE.value))
    dialog.team.setText(team)
    dialog.user.setText(settings_for(server).user)
    dialog.password.setText(password)


def test_the_dialog_tests_the_connection_and_saves_the_password_to_the_keyring(
    qtbot,
    replicas: Callable[..., Replica],
    server: Server,
    memory_keyring: MemoryKeyring,
    dialog_for: Callable[[Replica, SyncService], SyncSettingsDialog],
) -> None:
    replica = replicas("a")
    service = service_for(replica)
    join(server)
    dialog = dialog_for(replica, service)
    fill(dialog, server, password=MEMBER_PASSWORD)
    with qtbot.waitSignal(dialog.connection_tested) as tested:
        dialog.test_button.click()
    assert tested.args[0] is True and "sync schema version" in tested.args[1]
    with qtbot.waitSignal(dialog.settings_saved):
        dialog.buttons.accepted.emit()
    assert service.settings() == settings_for(server)
    assert list(memory_keyring.passwords.values()) == [MEMBER_PASSWORD]

    again = dialog_for(replica, service)  # reopened: the settings are shown, not the password
    assert again.url.text() == server.url and again.password.text() == ""
    assert "keyring" in again.password.placeholderText()
    assert again.turn_off_button.isVisibleTo(again)
    with qtbot.waitSignal(again.sync_turned_off):
        again.turn_off_button.click()
    assert service.settings() is None


def test_the_dialog_shows_each_mistake_under_its_field(
    qtbot,
    replicas: Callable[..., Replica],
    server: Server,
    memory_keyring: MemoryKeyring,
    dialog_for: Callable[[Replica, SyncService], SyncSettingsDialog],
) -> None:
    replica = replicas("a")
    service = service_for(replica)
    dialog = dialog_for(replica, service)
    fill(dialog, server, team="Support EU")
    dialog.url.setText("https://example.com")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert set(dialog.errors.invalid_keys()) == {"url", "team"}
    assert "lower-case letters" in dialog.errors.message("team")
    assert service.settings() is None and memory_keyring.passwords == {}
    dialog.url.setText(f"postgresql://127.0.0.1:{server.cluster.port + 1}/x")
    dialog.team.setText("support")
    with qtbot.waitSignal(dialog.connection_tested) as tested:
        dialog.test_button.click()
    assert tested.args[0] is False and "Cannot reach the sync server" in tested.args[1]


def test_the_worker_brings_another_workstations_change_as_a_signal(
    qtbot,
    replicas: Callable[..., Replica],
    server: Server,
    memory_keyring: MemoryKeyring,
) -> None:
    a, b = replicas("a"), replicas("b")
    workers = []
    for replica in (a, b):
        service = service_for(replica)
        service.configure(join(server), MEMBER_PASSWORD)
        worker = SyncWorker(service)
        workers.append(worker)
    widget = SyncStatusWidget(UTC_ZONE)
    qtbot.addWidget(widget)
    workers[1].status_changed.connect(widget.show_status)
    try:
        for worker in workers:
            worker.start()
        qtbot.waitUntil(lambda: widget.status.online, timeout=20_000)
        customer = customer_on(a)
        with qtbot.waitSignal(workers[1].changes_pulled, timeout=20_000) as pulled:
            incident = a.incidents.open_incident(report(customer))
        assert incident.id in pulled.args[0]
        assert b.incidents.summary(incident.id).number == incident.number
        qtbot.waitUntil(lambda: widget.label.text().startswith("Online · all sent · synced"))
    finally:
        for worker in workers:
            assert worker.stop()


def test_a_new_dialog_starts_at_verify_and_warns_under_each_weaker_choice(
    replicas: Callable[..., Replica],
    memory_keyring: MemoryKeyring,
    dialog_for: Callable[[Replica, SyncService], SyncSettingsDialog],
) -> None:
    replica = replicas("a")
    dialog = dialog_for(replica, service_for(replica))
    assert dialog.tls_mode.currentData() == TlsMode.VERIFY_FULL.value
    assert dialog.current_settings().tls_mode is TlsMode.VERIFY_FULL
    assert dialog.tls_warning.isHidden() and dialog.ca_row.isEnabled()
    assert "authorities your system trusts" in dialog.ca_hint.text()
    assert dialog.ca_file.text() == "" and dialog.ca_button.text() == "Choose…"
    risks = {
        TlsMode.DISABLE: "nothing is encrypted",
        TlsMode.PREFER: "quietly turn encryption off",
        TlsMode.REQUIRE: "certificate is not checked",
    }
    for mode, risk in risks.items():
        dialog.tls_mode.setCurrentIndex(dialog.tls_mode.findData(mode.value))
        assert not dialog.tls_warning.isHidden()
        assert (
            dialog.tls_warning.text().startswith("Warning:") and risk in dialog.tls_warning.text()
        )
        assert "password itself is never sent" in dialog.tls_warning.text() or (
            "password is never sent" in dialog.tls_warning.text()
        )
        assert not dialog.ca_row.isEnabled()  # the CA file is used with Verify only
    dialog.tls_mode.setCurrentIndex(dialog.tls_mode.findData(TlsMode.VERIFY_FULL.value))
    assert dialog.tls_warning.isHidden() and dialog.ca_row.isEnabled()


def test_the_ca_file_is_chosen_from_the_home_folder_checked_and_kept(
    qtbot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    replicas: Callable[..., Replica],
    server: Server,
    memory_keyring: MemoryKeyring,
    dialog_for: Callable[[Replica, SyncService], SyncSettingsDialog],
) -> None:
    replica = replicas("a")
    service = service_for(replica)
    dialog = dialog_for(replica, service)
    fill(dialog, server)
    dialog.tls_mode.setCurrentIndex(dialog.tls_mode.findData(TlsMode.VERIFY_FULL.value))
    dialog.ca_file.setText(str(tmp_path / "missing.pem"))
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.errors.invalid_keys() == ["ca_file"]
    assert "There is no file" in dialog.errors.message("ca_file")
    assert service.settings() is None
    authority = tmp_path / "team-ca.pem"
    authority.write_text("-----BEGIN CERTIFICATE-----\n")
    asked: list[str] = []

    def choose(parent: object, caption: str, folder: str, filters: str) -> tuple[str, str]:
        asked.append(folder)
        return str(authority), filters

    dialog.ca_file.clear()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(choose))
    dialog.ca_button.click()
    assert asked == [str(Path.home())] and dialog.ca_file.text() == str(authority)
    assert dialog.errors.invalid_keys() == []
    with qtbot.waitSignal(dialog.settings_saved):
        dialog.buttons.accepted.emit()
    saved = service.settings()
    assert saved is not None and saved.ca_file == str(authority)
    assert saved.tls_mode is TlsMode.VERIFY_FULL
    again = dialog_for(replica, service)
    assert again.ca_file.text() == str(authority)


def test_a_password_in_the_address_is_refused_under_its_field_and_not_saved(
    qtbot,
    replicas: Callable[..., Replica],
    server: Server,
    memory_keyring: MemoryKeyring,
    dialog_for: Callable[[Replica, SyncService], SyncSettingsDialog],
) -> None:
    replica = replicas("a")
    service = service_for(replica)
    dialog = dialog_for(replica, service)
    fill(dialog, server)
    for leaky in (f"{server.url}?password=hunter2", "host=127.0.0.1 password=hunter2"):
        dialog.url.setText(leaky)
        dialog.buttons.accepted.emit()
        qtbot.waitUntil(lambda: not dialog.busy)
        assert dialog.errors.invalid_keys() == ["url"]
        message = dialog.errors.message("url")
        assert "Leave the password out of the address" in message and "hunter2" not in message
    assert service.settings() is None and memory_keyring.passwords == {}


def test_a_stored_address_with_a_password_is_shown_and_used_without_it(
    replicas: Callable[..., Replica],
    server: Server,
    memory_keyring: MemoryKeyring,
    dialog_for: Callable[[Replica, SyncService], SyncSettingsDialog],
) -> None:
    replica = replicas("a")
    service = service_for(replica)
    old = settings_for(server).as_dict()  # as an older version could have stored it
    old["url"] = f"{server.url}?password=hunter2"
    older = SqlSyncBackend(replica.database, workstation_id=replica.workstation_id, hlc=replica.hlc)
    older.save_settings(old)  # straight to the meta table, past today's validation
    dialog = dialog_for(replica, service)
    assert dialog.url.text() == server.url
    assert not dialog.stored_note.isHidden() and "held a password" in dialog.stored_note.text()
    assert "hunter2" not in service.status().server
