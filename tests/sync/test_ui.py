"""The Qt side of sync: the worker thread's signals, the status-bar item, the settings dialog."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt

from console.qt.sync_worker import SyncWorker
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.sync import SyncService, SyncState, SyncStatus, TlsMode
from console.ui.sync import SyncSettingsDialog, SyncStatusWidget
from tests.services.conftest import report
from tests.sync.conftest import MemoryKeyring, Server
from tests.sync.replicas import Replica
from tests.sync.test_merge import customer_on
from tests.sync.test_service import service_for, settings_for

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


def fill(dialog: SyncSettingsDialog, server: Server, team: str = "support") -> None:
    dialog.url.setText(server.url)
    dialog.tls_mode.setCurrentIndex(dialog.tls_mode.findData(TlsMode.DISABLE.value))
    dialog.team.setText(team)
    dialog.user.setText("postgres")
    dialog.password.setText("a secret")


def test_the_dialog_tests_the_connection_and_saves_the_password_to_the_keyring(
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
    with qtbot.waitSignal(dialog.connection_tested) as tested:
        dialog.test_button.click()
    assert tested.args[0] is True and "sync schema version 1" in tested.args[1]
    with qtbot.waitSignal(dialog.settings_saved):
        dialog.buttons.accepted.emit()
    assert service.settings() == settings_for(server)
    assert list(memory_keyring.passwords.values()) == ["a secret"]

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
        service.configure(settings_for(server))
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
