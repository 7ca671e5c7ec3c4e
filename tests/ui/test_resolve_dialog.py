"""The Resolve dialog: resolving is not a response, so while one is owed it asks for one.

Northwind's P1 (Premium Plus, 24×7) is owed a first response within 15 minutes. The dialog
is driven as an agent would: typing, clicking, pressing keys; the confirmation is answered
by clicking its button. What was saved is read back from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QRadioButton

from console.domain.clock_model import ClockType
from console.domain.events import EventKind
from console.domain.outcomes import Outcome, first_response, outcomes
from console.domain.records import IncidentSummary, Status
from console.qt.worker import Dispatcher
from console.ui.incident.text_dialogs import ResolveDialog
from tests.ui.incident_fixtures import START, IncidentWorld, dispatcher, open_p1, world

__all__ = ["dispatcher", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

NO_RESPONSE = "No response has been sent to the customer yet."
DEADLINE = START + timedelta(minutes=15)


@pytest.fixture
def incident(world: IncidentWorld) -> IncidentSummary:
    """A P1 reported five minutes ago: ten minutes left to the first-response deadline."""
    summary = open_p1(world)
    world.clock.advance(minutes=5)
    return summary


@pytest.fixture
def resolve(qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher) -> Iterator[Any]:
    """Opens the Resolve dialog on an incident as the detail view does (with its details)."""

    def open_dialog(incident_id: str) -> ResolveDialog:
        details = world.context.incidents.details(incident_id)
        dialog = ResolveDialog(dispatcher, world.context.incidents, details)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        return dialog

    yield open_dialog
    qtbot.waitUntil(lambda: not dispatcher.busy)


def click(qtbot: Any, button: QAbstractButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot: Any, widget: Any, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def press_ok_and_confirm(qtbot: Any, dialog: ResolveDialog) -> str:
    """Click Resolve…, then the confirmation's Resolve; returns the question it asked."""
    click(qtbot, dialog.ok_button)
    box = dialog.confirmation
    assert box is not None
    question = box.text()
    assert box.textFormat() is Qt.TextFormat.PlainText
    yes = next(b for b in box.buttons() if b.text() == "Resolve")
    click(qtbot, yes)
    return question


def kinds(world: IncidentWorld, incident_id: str) -> list[EventKind]:
    return [e.kind for e in world.context.incidents.details(incident_id).events]


def test_an_unanswered_incident_says_so_and_sends_a_resolution_message(
    qtbot: Any, world: IncidentWorld, incident: IncidentSummary, resolve: Any
) -> None:
    dialog = resolve(incident.id)
    notice = next(w for w in dialog.findChildren(QLabel) if w.text() == NO_RESPONSE)
    assert notice.isVisible() and notice.textFormat() is Qt.TextFormat.PlainText
    assert dialog.send_message.isChecked()
    assert dialog.without_message.text() == (
        "Resolve &without a message — the first response will count as missed"
    )
    assert dialog.recipient.currentText() == "olivia.chen@northwind.example"  # reporting contact
    assert dialog.channel.currentText() == "Email"

    type_into(qtbot, dialog.text, "Renewed the expired certificate.")
    type_into(qtbot, dialog.message, "Checkout works again: the certificate was renewed.")
    dialog.channel.setFocus()
    qtbot.keyClick(dialog.channel, Qt.Key.Key_Down)  # Email → Phone
    assert dialog.channel.currentText() == "Phone"
    dialog.recipient.lineEdit().selectAll()
    type_into(qtbot, dialog.recipient, "Maria Rossi")
    with qtbot.waitSignal(dialog.completed) as done:
        question = press_ok_and_confirm(qtbot, dialog)
    assert "send the resolution message to Maria Rossi (Phone)" in question

    summary: IncidentSummary = done.args[0]
    assert summary.status is Status.RESOLVED
    details = world.context.incidents.details(incident.id)
    *_, response, resolved = details.events
    assert (response.kind, resolved.kind) == (EventKind.RESPONDED, EventKind.RESOLVED)
    assert dict(response.data) == {
        "text": "Checkout works again: the certificate was renewed.",
        "channel": "phone",
        "recipient": "Maria Rossi",
    }
    assert resolved.data["text"] == "Renewed the expired certificate."
    outcome = first_response(details.clocks)
    assert (outcome.outcome, outcome.counted_at) == (Outcome.MET, world.clock.now())
    assert world.clock.now() < DEADLINE


def test_resolving_without_a_message_is_a_plain_choice_and_misses_the_response(
    qtbot: Any, world: IncidentWorld, incident: IncidentSummary, resolve: Any
) -> None:
    dialog = resolve(incident.id)
    type_into(qtbot, dialog.text, "It fixed itself.")
    click(qtbot, dialog.without_message)
    assert dialog.without_message.isChecked()
    assert not dialog.message.isEnabled() and not dialog.recipient.isEnabled()
    with qtbot.waitSignal(dialog.completed):
        question = press_ok_and_confirm(qtbot, dialog)
    assert "without a message to the customer? The first response will count as missed." in (
        question
    )

    assert kinds(world, incident.id) == [EventKind.OPENED, EventKind.RESOLVED]
    clocks = world.context.incidents.details(incident.id).clocks
    assert first_response(clocks).outcome is Outcome.MISSED  # though the deadline was ahead
    assert world.clock.now() < DEADLINE


