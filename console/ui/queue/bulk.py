"""Acting on several selected incidents at once: the bulk bar, its dialogs, the result strip.

:class:`BulkRunner` hands one incident at a time to the :class:`Dispatcher`
(``console.services.bulk.apply_one``, which calls the ordinary use case), so the GUI thread
never waits and each incident is its own transaction. When the last one is done it says
what happened in one sentence ("Assigned 5 to you; 2 skipped: INC-… is resolved.") and,
where the action allows, :meth:`BulkRunner.undo` puts every changed incident back.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import qtawesome as qta
import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import Agent
from console.qt.worker import Dispatcher
from console.services.bulk import (
    BulkRequest,
    Outcome,
    apply_one,
    describe,
    describe_undo,
    undo_one,
)
from console.services.incidents import IncidentService
from console.ui.forms import (
    error_label,
    error_text,
    hint_label,
    plain_label,
    plain_tip,
    set_plain,
    submit_on_ctrl_enter,
)
from console.ui.incident.flow_layout import FlowLayout

__all__ = [
    "AgentChoiceDialog",
    "BulkBar",
    "BulkRunner",
    "BulkTextDialog",
    "PriorityChoiceDialog",
    "ResultStrip",
]


class BulkRunner(QObject):
    """Runs a :class:`BulkRequest` over incidents one at a time, off the GUI thread."""

    progressed = Signal(int, int)  # done so far, of how many
    changed = Signal(str)  # an incident was changed (or changed back): re-read its row
    finished = Signal(str)  # what happened, in words

    def __init__(
        self, dispatcher: Dispatcher, service: IncidentService, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._dispatcher = dispatcher
        self._service = service
        self._request: BulkRequest | None = None
        self._ids: list[str] = []
        self._outcomes: list[Outcome] = []
        self._undoing = False
        self._undo_from: list[Outcome] = []
        self.running = False
        self.can_undo = False

    def run(self, request: BulkRequest, incident_ids: Sequence[str]) -> None:
        if self.running or not incident_ids:
            return
        self._request, self._ids, self._outcomes = request, list(incident_ids), []
        self._undoing, self.running, self.can_undo = False, True, False
        self._next()

    def undo(self) -> None:
        """Put back every incident the last run changed (not for notes)."""
        request = self._request
        if self.running or not self.can_undo or request is None:
            return
        self._undo_from = [o for o in self._outcomes if o.changed]
        self._ids = [o.incident_id for o in self._undo_from]
        self._outcomes = []
        self._undoing, self.running, self.can_undo = True, True, False
        self._next()

    def _next(self) -> None:
        request = self._request
        assert request is not None
        index = len(self._outcomes)
        self.progressed.emit(index, len(self._ids))
        if index >= len(self._ids):
            self._finish(request)
            return
        incident_id = self._ids[index]
        if self._undoing:
            job = partial(undo_one, self._service, request, self._undo_from[index])
        else:
            job = partial(apply_one, self._service, request, incident_id)
        self._dispatcher.submit(
            job, self._on_done, partial(self._on_failed, incident_id, self._number(index))
        )

    def _number(self, index: int) -> str:
        if self._undoing:
            return self._undo_from[index].number
        return self._ids[index]

    def _on_done(self, outcome: Outcome) -> None:
        if not shiboken6.isValid(self):
            return
        self._outcomes.append(outcome)
        if outcome.changed:
            self.changed.emit(outcome.incident_id)
        self._next()

    def _on_failed(self, incident_id: str, number: str, error: Exception) -> None:
        if not shiboken6.isValid(self):
            return
        self._outcomes.append(Outcome(incident_id, number, False, f"{number}: {error_text(error)}"))
        self._next()

    def _finish(self, request: BulkRequest) -> None:
        self.running = False
        if self._undoing:
            self.finished.emit(describe_undo(self._outcomes))
            self._request = None
            return
        self.can_undo = request.kind.undoable and any(o.changed for o in self._outcomes)
        self.finished.emit(describe(request, self._outcomes))


def _button(text: str, icon: str, tip: str) -> QPushButton:
    button = QPushButton(qta.icon(icon), text)
    button.setToolTip(tip)
    return button


class BulkBar(QFrame):
    """Shown with two or more incidents selected: what can be done to all of them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queueBulkBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.count = plain_label()
        font = self.count.font()
        font.setBold(True)
        self.count.setFont(font)
        self.take = _button("Take them", "mdi6.account-arrow-left", "Assign them all to you")
        self.assign = _button("Assign to…", "mdi6.account-arrow-right-outline", "Choose an agent")
        self.unassign = _button("Unassign", "mdi6.account-remove-outline", "Nobody works them")
        self.priority = _button(
            "Change priority…", "mdi6.swap-vertical", "One priority and one reason for all"
        )
        self.wait = _button(
            "Wait on customer…", "mdi6.account-clock-outline", "Their clocks pause until resumed"
        )
        self.note = _button("Add a note…", "mdi6.note-plus-outline", "The same note on each")
        self.clear = _button("Clear selection", "mdi6.close", "Select just the current incident")
        self.clear.setFlat(True)
        # Level with the buttons beside it (the flow lays each item out at its top).
        self.count.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        self.count.setMinimumHeight(self.take.sizeHint().height())
        flow = FlowLayout(self, spacing=6)
        flow.setContentsMargins(8, 6, 8, 6)
        for widget in (
            self.count,
            self.take,
            self.assign,
            self.unassign,
            self.priority,
            self.wait,
            self.note,
            self.clear,
        ):
            flow.addWidget(widget)

    def buttons(self) -> tuple[QPushButton, ...]:
        return (self.take, self.assign, self.unassign, self.priority, self.wait, self.note)

    def set_count(self, count: int) -> None:
        set_plain(self.count, f"{count} selected")


