"""The detail's Attachments tab: open a file, save a copy, add files, and every failure in words."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDropEvent
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import update

from console.domain.ids import new_id
from console.domain.records import Attachment, IncidentSummary
from console.qt.worker import Dispatcher
from console.services.validation import ATTACHMENT_LIMIT
from console.ui.incident.attachments import AttachmentsTab
from console.ui.incident.detail import IncidentDetailView
from console.ui.incident.files import session_folder
from db.models import AttachmentRow
from tests.ui.incident_fixtures import IncidentWorld, dispatcher, open_p1, view, world

__all__ = ["dispatcher", "view", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

LOG = b"2026-03-10T17:00:01Z ERROR upstream timed out\n\x00\xff"
HAR = b'{"log": {"entries": []}}'


class Desktop:
    """Stands in for the desktop's file associations (it would launch an application)."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.opened: list[Path] = []

    def open_url(self, url: QUrl) -> bool:
        assert url.isLocalFile()
        self.opened.append(Path(url.toLocalFile()))
        return self.answer


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> Desktop:
    fake = Desktop()
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(fake.open_url))
    return fake


def open_incident(world: IncidentWorld, files: list[tuple[str, bytes]]) -> IncidentSummary:
    return open_p1(world, attachments=files)


def show(qtbot, view: IncidentDetailView, incident_id: str) -> AttachmentsTab:
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(incident_id)
    view.tabs.setCurrentWidget(view.attachments)
    return view.attachments


def select(tab: AttachmentsTab, row: int) -> None:
    tab.tree.setCurrentItem(tab.tree.topLevelItem(row))


def names(tab: AttachmentsTab) -> list[str]:
    return [tab.tree.topLevelItem(r).text(0) for r in range(tab.tree.topLevelItemCount())]


