"""The escalation panel: who may escalate, how their response stands, both ladders, the actions.

Most tests run on the demo database; the ones that pin a reading at an instant build their
own incident in the small incident world. Time moves only with the injected clock and
``ticker.tick()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtTest import QAbstractItemModelTester

from console.domain.clock_model import ClockState
from console.domain.events import Side
from console.domain.records import IncidentSummary
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.escalations import order_key
from console.ui.escalations import EscalationsView
from console.ui.escalations.model import EscalationModel
from console.ui.theme import current_theme
from tests.ui.incident_fixtures import IncidentWorld, make_ticker, open_p1, world
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class Mailer(QObject):
    """Stands in for the desktop's email program."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url)


@pytest.fixture
def ticker(fake_timers: None, review_world: ReviewWorld) -> SlaTicker:
    return SlaTicker(review_world.clock)


@pytest.fixture
def view(
    qtbot, review_world: ReviewWorld, dispatcher: Dispatcher, ticker: SlaTicker
) -> Iterator[EscalationsView]:
    widget = EscalationsView(review_world.context, dispatcher, ticker)
    qtbot.addWidget(widget)
    widget.resize(1196, 720)
    mode = QAbstractItemModelTester.FailureReportingMode.Warning
    QAbstractItemModelTester(widget.model, mode, widget.model)  # the model keeps it alive
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.show()
    yield widget
    dispatcher.wait_for_done()


def select(qtbot, view: EscalationsView, row: int) -> None:
    if view.table.selectionModel().selectedRows() and view.selected_item() == view.model.item(row):
        return
    with qtbot.waitSignal(view.loaded):
        view.select_row(row)


def test_lists_every_incident_eligible_for_or_at_escalation(
    view: EscalationsView, review_world: ReviewWorld
) -> None:
    expected = {item.summary.id for item in review_world.context.escalations.escalations()}
    shown = view.model.items()
    assert {item.summary.id for item in shown} == expected
    assert len(shown) >= 5
    levels = {(i.standing.level, i.standing.eligible_level) for i in shown}
    assert (0, 1) in levels and any(level == 2 for level, _ in levels)
    # urgent responses (breached, then at risk) first; then the rest, longest waiting first
    urgent = [i.standing.urgent for i in shown]
    assert urgent == sorted(urgent, reverse=True) and any(urgent)
    assert [order_key(i) for i in shown] == sorted(order_key(i) for i in shown)
    for row, item in enumerate(shown):
        words = view.model.index(row, EscalationModel.RESPONSE).data()
        lines = item.standing.response_lines(review_world.context.agent_zone)
        assert words == "\n".join(line for line in lines if line)
        if item.standing.urgent:
            assert item.standing.reading.state.value.replace("_", " ") in words
    assert "urgent" in view.summary.text()
    assert "may be escalated now" in view.summary.text()


def test_the_ladder_puts_the_csm_first_and_the_level_contacts_next(
    qtbot, view: EscalationsView, review_world: ReviewWorld
) -> None:
    with review_world.store.read() as tx:
        customers = {c.id: c for c in tx.customers.list()}
    rows = range(view.model.rowCount())
    row = next(r for r in rows if customers[view.model.item(r).summary.customer_id].csm_name)
    select(qtbot, view, row)
    item = view.model.item(row)
    customer = customers[item.summary.customer_id]
    ladder = view.ladder
    assert ladder is not None
    assert [r.name for r in ladder.customer] == [
        customer.csm_name,
        *(c.name for c in customer.contacts),
    ]
    assert ladder.customer[0].is_next and not any(r.is_next for r in ladder.customer[1:])
    vendor = [(r.name, r.level) for r in ladder.vendor]
    contacts = [(c.name, c.level) for c in review_world.escalation_contacts]
    assert vendor[-3:] == contacts
    assert [lv for _, lv in vendor] == sorted(lv for _, lv in vendor)
    level = item.standing.contact_level
    assert {r.name for r in ladder.next_rungs(Side.VENDOR)} == {
        c.name for c in review_world.escalation_contacts if c.level == level
    }
    cards = view.ladder_panel.cards
    assert [c.rung.name for c in cards] == [r.name for r in (*ladder.vendor, *ladder.customer)]


