"""The small dialogs behind the detail view's actions: collect, confirm, run, report.

Each dialog collects what its service call needs, asks for confirmation first where the step
cannot be undone, and runs the call through the Dispatcher. A ``ValidationError`` puts its
messages under the fields and keeps the dialog open (nothing was saved); success emits
``completed`` with the new summary and closes the dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any, ClassVar

import qtawesome as qta
import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.clock_model import IncidentClocks
from console.domain.events import Channel, Side, UpdateChannel
from console.domain.explain import when
from console.domain.records import Agent, IncidentSummary, Status
from console.qt.worker import Dispatcher
from console.services.incidents import IncidentDetails, IncidentService
from console.ui.forms import FieldErrors, error_label, with_error

Call = Callable[[], IncidentSummary]


def _text(placeholder: str, lines: int = 4) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("hint")
    return label


def contact_email(details: IncidentDetails) -> str:
    contact = details.contact
    return contact.emails[0] if contact is not None and contact.emails else ""


def designated_emails(details: IncidentDetails) -> list[str]:
    """The customer's designated addresses: the support list in order, then the CSM."""
    addresses: list[str] = []
    customer = details.customer
    if customer is not None:
        for contact in customer.contacts:
            addresses += [e for e in contact.emails if e not in addresses]
        if customer.csm_email and customer.csm_email not in addresses:
            addresses.append(customer.csm_email)
    return addresses


