"""An incident for history review: who and what, its clocks, timeline and report.

Built from the incident detail's own read-only parts (clock cards, timeline, report tab).
The only actions are those a closed incident allows (``action_rules``): reopen it, note it,
assign it — through the very dialogs the queue's detail uses. Working it happens in the queue.
"""

from __future__ import annotations

import qtawesome as qta
import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import Agent, IncidentSummary
from console.qt.worker import Dispatcher
from console.services.action_rules import Action, refusals
from console.services.context import ConsoleContext
from console.services.incidents import IncidentDetails
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
from console.ui.incident.change_dialogs import AssignDialog
from console.ui.incident.clocks_panel import ClocksPanel
from console.ui.incident.priority import priority_story
from console.ui.incident.report_tab import ReportTab
from console.ui.incident.text_dialogs import NoteDialog, ReopenDialog
from console.ui.incident.timeline import STATUS_TEXT, TimelineModel, TimelineView

# What a closed incident allows; everything else is done in the queue once it is reopened.
HISTORY_ACTIONS = (Action.REOPEN, Action.NOTE, Action.ASSIGN)


class HistoryDetail(ActionDialogHost, QWidget):
    loaded = Signal(str)  # incident id
    incident_changed = Signal(str)  # an action was saved on this incident
    notice = Signal(str)  # what the action did, for the status bar ("INC-… reopened.")

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._incident_id = ""
        self.details: IncidentDetails | None = None
        self.agents: list[Agent] = []
        self.dialog: ActionDialog | None = None
        self.blocked: dict[str, str] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.banner = error_label()
        layout.addWidget(self.banner)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        empty = plain_label("Choose an incident to read its clocks, timeline and report.")
        empty.setWordWrap(True)
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(empty)
        page = QWidget()
        body = QVBoxLayout(page)
        body.setContentsMargins(4, 0, 0, 0)
        self.heading = text_label()
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        self.who = text_label()
        self.priorities = text_label()
        for widget in (self.heading, self.who, self.priorities):
            body.addWidget(widget)
        self.action_buttons: dict[str, QToolButton] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 2, 0, 2)
        words = {name: (text, icon) for name, text, icon in ACTIONS}
        for name in HISTORY_ACTIONS:
            text, icon = words[name]
            button = QToolButton()
            button.setText(text)
            button.setIcon(qta.icon(icon))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.clicked.connect(getattr(self, name))
            bar.addWidget(button)
            self.action_buttons[name] = button
        bar.addStretch(1)
        body.addLayout(bar)
        self.tabs = QTabWidget()
        zone = context.agent_zone
        self.clocks = ClocksPanel(zone)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.clocks)
        self.timeline = TimelineModel(zone, self)
        self.report = ReportTab()
        self.tabs.addTab(scroll, qta.icon("mdi6.timer-outline"), "Clocks")
        self.tabs.addTab(
            TimelineView(self.timeline), qta.icon("mdi6.timeline-text-outline"), "Timeline"
        )
        self.tabs.addTab(self.report, qta.icon("mdi6.clipboard-check-outline"), "Report")
        body.addWidget(self.tabs, 1)
        self.stack.addWidget(page)

    @Slot(str)
    def show_incident(self, incident_id: str) -> None:
        self._incident_id = incident_id
        if not incident_id:
            self.details = None
            self.stack.setCurrentIndex(0)
            return
        incidents, agents = self._context.incidents, self._context.agents

        def job() -> tuple[IncidentDetails, list[Agent]]:
            return incidents.details(incident_id), agents.agents()

        def current() -> bool:
            return shiboken6.isValid(self) and self._incident_id == incident_id

        def done(result: tuple[IncidentDetails, list[Agent]]) -> None:
            if current():
                self.agents = result[1]
                self._show(result[0])

        def failed(error: Exception) -> None:
            if current():
                self.banner.setText(error_text(error))
                self.banner.show()

        self._dispatcher.submit(job, done, failed)

    def incident_id(self) -> str:
        return self._incident_id

    def _show(self, details: IncidentDetails) -> None:
        self.banner.hide()
        self.details = details
        summary, clocks = details.summary, details.clocks
        status = STATUS_TEXT.get(summary.status, summary.status.value)
        if clocks.escalation_level:
            status += f" · Escalation {clocks.escalation_level}"
        set_markup(
            self.heading,
            f"<b>{esc(summary.number)}</b> · {esc(status)}<br><b>{esc(summary.title)}</b>",
        )
        customer = details.customer.name if details.customer else "Unknown customer"
        try:
            plan = details.policy.plan(clocks.plan).name
        except KeyError:
            plan = clocks.plan
        reporter = f" · reported by {details.contact.name}" if details.contact else ""
        set_plain(self.who, f"{customer} · {plan} plan{reporter}")
        proposed, classified = priority_story(details)
        set_markup(self.priorities, f"{proposed}<br>{classified}")
        now = max(self._context.clock.now(), clocks.now)
        self.clocks.show_clocks(clocks.at(now))
        self.blocked = refusals(clocks.at(now), details.policy, self._context.agent_zone)
        for name, button in self.action_buttons.items():
            reason = self.blocked.get(name, "")
            button.setEnabled(not reason)
            button.setToolTip(plain_tip(reason or f"{button.text()}…"))
        exclusions = {reason.code: reason.text for reason in details.policy.exclusions}
        self.timeline.set_events(details.events, exclusions, details.pushed_by)
        self.report.show_details(details, self._context.agent_zone)
        self.tabs.setTabText(1, f"Timeline ({len(details.events)})")
        self.stack.setCurrentIndex(1)
        self.loaded.emit(summary.id)

    # -- actions -----------------------------------------------------------------------------

    @Slot()
    def reopen(self) -> ActionDialog | None:
        """Reopen…: the queue detail's own dialog, asking for the reason."""
        return self._open(
            Action.REOPEN,
            lambda d: ReopenDialog(self._dispatcher, self._context.incidents, d, self),
        )

    @Slot()
    def add_note(self) -> ActionDialog | None:
        return self._open(
            Action.NOTE, lambda d: NoteDialog(self._dispatcher, self._context.incidents, d, self)
        )

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

        return self._open(Action.ASSIGN, make)

    @Slot(object)
    def _on_dialog_completed(self, summary: object) -> None:
        if self.dialog is not None and isinstance(summary, IncidentSummary):
            self.notice.emit(self.dialog.done_message(summary))
        incident_id = str(getattr(summary, "id", "") or self._incident_id)
        self.banner.hide()
        self.incident_changed.emit(incident_id)
        self.reload(incident_id)

    def reload(self, incident_id: str) -> None:
        """Read ``incident_id`` again if it is the one shown (changed here or elsewhere)."""
        if incident_id and incident_id == self._incident_id:
            self.show_incident(incident_id)
