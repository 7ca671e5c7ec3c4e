"""The incident detail: header, live clocks, timeline, report completeness, actions.

``show_incident`` reads ``IncidentService.details`` off the GUI thread; the clocks then move
with a one-second timer that runs only while the view is visible and only re-reads the
clocks at "now" (no database work). Each action opens a small dialog (``actions.py``); on
success the view emits ``incident_changed`` and reloads.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, tzinfo
from urllib.parse import quote
from zoneinfo import ZoneInfo

import qtawesome as qta
import shiboken6
from PySide6.QtCore import QRect, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QDesktopServices,
    QFont,
    QGuiApplication,
    QHideEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.clock_model import IncidentClocks
from console.domain.events import REPORT_ITEMS, EventKind, IncidentEvent
from console.domain.explain import when
from console.domain.records import Agent, Status
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.incidents import IncidentDetails
from console.ui.forms import error_label, error_text
from console.ui.incident.actions import (
    ACTIONS,
    ActionDialog,
    AssignDialog,
    EscalateDialog,
    ExcludeDialog,
    NoteDialog,
    PriorityDialog,
    ReopenDialog,
    ResolveDialog,
    RespondDialog,
    ResumeDialog,
    StatusUpdateDialog,
    WaitDialog,
    escalation_note,
    unavailable,
)
from console.ui.incident.attachments import AttachmentsTab
from console.ui.incident.clocks_panel import ClocksPanel, countdown_text, state_label
from console.ui.incident.timeline import TimelineModel, TimelineView
from console.ui.theme import current_theme

WIDE = 1000  # from this width on, the clocks sit beside the tabs

_STATUS_TEXT = {
    Status.OPEN: "Open",
    Status.WAITING_ON_CUSTOMER: "Waiting on customer",
    Status.RESOLVED: "Resolved",
    Status.EXCLUDED: "Excluded",
}
_STATUS_COLOURS = {
    Status.OPEN: "#1565c0",
    Status.WAITING_ON_CUSTOMER: "#6a5acd",
    Status.RESOLVED: "#2e7d32",
    Status.EXCLUDED: "#616161",
}
_CHANNEL_TEXT = {"email": "email", "web": "the web form", "phone": "phone"}


class IncidentDetailView(QWidget):
    """Everything about one incident, and the actions an agent takes on it."""

    incident_changed = Signal(str)  # an action was saved on this incident
    incident_loaded = Signal(str)  # its details are shown (after show_incident or a reload)

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._zone: tzinfo = context.agent_zone
        self._incident_id = ""
        self._load_token = 0
        self.details: IncidentDetails | None = None
        self.clocks: IncidentClocks | None = None
        self.agents: list[Agent] = []
        self.dialog: ActionDialog | None = None
        self.blocked: dict[str, str] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._build()
        self._show_empty()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.banner = error_label()
        outer.addWidget(self.banner)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.empty = QLabel(
            "Choose an incident in the queue to see its clocks, timeline and actions."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack.addWidget(self.empty)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack.addWidget(page)

        self.number = QLabel()
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setObjectName("statusChip")
        self.report_chip = QToolButton()
        self.report_chip.setAutoRaise(True)
        self.report_chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        top = QHBoxLayout()
        top.addWidget(self.number)
        top.addWidget(self.status)
        top.addStretch(1)
        top.addWidget(self.report_chip)
        layout.addLayout(top)
        self.title = QLabel()
        self.title.setWordWrap(True)
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        self.customer = _wrapped()
        layout.addWidget(self.customer)
        priorities = QHBoxLayout()
        self.proposed = _wrapped()
        self.classified = _wrapped()
        priorities.addWidget(self.proposed, 1)
        priorities.addWidget(self.classified, 1)
        layout.addLayout(priorities)
        self.next_clock = _wrapped()
        layout.addWidget(self.next_clock)

        self.action_buttons: dict[str, QToolButton] = {}
        bar = QWidget()
        flow = FlowLayout(bar)
        for name, text, icon in ACTIONS:
            button = QToolButton()
            button.setText(text)
            button.setIcon(qta.icon(icon))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.clicked.connect(getattr(self, name))
            flow.addWidget(button)
            self.action_buttons[name] = button
        layout.addWidget(bar)

        self.tabs = QTabWidget()
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(self.tabs)
        layout.addWidget(self.body, 1)
        self.clocks_panel = ClocksPanel(self._zone)
        self.clocks_scroll = QScrollArea()
        self.clocks_scroll.setWidgetResizable(True)
        self.clocks_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.clocks_scroll.setWidget(self.clocks_panel)
        self.tabs.addTab(self.clocks_scroll, qta.icon("mdi6.timer-outline"), "Clocks")
        self.timeline = TimelineModel(self._zone, self)
        self.timeline_view = TimelineView(self.timeline)
        self.tabs.addTab(self.timeline_view, qta.icon("mdi6.timeline-text-outline"), "Timeline")
        self.report = ReportTab()
        self.tabs.addTab(self.report, qta.icon("mdi6.clipboard-check-outline"), "Report")
        self.attachments = AttachmentsTab(self._context.incidents, self._dispatcher, self._zone)
        self.tabs.addTab(self.attachments, qta.icon("mdi6.paperclip"), "Attachments")
        self.report_chip.clicked.connect(self._on_report_chip_clicked)
        self.attachments.files_added.connect(self._on_attachments_files_added)

    # -- loading -----------------------------------------------------------------------------

    @Slot(str)
    def show_incident(self, incident_id: str) -> None:
        """Load and show ``incident_id`` (off the GUI thread); ``incident_loaded`` follows."""
        self._incident_id = incident_id
        if not incident_id:
            self._show_empty()
            return
        incidents, agents = self._context.incidents, self._context.agents

        def job() -> tuple[IncidentDetails, list[Agent]]:
            return incidents.details(incident_id), agents.agents()

        self._load_token += 1
        token = self._load_token

        def current() -> bool:  # this view still exists and wants this load
            return shiboken6.isValid(self) and token == self._load_token

        def done(result: tuple[IncidentDetails, list[Agent]]) -> None:
            if current():
                self._on_loaded(result)

        def failed(error: Exception) -> None:
            if current():
                self._on_load_failed(error)

        self._dispatcher.submit(job, done, failed)

    def incident_id(self) -> str:
        return self._incident_id

    def _on_loaded(self, result: tuple[IncidentDetails, list[Agent]]) -> None:
        details, agents = result
        if details.summary.id != self._incident_id:
            return
        self.banner.hide()
        self.details, self.agents = details, agents
        self._show_details(details)
        self.stack.setCurrentIndex(1)
        self.incident_loaded.emit(details.summary.id)

    def _on_load_failed(self, error: Exception) -> None:
        self.banner.setText(error_text(error))
        self.banner.show()

    def _show_empty(self) -> None:
        self.details = None
        self.clocks = None
        self.timeline.clear()
        self.attachments.clear()
        self.stack.setCurrentIndex(0)
        self._update_actions()

    # -- showing -----------------------------------------------------------------------------

    def _show_details(self, details: IncidentDetails) -> None:
        summary, policy, clocks = details.summary, details.policy, details.clocks
        self.number.setText(f"<b>{summary.number}</b>")
        status = _STATUS_TEXT.get(summary.status, summary.status.value)
        if summary.status is Status.EXCLUDED and clocks.excluded_reason:
            status += f" · reason ({clocks.excluded_reason})"
        if clocks.escalation_level:
            status += f" · Escalation {clocks.escalation_level}"
        self.status.setText(status)
        colour = _STATUS_COLOURS.get(summary.status, "#616161")
        self.status.setStyleSheet(
            f"color: white; background: {colour}; border-radius: 8px; padding: 1px 8px;"
        )
        self.title.setText(summary.title)
        self.customer.setText(self._who_line(details))
        proposed, classified = priority_story(details)
        self.proposed.setText(proposed)
        self.classified.setText(classified)
        missing = [key for key, _ in details.missing_items]
        if missing:
            amber = current_theme().state_color("at_risk").name()
            self.report_chip.setIcon(qta.icon("mdi6.clipboard-alert-outline", color=amber))
            self.report_chip.setText(f"Report: {len(missing)} of {len(REPORT_ITEMS)} missing")
        else:
            green = current_theme().state_color("met").name()
            self.report_chip.setIcon(qta.icon("mdi6.clipboard-check-outline", color=green))
            self.report_chip.setText("Report complete")
        self.report_chip.setToolTip(
            "Missing: " + "; ".join(label for _, label in details.missing_items)
            if missing
            else "Every item of the incident report is in."
        )
        exclusions = {reason.code: reason.text for reason in policy.exclusions}
        self.timeline.set_events(details.events, exclusions)
        self.report.show_details(details, self._zone)
        self._tab_text(self.timeline_view, f"Timeline ({len(details.events)})")
        self._tab_text(self.report, f"Report ({len(missing)} missing)" if missing else "Report")
        self.attachments.show_attachments(summary.id, details.attachments)
        self._tab_text(self.attachments, f"Attachments ({len(details.attachments)})")
        self.refresh_clocks()

    def _who_line(self, details: IncidentDetails) -> str:
        clocks, customer, contact = details.clocks, details.customer, details.contact
        parts = [customer.name if customer else "Unknown customer"]
        try:
            parts.append(f"{details.policy.plan(clocks.plan).name} plan")
        except KeyError:
            parts.append(clocks.plan)
        window = clocks.first_response.window_name
        if window:
            parts.append(f"{window} window ({clocks.first_response.window_zone})")
        if contact is not None:
            role = f", {contact.role}" if contact.role else ""
            parts.append(f"reported by {contact.name}{role}")
        channel = _CHANNEL_TEXT.get(details.summary.channel, details.summary.channel)
        parts.append(f"via {channel}")
        assignee = next((a.name for a in self.agents if a.id == details.summary.assignee_id), "")
        parts.append(f"assigned to {assignee}" if assignee else "unassigned")
        return " · ".join(parts)

    def _tab_text(self, page: QWidget, text: str) -> None:
        self.tabs.setTabText(self.tabs.indexOf(page), text)

    @Slot()
    def refresh_clocks(self) -> None:
        """Move the clocks to the context clock's now (what the timer calls every second)."""
        if self.details is None:
            return
        clocks = self.details.clocks.at(max(self._context.clock.now(), self.details.clocks.now))
        self.clocks = clocks
        self.clocks_panel.show_clocks(clocks)
        current = clocks.current
        if current is not None and current.is_live:
            self.next_clock.setText(
                f"<b>{current.kind.label}</b>: {state_label(current).lower()}, "
                f"{countdown_text(current)}"
                + (f" · due {when(current.deadline, self._zone)}" if current.deadline else "")
            )
        else:
            self.next_clock.setText("No clock is running.")
        self._update_actions()

    def _update_actions(self) -> None:
        if self.details is None or self.clocks is None:
            self.blocked = {name: "No incident is shown." for name, _, _ in ACTIONS}
        else:
            self.blocked = unavailable(self.details, self.clocks, self._zone)
        note = escalation_note(self.clocks, self._zone) if self.clocks else ""
        for name, button in self.action_buttons.items():
            reason = self.blocked.get(name, "")
            button.setEnabled(not reason)
            button.setToolTip(reason or (note if name == "escalate" and note else button.text()))

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.refresh_clocks()

    @Slot()
    def _on_report_chip_clicked(self) -> None:
        self.tabs.setCurrentWidget(self.report)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_to_width(event.size().width())

    def _fit_to_width(self, width: int) -> None:
        """Wide: clocks beside the tabs. Narrow (beside the queue): clocks are the first tab."""
        beside = self.body.indexOf(self.clocks_scroll) >= 0
        if width >= WIDE and not beside:
            self.tabs.removeTab(self.tabs.indexOf(self.clocks_scroll))
            self.body.insertWidget(0, self.clocks_scroll)
            self.clocks_scroll.show()  # the tab widget had hidden it
            self.body.setSizes([width * 9 // 20, width * 11 // 20])
        elif width < WIDE and beside:
            self.tabs.insertTab(0, self.clocks_scroll, qta.icon("mdi6.timer-outline"), "Clocks")
            self.tabs.setCurrentIndex(0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._timer.start()
        self.refresh_clocks()

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    # -- actions -----------------------------------------------------------------------------

    def _open(
        self, name: str, make: Callable[[IncidentDetails], ActionDialog]
    ) -> ActionDialog | None:
        details = self.details
        if details is None or self.blocked.get(name):
            if details is not None:
                self.banner.setText(self.blocked[name])
                self.banner.show()
            return None
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        dialog = make(details)
        dialog.completed.connect(self._on_dialog_completed)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _standard(self, kind: type[ActionDialog]) -> Callable[[IncidentDetails], ActionDialog]:
        return lambda details: kind(self._dispatcher, self._context.incidents, details, self)

    @Slot()
    def respond(self) -> ActionDialog | None:
        return self._open("respond", self._standard(RespondDialog))

    @Slot()
    def post_update(self) -> ActionDialog | None:
        return self._open("post_update", self._standard(StatusUpdateDialog))

    @Slot()
    def change_priority(self) -> ActionDialog | None:
        return self._open("change_priority", self._standard(PriorityDialog))

    @Slot()
    def escalate(self) -> ActionDialog | None:
        return self._open("escalate", self._standard(EscalateDialog))

    @Slot()
    def exclude(self) -> ActionDialog | None:
        return self._open("exclude", self._standard(ExcludeDialog))

    @Slot()
    def wait_on_customer(self) -> ActionDialog | None:
        return self._open("wait_on_customer", self._standard(WaitDialog))

    @Slot()
    def resume(self) -> ActionDialog | None:
        return self._open("resume", self._standard(ResumeDialog))

    @Slot()
    def assign(self) -> ActionDialog | None:
        def make(details: IncidentDetails) -> ActionDialog:
            return AssignDialog(
                self._dispatcher,
                self._context.incidents,
                details,
                self,
                agents=self.agents,
                me=self._context.actor,
            )

        return self._open("assign", make)

    @Slot()
    def add_note(self) -> ActionDialog | None:
        return self._open("add_note", self._standard(NoteDialog))

    @Slot()
    def resolve(self) -> ActionDialog | None:
        return self._open("resolve", self._standard(ResolveDialog))

    @Slot()
    def reopen(self) -> ActionDialog | None:
        return self._open("reopen", self._standard(ReopenDialog))

    @Slot(object)
    def _on_dialog_completed(self, summary: object) -> None:
        self._changed(summary)

    @Slot(object)
    def _on_attachments_files_added(self, summary: object) -> None:
        self._changed(summary)

    def _changed(self, summary: object) -> None:
        """Something was saved on an incident: tell the screens, and reload it if still shown."""
        incident_id = str(getattr(summary, "id", "") or self._incident_id)
        self.banner.hide()
        self.incident_changed.emit(incident_id)
        if incident_id == self._incident_id:
            self.show_incident(incident_id)

    @Slot()
    def _on_dialog_finished(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None


def _wrapped() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def priority_story(details: IncidentDetails) -> tuple[str, str]:
    """The customer's proposed priority and the vendor's classification, each with who and why."""
    events, policy, clocks = details.events, details.policy, details.clocks
    opened = next((e for e in events if e.kind is EventKind.OPENED), None)
    contact = details.contact.name if details.contact else "the customer"
    customer_set: IncidentEvent | None = None
    any_set: IncidentEvent | None = None
    for event in events:
        if event.kind is EventKind.PRIORITY_CHANGED:
            any_set = event
            if event.data.get("side") == "customer":
                customer_set = event
    zone = details.clocks.first_response.window_zone
    proposed = clocks.proposed_priority
    if customer_set is not None:
        why = str(customer_set.data.get("reason") or "")
        proposed_text = (
            f"<b>Customer proposed {proposed}</b> — asked on {_at(customer_set, zone)}, "
            f"recorded by {customer_set.author}" + (f": “{why}”" if why else "")
        )
    elif proposed:
        proposed_text = f"<b>Customer proposed {proposed}</b> — by {contact} when reporting"
    else:
        proposed_text = "<b>Customer proposed no priority</b> — none was stated when reporting"
    priority = clocks.priority
    try:
        plan = policy.plan(clocks.plan)
    except KeyError:
        plan = None
    if any_set is not None:
        side = "the customer's request" if any_set.data.get("side") == "customer" else "triage"
        why = str(any_set.data.get("reason") or "")
        vendor_text = (
            f"<b>Vendor classified {priority}</b> — set by {any_set.author} on "
            f"{_at(any_set, zone)} after {side}" + (f": “{why}”" if why else "")
        )
    elif plan is not None and plan.customer_proposes:
        vendor_text = (
            f"<b>Vendor classified {priority}</b> — the customer's proposal stands "
            f"(on the {plan.name} plan the customer proposes)"
        )
    else:
        author = opened.author if opened else "the vendor"
        channel = str(opened.data.get("channel") or "") if opened else ""
        default = policy.default_priority(channel) if channel else None
        how = (
            f" (the {channel} default)"
            if default == priority and not clocks.proposed_priority
            else ""
        )
        vendor_text = f"<b>Vendor classified {priority}</b> — by {author} at opening{how}"
    return proposed_text, vendor_text


def _at(event: IncidentEvent, zone_name: str) -> str:
    return when(event.at, ZoneInfo(zone_name) if zone_name else UTC)


class ReportTab(QScrollArea):
    """The seven report items at a glance, and a ready request for the missing ones."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.setWidget(body)
        self.checklist = QGridLayout()
        self.checklist.setHorizontalSpacing(8)
        self.checklist.setColumnStretch(1, 1)
        self.item_icons: dict[str, QLabel] = {}
        self.item_texts: dict[str, QLabel] = {}
        for row, (key, _) in enumerate(REPORT_ITEMS):
            icon, text = QLabel(), _wrapped()
            icon.setAlignment(Qt.AlignmentFlag.AlignTop)
            self.checklist.addWidget(icon, row, 0)
            self.checklist.addWidget(text, row, 1)
            self.item_icons[key], self.item_texts[key] = icon, text
        layout.addLayout(self.checklist)
        layout.addSpacing(8)
        self.request_heading = _wrapped()
        layout.addWidget(self.request_heading)
        self.request = QPlainTextEdit()
        self.request.setReadOnly(True)
        self.request.setMinimumHeight(self.request.fontMetrics().lineSpacing() * 12)
        layout.addWidget(self.request, 1)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton(qta.icon("mdi6.content-copy"), "Copy")
        self.compose_button = QPushButton(qta.icon("mdi6.email-edit-outline"), "Compose email")
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.compose_button)
        layout.addLayout(buttons)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.compose_button.clicked.connect(self._on_compose_button_clicked)
        self._address = ""
        self._subject = ""

    def show_details(self, details: IncidentDetails, zone: tzinfo) -> None:
        missing = dict(details.missing_items)
        for key, label in REPORT_ITEMS:
            have = _report_value(details, key, zone)
            lacking = key in missing
            icon = "mdi6.close-circle" if lacking else "mdi6.check-circle"
            colour = current_theme().state_color("missed" if lacking else "met").name()
            self.item_icons[key].setPixmap(qta.icon(icon, color=colour).pixmap(18, 18))
            value = "<i>missing</i>" if lacking else html.escape(_elide(have, 160))
            self.item_texts[key].setText(f"<b>{html.escape(label.capitalize())}</b>: {value}")
            self.item_texts[key].setToolTip(have)
        text = details.missing_items_request()
        contact = details.contact
        self._address = contact.emails[0] if contact and contact.emails else ""
        self._subject = f"{details.summary.number}: information needed"
        if not text:
            self.request_heading.setText("The report is complete: nothing to ask for.")
        elif contact is None:
            self.request_heading.setText("<b>Request for the missing items</b>")
        else:
            to = f"{contact.name} <{self._address}>" if self._address else contact.name
            self.request_heading.setText(
                f"<b>Request for the missing items</b>, to {html.escape(to)}"
            )
        self.request.setPlainText(text)
        self.request.setVisible(bool(text))
        self.copy_button.setVisible(bool(text))
        self.compose_button.setVisible(bool(text))
        self.compose_button.setEnabled(bool(self._address))
        self.compose_button.setToolTip(
            f"Open your email program with this request to {self._address}"
            if self._address
            else "The reporting contact has no email address."
        )

    def mailto(self) -> QUrl:
        body = self.request.toPlainText()
        return QUrl(
            f"mailto:{quote(self._address, safe='@')}"
            f"?subject={quote(self._subject, safe='')}&body={quote(body, safe='')}"
        )

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.request.toPlainText())

    @Slot()
    def _on_compose_button_clicked(self) -> None:
        QDesktopServices.openUrl(self.mailto())


def _elide(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _report_value(details: IncidentDetails, key: str, zone: tzinfo) -> str:
    report = details.report
    if key == "started_at":
        if report.started_at is None:
            return ""
        own = report.started_at.tzinfo
        text = when(report.started_at, own) if own else ""
        return f"{text} ({when(report.started_at, zone)} your time)"
    if key == "attachments":
        names = [str(a.get("filename", "")) for a in report.attachments]
        return ", ".join(n for n in names if n)
    return " ".join(str(report.value(key) or "").split())


class FlowLayout(QLayout):
    """Lays widgets out left to right, wrapping to a new row when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, row_height = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and row_height > 0:
                x, y = area.x(), y + row_height + self._spacing
                row_height = 0
            if move:
                item.setGeometry(QRect(x, y, hint.width(), hint.height()))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + margins.bottom()