def test_copy_and_mail_a_contact(qtbot, view: EscalationsView) -> None:
    select(qtbot, view, 0)
    card = view.ladder_panel.card("Priya Raman")
    card.copy_email_button.click()
    assert QGuiApplication.clipboard().text() == "priya.raman@support-vendor.example"
    card.copy_phone_button.click()
    assert QGuiApplication.clipboard().text() == card.rung.phone != ""
    assert "Copied" in view.notice.text()

    mailer = Mailer()
    QDesktopServices.setUrlHandler("mailto", mailer, "open")
    try:
        card.mail_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("mailto")
    [url] = mailer.opened
    parts = urlsplit(url.toString())
    assert unquote(parts.path) == "priya.raman@support-vendor.example"
    query = parse_qs(parts.query)
    number = view.selected_item().summary.number  # type: ignore[union-attr]
    assert query["subject"][0].startswith(number)
    assert "Dear Priya Raman" in query["body"][0]


def test_record_an_escalation_after_confirming(
    qtbot, view: EscalationsView, review_world: ReviewWorld
) -> None:
    rows = range(view.model.rowCount())
    row = next(r for r in rows if view.model.item(r).standing.eligible_level == 1)
    select(qtbot, view, row)
    incident_id = view.model.item(row).summary.id
    assert view.escalate_button.isEnabled()
    view.escalate_button.click()
    qtbot.waitUntil(lambda: view.dialog is not None)
    dialog = view.dialog
    assert dialog is not None
    dialog.submit()
    assert dialog.confirmation is not None  # asks before it records anything
    assert review_world.context.incidents.summary(incident_id).escalation_level == 0
    with qtbot.waitSignal(view.incident_changed) as changed, qtbot.waitSignal(view.loaded):
        dialog.confirm()
    assert changed.args == [incident_id]
    assert review_world.context.incidents.summary(incident_id).escalation_level == 1
    new_row = view.model.row_of(incident_id)
    assert view.model.item(new_row).standing.level == 1
    assert view.selected_item() is not None
    assert view.selected_item().summary.id == incident_id  # type: ignore[union-attr]
    assert view.notice.text() == "Escalation 1 recorded."


def test_only_the_time_columns_move_with_the_clock(
    qtbot, view: EscalationsView, review_world: ReviewWorld, ticker: SlaTicker
) -> None:
    model = view.model
    changed: set[tuple[int, int]] = set()

    def record(first, last, roles) -> None:  # type: ignore[no-untyped-def]
        for row in range(first.row(), last.row() + 1):
            for column in range(first.column(), last.column() + 1):
                changed.add((row, column))

    def texts() -> dict[tuple[int, int], str]:
        return {
            (r, c): model.index(r, c).data()
            for r in range(model.rowCount())
            for c in range(model.columnCount())
        }

    model.dataChanged.connect(record)
    assert model.tick(review_world.clock.now()).changed == 0
    assert changed == set()
    timed = {EscalationModel.LEVEL, EscalationModel.SINCE, EscalationModel.RESPONSE}
    for step in (timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=2)):
        before = texts()
        review_world.clock.advance(step)
        ticker.tick()
        after = texts()
        assert changed == {cell for cell in before if before[cell] != after[cell]}
        assert changed, step
        assert {c for _, c in changed} <= timed
        changed.clear()


def test_reload_keeps_the_selection(qtbot, view: EscalationsView) -> None:
    select(qtbot, view, 2)
    chosen = view.selected_item()
    assert chosen is not None
    with qtbot.waitSignal(view.loaded):
        view.reload()
    again = view.selected_item()
    assert again is not None and again.summary.id == chosen.summary.id


# -- one incident at its instants (the incident world: Northwind, Premium Plus, Pacific) ------


@pytest.fixture
def panel(
    qtbot, world: IncidentWorld, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EscalationsView]:
    """The panel on the incident world, not shown yet: a test makes its incidents first."""
    widget = EscalationsView(world.context, dispatcher, make_ticker(world, monkeypatch))
    qtbot.addWidget(widget)
    widget.resize(1366, 720)
    yield widget
    dispatcher.wait_for_done()


def show_panel(qtbot, panel: EscalationsView) -> None:
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.show()


def cell(panel: EscalationsView, incident: IncidentSummary, column: int, role=None) -> object:  # type: ignore[no-untyped-def]
    index = panel.model.index(panel.model.row_of(incident.id), column)
    return index.data() if role is None else index.data(role)