def test_the_buttons_need_a_selected_file(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    tab = show(qtbot, view, open_incident(world, [("app.log", LOG)]).id)
    assert names(tab) == ["app.log"]
    assert view.tabs.tabText(view.tabs.indexOf(tab)) == "Attachments (1)"
    assert not tab.open_button.isEnabled()
    assert not tab.save_button.isEnabled()
    assert tab.add_button.isEnabled()

    select(tab, 0)
    assert tab.open_button.isEnabled()
    assert tab.save_button.isEnabled()
    tab.tree.clearSelection()
    assert not tab.open_button.isEnabled()


def test_open_hands_a_checked_read_only_copy_to_the_desktop(
    qtbot, view: IncidentDetailView, world: IncidentWorld, desktop: Desktop
) -> None:
    tab = show(qtbot, view, open_incident(world, [("app.log", LOG)]).id)
    select(tab, 0)

    with qtbot.waitSignal(tab.opened) as opened:
        tab.open_button.click()

    (path,) = desktop.opened
    assert opened.args == [str(path)]
    assert path.read_bytes() == LOG
    assert path.name == "app.log"
    assert path.parent.parent == session_folder()
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert stat.S_IMODE(session_folder().stat().st_mode) == 0o700
    assert tab.message.text() == "Opened a read-only copy of &quot;app.log&quot;."


def test_enter_and_double_click_open_the_file_too(
    qtbot, view: IncidentDetailView, world: IncidentWorld, desktop: Desktop
) -> None:
    tab = show(qtbot, view, open_incident(world, [("app.log", LOG), ("trace.har", HAR)]).id)
    select(tab, 1)
    tab.tree.setFocus()
    with qtbot.waitSignal(tab.opened):
        qtbot.keyClick(tab.tree, Qt.Key.Key_Return)

    first = tab.tree.visualItemRect(tab.tree.topLevelItem(0)).center()
    with qtbot.waitSignal(tab.opened):  # a real double-click: press, release, press again
        qtbot.mouseClick(tab.tree.viewport(), Qt.MouseButton.LeftButton, pos=first)
        qtbot.mouseDClick(tab.tree.viewport(), Qt.MouseButton.LeftButton, pos=first)

    assert [(p.name, p.read_bytes()) for p in desktop.opened] == [
        ("trace.har", HAR),
        ("app.log", LOG),
    ]


def test_two_files_of_the_same_name_open_as_two_copies(
    qtbot, view: IncidentDetailView, world: IncidentWorld, desktop: Desktop
) -> None:
    incident = open_incident(world, [("app.log", b"web server log")])
    world.context.incidents.update_report(incident.id, {"attachments": [("app.log", LOG)]})
    tab = show(qtbot, view, incident.id)
    for row in (0, 1):
        select(tab, row)
        with qtbot.waitSignal(tab.opened):
            tab.open_button.click()

    first, second = desktop.opened
    assert first != second
    assert (first.name, second.name) == ("app.log", "app.log")
    assert (first.read_bytes(), second.read_bytes()) == (b"web server log", LOG)


def test_a_name_from_elsewhere_is_made_safe_before_it_is_written(
    qtbot, view: IncidentDetailView, world: IncidentWorld, desktop: Desktop
) -> None:
    """A row synced from an older workstation may carry any name; it never picks the path."""
    incident = open_incident(world, [])
    content = b"root:x:0:0"
    record = Attachment(
        id=new_id(),
        incident_id=incident.id,
        filename="../../.profile",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_at=world.clock.now(),
        author="Tom Becker",
    )
    with world.context.store.transaction() as tx:
        tx.attachments.add(record, content)
    tab = show(qtbot, view, incident.id)
    select(tab, 0)
    with qtbot.waitSignal(tab.opened):
        tab.open_button.click()

    (path,) = desktop.opened
    assert path.name == "_.._.profile"
    assert path.parent.parent == session_folder()
    assert path.read_bytes() == content


def test_a_damaged_file_is_never_opened(
    qtbot, view: IncidentDetailView, world: IncidentWorld, desktop: Desktop
) -> None:
    incident = open_incident(world, [("app.log", LOG)])
    tab = show(qtbot, view, incident.id)
    (log,) = world.context.incidents.details(incident.id).attachments
    with world.context.store.transaction() as tx:
        tx.session.execute(
            update(AttachmentRow).where(AttachmentRow.id == log.id).values(content=b"X" + LOG[1:])
        )
    select(tab, 0)

    with qtbot.waitSignal(tab.failed) as failed:
        tab.open_button.click()

    assert desktop.opened == []
    assert not (session_folder() / log.id).exists()
    assert failed.args[0].startswith('"app.log" is damaged in the database')
    assert "Ask the customer to send it again." in tab.message.text()
    assert "Traceback" not in tab.message.text()


def test_with_no_application_for_the_type_it_offers_save_as(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    desktop.answer = False
    tab = show(qtbot, view, open_incident(world, [("trace.har", HAR)]).id)
    select(tab, 0)
    with qtbot.waitSignal(tab.failed) as failed:
        tab.open_button.click()
    assert failed.args[0].startswith(
        'No application on this computer is set up to open "trace.har".'
    )
    assert tab.message.text().endswith('<a href="save">Save it as…</a>')

    target = tmp_path / "trace.har"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    tab.tree.clearSelection()  # the offer is for that file, whatever is selected now
    with qtbot.waitSignal(tab.saved):
        tab.message.linkActivated.emit("save")
    assert target.read_bytes() == HAR


def test_save_as_proposes_the_original_name_and_writes_the_bytes(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    asked: list[tuple[str, str]] = []
    target = tmp_path / "northwind-app.log"

    def ask(parent: object, caption: str, proposed: str) -> tuple[str, str]:
        asked.append((caption, proposed))
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    tab = show(qtbot, view, open_incident(world, [("app.log", LOG)]).id)
    select(tab, 0)
    with qtbot.waitSignal(tab.saved) as saved:
        tab.save_button.click()

    assert [(caption, Path(proposed).name) for caption, proposed in asked] == [
        ('Save "app.log" as', "app.log")
    ]
    assert saved.args == [str(target)]
    assert target.read_bytes() == LOG
    assert tab.message.text() == f"Saved &quot;app.log&quot; as {target}."

    select(tab, 0)  # the next save proposes the folder used last
    with qtbot.waitSignal(tab.saved):
        tab.save_button.click()
    assert Path(asked[1][1]) == tmp_path / "app.log"


def test_cancelling_save_as_writes_nothing(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    dispatcher: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    tab = show(qtbot, view, open_incident(world, [("app.log", LOG)]).id)
    select(tab, 0)
    tab.save_button.click()
    assert not dispatcher.busy  # no job was started
    assert tab.message.isHidden()


def test_saving_into_a_missing_folder_is_said_in_words(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    target = tmp_path / "unplugged-usb" / "app.log"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    tab = show(qtbot, view, open_incident(world, [("app.log", LOG)]).id)
    select(tab, 0)
    with qtbot.waitSignal(tab.failed):
        tab.save_button.click()

    assert tab.message.text() == (
        f"&quot;app.log&quot; could not be saved to {target.parent}: the folder does not "
        "exist. Choose another place to save it."
    )
    assert not target.parent.exists()


WITHOUT_DAC = "CONSOLE_TEST_WITHOUT_FILE_OVERRIDE"  # set in the child run below
_CAPS = "-dac_override,-dac_read_search"


def read_only_folder(parent: Path) -> Path:
    """A folder this process may not write into, or a skip where permissions do not bind
    (as root: the next test runs this one again without root's file override)."""
    folder = parent / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        (folder / "probe").touch()
    except PermissionError:
        return folder
    folder.chmod(0o700)
    pytest.skip("this process may write into read-only folders (root, or no POSIX modes)")


def test_saving_into_a_read_only_folder_is_said_in_words(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    folder = read_only_folder(tmp_path)
    target = folder / "app.log"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    tab = show(qtbot, view, open_incident(world, [("app.log", LOG)]).id)
    select(tab, 0)
    try:
        with qtbot.waitSignal(tab.failed):
            tab.save_button.click()
    finally:
        folder.chmod(0o700)

    assert tab.message.text() == (
        f"&quot;app.log&quot; could not be saved to {folder}: it is read-only or you may not "
        "write there. Choose another place to save it."
    )
    assert list(folder.iterdir()) == []


def test_add_files_attaches_them_to_the_incident_shown(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    har = tmp_path / "checkout.har"
    har.write_bytes(HAR)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args: ([str(har)], ""))
    incident = open_incident(world, [("app.log", LOG)])
    tab = show(qtbot, view, incident.id)

    with qtbot.waitSignals([view.incident_changed, view.incident_loaded]):
        tab.add_button.click()

    assert names(tab) == ["app.log", "checkout.har"]
    assert view.tabs.tabText(view.tabs.indexOf(tab)) == "Attachments (2)"
    assert tab.message.text() == "Attached &quot;checkout.har&quot;."
    stored = world.context.incidents.details(incident.id).attachments[1]
    assert world.context.incidents.attachment(incident.id, stored.id)[1] == HAR
    assert stored.author == world.context.actor.name


def test_files_that_cannot_be_attached_are_named_and_nothing_is_saved(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    empty, big, fine = tmp_path / "empty.log", tmp_path / "dump.bin", tmp_path / "ok.log"
    empty.write_bytes(b"")
    with big.open("wb") as handle:
        handle.truncate(ATTACHMENT_LIMIT + 5 * 1024 * 1024)  # sparse: nothing is written
    fine.write_bytes(b"fine")
    paths = [str(empty), str(big), str(fine)]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args: (paths, ""))
    incident = open_incident(world, [])
    tab = show(qtbot, view, incident.id)

    with qtbot.waitSignal(tab.failed):
        tab.add_button.click()

    assert tab.message.text() == (
        "&quot;empty.log&quot; is empty.<br>"
        "&quot;dump.bin&quot; is 30.0 MiB; attachments may be at most 25.0 MiB."
    )
    assert world.context.incidents.details(incident.id).attachments == ()
    assert tab.add_button.isEnabled()


def test_files_dropped_on_the_tab_are_attached(
    qtbot, view: IncidentDetailView, world: IncidentWorld, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    log.write_bytes(b"worker stalled")
    tab = show(qtbot, view, open_incident(world, []).id)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(log))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(view.incident_loaded):
        tab.dropEvent(drop)
    assert names(tab) == ["worker.log"]


@pytest.mark.skipif(
    os.geteuid() != 0 or bool(os.environ.get(WITHOUT_DAC)),
    reason="only root ignores permission bits",
)
def test_saving_into_a_read_only_folder_is_said_in_words_as_root_too() -> None:
    """Root writes anywhere; as root the test above runs in a child that gave that up."""
    setpriv = ["setpriv", f"--inh-caps={_CAPS}", f"--bounding-set={_CAPS}", "--"]
    if subprocess.run([*setpriv, "true"], capture_output=True, check=False).returncode:
        pytest.skip("setpriv cannot drop capabilities here")
    test = f"{__file__}::test_saving_into_a_read_only_folder_is_said_in_words"
    result = subprocess.run(
        [*setpriv, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, WITHOUT_DAC: "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
