"""People's text is shown as typed, never as rich text (issue #12, item 1).

Every field a customer, an agent, a sync peer or a lead types (incident title and report,
notes, responses, reasons, customer, contact, account manager, agent, escalation contact and
support window names) is filled with markup and an ``<img>`` naming a local file. Rich text
would paint ``<b>x</b>`` bold and make Qt read the file named by ``src`` (an incident titled
``<img src="file:///dev/zero">`` exhausted memory when opened). Every screen that shows that
text is opened, and every label, tooltip and item tooltip under it is checked: a label that
holds the markup as typed must be plain text; a tooltip never holds it unescaped; and where
our own markup embeds it, it appears escaped (``&lt;img``), which a plain-text label would
show literally, so that is refused too. Each screen is then painted, and each tooltip shown
in a label as QToolTip would, while inotify watches the image: nothing may open it.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QSystemTrayIcon,
    QTabBar,
    QWidget,
)

from console.domain.clock_model import ClockState
from console.domain.events import Side
from console.domain.ids import HybridLogicalClock
from console.domain.reading import read
from console.domain.records import Agent, Role
from console.qt.notifier import Notice, NotificationBanner, Notifier, tray_body
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.agents import AgentService
from console.services.context import ConsoleContext
from console.services.customers import CustomerService
from console.services.incidents import NewIncident
from console.services.policy import PolicyService
from console.services.review import Breakdown
from console.services.seed import seed_defaults
from console.ui.board.view import Wallboard
from console.ui.customers.view import CustomersView
from console.ui.escalations import EscalationsView
from console.ui.forms import plain_tip
from console.ui.history import view as history_view
from console.ui.history.attainment import build_chart
from console.ui.history.view import HistoryView
from console.ui.incident.action_dialog import ACTIONS
from console.ui.incident.detail import IncidentDetailView
from console.ui.incident.new_form import NewIncidentDialog
from console.ui.queue.view import QueueView
from console.ui.shell.statusbar import ConsoleStatusBar
from db.engine import open_database
from db.store import SqliteStore
from tests.ui.incident_fixtures import AGENT_ZONE, FakeClock, dispatcher

__all__ = ["dispatcher"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

BOLD = "<b>x</b>"
RAW = re.compile(r'<b>x</b>|<img src="file:', re.IGNORECASE)  # the markup as typed
ESCAPED = re.compile(r"&lt;b&gt;x&lt;/b&gt;|&lt;img src=(&quot;|&#x27;|\")file:", re.IGNORECASE)
# The hostile words each incident screen shows: the people, the report, the events.
SHOWN = ("Customer", "Contact", "Lead", "Affected", "Impact", "Steps", "Error")
OPEN_EVENTS = ("Agent", "Note", "Reason", "Escalated", "Response", "Update", "Waiting", "Resumed")
RESOLVED_EVENTS = ("Answer", "Resolution")


@dataclass(frozen=True)
class HostileWorld:
    context: ConsoleContext
    clock: FakeClock
    probe: Path
    open_id: str  # breached, escalated, assigned, with every kind of event
    resolved_id: str
    customer_id: str
    lead: Agent
    agent: Agent
    reads: ReadWatch

    def hostile(self, word: str) -> str:
        return hostile(word, self.probe)


class ReadWatch:
    """Whether anything opened the probe image since the last look (Linux inotify).

    Where inotify is missing (another system) ``opened()`` is always False and the checks
    of text formats stand alone."""

    IN_OPEN, IN_ACCESS = 0x20, 0x01

    def __init__(self, path: Path) -> None:
        self._fd = -1
        if not sys.platform.startswith("linux"):
            return
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return
        if libc.inotify_add_watch(fd, os.fsencode(path), self.IN_OPEN | self.IN_ACCESS) < 0:
            os.close(fd)
            return
        self._fd = fd

    def opened(self) -> bool:
        if self._fd < 0:
            return False
        try:
            return bool(os.read(self._fd, 4096))
        except BlockingIOError:
            return False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def hostile(word: str, probe: Path) -> str:
    return f'{word} {BOLD}<img src="{probe.as_uri()}">'


def _build(tmp_path: Path) -> tuple[SqliteStore, HostileWorld]:
    probe = tmp_path / "probe.png"
    image = QImage(4, 4, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.red)
    assert image.save(str(probe))

    def h(word: str) -> str:
        return hostile(word, probe)

    clock = FakeClock()
    path = tmp_path / "console.sqlite3"
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    hlc = HybridLogicalClock("ws-test", lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    agents = AgentService(store, hlc)
    lead = agents.register(h("Lead"), Role.LEAD, "lead@vendor.example")
    agent = agents.register(h("Agent"), Role.AGENT, "agent@vendor.example")
    customers = CustomerService(store, clock, lead, hlc)
    window = customers.create_window(h("Window"), "Mon-Fri 09:00-17:30", "Europe/London")
    customer = customers.create_customer(
        h("Customer"),
        "premium_plus",
        window.id,
        csm_name=h("Manager"),
        csm_email="csm@vendor.example",
    )
    contact = customers.add_contact(
        customer.id, h("Contact"), h("Role"), ["contact@customer.example"], ["+44 20 7946 0000"]
    )
    customers.add_contact(customer.id, h("Second"), h("Deputy"), ["second@customer.example"])
    policy = PolicyService(store, clock, lead, hlc)
    for level in (1, 2):
        policy.add_escalation_contact(
            level, h(f"Escalation{level}"), h("Director"), f"e{level}@vendor.example"
        )
    context = ConsoleContext.build(
        store=store,
        clock=clock,
        actor=lead,
        workstation_id="ws-test",
        hlc=hlc,
        agent_zone=AGENT_ZONE,
        db_path=str(path),
    )
    incidents = context.incidents

    def report(word: str) -> NewIncident:
        return NewIncident(
            customer_id=customer.id,
            contact_id=contact.id,
            title=h(word),
            proposed_priority="P1",
            affected=h("Affected"),
            impact=h("Impact"),
            steps=h("Steps"),
            error_message=h("Error"),
        )

    resolved = incidents.open_incident(report("Resolved"))
    incidents.respond(resolved.id, h("Answer"), recipient="contact@customer.example")
    incidents.resolve(resolved.id, h("Resolution"))
    opened = incidents.open_incident(report("Title"))
    incidents.assign(opened.id, agent.id)
    incidents.note(opened.id, h("Note"))
    incidents.change_priority(opened.id, "P2", h("Reason"), Side.CUSTOMER)
    clock.advance(timedelta(hours=3))  # the first response is missed
    incidents.escalate(opened.id, 1, h("Escalated"))
    incidents.respond(opened.id, h("Response"), recipient="contact@customer.example")
    incidents.post_status_update(opened.id, "status_page", "", h("Update"))
    incidents.wait_on_customer(opened.id, h("Waiting"))
    incidents.resume(opened.id, h("Resumed"))
    world = HostileWorld(
        context=context,
        clock=clock,
        probe=probe,
        open_id=opened.id,
        resolved_id=resolved.id,
        customer_id=customer.id,
        lead=lead,
        agent=agent,
        reads=ReadWatch(probe),  # from here on, nothing may open the image
    )
    return store, world


@pytest.fixture
def hostile_world(tmp_path: Path) -> Iterator[HostileWorld]:
    store, world = _build(tmp_path)
    yield world
    world.reads.close()
    store.close()


@pytest.fixture
def ticker(hostile_world: HostileWorld, fake_timers: None) -> SlaTicker:
    """The one scheduler of live time, on the world's clock; its timers never fire."""
    return SlaTicker(hostile_world.clock)