def test_changing_ones_mind_brings_the_message_back(
    qtbot: Any, incident: IncidentSummary, resolve: Any
) -> None:
    dialog = resolve(incident.id)
    click(qtbot, dialog.without_message)
    click(qtbot, dialog.send_message)
    assert dialog.message.isEnabled() and dialog.channel.isEnabled()
    assert dialog.recipient.isEnabled()


def test_an_empty_message_is_named_and_nothing_is_saved(
    qtbot: Any, world: IncidentWorld, incident: IncidentSummary, resolve: Any
) -> None:
    dialog = resolve(incident.id)
    type_into(qtbot, dialog.text, "Renewed the certificate.")
    press_ok_and_confirm(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.busy and dialog.errors.invalid_keys() != [])
    assert dialog.errors.invalid_keys() == ["message"]
    assert dialog.errors.message("message") == "The resolution message is required."
    assert dialog.isVisible()  # still open: nothing was saved
    assert kinds(world, incident.id) == [EventKind.OPENED]
    assert world.context.incidents.summary(incident.id).status is Status.OPEN

    type_into(qtbot, dialog.message, "Fixed: the certificate was renewed.")
    with qtbot.waitSignal(dialog.completed):
        press_ok_and_confirm(qtbot, dialog)
    assert kinds(world, incident.id)[-2:] == [EventKind.RESPONDED, EventKind.RESOLVED]


def test_a_message_at_the_deadline_still_meets(
    qtbot: Any, world: IncidentWorld, incident: IncidentSummary, resolve: Any
) -> None:
    world.clock.set(DEADLINE)
    dialog = resolve(incident.id)
    type_into(qtbot, dialog.text, "Renewed.")
    type_into(qtbot, dialog.message, "Fixed.")
    with qtbot.waitSignal(dialog.completed):
        press_ok_and_confirm(qtbot, dialog)
    outcome = first_response(world.context.incidents.details(incident.id).clocks)
    assert (outcome.outcome, outcome.counted_at) == (Outcome.MET, DEADLINE)


def test_user_text_in_the_confirmation_is_shown_as_typed(
    qtbot: Any, incident: IncidentSummary, resolve: Any
) -> None:
    dialog = resolve(incident.id)
    dialog.recipient.lineEdit().selectAll()
    type_into(qtbot, dialog.recipient, "<b>Ops</b>")
    click(qtbot, dialog.ok_button)
    box = dialog.confirmation
    assert box is not None
    assert box.textFormat() is Qt.TextFormat.PlainText
    assert "to <b>Ops</b> (Email)" in box.text()
    click(qtbot, next(b for b in box.buttons() if b.text() != "Resolve"))  # cancel


def test_an_answered_incident_sees_the_plain_resolve_dialog(
    qtbot: Any, world: IncidentWorld, incident: IncidentSummary, resolve: Any
) -> None:
    world.context.incidents.respond(incident.id, "We are on it.")
    dialog = resolve(incident.id)
    assert dialog.findChildren(QRadioButton) == []
    assert all(w.text() != NO_RESPONSE for w in dialog.findChildren(QLabel))
    type_into(qtbot, dialog.text, "Renewed the certificate.")
    with qtbot.waitSignal(dialog.completed):
        question = press_ok_and_confirm(qtbot, dialog)
    assert question == (
        f"Resolve {incident.number}? Its clocks stop now and the resolution is recorded for "
        "good; reopening later starts a new status-update clock."
    )
    assert kinds(world, incident.id) == [
        EventKind.OPENED,
        EventKind.RESPONDED,
        EventKind.RESOLVED,
    ]
    assert first_response(world.context.incidents.details(incident.id).clocks).outcome is (
        Outcome.MET
    )


def test_an_unanswered_escalation_asks_for_its_response(
    qtbot: Any, world: IncidentWorld, incident: IncidentSummary, resolve: Any
) -> None:
    incidents = world.context.incidents
    world.clock.set(DEADLINE + timedelta(minutes=5))
    incidents.respond(incident.id, "Sorry for the wait, we are on it.")  # late
    incidents.escalate(incident.id, 1)
    world.clock.advance(minutes=10)  # five minutes left for Escalation 1's response
    dialog = resolve(incident.id)
    labels = [w.text() for w in dialog.findChildren(QLabel)]
    assert (
        "No response has been sent to the customer since they escalated to Escalation 1."
    ) in labels
    assert dialog.without_message.text() == (
        "Resolve &without a message — the response to Escalation 1 will count as missed"
    )

    type_into(qtbot, dialog.text, "Renewed the certificate.")
    type_into(qtbot, dialog.message, "Fixed: the certificate was renewed.")
    with qtbot.waitSignal(dialog.completed):
        press_ok_and_confirm(qtbot, dialog)
    rows = {row.clock: row.outcome for row in outcomes(incidents.details(incident.id).clocks)}
    assert rows[ClockType.ESCALATION_1] is Outcome.MET
    assert rows[ClockType.FIRST_RESPONSE] is Outcome.MISSED  # the late response stays late
