"""The policy editor: a lead or admin edits the support policy; every save is a new version.

Agents open it too, read-only, with a note saying who may edit. The escalation contacts tab
edits records of their own (saved at once, no new version); everything else is the policy
text, saved as a whole with the Save button.
"""

from __future__ import annotations

from dataclasses import dataclass

import qtawesome as qta
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain.explain import when
from console.domain.policy import Policy
from console.domain.records import EscalationContact, PolicyVersion
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.policy import reason_of
from console.services.validation import ValidationError
from console.ui.customers.common import warning_colour
from console.ui.forms import (
    FieldErrors,
    error_label,
    error_text,
    hint_label,
    if_alive,
    set_plain,
)
from console.ui.policy.escalation import EscalationLadder
from console.ui.policy.fields import PolicyFields
from console.ui.policy.save_dialog import SavePolicyDialog
from console.ui.policy.versions import PolicyVersionModel


@dataclass(frozen=True, slots=True)
class _PolicyData:
    version: PolicyVersion
    policy: Policy
    versions: list[PolicyVersion]
    contacts: list[EscalationContact]


def _scrolled(page: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(page)
    return area


class PolicyEditorDialog(QDialog):
    """Targets, cadences, thresholds, escalation contacts and the version history."""

    loaded = Signal()  # the current policy is in the fields (after every reload)
    policy_saved = Signal(object)  # PolicyVersion: a new version was stored

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._data: _PolicyData | None = None
        self._dirty = False
        self.busy = False
        self.editable = context.actor.role.may_edit_policy
        self.ladders: dict[int, EscalationLadder] = {}
        self.confirm_dialog: SavePolicyDialog | None = None  # the last save's question
        self._pending: Policy | None = None  # the checked fields waiting for that answer
        self.setWindowTitle("Support policy")
        self.resize(1100, 620)
        self._build()
        self._connect_signals()
        self._set_dirty(False)
        self.reload()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.heading = QLabel("<h2>Support policy</h2>")
        self.version_label = QLabel("Loading…")
        self.version_label.setObjectName("hint")
        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addSpacing(12)
        head.addWidget(self.version_label, 1, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(head)

        self.read_only_note = QWidget()
        note_layout = QHBoxLayout(self.read_only_note)
        note_layout.setContentsMargins(0, 0, 0, 0)
        colour = warning_colour().name()
        lock = QLabel()
        lock.setPixmap(qta.icon("mdi6.lock", color=colour).pixmap(20, 20))
        actor = self._context.actor
        self.read_only_text = QLabel(
            f"Read-only: only leads and admins may edit the support policy and the escalation "
            f"contacts. You are signed in as {actor.name} ({actor.role.value})."
        )
        self.read_only_text.setWordWrap(True)
        self.read_only_text.setStyleSheet(f"color: {colour};")
        note_layout.addWidget(lock, 0, Qt.AlignmentFlag.AlignTop)
        note_layout.addWidget(self.read_only_text, 1)
        self.read_only_note.setVisible(not self.editable)
        layout.addWidget(self.read_only_note)

        self.general_error = error_label()
        layout.addWidget(self.general_error)
        self.fields = PolicyFields(self.general_error, self)

        self.tabs = QTabWidget()
        self.tabs.addTab(_scrolled(self.fields.targets_page), "Response targets")
        self.tabs.addTab(_scrolled(self.fields.cadences_page), "Status updates")
        self.tabs.addTab(_scrolled(self.fields.thresholds_page), "Thresholds")
        self.escalation_page = QWidget()
        escalation_layout = QVBoxLayout(self.escalation_page)
        escalation_layout.addWidget(
            hint_label(
                "The vendor-side people to contact at each escalation level, in order. "
                "Changes here are saved at once and make no new policy version."
            )
        )
        self.tabs.addTab(_scrolled(self.escalation_page), "Escalation contacts")
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.addWidget(
            hint_label(
                "Every save keeps the earlier versions: an incident's clocks follow the version "
                "that was current when it was opened."
            )
        )
        self.versions = PolicyVersionModel(self._context.agent_zone, self)
        self.versions_table = QTableView()
        self.versions_table.setModel(self.versions)
        self.versions_table.verticalHeader().hide()
        self.versions_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.versions_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.versions_table.setAlternatingRowColors(True)
        heads = self.versions_table.horizontalHeader()
        heads.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        heads.setStretchLastSection(True)
        history_layout.addWidget(self.versions_table, 1)
        self.tabs.addTab(history, "Version history")
        layout.addWidget(self.tabs, 1)

        buttons = QDialogButtonBox()
        self.save_button = QPushButton(qta.icon("mdi6.content-save"), "Save as new version")
        self.revert_button = QPushButton(qta.icon("mdi6.undo-variant"), "Revert")
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ApplyRole)
        buttons.addButton(self.revert_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.save_button.setVisible(self.editable)
        self.revert_button.setVisible(self.editable)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _connect_signals(self) -> None:
        self.fields.changed.connect(self._on_fields_changed)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self._on_revert_button_clicked)

    def _build_ladders(self, data: _PolicyData) -> None:
        layout = self.escalation_page.layout()
        assert layout is not None
        for level in data.policy.escalation_levels:
            if level.level in self.ladders:
                continue
            group = QGroupBox(f"Escalation {level.level} — {level.role}")
            group_layout = QVBoxLayout(group)
            ladder = EscalationLadder(
                level, self._context.policy, self._dispatcher, self.editable, group
            )
            group_layout.addWidget(ladder)
            layout.addWidget(group)
            self.ladders[level.level] = ladder
        if isinstance(layout, QVBoxLayout):
            layout.addStretch(1)

    # -- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        service = self._context.policy

        def read() -> _PolicyData:
            version, policy = service.current()
            return _PolicyData(version, policy, service.versions(), service.escalation_contacts())

        self.busy = True
        self._dispatcher.submit(
            read, if_alive(self, self._on_loaded), if_alive(self, self._on_failed)
        )

    def _on_loaded(self, data: _PolicyData) -> None:
        self.busy = False
        self._data = data
        self.fields.load(data.policy)
        self.fields.set_editable(self.editable)
        self._build_ladders(data)
        for ladder in self.ladders.values():
            ladder.set_contacts(data.contacts)
        self.versions.set_versions(data.versions)
        version = data.version
        reason = reason_of(version)
        set_plain(  # the author's name and reason as typed
            self.version_label,
            f"Version {version.version}, saved by {version.author} on "
            f"{when(version.created_at, self._context.agent_zone)}"
            + (f" · {reason}" if reason else ""),
        )
        self.errors.clear()
        self._set_dirty(False)
        self.loaded.emit()

    def _on_failed(self, error: Exception) -> None:
        self.busy = False
        self.errors.show_exception(error)
        self._set_dirty(self._dirty)

    # -- saving ------------------------------------------------------------------------------

    @property
    def errors(self) -> FieldErrors:
        """The per-field messages of the form (rebuilt with the grids if plans change)."""
        return self.fields.errors

    def _reveal_first_error(self) -> None:
        """Bring the tab with the first invalid field to the front, and focus the field."""
        widget = self.fields.first_invalid()
        if widget is None:
            return
        for index in range(self.tabs.count()):
            page = self.tabs.widget(index)
            if page is not None and page.isAncestorOf(widget):
                self.tabs.setCurrentIndex(index)
                widget.setFocus()
                return

    @property
    def dirty(self) -> bool:
        return self._dirty

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        self.save_button.setEnabled(self.editable and dirty and not self.busy)
        self.revert_button.setEnabled(self.editable and dirty and not self.busy)

    @Slot()
    def _on_fields_changed(self) -> None:
        self._set_dirty(True)

    @Slot()
    def _on_revert_button_clicked(self) -> None:
        if self._data is not None:
            self.fields.load(self._data.policy)
            self.fields.set_editable(self.editable)
            self.errors.clear()
            self._set_dirty(False)

    @Slot()
    def save(self) -> None:
        """Check the fields, then ask for confirmation and a reason before storing them as a
        new policy version (an agent is refused by the service, without the question)."""
        if self.busy or self._data is None:
            return
        try:
            policy = self.fields.policy()
        except ValidationError as exc:
            self.errors.show(exc.errors)
            self._reveal_first_error()
            return
        if not self.editable or policy.to_toml() == self._data.policy.to_toml():
            self._store(policy, "")  # refused, or "nothing changed": no question to ask
            return
        if self.confirm_dialog is not None:
            self.confirm_dialog.deleteLater()
        dialog = SavePolicyDialog(self._data.version.version + 1, self)
        dialog.accepted.connect(self._on_confirm_dialog_accepted)
        self.confirm_dialog = dialog
        self._pending = policy
        dialog.open()

    @Slot()
    def _on_confirm_dialog_accepted(self) -> None:
        policy, self._pending = self._pending, None
        if policy is not None and self.confirm_dialog is not None:
            self._store(policy, self.confirm_dialog.value())

    def _store(self, policy: Policy, reason: str) -> None:
        if self.busy or self._data is None:
            return
        service, current = self._context.policy, self._data.version.version
        self.busy = True
        self._set_dirty(self._dirty)
        self.errors.clear()
        self._dispatcher.submit(
            lambda: service.save_policy(policy, reason),
            if_alive(self, lambda version: self._on_saved(version, current)),
            if_alive(self, self._on_save_failed),
        )

    def _on_saved(self, version: PolicyVersion, previous: int) -> None:
        self.busy = False
        if version.version == previous:
            self._set_dirty(False)
            self.errors.show_general(f"Nothing changed: the policy is still version {previous}.")
            return
        self.policy_saved.emit(version)
        self.reload()

    def _on_save_failed(self, error: Exception) -> None:
        self.busy = False
        if isinstance(error, ValidationError):
            self.errors.show(self.fields.service_errors(error))
            self._reveal_first_error()
        else:
            self.errors.show_general(error_text(error))
        self._set_dirty(self._dirty)