class ActionDialog(QDialog):
    """One action on one incident. Subclasses add fields and say which call to make."""

    completed = Signal(object)  # IncidentSummary

    title = ""
    intro = ""
    ok_text = "Save"
    ok_icon = "mdi6.check"
    confirm_button = ""  # set for steps that cannot be undone: they ask first

    def __init__(
        self,
        dispatcher: Dispatcher,
        service: IncidentService,
        details: IncidentDetails,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{self.title} · {details.summary.number}")
        self.setMinimumWidth(520)
        self._dispatcher = dispatcher
        self._service = service
        self.details = details
        self.incident_id = details.summary.id
        self.busy = False
        self.confirmation: QMessageBox | None = None
        self._confirm_yes: QAbstractButton | None = None
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{details.summary.number}</b> · {details.summary.title}")
        heading.setTextFormat(Qt.TextFormat.RichText)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        if self.intro:
            layout.addWidget(_hint(self.intro))
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.general_error = error_label()
        layout.addWidget(self.general_error)
        self.errors = FieldErrors(self.general_error)
        self.buttons = QDialogButtonBox()
        accept = QDialogButtonBox.ButtonRole.AcceptRole
        self.ok_button = self.buttons.addButton(self.ok_text, accept)
        self.ok_button.setIcon(qta.icon(self.ok_icon))
        self.ok_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self._build_fields()

    def _build_fields(self) -> None:
        """Subclasses add their fields here."""

    def confirm_text(self) -> str:
        """The question asked before a step that cannot be undone."""
        return ""

    def add_field(self, key: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        box, error = with_error(widget, _hint(hint) if hint else None)
        self.form.addRow(label, box)
        self.errors.add(key, widget, error)
        return box

    def call(self) -> Call:
        raise NotImplementedError

    # -- running -----------------------------------------------------------------------------

    @Slot()
    def submit(self) -> None:
        if self.busy:
            return
        if self.confirm_button:
            self._ask_confirmation()
        else:
            self._run()

    def _ask_confirmation(self) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.windowTitle())
        box.setText(self.confirm_text())
        box.setInformativeText("This cannot be undone.")
        self._confirm_yes = box.addButton(self.confirm_button, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(self._on_confirmation_button_clicked)
        self.confirmation = box
        box.open()

    def confirm(self) -> None:
        """Answer the open confirmation with yes (what the confirm button does)."""
        if self._confirm_yes is not None:
            self._confirm_yes.click()

    @Slot(QAbstractButton)
    def _on_confirmation_button_clicked(self, button: QAbstractButton) -> None:
        confirmed = button is self._confirm_yes
        self.confirmation = None
        self._confirm_yes = None
        if confirmed:
            self._run()

    def _run(self) -> None:
        self.errors.clear()
        self._set_busy(True)
        self._dispatcher.submit(
            self.call(), self._if_alive(self._on_done), self._if_alive(self._on_failed)
        )

    def _if_alive(self, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        """A job's callback that is dropped if the dialog was deleted meanwhile."""

        def call(value: Any) -> None:
            if shiboken6.isValid(self):
                fn(value)

        return call

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.ok_button.setEnabled(not busy)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)

    def _on_done(self, summary: IncidentSummary) -> None:
        self._set_busy(False)
        self.completed.emit(summary)
        self.accept()

    def _on_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.errors.show_exception(error)

    def reject(self) -> None:
        if not self.busy:  # a save under way finishes first
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
        else:
            super().closeEvent(event)


class RespondDialog(ActionDialog):
    title = "Respond"
    intro = (
        "A response to the customer. The first one meets the first-response target; a "
        "response also stops the clock of the current escalation level."
    )
    ok_text = "Send response"
    ok_icon = "mdi6.reply"

    def _build_fields(self) -> None:
        self.channel = QComboBox()
        for channel, label in _RESPONSE_CHANNELS:
            self.channel.addItem(label, channel.value)
        self.recipient = QComboBox()
        self.recipient.setEditable(True)
        self.recipient.addItems(designated_emails(self.details))
        self.recipient.setCurrentText(contact_email(self.details))
        self.text = _text("What you told the customer")
        self.add_field("channel", "&Channel", self.channel)
        self.add_field("recipient", "&To", self.recipient, "Defaults to the reporting contact.")
        self.add_field("text", "&Response", self.text)
        self.text.setFocus()

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        text, channel = self.text.toPlainText(), str(self.channel.currentData())
        recipient = self.recipient.currentText()
        return lambda: service.respond(incident, text, channel, recipient)


_RESPONSE_CHANNELS = (
    (Channel.EMAIL, "Email"),
    (Channel.PHONE, "Phone"),
    (Channel.WEB, "Web portal"),
)


class StatusUpdateDialog(ActionDialog):
    title = "Post a status update"
    intro = (
        "Status updates go out on the status page or to one of the customer's designated "
        "email contacts; each is recorded with its channel and recipient."
    )
    ok_text = "Post update"
    ok_icon = "mdi6.bullhorn-outline"

    def _build_fields(self) -> None:
        self.email = QRadioButton("Email to a designated contact")
        self.status_page = QRadioButton("Status page")
        self.channel_group = QButtonGroup(self)
        self.channel_group.addButton(self.email)
        self.channel_group.addButton(self.status_page)
        self.email.setChecked(True)
        self.recipient = QComboBox()
        self.recipient.setEditable(True)
        self.recipient.addItems(designated_emails(self.details))
        self.recipient.setCurrentText(contact_email(self.details))
        self.text = _text("Where things stand and when the next update comes")
        self.add_field("channel", "&Channel", _stack(self.email, self.status_page))
        self.add_field(
            "recipient", "&To", self.recipient, "The reporting contact unless you choose another."
        )
        self.add_field("text", "&Update", self.text)
        self.email.toggled.connect(self.recipient.setEnabled)
        self.text.setFocus()

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        by_email = self.email.isChecked()
        channel = UpdateChannel.EMAIL if by_email else UpdateChannel.STATUS_PAGE
        recipient = self.recipient.currentText() if by_email else ""
        text = self.text.toPlainText()
        return lambda: service.post_status_update(incident, channel, recipient, text)


def _stack(*widgets: QWidget) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        column.addWidget(widget)
    return box


class PriorityDialog(ActionDialog):
    title = "Change the priority"
    intro = (
        "Before the first response the first-response clock restarts now with the new "
        "priority's target; after it, only the status-update cadence changes."
    )
    ok_text = "Change priority"
    ok_icon = "mdi6.swap-vertical"

    def _build_fields(self) -> None:
        policy, current = self.details.policy, self.details.clocks.priority
        self.priority = QComboBox()
        for info in policy.priorities:
            mark = " (current)" if info.id == current else ""
            self.priority.addItem(f"{info.id} · {info.label}{mark}", info.id)
            self.priority.setItemData(
                self.priority.count() - 1, info.definition, Qt.ItemDataRole.ToolTipRole
            )
        others = [i for i in range(self.priority.count()) if self.priority.itemData(i) != current]
        self.priority.setCurrentIndex(others[0] if others else 0)
        self.definition = _hint("")
        self.vendor = QRadioButton("The vendor classifies it (triage)")
        self.customer = QRadioButton("The customer asks for it")
        self.side_group = QButtonGroup(self)
        self.side_group.addButton(self.vendor)
        self.side_group.addButton(self.customer)
        self.vendor.setChecked(True)
        self.reason = _text("Why the priority changes", lines=3)
        self.add_field("priority", "&Priority", self.priority)
        self.form.addRow("", self.definition)
        self.add_field("side", "Who", _stack(self.vendor, self.customer))
        self.add_field("reason", "&Reason", self.reason)
        self.priority.currentIndexChanged.connect(self._on_priority_changed)
        self._on_priority_changed()

    @Slot()
    def _on_priority_changed(self) -> None:
        text = self.priority.currentData(Qt.ItemDataRole.ToolTipRole)
        self.definition.setText(str(text or ""))

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

    def _build_fields(self) -> None:
        policy, current = self.details.policy, self.details.clocks.escalation_level
        self.level = QComboBox()
        for level in policy.escalation_levels:
            self.level.addItem(f"Escalation {level.level} · {level.role}", level.level)
            self.level.setItemData(
                self.level.count() - 1, level.description, Qt.ItemDataRole.ToolTipRole
            )
        self.level.setCurrentIndex(max(0, self.level.findData(current + 1)))
        self.reason = _text("What the customer said (optional)", lines=3)
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

    def _build_fields(self) -> None:
        self.reasons = QButtonGroup(self)
        self.reason_buttons: dict[str, QRadioButton] = {}
        for reason in self.details.policy.exclusions:
            button = QRadioButton(f"({reason.code}) {reason.text}")
            button.setToolTip(reason.text)
            self.reasons.addButton(button)
            self.reason_buttons[reason.code] = button
        self.text = _text("How the incident arose from this cause", lines=3)
        self.add_field("reason", "&Reason", _stack(*self.reason_buttons.values()))
        self.setMinimumWidth(820)  # the policy's reasons are long: show them whole
        self.add_field("text", "&Explanation", self.text)

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
        return lambda: service.exclude(incident, code, text)


class _TextDialog(ActionDialog):
    """An action that takes one text and hands it to one use case."""

    use_case: ClassVar[Callable[[IncidentService, str, str], IncidentSummary]]
    field_key = "text"
    field_label = "&Note"
    placeholder = ""
    lines = 4

    def _build_fields(self) -> None:
        self.text = _text(self.placeholder, self.lines)
        self.add_field(self.field_key, self.field_label, self.text)
        self.text.setFocus()

    def value(self) -> str:
        return self.text.toPlainText()

    def call(self) -> Call:
        use_case = type(self).use_case
        service, incident, text = self._service, self.incident_id, self.value()
        return lambda: use_case(service, incident, text)


class WaitDialog(_TextDialog):
    use_case = IncidentService.wait_on_customer
    title = "Wait on the customer"
    intro = (
        "The status-update clock pauses until the customer answers; the first-response "
        "clock does not."
    )
    ok_text = "Wait on customer"
    ok_icon = "mdi6.pause-circle-outline"
    placeholder = "What you asked the customer for (optional)"
    lines = 3


class ResumeDialog(_TextDialog):
    use_case = IncidentService.resume
    title = "Resume"
    intro = "The customer answered: the status-update clock carries on with the time it had left."
    ok_text = "Resume"
    ok_icon = "mdi6.play-circle-outline"
    placeholder = "What the customer sent (optional)"
    lines = 3


class NoteDialog(_TextDialog):
    use_case = IncidentService.note
    title = "Add an internal note"
    intro = "Notes are for the team: the customer does not see them."
    ok_text = "Add note"
    ok_icon = "mdi6.note-text-outline"
    placeholder = "What the next agent should know"


class ResolveDialog(_TextDialog):
    use_case = IncidentService.resolve
    title = "Resolve"
    intro = "Record what fixed the incident; its clocks stop."
    ok_text = "Resolve…"
    ok_icon = "mdi6.check-circle-outline"
    confirm_button = "Resolve"
    field_label = "&Resolution"
    placeholder = "What fixed it, and how the customer confirmed"

    def confirm_text(self) -> str:
        return (
            f"Resolve {self.details.summary.number}? Its clocks stop now and the resolution "
            "is recorded for good; reopening later starts a new status-update clock."
        )


class ReopenDialog(_TextDialog):
    use_case = IncidentService.reopen
    title = "Reopen"
    intro = "The incident becomes open again and a status-update clock starts from now."
    ok_text = "Reopen"
    ok_icon = "mdi6.restore"
    field_key = "reason"
    field_label = "&Reason"
    placeholder = "Why the incident is open again"
    lines = 3


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
        self.agent.addItem("Nobody (unassigned)", None)
        for agent in self._agents:
            mark = " (me)" if agent.id == me.id else ""
            self.agent.addItem(f"{agent.name}{mark} · {agent.role.value}", agent.id)
        preferred = me.id if current != me.id else current
        self.agent.setCurrentIndex(max(0, self.agent.findData(preferred)))
        self.add_field("agent_id", "&Agent", self.agent)

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        agent_id = self.agent.currentData()
        return lambda: service.assign(incident, str(agent_id) if agent_id else None)


# -- which actions the incident's state allows --------------------------------------------------

ACTIONS: tuple[tuple[str, str, str], ...] = (
    # (method on the detail view, button text, icon)
    ("respond", "Respond", "mdi6.reply"),
    ("post_update", "Post update", "mdi6.bullhorn-outline"),
    ("assign", "Assign", "mdi6.account-arrow-right-outline"),
    ("add_note", "Note", "mdi6.note-text-outline"),
    ("change_priority", "Priority", "mdi6.swap-vertical"),
    ("wait_on_customer", "Wait on customer", "mdi6.pause-circle-outline"),
    ("resume", "Resume", "mdi6.play-circle-outline"),
    ("escalate", "Escalate", "mdi6.arrow-up-bold-circle-outline"),
    ("exclude", "Exclude", "mdi6.cancel"),
    ("resolve", "Resolve", "mdi6.check-circle-outline"),
    ("reopen", "Reopen", "mdi6.restore"),
)


def unavailable(details: IncidentDetails, clocks: IncidentClocks, zone: tzinfo) -> dict[str, str]:
    """For each action, why it is not allowed now ("" when it is), as the service decides."""
    status = clocks.status
    active = status in (Status.OPEN, Status.WAITING_ON_CUSTOMER)
    closed = "" if active else f"The incident is {_STATUS_WORDS[status]}: reopen it first."
    waiting = status is Status.WAITING_ON_CUSTOMER
    return {
        "respond": closed,
        "post_update": closed
        or (
            "Respond first: status updates are owed only after the first response."
            if clocks.responded_at is None
            else ""
        ),
        "assign": "",
        "add_note": "",
        "change_priority": closed,
        "wait_on_customer": closed
        or ("The incident is already waiting on the customer." if waiting else ""),
        "resume": "" if waiting else "The incident is not waiting on the customer.",
        "escalate": closed or _escalation_block(details, clocks, zone),
        "exclude": closed,
        "resolve": closed,
        "reopen": "The incident is open: there is nothing to reopen." if active else "",
    }


_STATUS_WORDS = {
    Status.OPEN: "open",
    Status.WAITING_ON_CUSTOMER: "waiting on the customer",
    Status.RESOLVED: "resolved",
    Status.EXCLUDED: "excluded",
}


def _escalation_block(details: IncidentDetails, clocks: IncidentClocks, zone: tzinfo) -> str:
    level, top = clocks.escalation_level, len(details.policy.escalation_levels)
    if level >= top:
        return f"The incident is at Escalation {level}, the highest level."
    following = level + 1
    since = dict(clocks.eligibility).get(following)
    if since is not None and since <= clocks.now:
        return ""
    watched = clocks.first_response if following == 1 else clocks.escalation_1
    what = "the report" if following == 1 else "Escalation 1"
    if since is not None:
        return (
            f"Escalation {following} becomes available at {when(since, zone)} if the vendor "
            f"has not responded to {what} by then."
        )
    if watched.is_live and watched.deadline is not None:
        return (
            f"Escalation {following} becomes available at {when(watched.deadline, zone)} if "
            f"the vendor has not responded to {what} by then."
        )
    return (
        f"Escalation {following} is not available: the vendor responded to {what} within "
        "the target."
    )


def escalation_note(clocks: IncidentClocks, zone: tzinfo) -> str:
    """Since when the incident may be escalated, for the escalate button's tooltip."""
    since = dict(clocks.eligibility).get(clocks.escalation_level + 1)
    if since is None or since > clocks.now:
        return ""
    return f"Eligible for Escalation {clocks.escalation_level + 1} since {when(since, zone)}."