# -- what is shown ------------------------------------------------------------------------------


def _columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # a list model keeps columnCount to itself: one column
        return 1


def _item_tips(model: QAbstractItemModel, parent: QModelIndex, depth: int = 0) -> Iterator[str]:
    role = Qt.ItemDataRole.ToolTipRole
    columns = _columns(model, parent)
    for column in range(columns if depth == 0 else 0):
        tip = model.headerData(column, Qt.Orientation.Horizontal, role)
        if isinstance(tip, str):
            yield tip
    for row in range(model.rowCount(parent)):
        for column in range(columns):
            index = model.index(row, column, parent)
            tip = model.data(index, role)
            if isinstance(tip, str):
                yield tip
            if column == 0 and depth < 3 and model.rowCount(index) > 0:
                yield from _item_tips(model, index, depth + 1)


def tooltips(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, tooltip) for ``root``, every widget under it and every item of its views."""
    for widget in [root, *root.findChildren(QWidget)]:
        where = f"{type(widget).__name__} {widget.objectName()!r}"
        if widget.toolTip():
            yield where, widget.toolTip()
        if isinstance(widget, QTabBar):
            for i in range(widget.count()):
                yield f"{where} tab {i}", widget.tabToolTip(i)
        shows_items = isinstance(widget, (QAbstractItemView, QComboBox))
        # a header shows its table's model: read once, through the table
        model = widget.model() if shows_items and not isinstance(widget, QHeaderView) else None
        if model is not None:
            for tip in _item_tips(model, QModelIndex()):
                yield f"{where} item", tip


def problems(root: QWidget) -> list[str]:
    """Every place under ``root`` where people's markup would render, or shows escaped."""
    found: list[str] = []
    for label in [root, *root.findChildren(QLabel)]:
        if not isinstance(label, QLabel):
            continue
        text, fmt = label.text(), label.textFormat()
        where = f"{type(label.window()).__name__}/{label.objectName() or 'QLabel'}"
        if RAW.search(text) and fmt is not Qt.TextFormat.PlainText:
            found.append(f"{where} renders {text!r} as {fmt.name}")
        if ESCAPED.search(text) and fmt is Qt.TextFormat.PlainText:
            found.append(f"{where} shows escapes literally: {text!r}")
    for where, tip in tooltips(root):
        if RAW.search(tip):
            found.append(f"tooltip of {where} renders {tip!r}")
        elif ESCAPED.search(tip) and not Qt.mightBeRichText(tip):
            found.append(f"tooltip of {where} shows escapes literally: {tip!r}")
    return found