def test_the_escalation_1_response_breaches_the_instant_after_its_deadline(
    qtbot, panel: EscalationsView, world: IncidentWorld
) -> None:
    incident = open_p1(world)  # Premium Plus P1: 15 minutes on the wall clock
    world.clock.advance(minutes=16)
    world.context.incidents.escalate(incident.id, 1, "No answer")  # due in 15 minutes
    deadline = world.clock.now() + timedelta(minutes=15)
    world.clock.set(deadline - timedelta(seconds=30))
    show_panel(qtbot, panel)
    ticker = panel.ticker
    response = EscalationModel.RESPONSE
    assert cell(panel, incident, response) == "Escalation 1 response · at risk\n0 m 30 s"
    assert cell(panel, incident, EscalationModel.LEVEL) == "At E1"

    world.clock.set(deadline)
    ticker.tick()
    assert cell(panel, incident, response) == "Escalation 1 response · at risk\n0 m 00 s"
    assert cell(panel, incident, EscalationModel.LEVEL) == "At E1"  # a response now still meets
    assert not panel.escalate_button.isEnabled()

    world.clock.set(deadline + timedelta(seconds=1))
    ticker.tick()
    assert cell(panel, incident, response) == "Escalation 1 response · breached\n0 m 01 s over"
    assert cell(panel, incident, EscalationModel.LEVEL) == "At E1, eligible for E2"
    breached = current_theme().state_color(ClockState.BREACHED.value)
    assert cell(panel, incident, response, Qt.ItemDataRole.ForegroundRole) == breached
    assert "Eligible for Escalation 2 since" in panel.facts.text()


def test_at_escalation_2_the_panel_says_since_when_it_was_recorded_not_eligible(
    qtbot, panel: EscalationsView, world: IncidentWorld
) -> None:
    incident = open_p1(world)
    incidents = world.context.incidents
    world.clock.advance(minutes=16)
    incidents.escalate(incident.id, 1, "No answer")
    world.clock.advance(minutes=16)
    incidents.escalate(incident.id, 2, "Still no answer")
    recorded = world.clock.now()
    world.clock.advance(minutes=5)
    show_panel(qtbot, panel)

    assert cell(panel, incident, EscalationModel.LEVEL) == "At E2"
    assert cell(panel, incident, EscalationModel.SINCE) == "5 m 00 s"  # since E2 was recorded
    assert cell(panel, incident, EscalationModel.RESPONSE) == (
        "Escalation 2 response · at risk\n10 m 00 s"
    )
    shown = [
        str(cell(panel, incident, column, role))
        for column in range(panel.model.columnCount())
        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
    ]
    assert not any("Eligible" in text for text in [*shown, panel.facts.text()])
    local = recorded.astimezone(world.context.agent_zone)
    assert f"Escalation 2 recorded {local:%a %d %b %Y %H:%M}" in panel.facts.text()
    assert not panel.escalate_button.isEnabled()


def test_a_late_response_is_listed_as_responded_late_not_as_urgent(
    qtbot, panel: EscalationsView, world: IncidentWorld
) -> None:
    late = open_p1(world, affected="Answered late")
    world.clock.advance(minutes=5)
    never = open_p1(world, affected="Never answered")
    world.clock.advance(minutes=20)  # both first responses missed
    world.context.incidents.respond(late.id, "Sorry for the wait; we are on it.")
    show_panel(qtbot, panel)

    assert [i.summary.id for i in panel.model.items()] == [never.id, late.id]  # urgent first
    assert cell(panel, never, EscalationModel.RESPONSE) == (
        "First response · breached\n5 m 00 s over"
    )
    assert cell(panel, late, EscalationModel.RESPONSE) == "First response · responded late"
    assert cell(panel, late, EscalationModel.LEVEL) == "Eligible for E1"  # the right stays
    foreground = cell(panel, late, EscalationModel.RESPONSE, Qt.ItemDataRole.ForegroundRole)
    assert foreground == current_theme().muted
    assert cell(panel, late, EscalationModel.RESPONSE, Qt.ItemDataRole.BackgroundRole) is None
    assert panel.summary.text() == (
        "2 incidents escalated or eligible · 1 urgent · 2 may be escalated now"
    )
