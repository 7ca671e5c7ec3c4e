"""Take it (assign to me) and Unassign: one step, no dialog.

Both are undone the same way they are done, so nothing asks first. The use case decides
(``IncidentService.assign``); a refusal ("already yours") comes back as ``refused``.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Signal

from console.domain.records import Agent, IncidentSummary
from console.qt.worker import Dispatcher
from console.services.incidents import IncidentService
from console.ui.forms import error_text

TAKE_KEYS = "Ctrl+T"


class QuickAssign(QObject):
    assigned = Signal(object)  # IncidentSummary, after the change was saved
    said = Signal(str)  # what happened, for the status bar
    refused = Signal(str)  # why nothing changed

    def __init__(
        self,
        dispatcher: Dispatcher,
        service: IncidentService,
        me: Agent,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._dispatcher = dispatcher
        self._service = service
        self._me = me

    def take(self, incident_id: str) -> None:
        """Assign ``incident_id`` to the signed-in agent."""
        self._run(incident_id, self._me.id)

    def unassign(self, incident_id: str) -> None:
        self._run(incident_id, None)

    def _run(self, incident_id: str, agent_id: str | None) -> None:
        if not incident_id:
            self.refused.emit("Choose an incident first.")
            return
        service = self._service

        def done(summary: IncidentSummary) -> None:
            if shiboken6.isValid(self):
                mine = summary.assignee_id == self._me.id
                whose = "assigned to you" if mine else "unassigned"
                self.assigned.emit(summary)
                self.said.emit(f"{summary.number} {whose}.")

        def failed(error: Exception) -> None:
            if shiboken6.isValid(self):
                self.refused.emit(error_text(error))

        self._dispatcher.submit(lambda: service.assign(incident_id, agent_id), done, failed)
