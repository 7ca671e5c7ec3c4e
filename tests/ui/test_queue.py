"""The queue: loading off the GUI thread, ticking only what is seen, sorting, filters, refresh,
and the one live reading in the one wording (DESIGN §3)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication

from console.domain import wording
from console.domain.clock_model import INSTANT, ClockState, ClockType
from console.domain.events import Channel
from console.domain.ids import HybridLogicalClock
from console.domain.reading import read
from console.domain.records import Status
from console.qt.notifier import NotificationBanner, Notifier
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.incidents import NewIncident
from console.services.seed import seed_defaults
from console.ui.queue import view as view_module
from console.ui.queue.model import (
    CELL_ROLE,
    PENDING,
    Column,
    CountdownCell,
    QueueModel,
    QueueRow,
    contiguous,
    countdown_cell,
    explanation,
    reading_at,
)
from console.ui.queue.proxy import QueueFilter
from console.ui.queue.view import QueueView
from db.engine import open_database
from db.store import SqliteStore
from tests.ui.conftest import AGENT_ZONE, FakeClock, QueueWorld, make_context

# The offscreen platform cannot pass a window's size limits on; it says so on every show().
pytestmark = [
    pytest.mark.usefixtures("fake_timers"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


def make_view(qtbot: Any, context: ConsoleContext, dispatcher: Dispatcher) -> QueueView:
    """A queue with its own ticker on the context's (injected) clock, not shown yet."""
    widget = QueueView(context, dispatcher, SlaTicker(context.clock))
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def view(qtbot: Any, queue_world: QueueWorld, dispatcher: Dispatcher) -> QueueView:
    widget = make_view(qtbot, queue_world.context, dispatcher)
    widget.resize(1366, 768)
    with qtbot.waitSignal(widget.clocks_ready, timeout=20_000):
        widget.show()
    return widget


def shown_rows(view: QueueView) -> list[QueueRow]:
    return [view.proxy.row_at(r) for r in range(view.proxy.rowCount())]


def open_summaries(world: QueueWorld) -> list[Any]:
    with world.store.read() as tx:
        return tx.incidents.open_incidents()


def cell_of(view: QueueView, incident_id: str) -> CountdownCell:
    row = view.model.row_of(incident_id)
    assert row is not None
    cell = view.model.index(row, Column.COUNTDOWN).data(CELL_ROLE)
    assert isinstance(cell, CountdownCell)
    return cell


