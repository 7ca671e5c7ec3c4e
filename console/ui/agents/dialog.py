"""Settings → Agents: add an agent, change a role, deactivate or reactivate; see who did what.

Everyone may look; only an admin changes anything (the service decides, and says why when it
refuses). Granting lead or admin asks for the person's passphrase, which the admin then tells
them; it is hashed by the service and never shown again. Names are people's text: every cell
and label shows them as plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, tzinfo

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import Agent, Role
from console.services.agents import AgentAccount, AgentService
from console.ui.forms import error_label, error_text, hint_label, plain_tip, set_plain

COLUMNS = ("Name", "Role", "E-mail", "Status", "Passphrase")


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)  # item text is never rich text
    item.setToolTip(plain_tip(text))
    return item


class AgentsDialog(QDialog):
    """The people registered on this database, and an admin's controls over their access."""

    agents_changed = Signal()

    def __init__(
        self, agents: AgentService, zone: tzinfo = UTC, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._agents = agents
        self._zone = zone
        self._accounts: list[AgentAccount] = []
        self.setWindowTitle("Agents")
        self.setMinimumSize(720, 520)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 2)

        self.read_only_note = hint_label(
            "Only an admin adds agents, grants lead or admin, or deactivates someone."
        )
        layout.addWidget(self.read_only_note)

        self.editor = QGroupBox("Add an agent, or change the selected one")
        form = QFormLayout(self.editor)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Full name (for a new agent)")
        self.email = QLineEdit()
        self.email.setPlaceholderText("Optional work e-mail (for a new agent)")
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role.value.capitalize(), role.value)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("Needed to grant lead or admin; tell it to them")
        form.addRow("Name", self.name)
        form.addRow("E-mail", self.email)
        form.addRow("Role", self.role)
        form.addRow("Passphrase", self.passphrase)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add agent")
        self.role_button = QPushButton("Change role of selected")
        self.deactivate_button = QPushButton("Deactivate selected")
        self.reactivate_button = QPushButton("Reactivate selected")
        for button in (
            self.add_button,
            self.role_button,
            self.deactivate_button,
            self.reactivate_button,
        ):
            buttons.addWidget(button)
        form.addRow(buttons)
        layout.addWidget(self.editor)
        self.message = error_label()
        layout.addWidget(self.message)
        self.done_note = hint_label()
        self.done_note.hide()
        layout.addWidget(self.done_note)

        layout.addWidget(hint_label("Changes to who may do what, oldest first:"))
        self.changes = QListWidget()
        self.changes.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        layout.addWidget(self.changes, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

        manage = agents.may_manage
        self.editor.setVisible(manage)
        self.read_only_note.setVisible(not manage)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.role_button.clicked.connect(self._on_role_clicked)
        self.deactivate_button.clicked.connect(self._on_deactivate_clicked)
        self.reactivate_button.clicked.connect(self._on_reactivate_clicked)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.role.currentIndexChanged.connect(self._on_selection_changed)
        self.reload()

    # -- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        selected = self.selected_account()
        self._accounts = self._agents.accounts()
        self.table.setRowCount(len(self._accounts))
        for row, account in enumerate(self._accounts):
            agent = account.agent
            for column, text in enumerate(
                (
                    agent.name,
                    agent.role.value,
                    agent.email,
                    "Active" if account.active else "Deactivated",
                    "Set" if account.has_passphrase else "—",
                )
            ):
                self.table.setItem(row, column, _cell(text))
            if selected is not None and agent.id == selected.agent.id:
                self.table.selectRow(row)
        names = {a.agent.id: a.agent.name for a in self._accounts}
        self.changes.clear()
        for change in self._agents.changes():
            when = change.at.astimezone(self._zone).strftime("%Y-%m-%d %H:%M %Z")
            whom = names.get(change.agent_id, change.agent_id)
            self.changes.addItem(
                f"{when} · {change.actor_name}: {whom} — {change.action} ({change.detail})"
            )
        self._on_selection_changed()

    def selected_account(self) -> AgentAccount | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self._accounts):
            return None
        return self._accounts[rows[0].row()]

    def select(self, agent_id: str) -> None:
        for row, account in enumerate(self._accounts):
            if account.agent.id == agent_id:
                self.table.selectRow(row)
                return

    # -- acting -----------------------------------------------------------------------------

    def _chosen_role(self) -> Role:
        return Role(str(self.role.currentData()))

    def _run(self, done: str, work: Callable[[], object]) -> object | None:
        """Do one change through the service; its refusal is shown in words, nothing else."""
        self.message.hide()
        self.done_note.hide()
        try:
            result = work()
        except (ValueError, PermissionError) as exc:  # ValidationError, NotAllowed
            set_plain(self.message, error_text(exc))
            self.message.show()
            return None
        self.passphrase.clear()
        self.reload()
        set_plain(self.done_note, done)
        self.done_note.show()
        self.agents_changed.emit()
        return result

    @Slot()
    def _on_add_clicked(self) -> None:
        name, role = self.name.text(), self._chosen_role()
        added = self._run(
            f"{name.strip()} added as {role.value}.",
            lambda: self._agents.register(name, role, self.email.text(), self.passphrase.text()),
        )
        if isinstance(added, Agent):
            self.name.clear()
            self.email.clear()
            self.select(added.id)

    @Slot()
    def _on_role_clicked(self) -> None:
        account = self.selected_account()
        if account is None:
            return
        role = self._chosen_role()
        self._run(
            f"{account.agent.name} is now {role.value}.",
            lambda: self._agents.change_role(account.agent.id, role, self.passphrase.text()),
        )

    @Slot()
    def _on_deactivate_clicked(self) -> None:
        account = self.selected_account()
        if account is not None:
            self._run(
                f"{account.agent.name} can no longer sign in.",
                lambda: self._agents.deactivate(account.agent.id),
            )

    @Slot()
    def _on_reactivate_clicked(self) -> None:
        account = self.selected_account()
        if account is not None:
            self._run(
                f"{account.agent.name} may sign in again.",
                lambda: self._agents.reactivate(account.agent.id),
            )

    @Slot()
    def _on_selection_changed(self) -> None:
        account = self.selected_account()
        self.role_button.setEnabled(
            account is not None and account.agent.role is not self._chosen_role()
        )
        self.deactivate_button.setEnabled(account is not None and account.active)
        self.reactivate_button.setEnabled(account is not None and not account.active)
