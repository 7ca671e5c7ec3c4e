"""The base of the detail view's action dialogs: collect, confirm, run, report.

Each dialog collects what its service call needs, asks for confirmation first where the step
cannot be undone, and runs the call through the Dispatcher. A ``ValidationError`` puts its
messages under the fields and keeps the dialog open (nothing was saved); success emits
``completed`` with the new summary and closes the dialog. Whether an action may be taken at
all is the service's decision (``console.services.action_rules``); the concrete dialogs live
in ``respond_dialogs``, ``change_dialogs`` and ``text_dialogs``.
"""

from __future__ import annotations

from collections.abc import Callable

import qtawesome as qta
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import IncidentSummary
from console.qt.worker import Dispatcher
from console.services.action_rules import Action
from console.services.incidents import IncidentDetails, IncidentService
from console.ui.forms import (
    FieldErrors,
    error_label,
    esc,
    hint_label,
    if_alive,
    set_markup,
    submit_on_ctrl_enter,
    with_error,
)

Call = Callable[[], IncidentSummary]

ACTIONS: tuple[tuple[str, str, str], ...] = (
    # (the action, which names the detail view's slot; button text; icon)
    (Action.RESPOND, "Respond", "mdi6.reply"),
    (Action.POST_UPDATE, "Post update", "mdi6.bullhorn-outline"),
    (Action.ASSIGN, "Assign", "mdi6.account-arrow-right-outline"),
    (Action.NOTE, "Note", "mdi6.note-text-outline"),
    (Action.CHANGE_PRIORITY, "Priority", "mdi6.swap-vertical"),
    (Action.WAIT_ON_CUSTOMER, "Wait on customer", "mdi6.pause-circle-outline"),
    (Action.RESUME, "Resume", "mdi6.play-circle-outline"),
    (Action.ESCALATE, "Escalate", "mdi6.arrow-up-bold-circle-outline"),
    (Action.EXCLUDE, "Exclude", "mdi6.cancel"),
    (Action.RESOLVE, "Resolve", "mdi6.check-circle-outline"),
    (Action.REOPEN, "Reopen", "mdi6.restore"),
)


def text_box(placeholder: str, lines: int = 4) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


def stack(*widgets: QWidget) -> QWidget:
    """Widgets one under the other, as one form field (a group of radio buttons)."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        column.addWidget(widget)
    return box


class ActionDialog(QDialog):
    """One action on one incident. Subclasses add fields and say which call to make."""

    completed = Signal(object)  # IncidentSummary

    title = ""
    intro = ""
    ok_text = "Save"
    ok_icon = "mdi6.check"
    confirm_button = ""  # set for steps that cannot be undone: they ask first
    done_text = "updated"  # what happened, for the status bar: "INC-… resolved."

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
        summary = details.summary
        heading = QLabel()
        set_markup(heading, f"<b>{esc(summary.number)}</b> · {esc(summary.title)}")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.intro_label = hint_label(self.intro)
        self.intro_label.setVisible(bool(self.intro))
        layout.addWidget(self.intro_label)
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
        submit_on_ctrl_enter(self, self.ok_button)
        self._build_fields()

    def _build_fields(self) -> None:
        """Subclasses add their fields here."""

    def confirm_text(self) -> str:
        """The question asked before a step that cannot be undone."""
        return ""

    def add_field(self, key: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        box, error = with_error(widget, hint_label(hint) if hint else None)
        self.form.addRow(label, box)
        self.errors.add(key, widget, error)
        return box

    def call(self) -> Call:
        raise NotImplementedError

    def done_message(self, summary: IncidentSummary) -> str:
        """What the status bar says once the action is saved: "INC-2026-0042 resolved."."""
        gap = "" if self.done_text.startswith(":") else " "
        return f"{summary.number}{gap}{self.done_text}."

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
        box.setTextFormat(Qt.TextFormat.PlainText)  # names a recipient, a reason, as typed
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
            self.call(), if_alive(self, self._on_done), if_alive(self, self._on_failed)
        )

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


class ActionDialogHost:
    """What a screen showing one incident needs to run its action dialogs, one at a time:
    the queue's detail and History's detail both mix it in before their QWidget base.

    The host keeps ``details`` (the incident shown), ``blocked`` (action → the reason it is
    refused now), ``banner`` (a label for that reason) and ``dialog`` (the one open, if
    any), and answers a finished action in ``_on_dialog_completed``.
    """

    details: IncidentDetails | None
    blocked: dict[str, str]
    banner: QLabel
    dialog: ActionDialog | None

    def _on_dialog_completed(self, summary: object) -> None:
        raise NotImplementedError

    def _open(
        self, name: str, make: Callable[[IncidentDetails], ActionDialog]
    ) -> ActionDialog | None:
        """Open ``make``'s dialog for action ``name``: the reason instead when the action is
        refused now, the dialog already open instead of a second one."""
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

    def _on_dialog_finished(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
