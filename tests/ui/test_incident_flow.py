"""An incident's life through the screens: form → respond → escalate → resolve."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.domain.clock_model import ClockState
from console.domain.records import IncidentSummary, Status
from console.qt.worker import Dispatcher
from console.services.incidents import NewIncident
from console.ui.escalations import EscalationsView
from console.ui.escalations.model import EscalationModel
from console.ui.incident.change_dialogs import EscalateDialog
from console.ui.incident.detail import IncidentDetailView
from console.ui.incident.new_form import NewIncidentDialog
from console.ui.incident.respond_dialogs import RespondDialog
from console.ui.incident.text_dialogs import ResolveDialog
from tests.ui.incident_fixtures import IncidentWorld, dispatcher, make_ticker, world

__all__ = ["dispatcher", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def open_ids(world: IncidentWorld) -> list[str]:
    """What the queue lists: the open incidents in the store."""
    with world.context.store.read() as tx:
        return [s.id for s in tx.incidents.open_incidents()]


def test_open_respond_escalate_resolve(
    qtbot, world: IncidentWorld, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    incidents = world.context.incidents
    form = NewIncidentDialog(world.context, dispatcher)
    qtbot.addWidget(form)
    with qtbot.waitSignal(form.data_loaded):
        pass
    form.customer.setCurrentIndex(form.customer.findData(world.premium.id))
    form.channel.setCurrentIndex(form.channel.findData("phone"))
    form.proposed.setCurrentIndex(form.proposed.findData("P1"))
    form.title.setText("Service unavailable for all users")
    form.affected.setPlainText("The whole web application")
    with qtbot.waitSignal(form.incident_opened) as opened:
        form.submit_button.click()
    summary: IncidentSummary = opened.args[0]
    assert summary.status is Status.OPEN and summary.priority == "P1"
    assert open_ids(world) == [summary.id]

    view = IncidentDetailView(world.context, dispatcher, make_ticker(world, monkeypatch))
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    assert view.number.text() == f"<b>{summary.number}</b>"
    assert not view.action_buttons["escalate"].isEnabled()

    # Past the 15-minute first-response deadline: the customer may escalate.
    world.clock.advance(timedelta(minutes=20))
    view.ticker.tick()
    assert view.clocks_panel.cards[0].state.text() == "breached"
    assert view.action_buttons["escalate"].isEnabled()

    # Respond (late).
    dialog = view.respond()
    assert isinstance(dialog, RespondDialog)
    dialog.text.setPlainText("We are on it; engineers are restoring the service.")
    with qtbot.waitSignals([view.incident_changed, view.incident_loaded]):
        dialog.ok_button.click()
    details = incidents.details(summary.id)
    assert details.clocks.responded_at == world.clock.now()
    assert details.clocks.first_response.state is ClockState.MISSED
    assert details.summary.first_response_met is False
    assert open_ids(world) == [summary.id]
    assert view.action_buttons["post_update"].isEnabled()

    # Escalate: it asks first, because it cannot be undone.
    world.clock.advance(timedelta(minutes=2))
    dialog = view.escalate()
    assert isinstance(dialog, EscalateDialog)
    assert dialog.level.currentData() == 1
    dialog.reason.setPlainText("No response within 15 minutes")
    dialog.ok_button.click()
    assert dialog.confirmation is not None
    assert "Escalation 1" in dialog.confirmation.text()
    assert incidents.summary(summary.id).escalation_level == 0  # nothing before the yes
    with qtbot.waitSignal(view.incident_loaded):
        dialog.confirm()
    assert incidents.summary(summary.id).escalation_level == 1
    assert view.status.text() == "Open · Escalation 1"
    assert view.clocks_panel.cards[0].name.text() == "Escalation 1 response"  # to act on first
    assert view.next_clock.text().startswith("Escalation 1 response · at risk · 15 m 00 s")

    # Resolve: asks first too; then the clocks stop and only reopening is left.
    world.clock.advance(timedelta(minutes=30))
    dialog = view.resolve()
    assert isinstance(dialog, ResolveDialog)
    dialog.text.setPlainText("Restarted the load balancer; the customer confirmed.")
    assert dialog.owed  # Escalation 1 has had no response: the resolution message is it
    dialog.message.setPlainText("We restarted the load balancer; the service is back.")
    dialog.ok_button.click()
    assert dialog.confirmation is not None
    with qtbot.waitSignal(view.incident_loaded):
        dialog.confirm()
    resolved = incidents.summary(summary.id)
    assert resolved.status is Status.RESOLVED
    assert resolved.resolved_at == world.clock.now()
    assert open_ids(world) == []
    assert view.status.text() == "Resolved · Escalation 1"
    assert view.next_clock.text() == "Missed · no clock running"  # the first response came late
    assert view.action_buttons["reopen"].isEnabled()
    assert view.action_buttons["respond"].toolTip() == (
        "The incident is resolved: reopen it first."
    )
    kinds = [view.timeline.event_at(r).kind.value for r in range(view.timeline.rowCount())]
    assert kinds == ["opened", "responded", "escalated", "responded", "resolved"]


def test_cancelling_a_confirmation_saves_nothing(
    qtbot, world: IncidentWorld, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = world.premium
    summary = world.context.incidents.open_incident(
        NewIncident(customer.id, customer.contacts[0].id, "Down", proposed_priority="P1")
    )
    view = IncidentDetailView(world.context, dispatcher, make_ticker(world, monkeypatch))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    dialog = view.resolve()
    assert dialog is not None
    dialog.text.setPlainText("Fixed")  # type: ignore[attr-defined]
    dialog.ok_button.click()
    box = dialog.confirmation
    assert box is not None
    cancel = next(b for b in box.buttons() if b is not dialog._confirm_yes)
    cancel.click()
    assert dialog.confirmation is None
    assert not dialog.busy
    assert world.context.incidents.summary(summary.id).status is Status.OPEN


def test_wait_resume_note_and_reopen_through_their_dialogs(
    qtbot, world: IncidentWorld, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = world.premium
    incidents = world.context.incidents
    summary = incidents.open_incident(
        NewIncident(customer.id, customer.contacts[0].id, "Slow reports", proposed_priority="P2")
    )
    incidents.respond(summary.id, "Looking into it.")
    view = IncidentDetailView(world.context, dispatcher, make_ticker(world, monkeypatch))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)

    def run(dialog: object, text: str) -> None:
        assert dialog is not None
        dialog.text.setPlainText(text)  # type: ignore[attr-defined]
        with qtbot.waitSignal(view.incident_loaded):
            dialog.ok_button.click()  # type: ignore[attr-defined]

    run(view.wait_on_customer(), "Asked for the report ID.")
    assert incidents.summary(summary.id).status is Status.WAITING_ON_CUSTOMER
    run(view.resume(), "They sent it.")
    assert incidents.summary(summary.id).status is Status.OPEN
    run(view.add_note(), "Same as last week's slowdown.")
    incidents.resolve(summary.id, "Index rebuilt.")
    with qtbot.waitSignal(view.incident_loaded):
        view.show_incident(summary.id)
    run(view.reopen(), "Slow again this morning.")
    assert incidents.summary(summary.id).status is Status.OPEN
    kinds = [view.timeline.event_at(r).kind.value for r in range(view.timeline.rowCount())]
    assert kinds[-5:] == ["waiting_on_customer", "resumed", "note", "resolved", "reopened"]


def test_an_incident_at_escalation_2_reads_the_same_in_the_panel_and_the_detail(
    qtbot, world: IncidentWorld, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Premium Plus P2: 2 h on the wall clock, never answered. Missed at 19:00 UTC; Escalation 1
    # at 19:10 (due 21:10) missed too; Escalation 2 at 21:20, due 23:20; now 22:29.
    customer, incidents = world.premium, world.context.incidents
    summary = incidents.open_incident(
        NewIncident(
            customer.id, customer.contacts[0].id, "Reports time out", proposed_priority="P2"
        )
    )
    world.clock.advance(timedelta(hours=2, minutes=10))
    incidents.escalate(summary.id, 1, "No response")
    world.clock.advance(timedelta(hours=2, minutes=10))
    incidents.escalate(summary.id, 2, "Still no response")
    world.clock.advance(timedelta(hours=1, minutes=9))

    ticker = make_ticker(world, monkeypatch)  # one scheduler for both, as in the main window
    panel = EscalationsView(world.context, dispatcher, ticker)
    detail = IncidentDetailView(world.context, dispatcher, ticker)
    for widget in (panel, detail):
        qtbot.addWidget(widget)
        widget.resize(1366, 768)
    with qtbot.waitSignal(panel.loaded):
        panel.show()
    detail.show()
    with qtbot.waitSignal(detail.incident_loaded):
        detail.show_incident(summary.id)

    def both() -> tuple[str, str, str]:
        """The panel's response cell (two lines: clock and state, then countdown), the
        detail's header, and the detail's first clock card on the same two lines."""
        row = panel.model.row_of(summary.id)
        card = detail.clocks_panel.cards[0]
        return (
            panel.model.index(row, EscalationModel.RESPONSE).data(),
            detail.next_clock.text(),
            f"{card.name.text()} · {card.state.text()}\n{card.countdown.text()}",
        )

    in_panel, header, card = both()
    assert in_panel == card == "Escalation 2 response · on track\n51 m 00 s"
    words = "Escalation 2 response · on track · 51 m 00 s"  # ``wording.line``: one line
    assert header == f"{words} · due Wed 11 Mar 2026 00:20 CET"
    assert words in panel.facts.text()
    assert panel.model.index(panel.model.row_of(summary.id), EscalationModel.LEVEL).data() == (
        "At E2"
    )

    world.clock.advance(timedelta(minutes=21, seconds=1))  # 29 m 59 s left: at risk
    ticker.tick()
    in_panel, header, card = both()
    assert in_panel == card == "Escalation 2 response · at risk\n29 m 59 s"
    assert header.startswith("Escalation 2 response · at risk · 29 m 59 s")
    assert "Escalation 2 response · at risk · 29 m 59 s" in panel.facts.text()
