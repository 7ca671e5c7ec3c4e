"""Notifications: once per transition, for my incidents and unassigned ones only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from console.qt.notifier import Notice, NotificationBanner, Notifier
from console.qt.worker import Dispatcher
from console.ui.queue.view import QueueView
from tests.ui.conftest import QueueWorld

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ME = "agent-me"
DEADLINE = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def notice(
    assignee: str | None, incident_id: str = "inc-1", deadline: datetime = DEADLINE
) -> Notice:
    return Notice(
        incident_id=incident_id,
        number="INC-ABCDE-00042",
        title="Checkout returns 502",
        customer="Northwind Freight",
        assignee_id=assignee,
        clock="First response",
        countdown="12 m 39 s",
        deadline=deadline,
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
    notifier.on_state_changed("inc-1", "running", "at_risk", notice(ME))
    notifier.on_state_changed("inc-1", "running", "at_risk", notice(ME))
    notifier.on_state_changed("inc-1", "paused", "at_risk", notice(ME))  # the next morning
    assert [s[:2] for s in said] == [("inc-1", "at_risk")]
    assert not banner.isHidden()
    assert "INC-ABCDE-00042 is at risk" in banner.text_label.text()
    assert "First response due in 12 m 39 s" in banner.text_label.text()


def test_a_breach_after_at_risk_is_a_new_transition(notifier: Notifier) -> None:
    said = record(notifier)
    notifier.on_state_changed("inc-1", "running", "at_risk", notice(ME))
    late = replace(notice(ME), countdown="\N{MINUS SIGN}1 m 00 s")
    notifier.on_state_changed("inc-1", "at_risk", "breached", late)
    notifier.on_state_changed("inc-1", "at_risk", "breached", late)
    assert [s[:2] for s in said] == [("inc-1", "at_risk"), ("inc-1", "breached")]
    assert "overdue by 1 m 00 s" in said[1][2]


def test_unassigned_incidents_notify_and_other_agents_do_not(notifier: Notifier) -> None:
    said = record(notifier)
    notifier.on_state_changed("inc-2", "running", "at_risk", notice(None, "inc-2"))
    notifier.on_state_changed("inc-3", "running", "at_risk", notice("someone-else", "inc-3"))
    notifier.on_state_changed("inc-3", "at_risk", "breached", notice("someone-else", "inc-3"))
    assert [s[:2] for s in said] == [("inc-2", "at_risk")]


def test_only_at_risk_and_breached_are_said(notifier: Notifier) -> None:
    said = record(notifier)
    for old, new in (("running", "paused"), ("paused", "running"), ("at_risk", "at_risk")):
        notifier.on_state_changed("inc-1", old, new, notice(ME))
    notifier.on_state_changed("inc-1", "running", "at_risk")  # nothing known about it
    assert said == []


def test_a_later_clock_of_the_same_incident_is_said_again(notifier: Notifier) -> None:
    said = record(notifier)
    notifier.on_state_changed("inc-1", "running", "at_risk", notice(ME))
    next_update = notice(ME, deadline=DEADLINE + timedelta(hours=4))
    notifier.on_state_changed("inc-1", "running", "at_risk", next_update)
    assert len(said) == 2


def test_the_tray_is_used_where_there_is_one(banner: NotificationBanner) -> None:
    tray = FakeTray()
    notifier = Notifier(ME, banner, tray=tray)
    assert notifier.uses_tray
    notifier.on_state_changed("inc-1", "running", "at_risk", notice(ME))
    notifier.on_state_changed("inc-1", "running", "at_risk", notice(ME))
    assert tray.messages == [
        (
            "INC-ABCDE-00042 is at risk",
            "First response due in 12 m 39 s · Northwind Freight: Checkout returns 502",
        )
    ]
    assert banner.isHidden()
    tray.hide()


def test_the_banner_opens_the_incident_and_closes(
    qtbot: Any, notifier: Notifier, banner: NotificationBanner
) -> None:
    notifier.on_state_changed("inc-1", "running", "at_risk", notice(ME))
    notifier.on_state_changed("inc-9", "running", "breached", notice(None, "inc-9"))
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
    """A row of mine (or an unassigned one) crossing its at-risk instant notifies once."""
    view = QueueView(queue_world.context, dispatcher)
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
        if row.state == "running"
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
