"""Issue 13: the Customers screen lists the selected customer's incidents, open then past."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.domain.records import ACTIVE
from console.qt.worker import Dispatcher
from console.services.ports import IncidentFilter
from console.ui.customers.incident_model import OpenColumn, PastColumn
from console.ui.customers.incidents_panel import EMPTY_TEXT
from console.ui.customers.view import CustomersView
from tests.ui.conftest import QueueWorld
from tests.ui.customers_fixtures import CustomersWorld, customers_world

__all__ = ["customers_world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
SHOTS = Path("/tmp/shots/13")


def _busiest_customer(world: QueueWorld) -> tuple[str, int, int]:
    """The demo customer with the most open incidents: (id, open, past)."""
    with world.store.read() as tx:
        rows = tx.incidents.find(IncidentFilter(), limit=10_000)
    open_counts = Counter(s.customer_id for s in rows if s.status in ACTIVE)
    customer_id = open_counts.most_common(1)[0][0]
    past = sum(1 for s in rows if s.customer_id == customer_id and s.status not in ACTIVE)
    return customer_id, open_counts[customer_id], past


def _view(qtbot: QtBot, world: QueueWorld, dispatcher: Dispatcher) -> CustomersView:
    view = CustomersView(world.context, dispatcher)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    qtbot.waitUntil(lambda: not view.busy and view.incidents.customer_id is not None)
    qtbot.waitUntil(lambda: not view.incidents.busy)
    return view


def test_selecting_a_customer_lists_open_then_past_incidents_with_counts(
    qtbot: QtBot, queue_world: QueueWorld, dispatcher: Dispatcher
) -> None:
    customer_id, open_count, past_count = _busiest_customer(queue_world)
    view = _view(qtbot, queue_world, dispatcher)
    view.incidents.page_size = 5
    with qtbot.waitSignal(view.incidents.loaded):
        view.select_customer(customer_id)
    view.show_incidents()
    panel = view.incidents

    counts = f"{open_count} open · {past_count} past"
    assert panel.count_label.text() == counts
    assert view.tabs.tabText(view.tabs.indexOf(panel)) == f"Incidents · {counts}"
    assert panel.open_table.isVisible() and panel.past_table.isVisible()
    assert panel.open_model.rowCount() == open_count
    first = panel.open_model.index(0, OpenColumn.NUMBER).data()
    assert first.startswith("INC-")
    live = panel.open_model.index(0, OpenColumn.LIVE).data()
    assert live != "—" and "·" in live  # "First response · at risk" and the like
    assert panel.open_model.index(0, OpenColumn.ASSIGNEE).data()  # a name or "Unassigned"
    assert panel.past_model.rowCount() == min(5, past_count)
    outcomes = {
        panel.past_model.index(r, PastColumn.OUTCOME).data()
        for r in range(panel.past_model.rowCount())
    }
    assert outcomes <= {"Met", "Missed", "Excluded", "—", "Pending"}
    resolved = panel.past_model.index(0, PastColumn.RESOLVED).data()
    assert resolved[-4:].isdigit()  # "04 Mar 2026"

    SHOTS.mkdir(parents=True, exist_ok=True)
    view.grab().save(str(SHOTS / "custinc_incidents.png"))

    if past_count > 5:
        assert panel.more_button.isVisible()
        assert panel.shown_label.text() == f"Showing the latest 5 of {past_count} past"
        with qtbot.waitSignal(panel.loaded):
            panel.more_button.click()
        assert panel.past_model.rowCount() == min(10, past_count)
        ids = [panel.past_model.incident_at(r).summary.id for r in range(10)]
        assert len(set(ids)) == len(ids)


def test_enter_or_double_click_opens_the_incident(
    qtbot: QtBot, queue_world: QueueWorld, dispatcher: Dispatcher
) -> None:
    customer_id, _, _ = _busiest_customer(queue_world)
    view = _view(qtbot, queue_world, dispatcher)
    with qtbot.waitSignal(view.incidents.loaded):
        view.select_customer(customer_id)
    view.show_incidents()
    panel = view.incidents
    table = panel.past_table
    table.setFocus()
    table.setCurrentIndex(panel.past_model.index(0, PastColumn.TITLE))
    expected = panel.past_model.incident_at(0).summary.id
    with qtbot.waitSignal(view.incident_activated) as seen:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert seen.args == [expected]

    table = panel.open_table
    index = panel.open_model.index(0, OpenColumn.TITLE)
    expected = panel.open_model.incident_at(0).summary.id
    table.scrollTo(index)
    point = table.visualRect(index).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=point)  # as a hand does
    with qtbot.waitSignal(view.incident_activated) as seen:
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert seen.args == [expected]


def test_a_customer_with_no_incidents_says_so(
    qtbot: QtBot, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> None:
    view = CustomersView(customers_world.context(customers_world.agent), dispatcher)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    qtbot.waitUntil(lambda: not view.busy)
    with qtbot.waitSignal(view.incidents.loaded):
        view.select_customer(customers_world.orchard)
    view.show_incidents()
    panel = view.incidents
    assert panel.count_label.text() == "0 open · 0 past"
    assert panel.empty_label.isVisible() and panel.empty_label.text() == EMPTY_TEXT
    assert not panel.open_table.isVisible() and not panel.past_table.isVisible()
    assert not panel.more_button.isVisible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    view.grab().save(str(SHOTS / "custinc_empty.png"))
