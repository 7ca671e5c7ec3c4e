"""The incident detail: header, live clocks, timeline, report completeness, actions.

``show_incident`` reads ``IncidentService.details`` off the GUI thread. The view owns no
timer: while shown it subscribes to the one ``SlaTicker``. On each tick the live reading and
the countdowns move with ``Reading.advanced`` (arithmetic); at ``reading.next_change_at``
the domain reads the clocks again (``IncidentClocks.at`` and ``read``), never the widget.
The header words the reading with ``wording.line``. Each action opens a small dialog
(``*_dialogs.py``); on success the view emits ``incident_changed`` and reloads. The report
tab (``report_tab.py``), the priority story (``priority.py``) and the wrapping button row
(``flow_layout.py``) live in their own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

import qtawesome as qta
import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.clock_model import IncidentClocks
from console.domain.events import REPORT_ITEMS
from console.domain.explain import when
from console.domain.reading import Reading, read
from console.domain.records import Agent, IncidentSummary, Status
from console.domain.wording import business_note, line
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.action_rules import escalation_note, refusals
from console.services.context import ConsoleContext
from console.services.incidents import IncidentDetails
from console.services.validation import ValidationError
from console.ui.forms import (
    error_label,
    error_text,
    esc,
    plain_label,
    plain_tip,
    set_markup,
    set_plain,
    text_label,
)
from console.ui.incident.action_dialog import ACTIONS, ActionDialog, ActionDialogHost
from console.ui.incident.attachments import AttachmentsTab
from console.ui.incident.change_dialogs import (
    AssignDialog,
    EscalateDialog,
    ExcludeDialog,
    PriorityDialog,
)
from console.ui.incident.clocks_panel import ClocksPanel
from console.ui.incident.flow_layout import FlowLayout
from console.ui.incident.outbox_strip import IncidentMail, OutboxStrip, read_incident_mail
from console.ui.incident.priority import priority_story
from console.ui.incident.quick_assign import TAKE_KEYS, QuickAssign
from console.ui.incident.report_tab import ReportTab
from console.ui.incident.respond_dialogs import (
    MissingDetailsDialog,
    RespondDialog,
    StatusUpdateDialog,
)
from console.ui.incident.text_dialogs import (
    NoteDialog,
    ReopenDialog,
    ResolveDialog,
    ResumeDialog,
    WaitDialog,
)
from console.ui.incident.timeline import (
    CHANNEL_WORDS,
    STATUS_TEXT,
    TimelineModel,
    TimelineView,
)
from console.ui.theme import current_theme

WIDE = 1000  # from this width on, the clocks sit beside the tabs

_STATUS_COLOURS = {
    Status.OPEN: "#1565c0",
    Status.WAITING_ON_CUSTOMER: "#6a5acd",
    Status.RESOLVED: "#2e7d32",
    Status.EXCLUDED: "#616161",
}


class IncidentDetailView(ActionDialogHost, QWidget):
    """Everything about one incident, and the actions an agent takes on it."""

    incident_changed = Signal(str)  # an action was saved on this incident
    incident_loaded = Signal(str)  # its details are shown (after show_incident or a reload)
    notice = Signal(str)  # what an action did, in words for the status bar ("INC-… resolved.")

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
        ticker: SlaTicker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ticker = ticker
        self._context = context
        self._dispatcher = dispatcher
        self._zone: tzinfo = context.agent_zone
        self._incident_id = ""
        self._can_send = False  # a server to send mail through is set up (read with each load)
        self._load_token = 0
        self.details: IncidentDetails | None = None
        self.clocks: IncidentClocks | None = None
        self.reading: Reading | None = None  # ``read(self.clocks)``, advanced on each tick
        self.agents: list[Agent] = []
        self.dialog: ActionDialog | None = None
        self.blocked: dict[str, str] = {}
        self.quick = QuickAssign(dispatcher, context.incidents, context.actor, self)
        self._build()
        self._show_empty()
        ticker.ticked.connect(self._on_ticker_ticked)

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.banner = error_label()
        outer.addWidget(self.banner)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.empty = plain_label(
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
        self.status = plain_label()
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
        self.title = plain_label()
        self.title.setWordWrap(True)
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        self.customer = text_label()
        # Two lines kept for it: a longer assignee's name wrapping the line onto a second
        # one must not push the action buttons from under the pointer.
        self.customer.setMinimumHeight(2 * self.customer.fontMetrics().lineSpacing())
        self.customer.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.customer)
        priorities = QHBoxLayout()
        self.proposed = text_label()
        self.classified = text_label()
        priorities.addWidget(self.proposed, 1)
        priorities.addWidget(self.classified, 1)
        layout.addLayout(priorities)
        self.next_clock = text_label()
        bold = QFont(self.next_clock.font())
        bold.setBold(True)
        self.next_clock.setFont(bold)
        layout.addWidget(self.next_clock)
        self.closed_note = plain_label()  # resolved or excluded: read-only until reopened
        self.closed_note.setObjectName("hint")
        self.closed_note.setWordWrap(True)
        self.closed_note.hide()
        layout.addWidget(self.closed_note)
        # This incident's mail and how its sending went, with Retry now / Withdraw….
        self.outbox_strip = OutboxStrip(
            self._context.outbox, self._dispatcher, self._context.clock.now, self._zone
        )
        self.outbox_strip.changed.connect(self._changed)
        self.outbox_strip.notice.connect(self.notice)
        layout.addWidget(self.outbox_strip)

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
            if name == "assign":  # one click (or Ctrl+T) beside the full Assign dialog
                self.take_button = self._quick_button("Take it", "mdi6.account-arrow-left")
                self.unassign_button = self._quick_button("Unassign", "mdi6.account-remove")
                flow.addWidget(self.take_button)
                flow.addWidget(self.unassign_button)
        layout.addWidget(bar)

        self.tabs = QTabWidget()
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(self.tabs)
        layout.addWidget(self.body, 1)
        self.clocks_panel = ClocksPanel(self._zone)
        self.clocks_scroll = QScrollArea()
        self.clocks_scroll.setWidgetResizable(True)
        # The cards wrap to the pane's width; they never scroll sideways.
        self.clocks_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.clocks_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.clocks_scroll.setWidget(self.clocks_panel)
        self.tabs.addTab(self.clocks_scroll, qta.icon("mdi6.timer-outline"), "Clocks")
        self.timeline = TimelineModel(self._zone, self)
        self.timeline_view = TimelineView(self.timeline)
        self.tabs.addTab(self.timeline_view, qta.icon("mdi6.timeline-text-outline"), "Timeline")
        self.report = ReportTab()
        self.report.send_requested.connect(self.request_missing)
        self.tabs.addTab(self.report, qta.icon("mdi6.clipboard-check-outline"), "Report")
        self.attachments = AttachmentsTab(self._context.incidents, self._dispatcher, self._zone)
        self.tabs.addTab(self.attachments, qta.icon("mdi6.paperclip"), "Attachments")
        self.report_chip.clicked.connect(self._on_report_chip_clicked)
        self.attachments.files_added.connect(self._on_attachments_files_added)
        self.take_button.clicked.connect(self.take)
        self.unassign_button.clicked.connect(self.unassign)
        self.quick.assigned.connect(self._on_quick_assigned)
        self.quick.said.connect(self.notice)
        self.quick.refused.connect(self._on_quick_refused)

    @staticmethod
    def _quick_button(text: str, icon: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setIcon(qta.icon(icon))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    # -- loading -----------------------------------------------------------------------------

    @Slot(str)
    def show_incident(self, incident_id: str) -> None:
        """Load and show ``incident_id`` (off the GUI thread); ``incident_loaded`` follows."""
        self._incident_id = incident_id
        if not incident_id:
            self._show_empty()
            return
        incidents, agents = self._context.incidents, self._context.agents
        outbox = self._context.outbox
        sending = [False]  # whether mail can be sent from here (a sending server is set up)
        mail: list[IncidentMail] = []  # the incident's outbound mail, for its strip
        now = self._context.clock.now

        def job() -> tuple[IncidentDetails, list[Agent]]:
            sending[0] = outbox.can_send()
            details = incidents.details(incident_id)
            try:
                mail.append(read_incident_mail(outbox, incident_id, now()))
            except Exception:  # the strip reads again by itself, and says why not
                mail.clear()
            return details, agents.agents()

        self._load_token += 1
        token = self._load_token

        def current() -> bool:  # this view still exists and wants this load
            return shiboken6.isValid(self) and token == self._load_token

        def done(result: tuple[IncidentDetails, list[Agent]]) -> None:
            if current():
                self.report.set_sending(sending[0])
                self._can_send = sending[0]
                if mail:
                    self.outbox_strip.show_mail(incident_id, mail[0])
                else:
                    self.outbox_strip.show_incident(incident_id)
                self._on_loaded(result)

        def failed(error: Exception) -> None:
            if current():
                self._on_load_failed(error)

        self._dispatcher.submit(job, done, failed)

    def incident_id(self) -> str:
        return self._incident_id

    @property
    def ticker(self) -> SlaTicker:
        """The one scheduler of live time this view subscribes to while it is shown."""
        return self._ticker

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
        self.reading = None
        self.timeline.clear()
        self.attachments.clear()
        self.outbox_strip.clear()
        self.stack.setCurrentIndex(0)
        self._update_actions()

    # -- showing -----------------------------------------------------------------------------

    def _show_details(self, details: IncidentDetails) -> None:
        summary, policy, clocks = details.summary, details.policy, details.clocks
        set_markup(self.number, f"<b>{esc(summary.number)}</b>")
        status = STATUS_TEXT.get(summary.status, summary.status.value)
        if summary.status is Status.EXCLUDED and clocks.excluded_reason:
            status += f" · reason ({clocks.excluded_reason})"
        if clocks.escalation_level:
            status += f" · Escalation {clocks.escalation_level}"
        set_plain(self.status, status)
        colour = _STATUS_COLOURS.get(summary.status, "#616161")
        self.status.setStyleSheet(
            f"color: white; background: {colour}; border-radius: 8px; padding: 1px 8px;"
        )
        set_plain(self.title, summary.title)
        self._show_closed_note(details)
        set_plain(self.customer, self._who_line(details))
        proposed, classified = priority_story(details)  # our markup, people's text escaped
        set_markup(self.proposed, proposed)
        set_markup(self.classified, classified)
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
            plain_tip("Missing: " + "; ".join(label for _, label in details.missing_items))
            if missing
            else "Every item of the incident report is in."
        )
        exclusions = {reason.code: reason.text for reason in policy.exclusions}
        self.timeline.set_events(details.events, exclusions, details.pushed_by)
        self.report.show_details(details, self._zone)
        self._tab_text(self.timeline_view, f"Timeline ({len(details.events)})")
        self._tab_text(self.report, f"Report ({len(missing)} missing)" if missing else "Report")
        self.attachments.show_attachments(summary.id, details.attachments)
        self._tab_text(self.attachments, f"Attachments ({len(details.attachments)})")
        self.refresh_clocks()

    def _show_closed_note(self, details: IncidentDetails) -> None:
        """A resolved or excluded incident says so, and what brings it back."""
        summary = details.summary
        if summary.status is Status.RESOLVED:
            at = summary.resolved_at
            since = f" {when(at, self._zone)}" if at is not None else ""
            text = (
                f"Resolved{since}: read-only, and no longer in the open queue. Reopen puts it "
                "back to work; a note or an assignment can still be added."
            )
        elif summary.status is Status.EXCLUDED:
            text = (
                "Excluded from support. It has left the open queue and the attainment "
                "figures; Reopen puts it back to work."
            )
        else:
            self.closed_note.hide()
            return
        set_plain(self.closed_note, text)
        self.closed_note.show()

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
        channel = CHANNEL_WORDS.get(details.summary.channel, details.summary.channel)
        parts.append(f"via {channel}")
        assignee = next((a.name for a in self.agents if a.id == details.summary.assignee_id), "")
        parts.append(f"assigned to {assignee}" if assignee else "unassigned")
        return " · ".join(parts)

    def _tab_text(self, page: QWidget, text: str) -> None:
        self.tabs.setTabText(self.tabs.indexOf(page), text)

    @Slot()
    def refresh_clocks(self) -> None:
        """Read the clocks again at the ticker's now (after a load, or on showing)."""
        self._read_clocks(self._ticker.now())

    def _read_clocks(self, now: datetime) -> None:
        """Let the domain read the clocks at ``now``; everything shown follows from that."""
        if self.details is None:
            return
        clocks = self.details.clocks.at(max(now, self.details.clocks.now))
        self.clocks = clocks
        self.reading = read(clocks)
        self.clocks_panel.show_clocks(clocks, self.reading)
        self._show_reading()
        self._update_actions()

    def _show_reading(self) -> None:
        reading = self.reading
        if reading is None:
            return
        text = line(reading, self._zone)
        if reading.is_live and reading.deadline is not None:
            text += f" · due {when(reading.deadline, self._zone)}"
        if self.next_clock.text() != text:
            set_plain(self.next_clock, text)
        day = reading.business_day
        self.next_clock.setToolTip(plain_tip(business_note(day)) if day is not None else "")

    @Slot(object)
    def _on_ticker_ticked(self, now: datetime) -> None:
        """Move the reading to ``now``; at its next change, read the clocks again."""
        reading = self.reading
        if reading is None or not self.isVisible():
            return
        due = reading.next_change_at
        if (due is not None and now >= due) or now < reading.now:
            self._read_clocks(now)
            return
        self.reading = reading.advanced(now)
        self.clocks_panel.advance(now)
        self._show_reading()

    def _update_actions(self) -> None:
        if self.details is None or self.clocks is None:
            self.blocked = {name: "No incident is shown." for name, _, _ in ACTIONS}
        else:
            self.blocked = refusals(self.clocks, self.details.policy, self._zone)
        note = escalation_note(self.clocks, self._zone) if self.clocks else ""
        for name, button in self.action_buttons.items():
            reason = self.blocked.get(name, "")
            button.setEnabled(not reason)
            tip = reason or (note if name == "escalate" and note else button.text())
            button.setToolTip(plain_tip(tip))
        self._update_quick_buttons()

    def _update_quick_buttons(self) -> None:
        details, reason = self.details, self.blocked.get("assign", "")
        assignee = details.summary.assignee_id if details is not None else None
        me = self._context.actor.id
        take_reason = reason or ("It is already yours." if assignee == me else "")
        unassign_reason = reason or ("" if assignee else "Nobody has it.")
        self.take_button.setEnabled(not take_reason)
        self.take_button.setToolTip(plain_tip(take_reason or f"Assign it to me ({TAKE_KEYS})"))
        self.unassign_button.setEnabled(not unassign_reason)
        self.unassign_button.setToolTip(plain_tip(unassign_reason or "Assign it to nobody"))

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
        self.refresh_clocks()
        self._ticker.acquire(self)

    def hideEvent(self, event: QHideEvent) -> None:
        self._ticker.release(self)
        super().hideEvent(event)

    # -- actions -----------------------------------------------------------------------------

    def _standard(self, kind: type[ActionDialog]) -> Callable[[IncidentDetails], ActionDialog]:
        return lambda details: kind(self._dispatcher, self._context.incidents, details, self)

    def _answer(
        self, kind: type[RespondDialog | StatusUpdateDialog]
    ) -> Callable[..., ActionDialog]:
        context = self._context
        return lambda details: kind(
            self._dispatcher,
            context.incidents,
            details,
            self,
            outbox=context.outbox,
            templates=context.templates,
            zone=context.agent_zone,
        )

    @Slot()
    def respond(self) -> ActionDialog | None:
        return self._open("respond", self._answer(RespondDialog))

    @Slot(str)
    def request_missing(self, text: str) -> ActionDialog | None:
        """Open the request for the missing report items in the compose dialog."""
        dialog = self._open("respond", self._answer(MissingDetailsDialog))
        if isinstance(dialog, MissingDetailsDialog):
            dialog.set_request(self._team_request(dialog.details) or text)
        return dialog

    def _team_request(self, details: IncidentDetails) -> str:
        """The team's "missing details" template for this incident ('' if it cannot render)."""
        context = self._context
        try:
            return context.templates.render_body("missing_details", details, context.agent_zone)
        except ValidationError:
            return ""

    @Slot()
    def post_update(self) -> ActionDialog | None:
        return self._open("post_update", self._answer(StatusUpdateDialog))

    @Slot()
    def change_priority(self) -> ActionDialog | None:
        return self._open("change_priority", self._standard(PriorityDialog))

    @Slot()
    def escalate(self) -> ActionDialog | None:
        return self._open("escalate", self._standard(EscalateDialog))

    @Slot()
    def exclude(self) -> ActionDialog | None:
        sending = self._can_send

        def make(details: IncidentDetails) -> ActionDialog:
            return ExcludeDialog(
                self._dispatcher, self._context.incidents, details, self, can_send=sending
            )

        return self._open("exclude", make)

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

    @Slot()
    def take(self) -> None:
        """Take it: the shown incident becomes the signed-in agent's."""
        self.take_incident(self._incident_id)

    @Slot()
    def unassign(self) -> None:
        self.unassign_incident(self._incident_id)

    def take_incident(self, incident_id: str) -> None:
        """Take any incident (the queue's or History's selection), shown here or not."""
        self.quick.take(incident_id)

    def unassign_incident(self, incident_id: str) -> None:
        self.quick.unassign(incident_id)

    @Slot(object)
    def _on_quick_assigned(self, summary: object) -> None:
        self._changed(summary)

    @Slot(str)
    def _on_quick_refused(self, reason: str) -> None:
        self.notice.emit(reason)

    @Slot(object)
    def _on_dialog_completed(self, summary: object) -> None:
        dialog = self.dialog
        if dialog is not None and isinstance(summary, IncidentSummary):
            self.notice.emit(dialog.done_message(summary))
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
