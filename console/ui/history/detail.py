"""A read-only incident for history review: who and what, its clocks, timeline and report.

Built from the incident detail's own read-only parts (clock cards, timeline, report tab);
there are no actions here, so reviewing history can never change it.
"""

from __future__ import annotations

import qtawesome as qta
import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.incidents import IncidentDetails
from console.ui.forms import (
    error_label,
    error_text,
    esc,
    plain_label,
    set_markup,
    set_plain,
    text_label,
)
from console.ui.incident.clocks_panel import ClocksPanel
from console.ui.incident.priority import priority_story
from console.ui.incident.report_tab import ReportTab
from console.ui.incident.timeline import STATUS_TEXT, TimelineModel, TimelineView


class HistoryDetail(QWidget):
    loaded = Signal(str)  # incident id

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._incident_id = ""
        self.details: IncidentDetails | None = None
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
        incidents = self._context.incidents

        def current() -> bool:
            return shiboken6.isValid(self) and self._incident_id == incident_id

        def done(details: IncidentDetails) -> None:
            if current():
                self._show(details)

        def failed(error: Exception) -> None:
            if current():
                self.banner.setText(error_text(error))
                self.banner.show()

        self._dispatcher.submit(lambda: incidents.details(incident_id), done, failed)

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
        exclusions = {reason.code: reason.text for reason in details.policy.exclusions}
        self.timeline.set_events(details.events, exclusions, details.pushed_by)
        self.report.show_details(details, self._context.agent_zone)
        self.tabs.setTabText(1, f"Timeline ({len(details.events)})")
        self.stack.setCurrentIndex(1)
        self.loaded.emit(summary.id)
