"""Dialogs that change how an incident is handled: priority, escalation, exclusion, assignee.

Escalating and excluding cannot be undone, so both ask for confirmation first.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QButtonGroup, QCheckBox, QComboBox, QRadioButton, QWidget

from console.domain.events import Side
from console.domain.records import Agent, IncidentSummary
from console.qt.worker import Dispatcher
from console.services.incidents import IncidentDetails, IncidentService
from console.ui.forms import hint_label, plain_tip, set_plain
from console.ui.incident.action_dialog import ActionDialog, Call, stack, text_box


class PriorityDialog(ActionDialog):
    title = "Change the priority"
    intro = (
        "Before the first response the first-response clock restarts now with the new "
        "priority's target; after it, only the status-update cadence changes."
    )
    ok_text = "Change priority"
    ok_icon = "mdi6.swap-vertical"
    done_text = ": priority changed"

    def _build_fields(self) -> None:
        policy, current = self.details.policy, self.details.clocks.priority
        self.priority = QComboBox()
        for info in policy.priorities:
            mark = " (current)" if info.id == current else ""
            self.priority.addItem(f"{info.id} · {info.label}{mark}", info.id)
            self.priority.setItemData(
                self.priority.count() - 1, plain_tip(info.definition), Qt.ItemDataRole.ToolTipRole
            )
        # Start from where the incident stands: the agent moves it up or down from there.
        self.priority.setCurrentIndex(max(0, self.priority.findData(current)))
        self.definition = hint_label("")
        self.vendor = QRadioButton("The vendor classifies it (triage)")
        self.customer = QRadioButton("The customer asks for it")
        self.side_group = QButtonGroup(self)
        self.side_group.addButton(self.vendor)
        self.side_group.addButton(self.customer)
        self.vendor.setChecked(True)
        self.reason = text_box("Why the priority changes", lines=3)
        self.add_field("priority", "&Priority", self.priority)
        self.form.addRow("", self.definition)
        self.add_field("side", "Who", stack(self.vendor, self.customer))
        self.add_field("reason", "&Reason", self.reason)
        self.priority.currentIndexChanged.connect(self._on_priority_changed)
        self._on_priority_changed()

    @Slot()
    def _on_priority_changed(self) -> None:
        chosen = self.priority.currentData()
        info = next((i for i in self.details.policy.priorities if i.id == chosen), None)
        set_plain(self.definition, info.definition if info is not None else "")

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        priority, reason = str(self.priority.currentData()), self.reason.toPlainText()
        side = Side.CUSTOMER if self.customer.isChecked() else Side.VENDOR
        return lambda: service.change_priority(incident, priority, reason, side)


class EscalateDialog(ActionDialog):
    title = "Escalate"
    intro = (
        "The customer escalates because the vendor missed its response target. A new "
        "response clock with the same target starts now."
    )
    ok_text = "Escalate…"
    ok_icon = "mdi6.arrow-up-bold-circle-outline"
    confirm_button = "Escalate"
    done_text = "escalated"

    def _build_fields(self) -> None:
        policy, current = self.details.policy, self.details.clocks.escalation_level
        self.level = QComboBox()
        for level in policy.escalation_levels:
            self.level.addItem(f"Escalation {level.level} · {level.role}", level.level)
            self.level.setItemData(
                self.level.count() - 1, plain_tip(level.description), Qt.ItemDataRole.ToolTipRole
            )
        self.level.setCurrentIndex(max(0, self.level.findData(current + 1)))
        self.reason = text_box("What the customer said (optional)", lines=3)
        self.add_field("level", "&Level", self.level)
        self.add_field("reason", "&Reason", self.reason)

    def confirm_text(self) -> str:
        level = int(self.level.currentData())
        role = self.details.policy.escalation_level(level).role
        return (
            f"Escalate {self.details.summary.number} to Escalation {level}? The vendor's "
            f"{role.lower()} is contacted and a new response clock starts now."
        )

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        level, reason = int(self.level.currentData()), self.reason.toPlainText()
        return lambda: service.escalate(incident, level, reason)


class ExcludeDialog(ActionDialog):
    title = "Exclude from support"
    intro = (
        "The vendor owes no support for incidents arising from the causes below. An "
        "excluded incident's clocks stop and it leaves the attainment figures."
    )
    ok_text = "Exclude…"
    ok_icon = "mdi6.cancel"
    confirm_button = "Exclude"
    done_text = "excluded from support"

    def __init__(
        self,
        dispatcher: Dispatcher,
        service: IncidentService,
        details: IncidentDetails,
        parent: QWidget | None = None,
        *,
        can_send: bool = False,
    ) -> None:
        """``can_send``: a server to send mail through is set up, so the customer may be
        told by email (the team's exclusion notice)."""
        self.can_send = can_send
        super().__init__(dispatcher, service, details, parent)

    def _build_fields(self) -> None:
        self.reasons = QButtonGroup(self)
        self.reason_buttons: dict[str, QRadioButton] = {}
        for reason in self.details.policy.exclusions:
            button = QRadioButton(f"({reason.code}) {reason.text}")
            button.setToolTip(plain_tip(reason.text))
            self.reasons.addButton(button)
            self.reason_buttons[reason.code] = button
        self.text = text_box("How the incident arose from this cause", lines=3)
        self.add_field("reason", "&Reason", stack(*self.reason_buttons.values()))
        self.setMinimumWidth(820)  # the policy's reasons are long: show them whole
        self.add_field("text", "&Explanation", self.text)
        self.notify = QCheckBox("Tell the customer by email (the team's exclusion notice)")
        self.notify.setVisible(self.can_send)
        self.add_field("notify", "", self.notify)

    def chosen_reason(self) -> str:
        return next((code for code, b in self.reason_buttons.items() if b.isChecked()), "")

    def confirm_text(self) -> str:
        code = self.chosen_reason()
        under = f" under reason ({code})" if code else ""
        return (
            f"Exclude {self.details.summary.number}{under}? Its clocks stop now and it leaves "
            "the attainment figures; the exclusion stays on its record."
        )

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        code, text = self.chosen_reason(), self.text.toPlainText()
        notify = self.can_send and self.notify.isChecked()
        return lambda: service.exclude(incident, code, text, notify=notify)


UNASSIGNED = "Unassigned"


class AssignDialog(ActionDialog):
    title = "Assign"
    ok_text = "Assign"
    ok_icon = "mdi6.account-arrow-right-outline"

    def __init__(
        self,
        dispatcher: Dispatcher,
        service: IncidentService,
        details: IncidentDetails,
        parent: QWidget | None = None,
        *,
        agents: Sequence[Agent],
        me: Agent,
    ) -> None:
        self._agents, self._me = list(agents), me
        super().__init__(dispatcher, service, details, parent)

    def _build_fields(self) -> None:
        me, current = self._me, self.details.summary.assignee_id
        self.agent = QComboBox()
        self.agent.addItem(UNASSIGNED, None)
        for agent in self._agents:
            mark = " (me)" if agent.id == me.id else ""
            self.agent.addItem(f"{agent.name}{mark} · {agent.role.value}", agent.id)
        # Start from who has it now ("Unassigned" when nobody does).
        self.agent.setCurrentIndex(max(0, self.agent.findData(current)) if current else 0)
        self.add_field("agent_id", "&Agent", self.agent)

    def done_message(self, summary: IncidentSummary) -> str:
        if summary.assignee_id is None:
            return f"{summary.number} unassigned."
        if summary.assignee_id == self._me.id:
            return f"{summary.number} assigned to you."
        name = next((a.name for a in self._agents if a.id == summary.assignee_id), "")
        return f"{summary.number} assigned to {name or 'another agent'}."

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        agent_id = self.agent.currentData()
        return lambda: service.assign(incident, str(agent_id) if agent_id else None)