class Recorder:
    """Collects a signal's arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)


# -- loading and the model tester ------------------------------------------------------------


def test_the_queue_holds_every_open_incident_in_deadline_order(
    view: QueueView, queue_world: QueueWorld
) -> None:
    expected = {s.id for s in open_summaries(queue_world)}
    assert {row.id for row in view.model.rows()} == expected
    assert view.proxy.rowCount() == len(expected)
    keys = [row.order_key for row in shown_rows(view)]
    assert keys == sorted(keys)
    assert all(row.clocks is not None for row in view.model.rows())
    assert view.pages.currentWidget() is view.table


def test_model_and_proxy_pass_the_model_tester(qtmodeltester: Any, view: QueueView) -> None:
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.proxy)
    view.proxy.update_filter(priorities=frozenset({"P1"}))
    view.ticker.tick()
    view.proxy.clear_filter()
    view.table.sortByColumn(Column.CUSTOMER, Qt.SortOrder.DescendingOrder)
    view.ticker.tick()


def test_every_state_is_drawn_with_words(view: QueueView, queue_world: QueueWorld) -> None:
    cells = {row.id: cell_of(view, row.id) for row in view.model.rows()}
    states = {cell.state for cell in cells.values()}
    assert {
        ClockState.BREACHED,
        ClockState.AT_RISK,
        ClockState.RUNNING,
        ClockState.PAUSED,
        ClockState.MET,
    } <= states
    for row in view.model.rows():
        cell = cells[row.id]
        assert cell.text and cell.detail  # never colour alone
        assert cell.state is row.state  # the reading's typed state, nothing parsed
        if row.current is not None:  # the clock to act on is named, business hours or not
            assert cell.detail.endswith(f" · {row.current.kind.label}")
        if cell.state is ClockState.BREACHED:
            assert " over" in cell.text and cell.detail.startswith("breached · ")
            assert "0 m 00 s over" not in cell.text
        if cell.state is ClockState.AT_RISK:
            assert cell.detail.startswith("at risk · ")
    paused = [c for c in cells.values() if c.state is ClockState.PAUSED and "resumes" in c.text]
    assert paused
    # Pacific opens at 09:00 PST, which the agent (in London) reads as 17:00.
    assert any(c.text == "paused · resumes Wed 17:00" for c in paused)
    running = [c for c in cells.values() if c.state is ClockState.RUNNING]
    assert any(c.text.endswith(" business)") for c in running)
    waiting = [r for r in view.model.rows() if r.summary.status is Status.WAITING_ON_CUSTOMER]
    assert any("waiting on customer" in cells[r.id].text for r in waiting)
    assert not view.grab().isNull()  # the delegate paints every state without complaint


def test_tooltips_explain_the_clock(view: QueueView) -> None:
    row = next(r for r in view.model.rows() if r.state is ClockState.AT_RISK)
    index = view.model.index(view.model.row_of(row.id) or 0, Column.COUNTDOWN)
    tip = str(index.data(Qt.ItemDataRole.ToolTipRole))
    assert "Target:" in tip and "Deadline:" in tip and "At risk" in tip
    reading = reading_at(row, view.model.now)
    assert reading is not None
    assert f"<b>{wording.headline(reading)}</b>" in tip


def test_a_business_hours_tooltip_says_what_bd_means(view: QueueView) -> None:
    row = next(r for r in view.model.rows() if r.current is not None and r.current.is_business)
    index = view.model.index(view.model.row_of(row.id) or 0, Column.COUNTDOWN)
    tip = str(index.data(Qt.ItemDataRole.ToolTipRole))
    assert "1 bd is one business day of that window (8 h 30 min of open time)" in tip
    wall = next(r for r in view.model.rows() if r.current is not None and not r.current.is_business)
    other = view.model.index(view.model.row_of(wall.id) or 0, Column.COUNTDOWN)
    assert "1 bd is" not in str(other.data(Qt.ItemDataRole.ToolTipRole))


def test_the_tooltip_escapes_what_it_embeds(view: QueueView) -> None:
    row = next(r for r in view.model.rows() if r.current is not None and r.current.is_business)
    reading = row.reading
    assert reading is not None and reading.clock is not None
    clock = replace(reading.clock, window_name="Ops <b>night</b> & co")
    odd = QueueRow.of(replace(row.incident, reading=replace(reading, clock=clock)))
    tip = explanation(odd, view.model.now, AGENT_ZONE)
    assert "Ops &lt;b&gt;night&lt;/b&gt; &amp; co" in tip
    assert "<b>night</b>" not in tip
    broken = QueueRow.of(replace(row.incident, clocks=None, reading=None, clock_error="<x>"))
    assert "&lt;x&gt;" in explanation(broken, view.model.now, AGENT_ZONE)


def test_clocks_beyond_the_first_screens_arrive_in_chunks_without_a_reset(
    qtbot: Any,
    qtmodeltester: Any,
    queue_world: QueueWorld,
    dispatcher: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(view_module, "EAGER_ROWS", 5)
    monkeypatch.setattr(view_module, "CHUNK_ROWS", 10)
    widget = make_view(qtbot, queue_world.context, dispatcher)
    qtmodeltester.check(widget.model)  # stays attached: checks every change that follows
    resets, changes = Recorder(), Recorder()
    widget.model.modelReset.connect(resets)
    widget.model.dataChanged.connect(changes)
    with qtbot.waitSignal(widget.loaded, timeout=20_000):
        widget.show()
    assert sum(r.clocks is None for r in widget.model.rows()) == widget.model.rowCount() - 5
    assert widget.model.state_counts()[PENDING] == widget.model.rowCount() - 5
    waiting = next(r for r in widget.model.rows() if r.clocks is None)
    assert cell_of(widget, waiting.id) == CountdownCell(PENDING, "—", "working out the clocks…")
    assert f"clocks of {widget.model.rowCount() - 5} still being worked out" in widget.count.text()
    if not all(r.clocks is not None for r in widget.model.rows()):
        with qtbot.waitSignal(widget.clocks_ready, timeout=20_000):
            pass
    assert all(r.clocks is not None for r in widget.model.rows())
    assert len(resets.calls) == 1
    assert changes.calls  # the late clocks came in as dataChanged
    assert widget.model.state_counts()[PENDING] == 0
    assert len(widget.ticker) > 0


def test_an_empty_queue_says_so_and_offers_a_new_incident(
    qtbot: Any, tmp_path: Path, dispatcher: Dispatcher, queue_world: QueueWorld
) -> None:
    path = tmp_path / "empty.sqlite3"
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    clock = FakeClock()
    seed_defaults(store, clock, HybridLogicalClock("ws-empty"))
    context = make_context(store, clock, queue_world.actor, path)
    widget = make_view(qtbot, context, dispatcher)
    with qtbot.waitSignal(widget.loaded, timeout=20_000):
        widget.show()
    assert widget.pages.currentWidget() is widget.empty
    assert widget.empty.title.text() == "No open incidents"
    with qtbot.waitSignal(widget.new_incident_requested):
        widget.empty.button.click()
    dispatcher.wait_for_done()
    store.close()


# -- ticking -----------------------------------------------------------------------------------


def test_a_tick_moves_the_countdown_of_a_visible_row(
    view: QueueView, queue_world: QueueWorld
) -> None:
    row = next(r for r in shown_rows(view) if r.state is ClockState.AT_RISK)
    before = cell_of(view, row.id).text
    queue_world.clock.advance(timedelta(seconds=5))
    view.ticker.tick()
    after = cell_of(view, row.id).text
    assert after != before
    current = row.current
    assert current is not None and current.deadline is not None
    assert after == countdown_cell(row, queue_world.clock.now(), AGENT_ZONE).text
    assert view.model.now == queue_world.clock.now()


def _running_business(rows: Any) -> list[QueueRow]:
    return [
        r
        for r in rows
        if r.state is ClockState.RUNNING and r.reading is not None and r.reading.business_running
    ]


def test_business_time_counts_down_only_while_the_window_is_open(
    view: QueueView, queue_world: QueueWorld
) -> None:
    rows = view.model.rows()
    running = _running_business(rows)
    paused = [
        r for r in rows if r.state is ClockState.PAUSED and "resumes" in cell_of(view, r.id).text
    ]
    assert running and paused
    before = {r.id: cell_of(view, r.id) for r in (*running, *paused)}
    later = queue_world.clock.advance(timedelta(minutes=1))
    view.ticker.tick()
    for row in running:  # the GMT window is open: business time went down with the wall clock
        assert row.clocks is not None
        fresh = read(row.clocks.at(later))  # the calendar's answer, worked out afresh
        assert cell_of(view, row.id).text == wording.countdown(fresh, AGENT_ZONE)
        assert cell_of(view, row.id).text != before[row.id].text
    for row in paused:  # a closed window: the business time left stands still
        assert cell_of(view, row.id) == before[row.id]


def _first_running_to_at_risk(view: QueueView) -> tuple[QueueRow, datetime]:
    candidates = []
    for row in view.model.rows():
        current = row.current
        if (
            row.state is ClockState.RUNNING
            and current is not None
            and current.at_risk_at is not None
            and row.next_at == current.at_risk_at
        ):
            candidates.append((current.at_risk_at, row))
    assert candidates, "the demo has running clocks that will turn at risk"
    at, row = min(candidates, key=lambda c: c[0])
    return row, at


def test_crossing_the_at_risk_instant_emits_one_state_change(
    view: QueueView, queue_world: QueueWorld
) -> None:
    row, at_risk_at = _first_running_to_at_risk(view)
    changes = Recorder()
    view.ticker.incident_state_changed.connect(changes)
    relayed = Recorder()
    view.incident_state_changed.connect(relayed)
    queue_world.clock.set(at_risk_at - timedelta(seconds=1))
    view.ticker.tick()
    assert (row.id, ClockState.RUNNING, ClockState.AT_RISK) not in changes.calls
    queue_world.clock.set(at_risk_at + timedelta(milliseconds=500))
    view.ticker.tick()
    queue_world.clock.advance(timedelta(seconds=1))
    view.ticker.tick()
    mine = [c for c in changes.calls if c[0] == row.id]
    assert mine == [(row.id, "running", "at_risk")]  # the ticker's signal carries the values
    assert cell_of(view, row.id).state is ClockState.AT_RISK
    relayed_states = [c[1:3] for c in relayed.calls if c[0] == row.id]
    assert relayed_states == [(ClockState.RUNNING, ClockState.AT_RISK)]  # typed again
    notice = next(c[3] for c in relayed.calls if c[0] == row.id)
    assert notice.number == row.summary.number and notice.assignee_id == row.summary.assignee_id
    assert notice.reading.state is ClockState.AT_RISK


def test_ticks_re_read_only_the_due_incidents(
    view: QueueView, queue_world: QueueWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[str] = []
    original = view.model.reevaluate

    def counting(incident_id: str, now: datetime) -> Any:
        read.append(incident_id)
        return original(incident_id, now)

    monkeypatch.setattr(view.model, "reevaluate", counting)
    due = view.ticker.next_due()
    assert due is not None and due > queue_world.clock.now() + timedelta(seconds=2)
    queue_world.clock.advance(timedelta(seconds=1))
    view.ticker.tick()
    assert read == []  # nothing due: not a single incident re-read
    due_ids = {i for i in (r.id for r in view.model.rows()) if view.ticker.scheduled(i) == due}
    queue_world.clock.set(due)
    view.ticker.tick()
    assert set(read) == due_ids
    assert len(read) < view.model.rowCount()


def test_only_visible_rows_whose_countdown_moved_repaint(
    qtbot: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    view.resize(1366, 420)
    QApplication.processEvents()
    view.table.verticalScrollBar().setValue(5 * view.table.verticalHeader().defaultSectionSize())
    QApplication.processEvents()
    for column in (Column.COUNTDOWN, Column.CUSTOMER):  # source order, then scattered rows
        view.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
        QApplication.processEvents()
        visible = {r for a, b in view.visible_source_ranges() for r in range(a, b + 1)}
        assert 0 < len(visible) < view.model.rowCount()
        for step in (timedelta(seconds=1), timedelta(hours=1)):
            view.ticker.tick()
            before = queue_world.clock.now()
            changes = Recorder()
            view.model.dataChanged.connect(changes)
            after = queue_world.clock.advance(step)
            view.ticker.tick()
            view.model.dataChanged.disconnect(changes)
            repainted: set[int] = set()
            for top, bottom, roles in changes.calls:
                if top.column() == bottom.column() == Column.COUNTDOWN:
                    assert Qt.ItemDataRole.DisplayRole in roles and CELL_ROLE in roles
                    repainted |= set(range(top.row(), bottom.row() + 1))
                else:  # a state transition re-read that row: one row, countdown to escalation
                    assert top.row() == bottom.row()
                    assert (top.column(), bottom.column()) == (Column.COUNTDOWN, Column.ESCALATION)
            rows = view.model.rows()
            moved = {
                r
                for r in visible
                if countdown_cell(rows[r], before, AGENT_ZONE).text
                != countdown_cell(rows[r], after, AGENT_ZONE).text
            }
            assert repainted <= visible
            assert moved <= repainted
            ticks = [c for c in changes.calls if c[0].column() == c[1].column()]
            assert len(ticks) == len(contiguous(repainted))
        assert moved  # an hour later, every countdown on screen reads differently


def test_a_countdown_in_days_is_not_repainted_every_second(
    view: QueueView, queue_world: QueueWorld
) -> None:
    days = next(r for r in shown_rows(view) if " d " in cell_of(view, r.id).text)
    assert not cell_of(view, days.id).ticking
    position = view.model.row_of(days.id)
    view.ticker.tick()
    changes = Recorder()
    view.model.dataChanged.connect(changes)
    queue_world.clock.advance(timedelta(seconds=1))
    view.ticker.tick()
    assert all(not (a.row() <= position <= b.row()) for a, b, _ in changes.calls)


def test_the_ticker_runs_only_while_the_queue_is_shown(view: QueueView) -> None:
    assert view.ticker.running
    view.hide()
    assert not view.ticker.running
    view.show()
    assert view.ticker.running


def test_transitions_still_happen_while_the_queue_is_hidden(
    view: QueueView, queue_world: QueueWorld
) -> None:
    row, at_risk_at = _first_running_to_at_risk(view)
    changes = Recorder()
    view.incident_state_changed.connect(changes)
    view.hide()
    queue_world.clock.set(at_risk_at)
    view.ticker._transition.fire()  # type: ignore[attr-defined]  # the single-shot FakeTimer
    assert [c[:3] for c in changes.calls if c[0] == row.id] == [
        (row.id, ClockState.RUNNING, ClockState.AT_RISK)
    ]


# -- sorting and filters ---------------------------------------------------------------------


def test_sorting_by_deadline_and_other_columns(view: QueueView, queue_world: QueueWorld) -> None:
    def deadlines() -> list[float]:
        return [r.deadline_key for r in shown_rows(view)]

    assert deadlines() == sorted(deadlines())
    order = [r.id for r in shown_rows(view)]
    queue_world.clock.advance(timedelta(minutes=30))  # many countdowns change, none reorders
    view.ticker.tick()
    assert [r.id for r in shown_rows(view)] == order

    view.table.sortByColumn(Column.COUNTDOWN, Qt.SortOrder.DescendingOrder)
    assert deadlines() == sorted(deadlines(), reverse=True)
    view.table.sortByColumn(Column.PRIORITY, Qt.SortOrder.AscendingOrder)
    priorities = [r.summary.priority for r in shown_rows(view)]
    assert priorities == sorted(priorities)
    view.table.sortByColumn(Column.CUSTOMER, Qt.SortOrder.AscendingOrder)
    names = [r.customer_name.casefold() for r in shown_rows(view)]
    assert names == sorted(names)
    view.table.sortByColumn(Column.COUNTDOWN, Qt.SortOrder.AscendingOrder)
    assert view.proxy.sorted_by == (Column.COUNTDOWN, Qt.SortOrder.AscendingOrder)
    assert [r.id for r in shown_rows(view)] == [r.id for r in view.model.rows()]


def test_mine_and_unassigned_filters(view: QueueView, queue_world: QueueWorld) -> None:
    actor = queue_world.actor.id
    summaries = open_summaries(queue_world)
    view.mine.setChecked(True)
    assert {r.id for r in shown_rows(view)} == {s.id for s in summaries if s.assignee_id == actor}
    view.unassigned.setChecked(True)  # both: what I may pick up
    expected = {s.id for s in summaries if s.assignee_id in (actor, None)}
    assert {r.id for r in shown_rows(view)} == expected
    view.mine.setChecked(False)
    assert {r.id for r in shown_rows(view)} == {s.id for s in summaries if s.assignee_id is None}
    assert view.clear_filters.isEnabled()
    view.clear_filters.click()
    assert view.proxy.rowCount() == len(summaries)
    assert not view.unassigned.isChecked() and not view.clear_filters.isEnabled()


@pytest.mark.parametrize(
    ("combo", "value", "field"),
    [
        ("priority_filter", "P1", lambda r: r.summary.priority),
        ("status_filter", Status.WAITING_ON_CUSTOMER.value, lambda r: r.summary.status.value),
        ("window_filter", "GMT", lambda r: r.window_name),
    ],
)
def test_priority_status_and_window_filters(
    view: QueueView, combo: str, value: str, field: Any
) -> None:
    box = getattr(view, combo)
    index = box.findText(value) if combo == "window_filter" else box.findData(value)
    assert index > 0
    box.setCurrentIndex(index)
    rows = shown_rows(view)
    assert rows and all(field(r) == value for r in rows)
    assert len(rows) == sum(field(r) == value for r in view.model.rows())
    box.setCurrentIndex(0)
    assert view.proxy.rowCount() == view.model.rowCount()


def test_search_finds_number_title_and_customer(view: QueueView) -> None:
    sample = view.model.rows()[3]
    for text in (sample.summary.number.lower(), sample.summary.title.split()[0].upper()):
        view.search.setText(text)
        assert sample.id in {r.id for r in shown_rows(view)}
        needle = text.casefold()
        assert all(needle in r.search_text() for r in shown_rows(view))
    view.search.setText(sample.customer_name)
    assert {r.customer_name for r in shown_rows(view)} == {sample.customer_name}
    view.search.setText("no incident is called this")
    assert view.proxy.rowCount() == 0
    assert view.pages.currentWidget() is view.empty
    assert view.empty.title.text() == "No incidents match these filters"
    view.empty.button.click()
    assert view.search.text() == "" and view.proxy.rowCount() == view.model.rowCount()
    assert view.pages.currentWidget() is view.table


def test_the_filter_itself() -> None:
    f = QueueFilter()
    assert not f.is_active
    assert QueueFilter(text="  ").is_active is False
    assert QueueFilter(mine=True).is_active


# -- activation and refresh ------------------------------------------------------------------


def test_double_click_and_enter_activate_the_incident(qtbot: Any, view: QueueView) -> None:
    view.select_row(2)
    expected = view.proxy.row_at(2).id
    assert view.selected_incident_id() == expected
    with qtbot.waitSignal(view.incident_activated) as activated:
        view.table.doubleClicked.emit(view.proxy.index(2, Column.TITLE))
    assert activated.args == [expected]
    view.table.setFocus()
    with qtbot.waitSignal(view.incident_activated) as activated:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert activated.args == [expected]


def _watch(model: QueueModel) -> dict[str, Recorder]:
    watched = {name: Recorder() for name in ("reset", "inserted", "removed", "moved", "changed")}
    model.modelReset.connect(watched["reset"])
    model.rowsInserted.connect(watched["inserted"])
    model.rowsRemoved.connect(watched["removed"])
    model.rowsMoved.connect(watched["moved"])
    model.dataChanged.connect(watched["changed"])
    return watched


def _refresh(qtbot: Any, view: QueueView, incident_id: str) -> None:
    with qtbot.waitSignal(view.incident_refreshed, timeout=20_000):
        view.refresh_incident(incident_id)


def test_refresh_after_assigning_changes_that_row_only(
    qtbot: Any, qtmodeltester: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    qtmodeltester.check(view.model)  # stays attached: checks the change that follows
    row = next(r for r in view.model.rows() if r.summary.assignee_id is None)
    queue_world.context.incidents.assign(row.id, queue_world.actor.id)
    watched = _watch(view.model)
    _refresh(qtbot, view, row.id)
    assert not (watched["reset"].calls or watched["inserted"].calls or watched["removed"].calls)
    position = view.model.row_of(row.id)
    assert [(a.row(), b.row()) for a, b, _ in watched["changed"].calls] == [(position, position)]
    fresh = view.model.find(row.id)
    assert fresh is not None and fresh.assignee_name == queue_world.actor.name
    view.mine.setChecked(True)
    assert row.id in {r.id for r in shown_rows(view)}


def test_refresh_after_resolving_removes_the_row(
    qtbot: Any, qtmodeltester: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    qtmodeltester.check(view.model)  # stays attached: checks the change that follows
    row = view.model.rows()[0]
    queue_world.context.incidents.resolve(row.id, "Fixed by the hotfix.")
    watched = _watch(view.model)
    before = view.model.rowCount()
    _refresh(qtbot, view, row.id)
    assert view.model.rowCount() == before - 1 and view.model.find(row.id) is None
    assert len(watched["removed"].calls) == 1 and not watched["reset"].calls
    assert view.ticker.scheduled(row.id) is None


def test_refresh_of_a_new_incident_inserts_it_in_deadline_order(
    qtbot: Any, qtmodeltester: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    qtmodeltester.check(view.model)  # stays attached: checks the change that follows
    with queue_world.store.read() as tx:
        customer = next(c for c in tx.customers.list() if c.plan == "premium")
    summary = queue_world.context.incidents.open_incident(
        NewIncident(
            customer_id=customer.id,
            contact_id=customer.contacts[0].id,
            title="Exports fail with a timeout",
            channel=Channel.PHONE,
            proposed_priority="P2",
        )
    )
    watched = _watch(view.model)
    _refresh(qtbot, view, summary.id)
    assert len(watched["inserted"].calls) == 1 and not watched["reset"].calls
    keys = [r.order_key for r in view.model.rows()]
    assert keys == sorted(keys)
    new = view.model.find(summary.id)
    assert new is not None and new.state is ClockState.RUNNING
    assert view.ticker.scheduled(summary.id) == new.next_at


def test_refresh_after_responding_moves_the_row_to_its_new_deadline(
    qtbot: Any, qtmodeltester: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    qtmodeltester.check(view.model)  # stays attached: checks the change that follows
    row = next(r for r in view.model.rows() if r.state is ClockState.AT_RISK)
    queue_world.context.incidents.respond(row.id, "We are on it.")
    watched = _watch(view.model)
    _refresh(qtbot, view, row.id)
    assert not watched["reset"].calls and not watched["removed"].calls
    keys = [r.order_key for r in view.model.rows()]
    assert keys == sorted(keys)
    moved = view.model.find(row.id)
    assert moved is not None and moved.summary.next_deadline != row.summary.next_deadline
    assert watched["moved"].calls or watched["changed"].calls


def test_contiguous_ranges() -> None:
    assert contiguous([5, 1, 2, 3, 9, 10]) == [(1, 3), (5, 5), (9, 10)]
    assert contiguous([]) == []


def test_a_reload_keeps_the_selection(qtbot: Any, view: QueueView) -> None:
    view.select_row(4)
    selected = view.selected_incident_id()
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.reload()
    assert view.selected_incident_id() == selected


def test_rows_are_never_invalid_indexes(view: QueueView) -> None:
    assert view.model.data(QModelIndex()) is None
    assert view.model.rowCount(view.model.index(0, 0)) == 0


# -- the ticker and the theme on their own ---------------------------------------------------


class _Subject:
    """Re-reads return a scripted state; records who was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.states: dict[str, tuple[str, str, datetime | None]] = {}

    def reevaluate(self, incident_id: str, now: datetime) -> Any:
        from console.qt.ticker import Reevaluation

        self.asked.append(incident_id)
        old, new, next_at = self.states.get(incident_id, ("running", "running", None))
        return Reevaluation(old, new, next_at)