def words_shown(root: QWidget) -> set[str]:
    texts = [label.text() for label in root.findChildren(QLabel)]
    texts += [tip for _, tip in tooltips(root)]
    for view in root.findChildren(QAbstractItemView):
        model = view.model()
        for row in range(min(model.rowCount(), 50)):
            for column in range(_columns(model, QModelIndex())):
                texts.append(str(model.data(model.index(row, column))))
    return {m for t in texts for m in re.findall(r"(\w+) (?:<b>|&lt;b&gt;)x", t)}


def _short(text: str) -> str:
    return re.sub(r"(&lt;|<)img src=[^>]*?(&gt;|>)", r"\1img…\2", text)


def assert_plain(world: HostileWorld, root: QWidget, *words: str) -> None:
    """No markup renders under ``root``, which shows at least the hostile ``words``; painting
    it and showing each of its tooltips as Qt's tooltip label would never opens the image."""
    missing = set(words) - words_shown(root)
    assert not missing, f"{type(root).__name__} shows none of {sorted(missing)}"
    found = problems(root)
    assert not found, "\n".join(_short(p) for p in found)
    assert_unread(world, root)


def assert_unread(world: HostileWorld, root: QWidget) -> None:
    assert not root.grab().isNull()
    for _, tip in tooltips(root):
        tip_label = QLabel(tip)  # what QToolTip shows: AutoText, rich if it looks rich
        tip_label.setWordWrap(Qt.mightBeRichText(tip))
        tip_label.grab()
    assert not world.reads.opened(), f"showing {type(root).__name__} read {world.probe}"


# -- the helper ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [BOLD, '<img src="file:///dev/zero">', "a < b & c > d", "first\n<i>second</i>", "  <p>x"],
)
def test_a_plain_tooltip_reads_as_typed(text: str) -> None:
    tip = plain_tip(text)
    assert not RAW.search(tip) and "<i>" not in tip and "<p>" not in tip
    if tip != text:  # escaped inside our own <qt>: Qt renders it back to the typed text
        assert Qt.mightBeRichText(tip)


def test_a_plain_tooltip_leaves_ordinary_text_alone() -> None:
    assert plain_tip("Checkout returns 502") == "Checkout returns 502"


# -- the screens --------------------------------------------------------------------------------


def test_the_queue_shows_hostile_text_as_typed(
    qtbot: Any, hostile_world: HostileWorld, dispatcher: Dispatcher, ticker: SlaTicker
) -> None:
    view = QueueView(hostile_world.context, dispatcher, ticker)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    with qtbot.waitSignal(view.clocks_ready, timeout=20_000):
        view.show()
    assert view.select_incident(hostile_world.open_id)
    assert_plain(hostile_world, view, "Title", "Customer", "Agent", "Window")
    error = hostile_world.hostile("Error")  # an error's words may quote people's text
    view.empty.show_message("mdi6.alert", "The queue could not be loaded", error)
    assert not problems(view)


