"""Actions that take one text and hand it to one use case: wait, resume, note, resolve, reopen.

Resolve also offers a resolution message to the customer while a response is still owed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QButtonGroup, QLabel, QRadioButton

from console.domain.records import IncidentSummary
from console.services.action_rules import unanswered, unanswered_names
from console.services.incidents import CustomerMessage, IncidentService
from console.ui.incident.action_dialog import ActionDialog, Call, text_box
from console.ui.incident.respond_dialogs import recipient_box, response_channel_box


class _TextDialog(ActionDialog):
    """An action that takes one text and hands it to one use case."""

    use_case: ClassVar[Callable[[IncidentService, str, str], IncidentSummary]]
    field_key = "text"
    field_label = "&Note"
    placeholder = ""
    lines = 4

    def _build_fields(self) -> None:
        self.text = text_box(self.placeholder, self.lines)
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
    done_text = "is waiting on the customer"
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
    done_text = "resumed"
    title = "Resume"
    intro = "The customer answered: the status-update clock carries on with the time it had left."
    ok_text = "Resume"
    ok_icon = "mdi6.play-circle-outline"
    placeholder = "What the customer sent (optional)"
    lines = 3


class NoteDialog(_TextDialog):
    use_case = IncidentService.note
    done_text = ": note added"
    title = "Add an internal note"
    intro = "Notes are for the team: the customer does not see them."
    ok_text = "Add note"
    ok_icon = "mdi6.note-text-outline"
    placeholder = "What the next agent should know"


class ResolveDialog(_TextDialog):
    """Resolve; while a response is still owed, offer to send a resolution message with it.

    Resolving is not a response (DESIGN §3). When the incident has had no response (or
    the current escalation level's has none), the dialog says so and asks for a message to
    the customer, on the channel and to the recipient a Respond would use, recorded as
    the response; or, chosen plainly, to resolve without one and have it count as missed.
    """

    use_case = IncidentService.resolve
    done_text = "resolved"
    title = "Resolve"
    intro = "Record what fixed the incident; its clocks stop."
    ok_text = "Resolve…"
    ok_icon = "mdi6.check-circle-outline"
    confirm_button = "Resolve"
    field_label = "&Resolution"
    placeholder = "What fixed it, and how the customer confirmed"

    def _build_fields(self) -> None:
        super()._build_fields()
        clocks = self.details.clocks
        self.owed = bool(unanswered(clocks))
        self.missed_names = unanswered_names(clocks)
        if not self.owed:
            return
        if clocks.first_response.is_live:
            notice = "No response has been sent to the customer yet."
        else:
            notice = (
                "No response has been sent to the customer since they escalated to "
                f"Escalation {clocks.escalation_level}."
            )
        self.notice = QLabel(notice)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        font = self.notice.font()
        font.setBold(True)
        self.notice.setFont(font)
        self.send_message = QRadioButton(
            "&Send a resolution message to the customer: it is recorded as the response"
        )
        self.without_message = QRadioButton(
            f"Resolve &without a message — {self.missed_names} will count as missed"
        )
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.send_message)
        self.choice.addButton(self.without_message)
        self.send_message.setChecked(True)
        self.channel = response_channel_box()
        self.recipient = recipient_box(self.details)
        self.message = text_box("What you tell the customer: the fix, and what they can check")
        self.form.addRow(self.notice)
        self.form.addRow(self.send_message)
        self.message_fields = [
            self.add_field("channel", "&Channel", self.channel),
            self.add_field(
                "recipient", "&To", self.recipient, "Defaults to the reporting contact."
            ),
            self.add_field("message", "&Message", self.message),
        ]
        self.form.addRow(self.without_message)
        self.send_message.toggled.connect(self._on_choice)

    @Slot(bool)
    def _on_choice(self, sending: bool) -> None:
        for box in self.message_fields:
            box.setEnabled(sending)
            label = self.form.labelForField(box)
            if label is not None:
                label.setEnabled(sending)

    @property
    def sends_message(self) -> bool:
        return self.owed and self.send_message.isChecked()

    def confirm_text(self) -> str:
        number = self.details.summary.number
        stop = (
            "Its clocks stop now and the resolution is recorded for good; reopening later "
            "starts a new status-update clock."
        )
        if self.sends_message:
            to = self.recipient.currentText().strip() or "the reporting contact"
            how = self.channel.currentText()
            return (
                f"Resolve {number} and send the resolution message to {to} ({how})? It is "
                f"recorded as the response. {stop}"
            )
        if self.owed:
            missed = self.missed_names[:1].upper() + self.missed_names[1:]
            return (
                f"Resolve {number} without a message to the customer? {missed} will count "
                f"as missed. {stop}"
            )
        return f"Resolve {number}? {stop}"

    def _ask_confirmation(self) -> None:
        super()._ask_confirmation()
        if self.confirmation is not None:  # it names the recipient the agent typed
            self.confirmation.setTextFormat(Qt.TextFormat.PlainText)

    def call(self) -> Call:
        service, incident, text = self._service, self.incident_id, self.value()
        message: CustomerMessage | None = None
        if self.sends_message:
            message = CustomerMessage(
                self.message.toPlainText(),
                str(self.channel.currentData()),
                self.recipient.currentText(),
            )
        return lambda: service.resolve(incident, text, message)


class ReopenDialog(_TextDialog):
    use_case = IncidentService.reopen
    done_text = "reopened"
    title = "Reopen"
    intro = "The incident becomes open again and a status-update clock starts from now."
    ok_text = "Reopen"
    ok_icon = "mdi6.restore"
    field_key = "reason"
    field_label = "&Reason"
    placeholder = "Why the incident is open again"
    lines = 3
