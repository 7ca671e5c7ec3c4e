"""Issue 14: email intake in the console window — Settings → Mail…, the Inbox of held mail,
and each mailbox's last check in the status bar. Real SQLite; the keyring and the IMAP
server are injected callables (the test machine has no secure keyring)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from console.domain.mail import Mailbox
from console.qt import ticker as ticker_module
from console.qt.mail_worker import MailWorker
from console.qt.settings import Settings
from console.qt.worker import Dispatcher
from console.services.mail_intake import MailIntake, MailSource
from console.services.mailboxes import MailboxService
from console.ui.mail import InboxView, MailSettingsDialog, MailStatusWidget
from console.ui.mail.accept_dialog import ADD_SENDER
from console.ui.mail.inbox import EMPTY_TEXT
from console.ui.mail.mailbox_form import KEEP_PASSWORD, MailboxForm
from console.ui.mail.settings_dialog import READ_ONLY_NOTE
from console.ui.shell.main_window import MainWindow
from mail.parse import parse
from mail.watch import MailboxStatus
from tests.ui.conftest import FakeTimer
from tests.ui.incident_fixtures import IncidentWorld, dispatcher, world

__all__ = ["dispatcher", "world"]

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)
SHOTS = Path("/tmp/shots/14")
CORPUS = Path(__file__).resolve().parents[1] / "mail" / "corpus"
MAILBOX = "support@vendor.example"
ARRIVED = datetime(2026, 3, 10, 16, 50, tzinfo=UTC)
SENDER = "ivan.petrov@example.net"


class Keyring:
    """Records what would go to the keyring; refuses when told to."""

    def __init__(self, refusal: str = "") -> None:
        self.stored: list[tuple[str, str]] = []
        self.refusal = refusal

    def __call__(self, mailbox: Mailbox, password: str) -> None:
        if self.refusal:
            raise RuntimeError(self.refusal)
        self.stored.append((mailbox.name, password))


class Server:
    """Stands in for check_connection: says its words and notes the thread it ran on."""

    def __init__(self, words: str = "Connected: 3 messages in INBOX", refusal: str = "") -> None:
        self.words, self.refusal = words, refusal
        self.threads: list[int] = []
        self.passwords: list[str] = []

    def __call__(self, mailbox: Mailbox, password: str) -> str:
        self.threads.append(threading.get_ident())
        self.passwords.append(password)
        if self.refusal:
            raise RuntimeError(self.refusal)
        return self.words


def lead_service(world: IncidentWorld) -> MailboxService:
    return MailboxService(world.context.store, world.agents[0])


def settings_dialog(
    qtbot: Any,
    world: IncidentWorld,
    dispatcher: Dispatcher,
    *,
    lead: bool = True,
    keyring: Keyring | None = None,
    server: Server | None = None,
) -> MailSettingsDialog:
    agent = world.agents[0] if lead else world.agents[1]
    dialog = MailSettingsDialog(
        MailboxService(world.context.store, agent),
        agent.role.may_edit_policy,
        keyring or Keyring(),
        server or Server(),
        dispatcher,
    )
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.data_loaded, timeout=10_000):
        dialog.show()
    return dialog


def open_add_form(qtbot: Any, dialog: MailSettingsDialog) -> MailboxForm:
    dialog.add_button.click()
    form = dialog.form
    assert form is not None
    qtbot.waitUntil(form.isVisible)
    return form


def fill(form: MailboxForm, password: str = "s3cret") -> None:
    form.name.setText(MAILBOX)
    form.host.setText("imap.vendor.example")
    form.port.setValue(993)
    form.username.setText("support")
    form.password.setText(password)


# -- Settings → Mail… ------------------------------------------------------------------------


def test_invalid_fields_are_said_under_each_and_nothing_is_saved(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    keyring = Keyring()
    dialog = settings_dialog(qtbot, world, dispatcher, keyring=keyring)
    form = open_add_form(qtbot, dialog)
    form.host.setText("not a host!")
    form.port.setValue(0)
    form.after.setCurrentIndex(form.after.findData("move"))
    assert form.move_to.isEnabled()
    form.save_button.click()
    qtbot.waitUntil(lambda: not form.busy)

    assert "name" in form.errors.message("name").casefold()
    assert "is not a host name" in form.errors.message("host")
    assert "1 to 65535" in form.errors.message("port")
    assert "user name" in form.errors.message("username")
    assert "password" in form.errors.message("password")
    assert "folder" in form.errors.message("move_to")
    assert form.isVisible()
    assert lead_service(world).mailboxes() == []
    assert keyring.stored == []


def test_move_to_is_enabled_only_for_move(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    form = open_add_form(qtbot, settings_dialog(qtbot, world, dispatcher))
    for choice, enabled in (("leave", False), ("move", True), ("seen", False)):
        form.after.setCurrentIndex(form.after.findData(choice))
        assert form.move_to.isEnabled() is enabled


def test_save_stores_the_mailbox_and_gives_the_password_to_the_keyring(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    keyring = Keyring()
    dialog = settings_dialog(qtbot, world, dispatcher, keyring=keyring)
    changed: list[bool] = []
    dialog.mailboxes_changed.connect(lambda: changed.append(True))
    form = open_add_form(qtbot, dialog)
    fill(form)
    assert form.password.echoMode() is form.password.EchoMode.Password
    form.after.setCurrentIndex(form.after.findData("move"))
    form.move_to.setText("INBOX/Imported")
    form.ca_file.setText(str(tmp_path / "ca.pem"))
    form.starttls.setChecked(True)
    with qtbot.waitSignal(dialog.data_loaded, timeout=10_000):
        form.save_button.click()

    [saved] = lead_service(world).mailboxes()
    assert (saved.name, saved.host, saved.port, saved.username) == (
        MAILBOX,
        "imap.vendor.example",
        993,
        "support",
    )
    assert (saved.after, saved.move_to, saved.starttls) == ("move", "INBOX/Imported", True)
    assert saved.ca_file == str(tmp_path / "ca.pem")
    assert keyring.stored == [(MAILBOX, "s3cret")]
    assert changed == [True]
    item = dialog.table.topLevelItem(0)
    assert item is not None
    assert item.text(1) == "support@imap.vendor.example:993 (STARTTLS)"
    assert item.text(3) == "Move to INBOX/Imported"

    # Editing: the password field is empty and says so; empty keeps the stored one.
    dialog.select(MAILBOX)
    dialog.edit_button.click()
    edit = dialog.form
    assert edit is not None
    assert edit.password.text() == ""
    assert edit.password.placeholderText() == KEEP_PASSWORD
    edit.folder.setText("Support")
    with qtbot.waitSignal(dialog.data_loaded, timeout=10_000):
        edit.save_button.click()
    [changed_box] = lead_service(world).mailboxes()
    assert changed_box.id == saved.id and changed_box.folder == "Support"
    assert keyring.stored == [(MAILBOX, "s3cret")]  # not asked again


def test_a_keyring_refusal_is_said_under_the_password(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    refusal = "No secure system keyring is available, so the mailbox password cannot be kept."
    dialog = settings_dialog(qtbot, world, dispatcher, keyring=Keyring(refusal))
    form = open_add_form(qtbot, dialog)
    fill(form)
    form.save_button.click()
    qtbot.waitUntil(lambda: bool(form.errors.message("password")))
    assert refusal in form.errors.message("password")
    assert "Traceback" not in form.errors.message("password")
    assert form.isVisible()  # the agent can retry, or cancel


def test_test_connection_runs_off_the_gui_thread_and_shows_the_words(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    server = Server()
    form = open_add_form(qtbot, settings_dialog(qtbot, world, dispatcher, server=server))
    fill(form)
    with qtbot.waitSignal(form.connection_tested, timeout=10_000) as ok:
        form.test_button.click()
    assert ok.args == [True, "Connected: 3 messages in INBOX"]
    assert form.test_result.text() == "Connected: 3 messages in INBOX"
    assert server.threads and server.threads[0] != threading.get_ident()
    assert server.passwords == ["s3cret"]

    refusal = "imap.vendor.example refused the password for support: AUTHENTICATIONFAILED"
    server.refusal = refusal
    with qtbot.waitSignal(form.connection_tested, timeout=10_000) as failed:
        form.test_button.click()
    assert failed.args == [False, refusal]
    assert form.test_result.text() == refusal
    assert lead_service(world).mailboxes() == []  # testing saves nothing


def test_agents_see_the_list_read_only(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    lead_service(world).save(Mailbox(id="", name=MAILBOX, host="imap.vendor.example", username="s"))
    dialog = settings_dialog(qtbot, world, dispatcher, lead=False)
    assert dialog.read_only_note.isVisible()
    assert dialog.read_only_note.text() == READ_ONLY_NOTE
    assert [m.name for m in dialog.mailboxes()] == [MAILBOX]
    for button in (dialog.add_button, dialog.edit_button, dialog.remove_button):
        assert not button.isVisible()
    dialog.select(MAILBOX)
    dialog._on_edit_button_clicked()  # a double click, say: no form for an agent
    assert dialog.form is None


def test_remove_asks_then_removes(qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher) -> None:
    lead_service(world).save(Mailbox(id="", name=MAILBOX, host="imap.vendor.example", username="s"))
    dialog = settings_dialog(qtbot, world, dispatcher)
    dialog.select(MAILBOX)
    dialog.remove_button.click()
    box = dialog.remove_box
    assert box is not None and MAILBOX in box.text()
    with qtbot.waitSignal(dialog.data_loaded, timeout=10_000):
        button = box.button(QMessageBox.StandardButton.Yes)
        assert button is not None
        button.click()
    assert lead_service(world).mailboxes() == []
    assert dialog.empty_note.isVisible()


# -- the Inbox -------------------------------------------------------------------------------


def intake(world: IncidentWorld) -> MailIntake:
    context = world.context
    return MailIntake(context.store, context.clock, context.incidents, parse=parse)


def hold_koi8r(world: IncidentWorld) -> None:
    raw = (CORPUS / "koi8r.eml").read_bytes()
    result = intake(world).take(parse(raw), MailSource(MAILBOX, 7, 1, ARRIVED))
    assert result.line() == f"held unknown-sender {SENDER}"


@pytest.fixture
def inbox(qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher) -> Iterator[InboxView]:
    hold_koi8r(world)
    view = InboxView(
        intake(world), world.context.customers, world.context.actor.id, dispatcher, UTC
    )
    qtbot.addWidget(view)
    view.resize(1216, 700)
    with qtbot.waitSignals([view.loaded, view.preview_loaded], timeout=10_000):
        view.show()
    yield view
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_the_inbox_lists_held_mail_and_previews_it_as_plain_text(inbox: InboxView) -> None:
    model = inbox.model
    assert model.rowCount() == 1
    assert model.index(0, 0).data() == "Tue 10 Mar 16:50"
    assert SENDER in model.index(0, 1).data()
    assert model.index(0, 3).data() == "the sender is on no customer's support list"
    text = inbox.preview.toPlainText()
    assert f"<{SENDER}>" in text  # as plain text: the angle brackets stay visible
    assert "Subject: " in text
    assert inbox.preview.isReadOnly()


def test_accept_with_add_the_sender_adds_the_contact_and_opens_the_incident(
    qtbot: Any, inbox: InboxView, world: IncidentWorld
) -> None:
    opened: list[str] = []
    notices: list[str] = []
    inbox.incident_opened.connect(opened.append)
    inbox.notice.connect(notices.append)
    inbox.accept_button.click()
    dialog = inbox.accept_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog.busy)
    dialog.choose(world.standard.id, ADD_SENDER)
    assert dialog.contact_name.text()  # the sender's name, from the message
    with qtbot.waitSignals([dialog.accepted_into, inbox.loaded], timeout=10_000):
        dialog.ok_button.click()

    customer = world.context.customers.customer(world.standard.id)
    added = [c for c in customer.contacts if SENDER in c.emails]
    assert len(added) == 1
    assert len(opened) == 1
    details = world.context.incidents.details(opened[0])
    assert details.summary.customer_id == world.standard.id
    assert details.contact is not None and details.contact.id == added[0].id
    assert notices == [f"{details.summary.number} opened from mail"]
    assert inbox.model.rowCount() == 0
    assert inbox.stack.currentWidget() is inbox.empty
    assert inbox.empty.text() == EMPTY_TEXT


def test_reject_asks_then_takes_it_off_the_list(
    qtbot: Any, inbox: InboxView, world: IncidentWorld
) -> None:
    counts: list[int] = []
    inbox.count_changed.connect(counts.append)
    inbox.reject_button.click()
    box = inbox.reject_box
    assert box is not None and SENDER in box.text()
    with qtbot.waitSignal(inbox.loaded, timeout=10_000):
        button = box.button(QMessageBox.StandardButton.Yes)
        assert button is not None
        button.click()
    assert inbox.model.rowCount() == 0
    assert counts == [0]
    assert intake(world).held() == []
    assert world.incident_count() == 0


# -- the reader and the status bar -----------------------------------------------------------


class IdleWatcher:
    """Stands in for MailWatcher.run: reports one check, then waits for stop."""

    def __init__(self, said: Any) -> None:
        self._said = said

    def run(self, stop: threading.Event) -> None:
        self._said(MailboxStatus("m1", MAILBOX, ARRIVED, imported=1, incident_ids=("i-1",)))
        stop.wait()


def test_a_failed_check_is_said_in_red_with_the_words_in_the_tooltip(qtbot: Any) -> None:
    worker = MailWorker(IdleWatcher, lambda: False)
    widget = MailStatusWidget(UTC)
    qtbot.addWidget(widget)
    worker.mailbox_checked.connect(widget.show_status)
    ok = MailboxStatus("m1", MAILBOX, ARRIVED)
    worker._on_watcher_status_reported(ok)
    assert widget.label.text() == f"Mail: {MAILBOX} checked 16:50"
    assert not widget.failed()

    words = "imap.vendor.example refused the password for support: AUTHENTICATIONFAILED"
    worker._on_watcher_status_reported(MailboxStatus("m2", "sales@vendor.example", ARRIVED, words))
    assert widget.failed()
    assert widget.label.text().startswith("Mail: imap.vendor.example refused the password")
    assert "color" in widget.label.styleSheet()
    assert words in widget.toolTip()

    worker._on_watcher_status_reported(MailboxStatus("m2", "sales@vendor.example", ARRIVED))
    assert widget.label.text() == "Mail: 2 mailboxes, last check 16:50"


def test_the_worker_reports_on_the_gui_thread_and_stops_at_once(qtbot: Any) -> None:
    worker = MailWorker(IdleWatcher, lambda: True)
    threads: list[int] = []
    worker.mailbox_checked.connect(lambda _s: threads.append(threading.get_ident()))
    with qtbot.waitSignals([worker.mailbox_checked, worker.incidents_changed], timeout=10_000):
        assert worker.start()
    assert threads == [threading.get_ident()]
    assert worker.running
    assert worker.stop(wait_seconds=5.0)
    assert not worker.running
    assert not MailWorker(IdleWatcher, lambda: False).start()  # no enabled mailbox: no reader


def test_the_window_has_an_inbox_with_its_count_and_settings_mail(
    qtbot: Any,
    world: IncidentWorld,
    dispatcher: Dispatcher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from main import wire_mail  # the composition root, for this test only

    monkeypatch.setattr(ticker_module, "QTimer", FakeTimer)
    hold_koi8r(world)
    lead_service(world).save(
        Mailbox(id="", name=MAILBOX, host="imap.vendor.example", username="support")
    )
    window = MainWindow(world.context, dispatcher, Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    worker = MailWorker(IdleWatcher, lambda: False)  # nothing read from a network here
    wire_mail(window, world.context, dispatcher, worker)
    window.resize(1366, 768)
    window.show()
    item = window.nav.item(window.nav.count() - 1)
    assert item is not None
    qtbot.waitUntil(lambda: item.text() == "Inbox (1)", timeout=10_000)
    window.nav.setCurrentItem(item)
    inbox = window.pages.currentWidget()
    assert isinstance(inbox, InboxView)
    qtbot.waitUntil(lambda: SENDER in inbox.preview.toPlainText(), timeout=10_000)
    actions = [a.text() for a in window.settings_menu.actions()]
    assert "Mail…" in actions
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "inbox.png"))

    [mail_action] = [a for a in window.settings_menu.actions() if a.text() == "Mail…"]
    mail_action.trigger()
    dialog = window.findChild(MailSettingsDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: len(dialog.mailboxes()) == 1, timeout=10_000)
    assert dialog.read_only_note.isVisible()  # Sofia is an agent
    dialog.grab().save(str(SHOTS / "mail_settings_agent.png"))
    dialog.close()
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_screenshot_of_the_mailbox_form(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    lead_service(world).save(
        Mailbox(id="", name=MAILBOX, host="imap.vendor.example", username="support")
    )
    dialog = settings_dialog(qtbot, world, dispatcher)
    dialog.resize(1000, 460)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / "mail_settings.png"))
    form = open_add_form(qtbot, dialog)
    fill(form)
    form.host.setText("imap vendor")
    form.save_button.click()
    qtbot.waitUntil(lambda: bool(form.errors.message("host")))
    form.grab().save(str(SHOTS / "mailbox_form_errors.png"))
