"""Notifications: once per transition, for my incidents and unassigned ones only, in the words
of the live reading (a breach reads as it does in the queue)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from console.domain.clock_model import Clock, ClockState, ClockType
from console.domain.reading import Reading
from console.qt.notifier import Notice, NotificationBanner, Notifier
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.ui.queue.model import countdown_cell
from console.ui.queue.view import QueueView
from tests.ui.conftest import AGENT_ZONE, QueueWorld

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ME = "agent-me"
DEADLINE = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
RUNNING, AT_RISK, BREACHED = ClockState.RUNNING, ClockState.AT_RISK, ClockState.BREACHED


def reading(state: ClockState = AT_RISK, deadline: datetime = DEADLINE) -> Reading:
    """First response, 12 m 39 s before ``deadline`` (at risk) or 1 m after it (breached)."""
    left = timedelta(minutes=12, seconds=39) if state is not BREACHED else -timedelta(minutes=1)
    now = deadline - left
    clock = Clock(kind=ClockType.FIRST_RESPONSE, state=state, now=now, deadline=deadline)
    return Reading(now, "P1", 0, clock, state, deadline=deadline, wall=left)


def notice(
    assignee: str | None,
    incident_id: str = "inc-1",
    deadline: datetime = DEADLINE,
    state: ClockState = AT_RISK,
) -> Notice:
    return Notice(
        incident_id=incident_id,
        number="INC-ABCDE-00042",
        title="Checkout returns 502",
        customer="Northwind Freight",
        assignee_id=assignee,
        reading=reading(state, deadline),
        zone=AGENT_ZONE,
    )


class FakeTray(QSystemTrayIcon):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, str]] = []

    def showMessage(self, title: str, message: str, *args: Any) -> None:
        self.messages.append((title, message))


@pytest.fixture
def banner(qtbot: Any) -> NotificationBanner:
    widget = NotificationBanner()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def notifier(banner: NotificationBanner) -> Notifier:
    return Notifier(ME, banner, use_tray=False)


def record(notifier: Notifier) -> list[tuple[str, str, str]]:
    said: list[tuple[str, str, str]] = []
    notifier.notified.connect(lambda *args: said.append(args))
    return said


def test_mine_at_risk_is_said_once_in_the_banner(
    notifier: Notifier, banner: NotificationBanner
) -> None:
    said = record(notifier)
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, notice(ME))
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, notice(ME))
    notifier.on_state_changed("inc-1", ClockState.PAUSED, AT_RISK, notice(ME))  # next morning
    assert [s[:2] for s in said] == [("inc-1", "at_risk")]
    assert not banner.isHidden()
    text = banner.text_label.text()
    assert "<b>INC-ABCDE-00042 · First response · at risk</b>" in text
    assert "12 m 39 s · Northwind Freight: Checkout returns 502" in text
    assert said[0][2] == (
        "INC-ABCDE-00042 · First response · at risk · 12 m 39 s · "
        "Northwind Freight: Checkout returns 502"
    )


def test_a_breach_after_at_risk_is_a_new_transition(notifier: Notifier) -> None:
    said = record(notifier)
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, notice(ME))
    late = notice(ME, state=BREACHED)
    notifier.on_state_changed("inc-1", AT_RISK, BREACHED, late)
    notifier.on_state_changed("inc-1", AT_RISK, BREACHED, late)
    assert [s[:2] for s in said] == [("inc-1", "at_risk"), ("inc-1", "breached")]
    assert "First response · breached · 1 m 00 s over" in said[1][2]
    assert "overdue by" not in said[1][2]


def test_states_arrive_as_the_tickers_strings_or_typed(notifier: Notifier) -> None:
    """A ``str`` signal carries the ClockState values; both forms compare as states."""
    said = record(notifier)
    notifier.on_state_changed("inc-1", "running", "at_risk", notice(ME))
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, notice(ME))  # the same transition
    notifier.on_state_changed("inc-2", "pending", "breached", notice(ME, "inc-2", state=BREACHED))
    assert [s[:2] for s in said] == [("inc-1", "at_risk"), ("inc-2", "breached")]


def test_a_notice_whose_reading_says_otherwise_is_not_said(notifier: Notifier) -> None:
    """The words come from the reading: a breach is never worded as an at-risk reading."""
    said = record(notifier)
    notifier.on_state_changed("inc-1", AT_RISK, BREACHED, notice(ME))  # reading: at risk
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, replace(notice(ME), reading=None))
    assert said == []


def test_unassigned_incidents_notify_and_other_agents_do_not(notifier: Notifier) -> None:
    said = record(notifier)
    notifier.on_state_changed("inc-2", RUNNING, AT_RISK, notice(None, "inc-2"))
    notifier.on_state_changed("inc-3", RUNNING, AT_RISK, notice("someone-else", "inc-3"))
    other_late = notice("someone-else", "inc-3", state=BREACHED)
    notifier.on_state_changed("inc-3", AT_RISK, BREACHED, other_late)
    assert [s[:2] for s in said] == [("inc-2", "at_risk")]


def test_only_at_risk_and_breached_are_said(notifier: Notifier) -> None:
    said = record(notifier)
    paused = ClockState.PAUSED
    for old, new in ((RUNNING, paused), (paused, RUNNING), (AT_RISK, AT_RISK)):
        notifier.on_state_changed("inc-1", old, new, notice(ME))
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK)  # nothing known about it
    assert said == []


def test_a_later_clock_of_the_same_incident_is_said_again(notifier: Notifier) -> None:
    said = record(notifier)
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, notice(ME))
    next_update = notice(ME, deadline=DEADLINE + timedelta(hours=4))
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, next_update)
    assert len(said) == 2


def test_the_tray_is_used_where_there_is_one(banner: NotificationBanner) -> None:
    tray = FakeTray()
    notifier = Notifier(ME, banner, tray=tray)
    assert notifier.uses_tray
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, notice(ME))
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, notice(ME))
    assert tray.messages == [
        (
            "INC-ABCDE-00042 · First response · at risk",
            "12 m 39 s · Northwind Freight: Checkout returns 502",
        )
    ]
    assert banner.isHidden()
    tray.hide()


def test_the_banner_escapes_what_people_typed(
    notifier: Notifier, banner: NotificationBanner
) -> None:
    odd = replace(notice(ME), customer="<b>Acme</b> & Co", title="<img src=x>")
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, odd)
    text = banner.text_label.text()
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Co: &lt;img src=x&gt;" in text
    assert "<img" not in text


def test_the_banner_opens_the_incident_and_closes(
    qtbot: Any, notifier: Notifier, banner: NotificationBanner
) -> None:
    notifier.on_state_changed("inc-1", RUNNING, AT_RISK, notice(ME))
    notifier.on_state_changed("inc-9", RUNNING, BREACHED, notice(None, "inc-9", state=BREACHED))
    assert "(+1\N{NO-BREAK SPACE}more)" in banner.text_label.text()
    with qtbot.waitSignal(banner.open_requested) as opened:
        banner._open.click()
    assert opened.args == ["inc-9"]
    assert banner.isHidden()


def test_the_queue_and_the_notifier_together(
    qtbot: Any,
    queue_world: QueueWorld,
    dispatcher: Dispatcher,
    fake_timers: None,
    banner: NotificationBanner,
) -> None:
    """A row of mine (or an unassigned one) crossing its at-risk instant notifies once, in the
    words its queue cell shows."""
    view = QueueView(queue_world.context, dispatcher, SlaTicker(queue_world.clock))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.clocks_ready, timeout=20_000):
        view.show()
    notifier = Notifier(queue_world.actor.id, banner, use_tray=False)
    view.incident_state_changed.connect(notifier.on_state_changed)
    said = record(notifier)
    mine_or_free = {queue_world.actor.id, None}
    turning = [
        (row.current.at_risk_at, row)
        for row in view.model.rows()
        if row.state is RUNNING
        and row.current is not None
        and row.current.at_risk_at is not None
        and row.next_at == row.current.at_risk_at
    ]
    mine = min((t for t in turning if t[1].summary.assignee_id in mine_or_free), key=lambda t: t[0])
    other = min(
        (t for t in turning if t[1].summary.assignee_id not in mine_or_free), key=lambda t: t[0]
    )
    queue_world.clock.set(max(mine[0], other[0]))
    view.ticker.tick()
    queue_world.clock.advance(timedelta(seconds=1))
    view.ticker.tick()
    assert [s[:2] for s in said if s[0] == mine[1].id] == [(mine[1].id, "at_risk")]
    assert [s for s in said if s[0] == other[1].id] == []
    for incident_id, _, _ in said:
        row = view.model.find(incident_id)
        assert row is not None and row.summary.assignee_id in mine_or_free
    row = view.model.find(mine[1].id)
    assert row is not None
    message = next(s[2] for s in said if s[0] == row.id)
    assert row.current is not None
    label = row.current.kind.label
    assert message.startswith(f"{row.summary.number} · {label} · at risk · ")
    cell = countdown_cell(row, max(mine[0], other[0]), AGENT_ZONE)  # the queue at that instant
    assert f" · {cell.text} · " in message