def test_the_ticker_pops_due_entries_once_and_skips_rescheduled_ones(qtbot: Any) -> None:
    clock = FakeClock()
    subject = _Subject()
    ticker = SlaTicker(clock)
    ticker.attach(subject)
    t0 = clock.now()
    ticker.reset([(t0 + timedelta(seconds=5), "a"), (t0 + timedelta(seconds=9), "b")])
    ticker.schedule("a", t0 + timedelta(seconds=20))  # moved: the old entry is stale
    ticker.schedule("c", t0 + timedelta(seconds=7))
    ticker.forget("b")
    subject.states["c"] = ("running", "at_risk", t0 + timedelta(seconds=30))
    changes = Recorder()
    ticker.incident_state_changed.connect(changes)
    clock.advance(timedelta(seconds=10))
    ticker.tick()
    assert subject.asked == ["c"]
    assert changes.calls == [("c", "running", "at_risk")]
    assert ticker.scheduled("c") == t0 + timedelta(seconds=30)
    assert ticker.next_due() == t0 + timedelta(seconds=20)
    ticker.tick()
    assert subject.asked == ["c"]  # nothing more was due
    assert len(ticker) == 2


def test_themes_have_a_colour_for_every_state() -> None:
    from console.ui.theme import THEME_NAMES, apply_theme, current_theme, theme, theme_generation

    states = ("running", "at_risk", "breached", "paused", "met", "missed", "pending")
    for name in THEME_NAMES:
        colours = {theme(name).state_color(s).name() for s in states[:5]}
        assert len(colours) == 5  # running, at risk, breached, paused, met all differ
        assert theme(name).state_tint("breached") is not None
        assert theme(name) is theme(name)  # built once
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = theme_generation()
    apply_theme(app, "dark")
    assert current_theme().dark and theme_generation() == before + 1
    assert app.palette().color(app.palette().ColorRole.Base).lightness() < 128
    apply_theme(app, "light")
    with pytest.raises(ValueError, match="unknown theme"):
        apply_theme(app, "sepia")


