"""Issue 15 in the console window: SMTP accounts beside the mailboxes in Settings → Mail…,
the Outbox page (states in words, Retry now, Withdraw…, the deadline warning) and the
incident's outbox strip (a withdrawn or failed answer did not count; a bounce offers the
next contact). Real widgets on a real SQLite store; the keyring and the SMTP test are
injected callables (the test machine has no secure keyring, and no server is dialled)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from console.domain.outbound import OutboxEntry, OutboxState, SmtpAccount
from console.qt import ticker as ticker_module
from console.qt.mail_worker import MailWorker
from console.qt.settings import Settings
from console.qt.worker import Dispatcher
from console.services.mail_intake import MailIntake, MailSource
from console.services.mailboxes import MailboxService
from console.services.outbox import OutboxService, SendingAccounts
from console.ui.incident.detail import IncidentDetailView
from console.ui.incident.timeline import TimelineModel
from console.ui.mail import MailSettingsDialog, MailStatusWidget
from console.ui.mail.mailbox_form import KEEP_PASSWORD
from console.ui.mail.outbox_view import OutboxModel, OutboxView
from console.ui.mail.settings_dialog import SMTP_READ_ONLY_NOTE
from console.ui.mail.smtp_form import SmtpForm
from console.ui.shell.main_window import MainWindow
from console.ui.theme import current_theme
from mail.parse import parse
from tests.ui.conftest import FakeTimer
from tests.ui.incident_fixtures import IncidentWorld, dispatcher, open_p1, view, world

__all__ = ["dispatcher", "view", "world"]

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)
SHOTS = Path("/tmp/shots")
CORPUS = Path(__file__).resolve().parents[1] / "mail" / "corpus"
OLIVIA = "olivia.chen@northwind.example"
MARIA = "maria.rossi@northwind.example"
ACCOUNT = SmtpAccount(
    id="",
    name="support@vendor.example",
    host="smtp.vendor.example",
    port=587,
    username="support@vendor.example",
    from_address="support@vendor.example",
    from_name="Vendor Support",
)


class Keyring:
    def __init__(self) -> None:
        self.stored: list[tuple[str, str]] = []

    def __call__(self, account: SmtpAccount, password: str) -> None:
        self.stored.append((account.name, password))


class Server:
    """Stands in for mail.smtp.check_connection: its words, the thread and password asked."""

    def __init__(self, words: str = "Connected to smtp.vendor.example:587 over STARTTLS.") -> None:
        self.words = words
        self.calls: list[tuple[str, str, int]] = []

    def __call__(self, account: SmtpAccount, password: str) -> str:
        self.calls.append((account.host, password, threading.get_ident()))
        return self.words


def lead_accounts(world: IncidentWorld) -> SendingAccounts:
    return SendingAccounts(world.context.store, world.agents[0])


def set_up_sending(world: IncidentWorld) -> SmtpAccount:
    return lead_accounts(world).save(ACCOUNT)


def outbox(world: IncidentWorld) -> OutboxService:
    return world.context.outbox


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
        lambda _mailbox, _password: None,
        lambda _mailbox, _password: "",
        dispatcher,
        accounts=SendingAccounts(world.context.store, agent),
        store_smtp_password=keyring or Keyring(),
        test_smtp=server or Server(),
    )
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.data_loaded, timeout=10_000):
        dialog.show()
    dialog.tabs.setCurrentWidget(dialog.sending_tab)
    return dialog


def open_smtp_form(qtbot: Any, dialog: MailSettingsDialog) -> SmtpForm:
    dialog.smtp_add_button.click()
    form = dialog.smtp_form
    assert form is not None
    qtbot.waitUntil(form.isVisible)
    return form


def outbox_view(qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher) -> OutboxView:
    page = OutboxView(
        outbox(world),
        world.context.incidents,
        world.clock.now,
        dispatcher,
        world.context.agent_zone,
    )
    qtbot.addWidget(page)
    page.resize(1366, 700)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.show()
    return page


def reload(qtbot: Any, page: OutboxView) -> None:
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()


def cell(page: OutboxView, row: int, column: int) -> str:
    return str(page.model.data(page.model.index(row, column)))


def answer(world: IncidentWorld, text: str = "We are restoring the checkout now.") -> str:
    summary = open_p1(world)
    outbox(world).respond(summary.id, text)
    return summary.id


def attempt(world: IncidentWorld) -> OutboxEntry:
    due = outbox(world).due()[0]  # the oldest
    assert outbox(world).claim(due)
    return due


def answer_box(qtbot: Any, box: QMessageBox | None, button: QMessageBox.StandardButton) -> None:
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    box.button(button).click()


def show(qtbot: Any, view: IncidentDetailView, incident_id: str) -> None:
    with qtbot.waitSignal(view.outbox_strip.loaded, timeout=10_000):
        view.show_incident(incident_id)


def timeline_lines(model: TimelineModel) -> list[str]:
    return [
        str(model.data(model.index(row, TimelineModel.WHAT))) for row in range(model.rowCount())
    ]


# -- Settings → Mail… → Sending (SMTP) ---------------------------------------------------------


def test_a_lead_adds_an_smtp_account_with_errors_named_and_nothing_saved_on_bad_input(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    keyring, server = Keyring(), Server()
    dialog = settings_dialog(qtbot, world, dispatcher, keyring=keyring, server=server)
    changes: list[bool] = []
    dialog.accounts_changed.connect(lambda: changes.append(True))
    assert dialog.tabs.tabText(dialog.tabs.indexOf(dialog.sending_tab)) == "Sending (SMTP)"
    assert dialog.smtp_empty_note.isVisible()
    form = open_smtp_form(qtbot, dialog)
    form.name.setText("support@vendor.example")
    form.host.setText("not a host!")
    form.port.setValue(0)
    form.username.setText("support@vendor.example")
    form.from_address.setText("nobody")
    form.save_button.click()
    qtbot.waitUntil(lambda: not form.busy)
    assert "is not a host name" in form.errors.message("host")
    assert "1 to 65535" in form.errors.message("port")
    assert form.errors.message("from_address")
    assert "password" in form.errors.message("password")
    assert form.isVisible()
    assert lead_accounts(world).accounts() == [] and keyring.stored == []

    # The port follows the security choice, unless someone typed one of their own.
    form.security.setCurrentIndex(form.security.findData("tls"))
    assert form.port.value() == 465
    form.security.setCurrentIndex(form.security.findData("starttls"))
    assert form.port.value() == 587
    form.port.setValue(2525)
    form.security.setCurrentIndex(form.security.findData("tls"))
    assert form.port.value() == 2525
    form.security.setCurrentIndex(form.security.findData("starttls"))

    form.host.setText("smtp.vendor.example")
    form.port.setValue(587)
    form.from_address.setText("support@vendor.example")
    form.from_name.setText("Vendor Support")
    form.password.setText("s3cret")
    assert form.password.echoMode() is form.password.EchoMode.Password
    with qtbot.waitSignal(dialog.data_loaded, timeout=10_000):
        form.save_button.click()
    [saved] = lead_accounts(world).accounts()
    assert (saved.host, saved.port, saved.security) == ("smtp.vendor.example", 587, "starttls")
    assert (saved.from_address, saved.from_name) == ("support@vendor.example", "Vendor Support")
    assert keyring.stored == [("support@vendor.example", "s3cret")]
    assert changes == [True]
    item = dialog.smtp_table.topLevelItem(0)
    assert item is not None
    assert item.text(1) == "smtp.vendor.example:587 (STARTTLS)"
    assert item.toolTip(1) == "Signs in as support@vendor.example"
    assert item.text(2) == "Vendor Support <support@vendor.example>"

    # Test: the injected check, off the GUI thread, with the stored password ("").
    dialog.select_account("support@vendor.example")
    dialog.smtp_test_button.click()
    qtbot.waitUntil(lambda: "Connected to" in dialog.smtp_test_result.text(), timeout=10_000)
    [(host, password, thread)] = server.calls
    assert (host, password) == ("smtp.vendor.example", "")
    assert thread != threading.get_ident()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / "h2_settings_sending.png"))

    # Editing: the password is never shown back; empty keeps the stored one.
    dialog.smtp_edit_button.click()
    edit = dialog.smtp_form
    assert edit is not None
    qtbot.waitUntil(edit.isVisible)
    assert edit.password.text() == "" and edit.password.placeholderText() == KEEP_PASSWORD
    edit.grab().save(str(SHOTS / "h2_smtp_form.png"))
    edit.from_name.setText("Northwind Support Desk")
    with qtbot.waitSignal(dialog.data_loaded, timeout=10_000):
        edit.save_button.click()
    [changed] = lead_accounts(world).accounts()
    assert changed.id == saved.id and changed.from_name == "Northwind Support Desk"
    assert keyring.stored == [("support@vendor.example", "s3cret")]  # nothing new stored


def test_testing_a_bad_form_names_the_fields_and_dials_no_server(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    server = Server()
    form = open_smtp_form(qtbot, settings_dialog(qtbot, world, dispatcher, server=server))
    form.name.setText("support@vendor.example")
    form.host.setText("smtp vendor")
    form.from_address.setText("support@vendor.example")
    with qtbot.waitSignal(form.connection_tested, timeout=10_000) as said:
        form.test_button.click()
    assert said.args == [False, "Fix the fields marked above first."]
    assert "is not a host name" in form.errors.message("host")
    assert server.calls == []

    form.host.setText("smtp.vendor.example")
    form.password.setText("typed")
    with qtbot.waitSignal(form.connection_tested, timeout=10_000) as said:
        form.test_button.click()
    assert said.args == [True, server.words]
    assert [(h, p) for h, p, _ in server.calls] == [("smtp.vendor.example", "typed")]


def test_an_agent_sees_the_sending_accounts_but_cannot_change_them(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    set_up_sending(world)
    dialog = settings_dialog(qtbot, world, dispatcher, lead=False)
    assert [a.name for a in dialog.accounts()] == ["support@vendor.example"]
    assert dialog.smtp_read_only_note.isVisible()
    assert dialog.smtp_read_only_note.text() == SMTP_READ_ONLY_NOTE
    for button in (
        dialog.smtp_add_button,
        dialog.smtp_edit_button,
        dialog.smtp_remove_button,
        dialog.smtp_test_button,
    ):
        assert not button.isVisible()
    dialog.select_account("support@vendor.example")
    dialog.smtp_table.itemActivated.emit(dialog.smtp_table.currentItem(), 0)
    assert dialog.smtp_form is None  # no form opens for an agent
    dialog.grab().save(str(SHOTS / "h2_settings_agent.png"))


def test_a_lead_removes_an_account_after_saying_so(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    set_up_sending(world)
    dialog = settings_dialog(qtbot, world, dispatcher)
    dialog.select_account("support@vendor.example")
    dialog.smtp_remove_button.click()
    assert dialog.remove_box is not None
    assert "Stop sending mail through support@vendor.example" in dialog.remove_box.text()
    with qtbot.waitSignal(dialog.data_loaded, timeout=10_000):
        answer_box(qtbot, dialog.remove_box, QMessageBox.StandardButton.Yes)
    assert lead_accounts(world).accounts() == []
    assert dialog.smtp_table.topLevelItemCount() == 0


# -- the Outbox ----------------------------------------------------------------------------


def test_withdrawing_a_queued_answer_fails_it_and_the_incident_says_it_did_not_count(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher, view: IncidentDetailView
) -> None:
    set_up_sending(world)
    incident_id = answer(world)
    page = outbox_view(qtbot, world, dispatcher)
    number = world.context.incidents.summary(incident_id).number
    assert page.model.rowCount() == 1
    assert cell(page, 0, 1) == number
    assert cell(page, 0, 2) == "Response"
    assert cell(page, 0, OutboxModel.TO_COLUMN) == OLIVIA
    assert cell(page, 0, OutboxModel.SUBJECT_COLUMN) == "Checkout returns 502 Bad Gateway"
    subject = page.model.index(0, OutboxModel.SUBJECT_COLUMN)
    tip = page.model.data(subject, Qt.ItemDataRole.ToolTipRole)
    assert tip == f"[{number}] Checkout returns 502 Bad Gateway"  # the subject as sent
    assert cell(page, 0, OutboxModel.TRIES_COLUMN) == "0"
    assert cell(page, 0, OutboxModel.STATE_COLUMN) == "Queued"
    assert page.summary.text() == "1 waiting"
    assert not page.retry_button.isEnabled() and page.withdraw_button.isEnabled()

    changed: list[str] = []
    page.incident_changed.connect(changed.append)
    page.withdraw_button.click()
    box = page.withdraw_box
    assert box is not None and "will not count" in box.text()
    answer_box(qtbot, box, QMessageBox.StandardButton.Cancel)
    assert outbox(world).entries()[0].state is OutboxState.QUEUED  # Cancel withdraws nothing

    page.withdraw_button.click()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        answer_box(qtbot, page.withdraw_box, QMessageBox.StandardButton.Yes)
    [entry] = outbox(world).entries()
    assert entry.state is OutboxState.FAILED
    assert changed == [incident_id]
    assert cell(page, 0, OutboxModel.STATE_COLUMN) == "Failed (Withdrawn by Sofia Alvarez.)"
    assert page.summary.text() == "Nothing waiting"
    assert not page.withdraw_button.isEnabled()

    page.waiting_only.setChecked(True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=10_000)
    assert page.empty.isVisible()

    show(qtbot, view, incident_id)
    [line] = view.outbox_strip.texts()
    assert line.startswith(f"Response to {OLIVIA} — Failed (Withdrawn by Sofia Alvarez.)")
    assert line.endswith("the answer did not count")
    assert not view.outbox_strip.withdraw_buttons
    assert any("the answer does not count" in t for t in timeline_lines(view.timeline))


def test_a_deferred_mail_shows_the_servers_words_and_retry_now_makes_it_due(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher, view: IncidentDetailView
) -> None:
    set_up_sending(world)
    incident_id = answer(world)
    outbox(world).deferred(attempt(world), "451 4.3.0 Mailbox busy, try again later")
    page = outbox_view(qtbot, world, dispatcher)
    [entry] = outbox(world).entries()
    assert entry.next_attempt_at is not None
    next_try = entry.next_attempt_at.astimezone(world.context.agent_zone)
    state = cell(page, 0, OutboxModel.STATE_COLUMN)
    assert state == (
        f"Deferred — next try at {next_try:%H:%M} (451 4.3.0 Mailbox busy, try again later)"
    )
    at_risk = current_theme().state_color("at_risk")
    index = page.model.index(0, OutboxModel.STATE_COLUMN)
    assert page.model.data(index, Qt.ItemDataRole.ForegroundRole) == at_risk
    assert cell(page, 0, OutboxModel.TRIES_COLUMN) == "1"
    assert page.summary.text() == "1 waiting, 1 deferred"
    assert outbox(world).due() == []  # waiting out its back-off

    # The strip on the incident says the same, with its own Retry now.
    show(qtbot, view, incident_id)
    [line] = view.outbox_strip.texts()
    assert "451 4.3.0 Mailbox busy" in line and entry.id in view.outbox_strip.retry_buttons

    assert page.retry_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.retry_button.click()
    [due] = outbox(world).due()
    assert due.id == entry.id and due.next_attempt_at == world.clock.now()


def test_a_waiting_answer_that_threatens_its_deadline_is_warned_about(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    set_up_sending(world)
    answered = answer(world, "Sent in time.")
    outbox(world).sent(attempt(world), "250 ok")  # out: it threatens nothing
    incident_id = answer(world)  # a P1's 15 minutes are at risk from the start
    deadline = world.context.incidents.details(incident_id).clocks.first_response.deadline
    assert deadline is not None and answered != incident_id
    page = outbox_view(qtbot, world, dispatcher)
    local = deadline.astimezone(world.context.agent_zone)
    expected = f"P1 first response due {local:%H:%M} — still in the outbox"
    rows = {cell(page, r, 1): r for r in range(page.model.rowCount())}
    waiting_row = rows[world.context.incidents.summary(incident_id).number]
    sent_row = rows[world.context.incidents.summary(answered).number]
    assert cell(page, waiting_row, OutboxModel.WARNING_COLUMN) == expected
    assert cell(page, sent_row, OutboxModel.WARNING_COLUMN) == ""
    index = page.model.index(waiting_row, OutboxModel.WARNING_COLUMN)
    colour = page.model.data(index, Qt.ItemDataRole.ForegroundRole)
    assert colour == current_theme().state_color("at_risk")
    assert page.threat_banner.isVisible() and expected in page.threat_banner.text()
    page.select(outbox(world).entries(incident_id)[0].id)
    assert f"Warning: {expected}" in page.preview.toPlainText()

    world.clock.advance(minutes=20)  # past it, and still not sent
    reload(qtbot, page)
    assert cell(page, waiting_row, OutboxModel.WARNING_COLUMN) == (
        f"P1 first response was due {local:%H:%M} — still in the outbox"
    )
    colour = page.model.data(index, Qt.ItemDataRole.ForegroundRole)
    assert colour == current_theme().state_color("breached")


def test_the_outbox_reads_again_when_the_sender_changed_a_mail(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    set_up_sending(world)
    answer(world)
    page = outbox_view(qtbot, world, dispatcher)
    counts: list[tuple[int, int]] = []
    page.counts_changed.connect(lambda waiting, deferred: counts.append((waiting, deferred)))
    outbox(world).sent(attempt(world), "250 2.0.0 Ok: queued")  # the sender, elsewhere
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.check_outside()
    sent_at = world.clock.now().astimezone(world.context.agent_zone)
    assert cell(page, 0, OutboxModel.STATE_COLUMN) == f"Sent at {sent_at:%H:%M}"
    assert counts == [(0, 0)]


def test_several_states_on_the_outbox_page(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    """A screenshot of the page at 1366×768 with every state and a deadline warning."""
    set_up_sending(world)
    service = outbox(world)
    first = answer(world, "We are looking at it.")
    service.sent(attempt(world), "250 ok")
    world.clock.advance(minutes=1)
    answer(world, "Second answer.")
    service.failed(attempt(world), "550 5.1.1 <olivia.chen@northwind.example>: user unknown")
    world.clock.advance(minutes=1)
    answer(world, "Third answer.")
    service.deferred(attempt(world), "421 4.7.0 Too many connections, slow down")
    world.clock.advance(minutes=1)
    service.post_update(first, "Engineers are rolling back the release.")
    world.clock.advance(minutes=11)
    page = outbox_view(qtbot, world, dispatcher)
    page.resize(1366, 768)
    states = [cell(page, r, OutboxModel.STATE_COLUMN) for r in range(page.model.rowCount())]
    assert cell(page, 0, 2) == "Status update"
    assert states[0] == "Queued" and states[1].startswith("Deferred — next try at")
    assert states[2].startswith("Failed (550 5.1.1") and states[3].startswith("Sent at")
    page.grab().save(str(SHOTS / "h2_outbox.png"))


# -- the incident's strip ------------------------------------------------------------------


def test_a_bounce_offers_the_next_contact_and_sending_to_them_queues_a_new_mail(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView
) -> None:
    set_up_sending(world)
    incident_id = answer(world, "We are on it.")
    sent = attempt(world)
    outbox(world).sent(sent, "250 ok")
    bounce = (
        (CORPUS / "dsn-bounce.eml")
        .read_bytes()
        .replace(b"out-1@console.vendor.example", sent.mail.message_id.encode())
        .replace(b"gone@example.net", OLIVIA.encode())
    )
    intake = MailIntake(world.context.store, world.clock, world.context.incidents)
    intake.take(parse(bounce), MailSource("support@vendor.example", 7, 9, world.clock.now()))

    show(qtbot, view, incident_id)
    strip = view.outbox_strip
    assert strip.isVisible()
    assert strip.texts()[0] == f"Not delivered to {OLIVIA}."
    button = strip.resend_buttons[sent.id]
    assert button.text() == "Send to Maria Rossi instead"
    view.grab().save(str(SHOTS / "h2_incident_strip.png"))

    with qtbot.waitSignals([view.incident_changed, strip.loaded], timeout=10_000):
        button.click()
    waiting = outbox(world).entries(incident_id, waiting_only=True)
    assert [e.mail.to for e in waiting] == [(MARIA,)]
    assert waiting[0].mail.text == "We are on it."
    qtbot.waitUntil(lambda: not strip.resend_buttons, timeout=10_000)  # offered once
    assert strip.texts()[0] == f"Response to {MARIA} — Queued"


def test_an_incident_without_mail_shows_no_strip(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView
) -> None:
    summary = open_p1(world)
    show(qtbot, view, summary.id)
    assert not view.outbox_strip.isVisible()


# -- the window ----------------------------------------------------------------------------


def test_the_window_has_an_outbox_page_with_its_count_in_the_nav_and_status_bar(
    qtbot: Any,
    world: IncidentWorld,
    dispatcher: Dispatcher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from main import wire_mail  # the composition root, for this test only

    monkeypatch.setattr(ticker_module, "QTimer", FakeTimer)
    set_up_sending(world)
    answer(world)
    answer(world, "Another one.")
    outbox(world).deferred(attempt(world), "451 later")
    window = MainWindow(world.context, dispatcher, Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    wire_mail(window, world.context, dispatcher, MailWorker(lambda _said: None, lambda: False))
    window.resize(1366, 768)
    window.show()
    items = [window.nav.item(i) for i in range(window.nav.count())]
    [item] = [i for i in items if i is not None and i.text().startswith("Outbox")]
    qtbot.waitUntil(lambda: item.text() == "Outbox (2)", timeout=10_000)
    widget = window.statusBar().findChild(MailStatusWidget)
    assert widget is not None
    assert widget.outbox_label.text() == "· Outbox: 2 waiting, 1 deferred"
    window.nav.setCurrentItem(item)
    assert isinstance(window.pages.currentWidget(), OutboxView)
    window.grab().save(str(SHOTS / "h2_window_outbox.png"))
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_the_strip_lists_each_mail_with_the_actions_its_state_allows(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView
) -> None:
    set_up_sending(world)
    service = outbox(world)
    incident_id = answer(world, "First.")
    sent = attempt(world)
    service.sent(sent, "250 ok")
    world.clock.advance(minutes=1)
    service.post_update(incident_id, "Second.")
    failed = attempt(world)
    service.failed(failed, "550 5.7.1 Relaying denied")
    world.clock.advance(minutes=1)
    service.post_update(incident_id, "Third.")
    deferred = attempt(world)
    service.deferred(deferred, "421 4.4.2 Connection timed out")
    world.clock.advance(minutes=1)
    service.post_update(incident_id, "Fourth.")
    world.clock.advance(minutes=1)
    service.post_update(incident_id, "Fifth.")
    show(qtbot, view, incident_id)
    strip = view.outbox_strip
    texts = strip.texts()
    assert texts[0] == f"Status update to {OLIVIA} — Queued"
    assert texts[2].startswith(f"Status update to {OLIVIA} — Deferred — next try at")
    assert texts[2].endswith("(421 4.4.2 Connection timed out)")
    assert texts[3] == (
        f"Status update to {OLIVIA} — Failed (550 5.7.1 Relaying denied) — the answer did not count"
    )
    assert texts[4] == "and 1 earlier mail: see the Outbox"  # the sent response
    assert set(strip.retry_buttons) == {deferred.id}
    queued = {e.id for e in service.entries(incident_id) if e.state is OutboxState.QUEUED}
    assert set(strip.withdraw_buttons) == queued | {deferred.id}
    view.grab().save(str(SHOTS / "h2_incident_strip_states.png"))

    with qtbot.waitSignals([view.incident_changed, strip.loaded], timeout=10_000):
        strip.retry_buttons[deferred.id].click()
    assert deferred.id in {e.id for e in service.due()}
