"""The escalation panel on the demo database: who may escalate, both ladders, the actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtTest import QAbstractItemModelTester

from console.domain.events import Side
from console.qt.worker import Dispatcher
from console.ui.escalations import EscalationsView
from console.ui.escalations.model import EscalationModel
from tests.ui.review_fixtures import ReviewWorld, review_world

__all__ = ["review_world"]

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
def view(qtbot, review_world: ReviewWorld, dispatcher: Dispatcher) -> Iterator[EscalationsView]:
    widget = EscalationsView(review_world.context, dispatcher)
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
    expected = {item.summary.id for item in review_world.review.escalations()}
    shown = [view.model.item(row) for row in range(view.model.rowCount())]
    assert {item.summary.id for item in shown} == expected
    assert len(shown) >= 5
    levels = {(i.standing.level, i.standing.eligible_level) for i in shown}
    assert (0, 1) in levels and any(level == 2 for level, _ in levels)
    # longest waiting first
    since = [i.standing.eligible_since for i in shown]
    assert since == sorted(since)  # type: ignore[type-var]
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
    qtbot, view: EscalationsView, review_world: ReviewWorld
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
    assert model.tick(review_world.clock.now()) == 0
    assert changed == set()
    for step in (timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=2)):
        before = texts()
        review_world.clock.advance(step)
        view._on_tick_timeout()
        after = texts()
        assert changed == {cell for cell in before if before[cell] != after[cell]}
        assert changed, step
        assert {c for _, c in changed} <= {EscalationModel.SINCE, EscalationModel.RESPONSE}
        changed.clear()


def test_reload_keeps_the_selection(qtbot, view: EscalationsView) -> None:
    select(qtbot, view, 2)
    chosen = view.selected_item()
    assert chosen is not None
    with qtbot.waitSignal(view.loaded):
        view._on_reload_timeout()
    again = view.selected_item()
    assert again is not None and again.summary.id == chosen.summary.id
