"""Issue 15: the Respond and Post update dialogs send by email through the outbox when a
server to send through is set up — to an address on the support list, the account manager
copied, the threaded subject shown — and only record the answer when none is."""

from __future__ import annotations

from typing import Any

import pytest

from console.domain.clock_model import ClockState
from console.domain.outbound import OutboxState, SmtpAccount
from console.qt.worker import Dispatcher
from console.services.outbox import OutboxService
from console.services.templates import TemplateService
from console.ui.incident.change_dialogs import ExcludeDialog
from console.ui.incident.detail import IncidentDetailView
from console.ui.incident.respond_dialogs import RespondDialog, StatusUpdateDialog
from tests.ui.incident_fixtures import IncidentWorld, dispatcher, open_p1, view, world

__all__ = ["dispatcher", "view", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ACCOUNT = SmtpAccount(
    id="",
    name="support@vendor.example",
    host="smtp.vendor.example",
    port=587,
    username="support@vendor.example",
    from_address="support@vendor.example",
    from_name="Vendor Support",
)


def set_up_sending(world: IncidentWorld) -> None:
    context = world.context
    lead = world.agents[0]
    OutboxService(context.store, context.clock, context.incidents, lead).accounts.save(ACCOUNT)


def test_a_response_goes_to_the_outbox_and_the_clock_waits_for_the_server(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView, dispatcher: Dispatcher
) -> None:
    set_up_sending(world)
    summary = open_p1(world)
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    dialog = view.respond()
    assert isinstance(dialog, RespondDialog) and dialog.sends
    assert dialog.ok_button.text() == "Send response"
    shown = dialog.mail_line.text()
    assert "From: Vendor Support <support@vendor.example>" in shown
    assert "Cc: rachel.adeyemi@vendor.example (the customer's account manager)" in shown
    assert f"Subject: [{summary.number}] Checkout returns 502 Bad Gateway" in shown
    # Only the support list's addresses, the reporting contact's first.
    items = [dialog.recipient.itemData(i) for i in range(dialog.recipient.count())]
    assert items == [
        "olivia.chen@northwind.example",
        "maria.rossi@northwind.example",
        "james.okafor@northwind.example",
    ]
    dialog.recipient.setCurrentIndex(1)
    dialog.text.setPlainText("We are restoring the checkout now.")
    with qtbot.waitSignals([view.incident_changed, view.incident_loaded], timeout=10_000):
        dialog.ok_button.click()
    [entry] = world.context.outbox.entries(summary.id)
    assert entry.state is OutboxState.QUEUED
    assert entry.mail.to == ("maria.rossi@northwind.example",)
    clocks = world.context.incidents.details(summary.id).clocks
    assert clocks.first_response.state is not ClockState.MET  # not until the server says 250
    assert clocks.first_response.queued_at is not None

    # By phone it is only recorded, and counts at once.
    dialog = view.respond()
    assert isinstance(dialog, RespondDialog)
    dialog.channel.setCurrentIndex(dialog.channel.findData("phone"))
    assert not dialog.sends and dialog.ok_button.text() == "Record response"
    assert not dialog.mail_line.isVisible()


def test_without_a_sending_server_an_answer_is_only_recorded_and_says_why(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView
) -> None:
    summary = open_p1(world)
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    dialog = view.respond()
    assert isinstance(dialog, RespondDialog) and not dialog.sends
    assert dialog.ok_button.text() == "Record response"
    assert "No server to send mail through is set up" in dialog.intro_label.text()
    dialog.reject()


def test_a_status_update_by_email_goes_out_and_one_on_the_status_page_is_recorded(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView
) -> None:
    set_up_sending(world)
    summary = open_p1(world)
    world.context.incidents.respond(summary.id, "Called Olivia.", "phone")
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    dialog = view.post_update()
    assert isinstance(dialog, StatusUpdateDialog) and dialog.sends
    dialog.text.setPlainText("Engineers are rolling back the release.")
    with qtbot.waitSignals([view.incident_changed, view.incident_loaded], timeout=10_000):
        dialog.ok_button.click()
    [entry] = world.context.outbox.entries(summary.id)
    assert entry.mail.purpose.value == "status_update"
    dialog = view.post_update()
    assert isinstance(dialog, StatusUpdateDialog)
    dialog.status_page.setChecked(True)
    assert not dialog.sends and dialog.ok_button.text() == "Record update"
    dialog.reject()


def test_the_request_for_missing_details_is_sent_from_the_console(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView
) -> None:
    set_up_sending(world)
    summary = open_p1(world)  # no impact, steps or error text given
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    report = view.report
    assert report.compose_button.text() == "Send request…"
    report.compose_button.click()
    dialog = view.dialog
    assert dialog is not None and dialog.windowTitle().startswith("Ask for the missing details")
    assert "please send us" in dialog.text.toPlainText()  # type: ignore[attr-defined]
    assert dialog.ok_button.text() == "Send request"
    with qtbot.waitSignals([view.incident_changed, view.incident_loaded], timeout=10_000):
        dialog.ok_button.click()
    [entry] = world.context.outbox.entries(summary.id)
    assert entry.mail.purpose.value == "missing_details"
    assert entry.mail.to == ("olivia.chen@northwind.example",)


def test_slash_in_the_response_inserts_the_teams_first_response_template(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView
) -> None:
    from PySide6.QtCore import Qt

    lead = world.agents[0]
    context = world.context
    TemplateService(context.store, context.clock, lead).save(
        "first_response", "", "Dear {{ contact_name }}, we are on {{ incident_number }}."
    )
    summary = open_p1(world)
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    dialog = view.respond()
    assert isinstance(dialog, RespondDialog)
    dialog.show()
    qtbot.keyClicks(dialog.text, "/first")
    picker = dialog.text.__dict__["template_picker"]
    assert picker.popup.isVisible() and picker.shown() == ["First response"]
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return)
    assert dialog.text.toPlainText() == f"Dear Olivia Chen, we are on {summary.number}."
    dialog.reject()


def test_excluding_can_send_the_teams_exclusion_notice(
    qtbot: Any, world: IncidentWorld, view: IncidentDetailView
) -> None:
    set_up_sending(world)
    summary = open_p1(world)
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    dialog = view.exclude()
    assert isinstance(dialog, ExcludeDialog) and dialog.notify.isVisibleTo(dialog)
    dialog.reason_buttons["iii"].setChecked(True)
    dialog.text.setPlainText("Their own firewall drops our traffic.")
    dialog.notify.setChecked(True)
    with qtbot.waitSignals([view.incident_changed, view.incident_loaded], timeout=10_000):
        dialog.ok_button.click()
        dialog.confirm()
    [notice] = world.context.outbox.entries(summary.id)
    assert notice.mail.purpose.value == "notice"
    assert "arises from the customer's own equipment" in notice.mail.text.replace("\n", " ")
