"""The incident detail: header, clocks, report completeness, actions and their refusals."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtTest import QAbstractItemModelTester

from console.domain.events import EventKind
from console.domain.records import Status
from console.qt.worker import Dispatcher
from console.services.action_rules import Action
from console.services.incidents import NewIncident
from console.ui.incident.action_dialog import ACTIONS, ActionDialog
from console.ui.incident.change_dialogs import PriorityDialog
from console.ui.incident.detail import IncidentDetailView
from console.ui.incident.respond_dialogs import RespondDialog
from console.ui.incident.timeline import TimelineModel
from db.errors import DatabaseLocked
from tests.ui.incident_fixtures import (
    IncidentWorld,
    dispatcher,
    make_ticker,
    open_p1,
    view,
    world,
)

__all__ = ["dispatcher", "view", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class Mailer(QObject):
    """Stands in for the desktop's email program."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url)


def show(qtbot, view: IncidentDetailView, incident_id: str) -> None:
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(incident_id)


def run(qtbot, view: IncidentDetailView, dialog: ActionDialog | None) -> None:
    """Press the dialog's OK (and the confirmation, if it asks) and wait for the reload."""
    assert dialog is not None
    with qtbot.waitSignal(view.incident_loaded):
        dialog.ok_button.click()
        if dialog.confirm_button:
            assert dialog.confirmation is not None
            dialog.confirm()


def test_nothing_shown_means_every_action_is_disabled(view: IncidentDetailView) -> None:
    assert all(not b.isEnabled() for b in view.action_buttons.values())
    assert view.action_buttons["respond"].toolTip() == "No incident is shown."
    assert view.respond() is None


