"""The detail's Attachments tab: open a file, save a copy, add files, and every failure in words."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
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
from console.ui.incident.attachment_picker import AttachmentPicker
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


# -- hostile files and names (issue 12) -----------------------------------------------------

EVIL = "evil\u202etxt.exe"  # shows as "evilexe.txt"; it is a .exe
REFUSED_EVIL = (
    "The file name contains invisible direction characters that hide its real type: it is a "
    "&quot;.exe&quot; file. Rename it, for example to &quot;evil_txt.exe&quot;, and attach it "
    "again."
)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe no one writes to: opening it for reading the usual way waits forever."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    path = tmp_path / "pipe.log"
    os.mkfifo(path)
    yield path
    release(path)


def release(path: Path) -> None:
    """Let a job stuck opening the pipe go, so a regression fails instead of hanging."""
    with contextlib.suppress(OSError):  # no one was waiting
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("through_link", [False, True], ids=["fifo", "link-to-fifo"])
def test_a_fifo_is_refused_at_once_in_words_and_an_ordinary_file_still_attaches(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    through_link: bool,
    fifo: Path,
) -> None:
    fine = tmp_path / "ok.log"
    fine.write_bytes(LOG)
    chosen = fifo
    if through_link:
        chosen = tmp_path / "server.log"
        chosen.symlink_to(fifo)
    incident = open_incident(world, [])
    tab = show(qtbot, view, incident.id)

    try:
        with qtbot.waitSignal(tab.failed, timeout=10_000):
            tab.add_paths([chosen, fine])
    finally:
        release(fifo)

    what = "a link to a named pipe (FIFO)" if through_link else "a named pipe (FIFO)"
    assert tab.message.text() == (
        f"&quot;{chosen.name}&quot; is {what}, not a file: only files can be attached."
    )
    assert world.context.incidents.details(incident.id).attachments == ()  # not even ok.log
    assert tab.add_button.isEnabled()

    with qtbot.waitSignal(view.incident_loaded):
        tab.add_paths([fine])
    assert names(tab) == ["ok.log"]
    select(tab, 0)
    with qtbot.waitSignal(tab.opened):
        tab.open_button.click()
    assert [(p.name, p.read_bytes()) for p in desktop.opened] == [("ok.log", LOG)]
    target = tmp_path / "saved.log"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    with qtbot.waitSignal(tab.saved):
        tab.save_button.click()
    assert target.read_bytes() == LOG


def test_a_file_whose_name_hides_its_type_is_refused_when_added(
    qtbot, view: IncidentDetailView, world: IncidentWorld, tmp_path: Path
) -> None:
    evil = tmp_path / EVIL
    evil.write_bytes(b"MZ\x90\x00")
    incident = open_incident(world, [])
    tab = show(qtbot, view, incident.id)

    with qtbot.waitSignal(tab.failed):
        tab.add_paths([evil])

    assert tab.message.text() == REFUSED_EVIL
    assert world.context.incidents.details(incident.id).attachments == ()


def test_a_file_with_a_line_break_in_its_name_is_refused_when_added(
    qtbot, view: IncidentDetailView, world: IncidentWorld, tmp_path: Path
) -> None:
    try:
        odd = tmp_path / "app\n.log"
        odd.write_bytes(LOG)
    except OSError:
        pytest.skip("this file system refuses line breaks in names")
    incident = open_incident(world, [])
    tab = show(qtbot, view, incident.id)

    with qtbot.waitSignal(tab.failed):
        tab.add_paths([odd])

    assert tab.message.text() == (
        "The file name contains control characters (a line break). Rename it, for example to "
        "&quot;app_.log&quot;, and attach it again."
    )
    assert world.context.incidents.details(incident.id).attachments == ()


def test_a_synced_name_that_hides_its_type_is_shown_opened_and_saved_safely(
    qtbot,
    view: IncidentDetailView,
    world: IncidentWorld,
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A row from an older workstation may carry such a name: it never reaches the screen
    or the desktop as it is, and the real extension is the last thing in the name."""
    incident = open_incident(world, [])
    content = b"MZ\x90\x00"
    record = Attachment(
        id=new_id(),
        incident_id=incident.id,
        filename=EVIL,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_at=world.clock.now(),
        author="Tom Becker",
    )
    with world.context.store.transaction() as tx:
        tx.attachments.add(record, content)
    tab = show(qtbot, view, incident.id)

    assert names(tab) == ["evil_txt.exe"]
    tip = tab.tree.topLevelItem(0).toolTip(0)
    assert "\u202e" not in tip
    assert tip.endswith(
        "The name it was sent with has invisible direction characters that would hide its real "
        'type (U+202E); each is shown as "_".'
    )

    select(tab, 0)
    with qtbot.waitSignal(tab.opened):
        tab.open_button.click()
    (path,) = desktop.opened
    assert (path.name, path.suffix) == ("evil_txt.exe", ".exe")
    assert tab.message.text() == "Opened a read-only copy of &quot;evil_txt.exe&quot;."

    asked: list[tuple[str, str]] = []

    def ask(parent: object, caption: str, proposed: str) -> tuple[str, str]:
        asked.append((caption, Path(proposed).name))
        return str(tmp_path / Path(proposed).name), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    with qtbot.waitSignal(tab.saved):
        tab.save_button.click()
    assert asked == [('Save "evil_txt.exe" as', "evil_txt.exe")]
    assert (tmp_path / "evil_txt.exe").read_bytes() == content
    assert "\u202e" not in tab.message.text()


def test_the_new_incident_list_flags_hostile_files_at_once_without_opening_them(
    qtbot, tmp_path: Path, fifo: Path
) -> None:
    link = tmp_path / "server.log"
    link.symlink_to(fifo)
    evil = tmp_path / EVIL
    evil.write_bytes(b"MZ")
    fine = tmp_path / "ok.log"
    fine.write_bytes(b"fine")
    picker = AttachmentPicker("Relevant log files or data")
    qtbot.addWidget(picker)

    picker.add([fifo, link, evil, fine])  # on the GUI thread: a stat, never an open

    items = [picker.list.item(row) for row in range(picker.list.count())]
    assert [item.text() for item in items] == [
        "pipe.log · 0 bytes",
        "server.log · 0 bytes",
        "evil_txt.exe · 2 bytes",
        "ok.log · 4 bytes",
    ]
    tips = [item.toolTip().splitlines()[-1] for item in items]
    assert tips[:3] == [
        '"pipe.log" is a named pipe (FIFO), not a file: only files can be attached.',
        '"server.log" is a link to a named pipe (FIFO), not a file: only files can be attached.',
        "The file name contains invisible direction characters that hide its real type: it is "
        'a ".exe" file. Rename it, for example to "evil_txt.exe", and attach it again.',
    ]
    assert items[3].toolTip() == str(fine)
    assert picker.paths() == [fifo, link, evil, fine]  # refused again, in words, on submit