class ResultStrip(QFrame):
    """What the last bulk action did, with Undo where it can be undone."""

    undo_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queueBulkResult")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = plain_label()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.undo = _button("Undo", "mdi6.undo", "Put back what this changed")
        self.undo.clicked.connect(self.undo_clicked)
        self.dismiss = QPushButton(qta.icon("mdi6.close"), "")
        self.dismiss.setFlat(True)
        self.dismiss.setToolTip("Dismiss")
        self.dismiss.setAccessibleName("Dismiss the result")
        self.dismiss.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.undo, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_progress(self, words: str) -> None:
        set_plain(self.text, words)
        self.undo.hide()
        self.dismiss.setEnabled(False)
        self.show()

    def show_result(self, words: str, undoable: bool) -> None:
        set_plain(self.text, words)
        self.undo.setVisible(undoable)
        self.undo.setEnabled(undoable)
        self.dismiss.setEnabled(True)
        self.show()


class _BulkDialog(QDialog):
    """A small form about the selection: OK is refused (with words) until it is filled."""

    def __init__(self, title: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.intro = hint_label(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        submit_on_ctrl_enter(self, self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def problem(self) -> str:
        return ""

    @Slot()
    def _on_ok(self) -> None:
        problem = self.problem()
        set_plain(self.error, problem)
        if not problem:
            self.accept()


class AgentChoiceDialog(_BulkDialog):
    def __init__(
        self, count: int, agents: Sequence[Agent], me: Agent, parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Assign {count} incidents", "Every selected incident goes to:", parent)
        self.agent = QComboBox()
        for agent in agents:
            mark = " (me)" if agent.id == me.id else ""
            self.agent.addItem(f"{agent.name}{mark} · {agent.role.value}", agent.id)
        self._names = {a.id: ("you" if a.id == me.id else a.name) for a in agents}
        self.form.addRow("&Agent", self.agent)
        self.ok_button.setText("Assign")

    def chosen(self) -> tuple[str, str]:
        agent_id = str(self.agent.currentData() or "")
        return agent_id, self._names.get(agent_id, "")

    def problem(self) -> str:
        return "" if self.agent.currentData() else "Choose an agent."


class PriorityChoiceDialog(_BulkDialog):
    """One priority and one reason for every selected incident: asked once, not per incident."""

    def __init__(
        self,
        count: int,
        priorities: Sequence[tuple[str, str, str]],  # id, label, definition
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            f"Change the priority of {count} incidents",
            "The same priority and reason go to each; those already at it are skipped.",
            parent,
        )
        self.priority = QComboBox()
        for pid, label, definition in priorities:
            self.priority.addItem(f"{pid} · {label}", pid)
            self.priority.setItemData(
                self.priority.count() - 1, plain_tip(definition), Qt.ItemDataRole.ToolTipRole
            )
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Why the priority changes")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.reason.fontMetrics().lineSpacing() * 3 + 16)
        self.form.addRow("&Priority", self.priority)
        self.form.addRow("&Reason", self.reason)
        self.ok_button.setText("Change priority")

    def problem(self) -> str:
        return "" if self.reason.toPlainText().strip() else "Say why the priority changes."


class BulkTextDialog(_BulkDialog):
    """The note for Add a note (required) or Wait on customer (optional)."""

    def __init__(
        self,
        title: str,
        intro: str,
        ok_text: str,
        *,
        required: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, intro, parent)
        self._required = required
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("The note" if required else "A note (optional)")
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 4 + 16)
        self.form.addRow("&Note", self.text)
        self.ok_button.setText(ok_text)

    def problem(self) -> str:
        if self._required and not self.text.toPlainText().strip():
            return "Write the note."
        return ""