def test_header_shows_both_priorities_with_who_and_why(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    customer = world.standard
    summary = world.context.incidents.open_incident(
        NewIncident(
            customer_id=customer.id,
            contact_id=customer.contacts[0].id,
            title="Password reset emails not arriving",
            channel="email",
            proposed_priority="P2",
            priority="P3",
        )
    )
    show(qtbot, view, summary.id)
    assert view.title.text() == "Password reset emails not arriving"
    assert view.status.text() == "Open"
    assert "Customer proposed P2" in view.proposed.text()
    assert "by Grace Murphy when reporting" in view.proposed.text()
    assert "Vendor classified P3" in view.classified.text()
    assert "by Sofia Alvarez at opening" in view.classified.text()
    assert "Hollybrook Primary Trust · Standard plan · GMT window" in view.customer.text()

    dialog = view.change_priority()
    assert isinstance(dialog, PriorityDialog)
    dialog.priority.setCurrentIndex(dialog.priority.findData("P2"))
    dialog.reason.setPlainText("Half the school cannot sign in")
    with qtbot.waitSignal(view.incident_changed):
        run(qtbot, view, dialog)
    assert "Vendor classified P2" in view.classified.text()
    assert "after triage: “Half the school cannot sign in”" in view.classified.text()
    assert world.context.incidents.summary(summary.id).priority == "P2"


def test_clocks_show_state_countdown_and_explanation_and_tick(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    show(qtbot, view, summary.id)
    first = view.clocks_panel.cards[0]
    assert first.name.text() == "First response"
    assert first.state.text() == "at risk"  # 15 min target, at risk from the start
    assert first.countdown.text() == "15 m 00 s"
    assert view.next_clock.text() == (
        "First response · at risk · 15 m 00 s · due Tue 10 Mar 2026 18:15 CET"
    )
    explanation = first.explanation.text()
    assert "Target: a first response within 15 min on the 24×7 wall clock" in explanation
    assert "Tue 10 Mar 2026 10:15 PDT in the window's zone (America/Los_Angeles)" in explanation
    assert "Tue 10 Mar 2026 18:15 CET in your zone (Europe/Berlin)" in explanation
    assert "Tue 10 Mar 2026 17:15 UTC" in explanation
    assert not view.action_buttons["escalate"].isEnabled()
    assert view.action_buttons["escalate"].toolTip() == (
        "Escalation 1 becomes available at Tue 10 Mar 2026 18:15 CET if the vendor has not "
        "responded to the report by then."
    )

    world.clock.advance(timedelta(minutes=16))
    view.ticker.tick()

    assert first.state.text() == "breached"
    assert first.countdown.text() == "1 m 00 s over"
    assert view.next_clock.text().startswith("First response · breached · 1 m 00 s over")
    assert view.action_buttons["escalate"].isEnabled()
    assert "since Tue 10 Mar 2026 18:15 CET" in view.action_buttons["escalate"].toolTip()
    texts = view.clocks_panel.card_texts()
    assert texts[1].startswith(
        "Status update | not applicable |  | "
        "• Status update: not applicable, not due before the first response."
    )


def test_the_first_response_breaches_the_instant_after_its_deadline(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    deadline = world.clock.now() + timedelta(minutes=15)
    show(qtbot, view, summary.id)
    first = view.clocks_panel.cards[0]
    world.clock.set(deadline - timedelta(seconds=1))
    view.ticker.tick()
    assert (first.state.text(), first.countdown.text()) == ("at risk", "0 m 01 s")

    world.clock.set(deadline)
    view.ticker.tick()
    assert (first.state.text(), first.countdown.text()) == ("at risk", "0 m 00 s")
    assert not view.action_buttons["escalate"].isEnabled()  # a response now still meets

    world.clock.set(deadline + timedelta(seconds=1))
    view.ticker.tick()
    assert (first.state.text(), first.countdown.text()) == ("breached", "0 m 01 s over")
    assert view.next_clock.text().startswith("First response · breached · 0 m 01 s over")
    assert view.action_buttons["escalate"].isEnabled()


def test_between_changes_a_tick_moves_the_countdown_without_reading_the_clocks(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    world.context.incidents.respond(summary.id, "On it")  # status update: every hour (P1)
    show(qtbot, view, summary.id)
    reading = view.reading
    clocks = view.clocks
    assert reading is not None and reading.next_change_at is not None
    assert view.next_clock.text().startswith("Status update · on track · 1 h 00 m")

    world.clock.advance(timedelta(minutes=1, seconds=1))
    view.ticker.tick()
    assert view.clocks is clocks  # nothing changed state: arithmetic only
    assert view.next_clock.text().startswith("Status update · on track · 58 m 59 s")
    assert view.clocks_panel.cards[0].countdown.text() == "58 m 59 s"

    world.clock.set(reading.next_change_at)  # at risk starts: the domain reads again
    view.ticker.tick()
    assert view.clocks is not clocks
    assert view.clocks_panel.cards[0].state.text() == "at risk"


def test_the_header_keeps_the_zone_as_written_while_the_window_is_closed(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    customer = world.standard  # Standard, GMT window 09:00-17:30
    summary = world.context.incidents.open_incident(
        NewIncident(
            customer_id=customer.id,
            contact_id=customer.contacts[0].id,
            title="Reports slow overnight",
            channel="web",
            proposed_priority="P3",
            priority="P3",
        )
    )
    world.clock.advance(timedelta(hours=1))  # 18:00 GMT: the window is closed
    show(qtbot, view, summary.id)
    header = view.next_clock.text()
    # 09:00 GMT is 10:00 in the agent's zone (Europe/Berlin); zone names keep their case
    assert header == "First response · paused · resumes Wed 10:00 · due Thu 12 Mar 2026 18:00 CET"
    assert view.clocks_panel.cards[0].state.text() == "paused, window closed"
    assert "1 bd is one business day" in view.clocks_panel.cards[0].countdown.toolTip()


def test_actions_not_allowed_now_are_disabled_with_the_reason(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    show(qtbot, view, summary.id)
    buttons = view.action_buttons
    assert buttons["post_update"].toolTip() == (
        "Respond first: status updates are owed only after the first response."
    )
    assert buttons["resume"].toolTip() == "The incident is not waiting on the customer."
    assert buttons["reopen"].toolTip() == "The incident is open: there is nothing to reopen."
    assert not any(buttons[name].isEnabled() for name in ("post_update", "resume", "reopen"))
    assert all(buttons[name].isEnabled() for name in ("respond", "assign", "add_note"))

    assert view.post_update() is None  # a shortcut says why instead of opening a dialog
    assert view.banner.text().startswith("Respond first")


def test_a_button_for_every_action_each_calling_its_slot(view: IncidentDetailView) -> None:
    assert [name for name, _, _ in ACTIONS] == list(Action)
    assert set(view.action_buttons) == set(Action)
    assert all(callable(getattr(view, action.value)) for action in Action)


def test_a_resolved_incident_leaves_notes_assignment_and_reopening(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    incidents = world.context.incidents
    incidents.respond(summary.id, "Restarted the gateway")
    incidents.resolve(summary.id, "The customer confirmed checkout works")
    show(qtbot, view, summary.id)

    buttons = view.action_buttons
    enabled = {name for name, button in buttons.items() if button.isEnabled()}
    assert enabled == {Action.ASSIGN, Action.NOTE, Action.REOPEN}
    closed = "The incident is resolved: reopen it first."
    tips = {name: button.toolTip() for name, button in buttons.items()}
    assert tips == {
        **dict.fromkeys(Action, closed),
        Action.ASSIGN: "Assign",
        Action.NOTE: "Note",
        Action.REOPEN: "Reopen",
        Action.RESUME: "The incident is not waiting on the customer.",
    }
    assert view.escalate() is None
    assert view.banner.text() == closed


def test_resolving_without_a_response_shows_the_first_response_missed(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    world.clock.advance(timedelta(minutes=5))  # the deadline is still ten minutes ahead
    world.context.incidents.resolve(summary.id, "Fixed before anyone wrote back")
    show(qtbot, view, summary.id)
    first = view.clocks_panel.cards[0]
    assert (first.name.text(), first.state.text()) == ("First response", "missed")
    assert (
        "Missed: the incident was resolved at Tue 10 Mar 2026 10:05 PDT without a response "
        "to the customer; resolving is not a response."
    ) in first.explanation.text()
    assert view.next_clock.text() == "Missed · no clock running"


def test_a_refused_action_shows_its_message_in_the_dialog_and_saves_nothing(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    show(qtbot, view, summary.id)
    dialog = view.respond()
    assert isinstance(dialog, RespondDialog)
    assert dialog.recipient.currentText() == "olivia.chen@northwind.example"
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)

    assert dialog.errors.message("text") == "The response is required."
    assert dialog.isVisible()
    events = world.context.incidents.details(summary.id).events
    assert [e.kind for e in events] == [EventKind.OPENED]

    dialog.text.setPlainText("We are looking into it now.")
    run(qtbot, view, dialog)
    assert view.dialog is None  # closed (and deleted) after the save
    details = world.context.incidents.details(summary.id)
    assert details.clocks.responded_at == world.clock.now()
    assert view.action_buttons["post_update"].isEnabled()


def test_missing_report_items_and_a_ready_request_to_the_reporting_contact(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world, affected="Checkout and payment pages", error_message="502")
    show(qtbot, view, summary.id)
    report = view.report
    assert view.report_chip.text() == "Report: 4 of 7 missing"
    assert report.item_texts["impact"].text().endswith("<i>missing</i>")
    assert "Checkout and payment pages" in report.item_texts["affected"].text()
    assert summary.number in report.item_texts["vendor_ref"].text()
    expected = world.context.incidents.details(summary.id).missing_items_request()
    assert report.request.toPlainText() == expected
    assert report.request.isReadOnly()
    assert expected.startswith("Dear Olivia Chen,")
    assert "- the impact on users\n- when the incident started\n- steps to reproduce" in expected
    assert "olivia.chen@northwind.example" in report.request_heading.text()

    report.copy_button.click()
    assert QGuiApplication.clipboard().text() == expected

    mailer = Mailer()
    QDesktopServices.setUrlHandler("mailto", mailer, "open")
    try:
        report.compose_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("mailto")
    parts = urlsplit(mailer.opened[0].toString(QUrl.ComponentFormattingOption.FullyEncoded))
    query = parse_qs(parts.query)
    assert (parts.scheme, unquote(parts.path)) == ("mailto", "olivia.chen@northwind.example")
    assert query["subject"] == [f"{summary.number}: information needed"]
    assert query["body"] == [expected]


def test_a_complete_report_asks_for_nothing(
    qtbot, view: IncidentDetailView, world: IncidentWorld, tmp_path
) -> None:
    summary = open_p1(
        world,
        affected="Checkout",
        impact="No orders",
        started_at=world.clock.now() - timedelta(hours=1),
        steps="1. Pay",
        error_message="502",
        attachments=[("app.log", b"log")],
    )
    show(qtbot, view, summary.id)
    assert view.report_chip.text() == "Report complete"
    assert view.report.request.toPlainText() == ""
    assert view.report.copy_button.isHidden()
    assert view.attachments.tree.topLevelItem(0).text(0) == "app.log"


def test_an_environment_error_is_said_in_words(
    qtbot, world: IncidentWorld, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    class LockedIncidents:
        def details(self, incident_id: str) -> None:
            raise DatabaseLocked("/data/console.sqlite3")

    context = dataclasses.replace(world.context, incidents=LockedIncidents())  # type: ignore[arg-type]
    view = IncidentDetailView(context, dispatcher, make_ticker(world, monkeypatch))
    qtbot.addWidget(view)
    view.show_incident("some-id")
    qtbot.waitUntil(lambda: not view.banner.isHidden())
    assert view.banner.text() == (
        "The database /data/console.sqlite3 is locked by another program; close other "
        "consoles using it and try again."
    )
    assert "Traceback" not in view.banner.text()


def test_the_timeline_model_passes_the_model_tester(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    incidents = world.context.incidents
    model = TimelineModel(world.context.agent_zone)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    details = incidents.details(summary.id)
    model.set_events(details.events)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    incidents.assign(summary.id, world.agents[1].id)
    incidents.note(summary.id, "Reproduced on staging")
    model.set_events(incidents.details(summary.id).events)  # appended: rows inserted
    assert inserted == [(1, 2)]
    assert model.rowCount() == 3
    assert model.index(1, TimelineModel.WHAT).data() == "Assigned to Sofia Alvarez"
    assert model.index(2, TimelineModel.TEXT).data() == "Reproduced on staging"
    assert model.index(2, TimelineModel.WHEN).data() == "Tue 10 Mar 2026 18:00 CET"
    assert model.index(2, TimelineModel.WHO).data() == "Sofia Alvarez"
    model.set_events(details.events)  # anything else: a reset
    assert model.rowCount() == 1
    model.clear()
    assert model.rowCount() == 0
    del tester


def test_the_detail_timeline_lists_every_event(
    qtbot, view: IncidentDetailView, world: IncidentWorld
) -> None:
    summary = open_p1(world)
    world.context.incidents.wait_on_customer(summary.id, "Asked for a HAR file")
    show(qtbot, view, summary.id)
    model = view.timeline
    whats = [model.index(r, TimelineModel.WHAT).data() for r in range(model.rowCount())]
    assert whats == ["Received by the web form as P1", "Waiting on the customer"]
    assert view.status.text() == "Waiting on customer"
    assert view.action_buttons["resume"].isEnabled()
    assert not view.action_buttons["wait_on_customer"].isEnabled()
    assert world.context.incidents.summary(summary.id).status is Status.WAITING_ON_CUSTOMER
