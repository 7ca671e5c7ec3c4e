"""Issue 14: mail read by another program on the same database reaches a running console's
queue within a second, without sync and without a reload; and .eml files dropped on the queue
are imported as mail, with the lines of 'mail import' in the status bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.qt.mail_worker import MailWorker
from console.qt.worker import Dispatcher
from console.services.incidents import IncidentService
from console.services.mail_intake import MailIntake, MailSource
from console.ui.shell.main_window import MainWindow
from db.engine import open_database
from db.store import SqliteStore
from mail.parse import parse
from tests.ui.incident_fixtures import IncidentWorld, dispatcher, window, world

__all__ = ["dispatcher", "window", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

CORPUS = Path(__file__).resolve().parents[1] / "mail" / "corpus"


def test_an_incident_written_by_another_program_appears_in_the_queue(
    qtbot: Any, window: MainWindow, world: IncidentWorld
) -> None:
    outside = window.outside_changes
    with qtbot.waitSignal(outside.checked, timeout=10_000):
        outside.check()  # the first check takes the mark
    # "mail watch" in another process: its own connection to the same file.
    other = SqliteStore(open_database(world.context.db_path, backup=False, quick_check=False))
    try:
        customer = world.standard
        raw = (
            (CORPUS / "new-report.eml")
            .read_bytes()
            .replace(b"anna.berg@example.com", customer.contacts[0].emails[0].encode())
            .replace(b"Anna.Berg@Example.COM", customer.contacts[0].emails[0].encode())
        )
        hlc = HybridLogicalClock("ws-mail")
        agent = Agent(id="", name="Email intake", role=Role.AGENT)
        intake = MailIntake(
            other, world.clock, IncidentService(other, world.clock, agent, "ws-mail", hlc)
        )
        result = intake.take(parse(raw), MailSource("support@vendor.example"))
    finally:
        other.close()
    assert result.line().startswith("created INC-"), result.line()
    assert window.queue.proxy.proxy_row(result.incident_id) is None  # not yet: nobody said
    with qtbot.waitSignal(outside.incidents_changed, timeout=10_000) as changed:
        outside.check()  # the timer's tick, once a second
    assert result.incident_id in changed.args[0]
    qtbot.waitUntil(lambda: window.queue.proxy.proxy_row(result.incident_id) is not None)


def test_eml_files_dropped_on_the_queue_are_imported_as_mail(
    qtbot: Any, window: MainWindow, world: IncidentWorld, tmp_path: Path
) -> None:
    customer = world.standard
    address = customer.contacts[0].emails[0].encode()
    raw = (CORPUS / "new-report.eml").read_bytes()
    file = tmp_path / "report.eml"
    file.write_bytes(
        raw.replace(b"anna.berg@example.com", address).replace(b"Anna.Berg@Example.COM", address)
    )
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(file)), QUrl.fromLocalFile(str(tmp_path / "a.txt"))])
    queue = window.queue
    # Offscreen there is no drag manager to deliver the drop: the queue's own handlers are
    # called as Qt calls them.
    enter = QDragEnterEvent(
        QPoint(200, 200),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    queue.dragEnterEvent(enter)
    assert enter.isAccepted()  # mail files: the queue takes them
    with qtbot.waitSignal(queue.mail_files_dropped, timeout=5_000) as dropped:
        queue.dropEvent(
            QDropEvent(
                QPointF(200, 200),
                Qt.DropAction.CopyAction,
                data,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
            )
        )
    assert dropped.args[0] == [str(file)]  # only the .eml
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.txt"))])
    refused = QDragEnterEvent(
        QPoint(200, 200),
        Qt.DropAction.CopyAction,
        other,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    refused.ignore()
    queue.dragEnterEvent(refused)
    assert not refused.isAccepted()


def test_the_dropped_files_are_imported_and_the_lines_said_in_the_status_bar(
    qtbot: Any, window: MainWindow, world: IncidentWorld, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    from main import wire_mail  # the composition root, for this test only
    from tests.ui.test_mail_ui_14 import IdleWatcher

    wire_mail(window, world.context, dispatcher, MailWorker(IdleWatcher, lambda: False))
    address = world.standard.contacts[0].emails[0].encode()
    raw = (CORPUS / "new-report.eml").read_bytes()
    good = tmp_path / "report.eml"
    good.write_bytes(
        raw.replace(b"anna.berg@example.com", address).replace(b"Anna.Berg@Example.COM", address)
    )
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    window.queue.mail_files_dropped.emit([str(good), str(empty)])
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage().startswith("Mail imported: created INC-"),
        timeout=10_000,
    )
    said = window.statusBar().currentMessage()
    assert f"refused {empty}: the file is empty" in said
    number = said.split()[3]
    qtbot.waitUntil(
        lambda: any(
            window.queue.proxy.row_at(r).summary.number == number
            for r in range(window.queue.proxy.rowCount())
        ),
        timeout=10_000,
    )


def test_mail_held_by_a_separate_mail_watch_shows_in_the_inbox_count(
    qtbot: Any, window: MainWindow, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    from main import wire_mail  # the composition root, for this test only
    from tests.ui.test_mail_ui_14 import IdleWatcher

    wire_mail(window, world.context, dispatcher, MailWorker(IdleWatcher, lambda: False))
    nav = window.nav
    item = next(nav.item(i) for i in range(nav.count()) if nav.item(i).text() == "Inbox")
    outside = window.outside_changes
    with qtbot.waitSignal(outside.checked, timeout=10_000):
        outside.check()
    other = SqliteStore(open_database(world.context.db_path, backup=False, quick_check=False))
    try:  # "mail watch" in another process holds a stranger's message
        hlc = HybridLogicalClock("ws-mail")
        agent = Agent(id="", name="Email intake", role=Role.AGENT)
        intake = MailIntake(
            other, world.clock, IncidentService(other, world.clock, agent, "ws-mail", hlc)
        )
        raw = (CORPUS / "koi8r.eml").read_bytes()
        line = intake.take(parse(raw), MailSource("support@vendor.example")).line()
    finally:
        other.close()
    assert line.startswith("held unknown-sender ")
    with qtbot.waitSignal(outside.checked, timeout=10_000):
        outside.check()  # the once-a-second tick
    qtbot.waitUntil(lambda: item.text() == "Inbox (1)", timeout=10_000)
