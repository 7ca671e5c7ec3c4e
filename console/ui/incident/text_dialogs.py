"""Actions that take one text and hand it to one use case: wait, resume, note, resolve, reopen."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from console.domain.records import IncidentSummary
from console.services.incidents import IncidentService
from console.ui.incident.action_dialog import ActionDialog, Call, text_box


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