def test_the_incident_detail_and_every_action_dialog_show_hostile_text_as_typed(
    qtbot: Any, hostile_world: HostileWorld, dispatcher: Dispatcher, ticker: SlaTicker
) -> None:
    view = IncidentDetailView(
        hostile_world.context,
        dispatcher,
        ticker,
    )
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    opened = 0
    for incident_id, words in (
        (hostile_world.open_id, (*SHOWN, *OPEN_EVENTS, "Title", "Role", "Window")),
        (hostile_world.resolved_id, (*SHOWN, *RESOLVED_EVENTS, "Resolved", "Role", "Window")),
    ):
        with qtbot.waitSignal(view.incident_loaded):
            view.show_incident(incident_id)
        for index in range(view.tabs.count()):
            view.tabs.setCurrentIndex(index)
            assert_plain(hostile_world, view, *words)
        for name, _, _ in ACTIONS:
            dialog = getattr(view, name)()
            if dialog is None:
                continue  # refused for this incident: its button says why (checked above)
            opened += 1
            assert_plain(
                hostile_world, dialog, words[-3], *(("Agent", "Lead") if name == "assign" else ())
            )
            if dialog.confirm_button:
                dialog.ok_button.click()
                if dialog.confirmation is not None:
                    assert not problems(dialog.confirmation)
                    dialog.confirmation.reject()
            dialog.reject()
            qtbot.waitUntil(lambda: view.dialog is None)
    assert opened >= len(ACTIONS) - 2  # all but the ones neither incident allows
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_the_new_incident_form_shows_hostile_names_as_typed(
    qtbot: Any, hostile_world: HostileWorld, dispatcher: Dispatcher
) -> None:
    dialog = NewIncidentDialog(hostile_world.context, dispatcher)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.data_loaded):
        pass
    dialog.show()
    dialog.customer.setCurrentIndex(dialog.customer.findData(hostile_world.customer_id))
    assert_plain(
        hostile_world,
        dialog,
        "Customer",
        "Manager",
        "Window",
        "Contact",
        "Role",
        "Second",
        "Deputy",
    )
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_history_its_detail_and_its_report_show_hostile_text_as_typed(
    qtbot: Any,
    hostile_world: HostileWorld,
    dispatcher: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    view = HistoryView(hostile_world.context, dispatcher)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    with qtbot.waitSignals([view.filtered, view.model.page_loaded], timeout=10_000):
        view.show()
    for row in range(view.model.rowCount()):
        shown = view.detail.details
        if shown is None or shown.summary.id != view.model.row(row).summary.id:
            with qtbot.waitSignal(view.detail.loaded):
                view.select_row(row)
        assert view.detail.details is not None
        resolved = view.detail.details.summary.id == hostile_world.resolved_id
        words = (*SHOWN, *(RESOLVED_EVENTS if resolved else OPEN_EVENTS))
        for index in range(view.detail.tabs.count()):
            view.detail.tabs.setCurrentIndex(index)
            assert_plain(hostile_world, view, *words)
    assert view.model.rowCount() == 2
    pivot = view.attainment.pivot(Breakdown.PLAN)
    chart = build_chart(pivot, {group: hostile_world.hostile(group) for group in pivot.groups})
    names = [series.name() for series in chart.series()]  # a chart's legend is rich text
    assert names and not any(RAW.search(name) for name in names)
    printed: list[str] = []
    monkeypatch.setattr(
        history_view, "write_pdf", lambda path, bodies, charts: printed.extend(bodies)
    )
    view.write_report(tmp_path / "report.pdf")
    qtbot.waitUntil(lambda: bool(printed))
    for body in printed:  # the PDF's rich text: every piece of people's text escaped
        assert not RAW.search(body)
        assert ESCAPED.search(body)
    dispatcher.wait_for_done()


def test_the_escalation_panel_and_ladders_show_hostile_text_as_typed(
    qtbot: Any, hostile_world: HostileWorld, dispatcher: Dispatcher, ticker: SlaTicker
) -> None:
    view = EscalationsView(
        hostile_world.context,
        dispatcher,
        ticker,
    )
    qtbot.addWidget(view)
    view.resize(1366, 768)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.show()
    assert view.model.rowCount() >= 1
    if view.selected_item() is None:
        with qtbot.waitSignal(view.loaded):
            view.select_row(0)
    assert_plain(
        hostile_world,
        view,
        *("Title", "Customer", "Contact", "Escalation1", "Escalation2", "Director", "Agent"),
    )
    dispatcher.wait_for_done()


def test_the_customers_screen_shows_hostile_names_as_typed(
    qtbot: Any, hostile_world: HostileWorld, dispatcher: Dispatcher
) -> None:
    view = CustomersView(hostile_world.context, dispatcher)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    with qtbot.waitSignal(view.loaded):
        view.show()
    view.select_customer(hostile_world.customer_id)
    assert_plain(hostile_world, view, "Customer", "Window", "Contact", "Role", "Second", "Deputy")
    editor = view.support_list
    customer = hostile_world.context.customers.customer(hostile_world.customer_id)
    editor.select_contact(customer.contacts[0].id)
    editor.delete_action.trigger()
    assert editor.delete_box is not None
    assert RAW.search(editor.delete_box.text())  # "Take Contact <b>x</b>… off the list of…"
    assert not problems(editor.delete_box)
    editor.delete_box.reject()
    dispatcher.wait_for_done()


def test_the_wallboard_shows_hostile_text_as_typed(
    qtbot: Any, hostile_world: HostileWorld, dispatcher: Dispatcher, ticker: SlaTicker
) -> None:
    board = Wallboard(hostile_world.context, dispatcher, ticker)
    qtbot.addWidget(board)
    board.resize(1366, 768)
    with qtbot.waitSignal(board.loaded, timeout=10_000):
        board.show()
    tiles = [t for t in board.visible_tiles() if t.item and t.text]
    tile = next(t for t in tiles if t.item and t.item.incident_id == hostile_world.open_id)
    assert tile.text is not None
    assert (tile.text.title, tile.text.customer) == (
        hostile_world.hostile("Title"),
        hostile_world.hostile("Customer"),
    )  # painted as typed: drawText knows no markup
    assert not board.grab().isNull()
    assert not problems(board)  # and no label or tooltip of the board takes it for markup
    assert_unread(hostile_world, board)
    dispatcher.wait_for_done()


def test_the_status_bar_and_the_notification_banner_show_hostile_text_as_typed(
    qtbot: Any, hostile_world: HostileWorld
) -> None:
    bar = ConsoleStatusBar(hostile_world.lead, "Europe/Berlin", str(hostile_world.probe))
    qtbot.addWidget(bar)
    bar.show()
    assert_plain(hostile_world, bar, "Lead")
    banner = NotificationBanner()
    qtbot.addWidget(banner)
    notice = Notice(
        incident_id=hostile_world.open_id,
        number="INC-1",
        title=hostile_world.hostile("Title"),
        customer=hostile_world.hostile("Customer"),
        assignee_id=None,
    )
    banner.show_notice(notice, ClockState.BREACHED)
    banner.show_notice(notice, ClockState.AT_RISK)
    assert_plain(hostile_world, banner, "Title", "Customer")
    assert "(+1" in banner.text_label.text()


class FakeTray(QSystemTrayIcon):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, str]] = []

    def showMessage(self, title: str, message: str, *args: Any) -> None:
        self.messages.append((title, message))


def test_a_tray_notification_never_hands_the_desktop_markup(
    qtbot: Any, hostile_world: HostileWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linux notification servers read a body as markup (``<img>`` included): it goes
    escaped there; Windows and macOS show it as typed."""
    world = hostile_world
    world.clock.advance(timedelta(days=3))  # the status update is long overdue
    details = world.context.incidents.details(world.open_id)
    reading = read(details.clocks.at(world.clock.now()))
    assert reading.state is ClockState.BREACHED
    notice = Notice(
        incident_id=world.open_id,
        number=details.summary.number,
        title=details.summary.title,
        customer=world.hostile("Customer"),
        assignee_id=None,
        reading=reading,
    )
    tray = FakeTray()
    monkeypatch.setattr(sys, "platform", "linux")
    Notifier(world.lead.id, tray=tray).on_state_changed(
        world.open_id, ClockState.AT_RISK, ClockState.BREACHED, notice
    )
    [(_, message)] = tray.messages
    assert not RAW.search(message) and ESCAPED.search(message)
    assert tray_body(world.hostile("Title"), "win32") == world.hostile("Title")
    assert tray_body(world.hostile("Title"), "darwin") == world.hostile("Title")