# -- the one live reading, at its boundaries -------------------------------------------------


def _open(world: QueueWorld, customer: str, **report: Any) -> str:
    """Open an incident for ``customer`` (by name) at the world clock's instant."""
    with world.store.read() as tx:
        found = next(c for c in tx.customers.list() if c.name == customer)
    summary = world.context.incidents.open_incident(
        NewIncident(
            customer_id=found.id,
            contact_id=found.contacts[0].id,
            title="Exports fail with a timeout",
            **report,
        )
    )
    return summary.id


def _show(qtbot: Any, view: QueueView, incident_id: str) -> CountdownCell:
    """Read one incident into the queue at the clock's instant and tick there."""
    _refresh(qtbot, view, incident_id)
    view.ticker.tick()
    return cell_of(view, incident_id)


def test_an_escalated_incident_counts_down_its_escalation_clock(
    qtbot: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    """Escalation 2 with 51 minutes left on its clock reads as that clock, not as the long
    breached first response."""
    clock, incidents = queue_world.clock, queue_world.context.incidents
    opened = clock.now()
    incident_id = _open(queue_world, "Pennine Water Services", proposed_priority="P2")  # 2 h
    clock.set(opened + timedelta(hours=2, minutes=1))  # first response missed
    incidents.escalate(incident_id, 1, "No answer")
    first_escalation = clock.now()
    clock.set(first_escalation + timedelta(hours=2, minutes=1))  # Escalation 1 missed too
    incidents.escalate(incident_id, 2, "Still no answer")
    second_escalation = clock.now()
    clock.set(second_escalation + timedelta(hours=1, minutes=9))
    cell = _show(qtbot, view, incident_id)
    assert cell.text == "51 m 00 s"
    assert cell.detail == "on track · Escalation 2 response"
    assert cell.state is ClockState.RUNNING and cell.ticking
    assert "First response" not in cell.detail and "over" not in cell.text
    row = view.model.find(incident_id)
    assert row is not None and row.current is not None
    assert row.current.kind is ClockType.ESCALATION_2
    assert row.clocks is not None and row.clocks.first_response.state is ClockState.BREACHED
    clock.set(second_escalation + timedelta(hours=1, minutes=31))  # 29 m left: under 30 m
    view.ticker.tick()
    cell = cell_of(view, incident_id)
    assert (cell.state, cell.text) == (ClockState.AT_RISK, "29 m 00 s")
    assert cell.detail == "at risk · Escalation 2 response"


def test_a_breach_starts_one_second_after_the_deadline_and_notifies_once(
    qtbot: Any, qtmodeltester: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    """At the deadline a response still meets (at risk, nothing left); the second after, the
    row is breached and the notifier says so once, in the queue's words."""
    qtmodeltester.check(view.model)  # stays attached: checks the change that follows

    incident_id = _open(queue_world, "Pennine Water Services", proposed_priority="P2")  # 2 h
    cell = _show(qtbot, view, incident_id)
    assert (cell.state, cell.text) == (ClockState.RUNNING, "2 h 00 m")
    row = view.model.find(incident_id)
    assert row is not None and row.current is not None and row.current.deadline is not None
    deadline = row.current.deadline
    assert view.ticker.scheduled(incident_id) is not None
    banner = NotificationBanner()
    qtbot.addWidget(banner)
    notifier = Notifier(queue_world.actor.id, banner, use_tray=False)  # an unassigned incident
    view.incident_state_changed.connect(notifier.on_state_changed)
    said: list[tuple[str, str, str]] = []
    notifier.notified.connect(lambda *args: said.append(args))

    def at(instant: datetime) -> CountdownCell:
        queue_world.clock.set(instant)
        view.ticker.tick()
        return cell_of(view, incident_id)

    before = at(deadline - timedelta(seconds=1))
    assert (before.state, before.text) == (ClockState.AT_RISK, "0 m 01 s")
    assert [s[1] for s in said if s[0] == incident_id] == ["at_risk"]
    on_time = at(deadline)
    assert (on_time.state, on_time.text) == (ClockState.AT_RISK, "0 m 00 s")
    assert on_time.detail == "at risk · First response"
    assert view.model.find(incident_id).next_at == deadline + INSTANT  # type: ignore[union-attr]
    late = at(deadline + timedelta(seconds=1))
    assert (late.state, late.text) == (ClockState.BREACHED, "0 m 01 s over")
    assert late.detail == "breached · First response"
    breaches = [s for s in said if s[0] == incident_id and s[1] == "breached"]
    assert len(breaches) == 1
    number = row.summary.number
    assert breaches[0][2].startswith(f"{number} · First response · breached · 0 m 01 s over")
    assert f"{number} · First response · breached" in banner.text_label.text()
    at(deadline + timedelta(seconds=2))
    at(deadline + timedelta(minutes=5))
    assert len([s for s in said if s[0] == incident_id and s[1] == "breached"]) == 1
    assert cell_of(view, incident_id).text == "5 m 00 s over"


def test_business_days_are_shown_in_bd_of_the_window(
    qtbot: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    """Standard P4 is 3 business days of the GMT window (3 × 8 h 30 m), never 24-hour days."""
    incident_id = _open(queue_world, "Hollybrook Primary Trust", priority="P4")
    cell = _show(qtbot, view, incident_id)
    # Wed 14:30 + 25 h 30 m of open time: Mon 14:30, five wall days away.
    assert cell.text == "5 d 0 h (3 bd 0 h 00 m business)"
    assert cell.detail == "on track · First response"
    queue_world.clock.advance(timedelta(hours=1, minutes=15))  # an hour and a quarter open
    view.ticker.tick()
    assert cell_of(view, incident_id).text == "4 d 22 h (2 bd 7 h 15 m business)"
    for row in view.model.rows():
        text = cell_of(view, row.id).text
        assert not re.search(r"\d+ d \d+ h business", text), text


def test_a_closed_window_never_shows_zero_business_time(
    qtbot: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    """A deadline at the window's closing: after it, while closed, the breach counts no
    business time, so none is shown; paused rows say when they resume."""
    clock = queue_world.clock
    now = clock.now()
    clock.set(now - timedelta(hours=1))  # Wed 13:30 GMT: 4 open hours end at 17:30 closing
    incident_id = _open(queue_world, "Hollybrook Primary Trust", priority="P1")
    clock.set(now)
    _show(qtbot, view, incident_id)
    closing = datetime(2026, 3, 4, 17, 30, tzinfo=UTC)
    row = view.model.find(incident_id)
    assert row is not None and row.current is not None and row.current.deadline == closing
    clock.set(closing)  # the deadline itself: a response now still meets
    view.ticker.tick()
    assert cell_of(view, incident_id).state is ClockState.AT_RISK
    for instant, expected in (
        (closing + timedelta(seconds=1), "0 m 01 s over"),
        (closing + timedelta(minutes=30), "30 m 00 s over"),
        (datetime(2026, 3, 5, 9, 30, tzinfo=UTC), "16 h 00 m over (30 m 00 s business)"),
    ):
        clock.set(instant)
        view.ticker.tick()
        assert cell_of(view, incident_id).text == expected
    for instant in (closing + timedelta(minutes=30), datetime(2026, 3, 5, 8, 59, tzinfo=UTC)):
        clock.set(instant)
        view.ticker.tick()
        cells = [cell_of(view, r.id) for r in view.model.rows()]
        paused = [c for c in cells if c.state is ClockState.PAUSED and "resumes" in c.text]
        assert paused
        for cell in cells:
            assert "(0 m 00 s business)" not in cell.text, cell
            assert "0 m 00 s business" not in cell.detail, cell


def test_a_title_that_looks_like_markup_shows_as_typed_in_its_tooltip(
    qtbot: Any, view: QueueView, queue_world: QueueWorld
) -> None:
    with queue_world.store.read() as tx:
        customer = next(c for c in tx.customers.list() if c.name == "Pennine Water Services")
    summary = queue_world.context.incidents.open_incident(
        NewIncident(
            customer_id=customer.id,
            contact_id=customer.contacts[0].id,
            title="<b>Checkout</b> & payments down",
            proposed_priority="P2",
        )
    )
    _refresh(qtbot, view, summary.id)
    index = view.model.index(view.model.row_of(summary.id) or 0, Column.TITLE)
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "<qt>&lt;b&gt;Checkout&lt;/b&gt; &amp; payments down</qt>"
    plain = view.model.index(view.model.row_of(summary.id) or 0, Column.CUSTOMER)
    assert plain.data(Qt.ItemDataRole.ToolTipRole) == "Pennine Water Services"
