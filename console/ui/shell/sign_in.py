"""First run: the console asks who is at the workstation, and remembers it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import Agent, Role


class SignInDialog(QDialog):
    """Pick a registered agent or register a new one (name and role)."""

    NEW = "__new__"

    def __init__(self, agents: list[Agent], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who is working at this console?")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Support Console records every action with the agent who took it. "
            "Choose yourself, or register as a new agent."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.existing = QComboBox()
        for agent in agents:
            self.existing.addItem(f"{agent.name} ({agent.role.value})", agent.id)
        self.existing.addItem("New agent…", self.NEW)
        form.addRow("Agent", self.existing)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Your full name")
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role.value.capitalize(), role.value)
        form.addRow("Name", self.name)
        form.addRow("Role", self.role)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addLayout(form)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.existing.currentIndexChanged.connect(self._on_existing_changed)
        self._on_existing_changed()

    def _on_existing_changed(self) -> None:
        new = self.existing.currentData() == self.NEW
        self.name.setEnabled(new)
        self.role.setEnabled(new)

    def chosen_agent_id(self) -> str | None:
        data = self.existing.currentData()
        return None if data == self.NEW else str(data)

    def new_agent(self) -> tuple[str, str]:
        return self.name.text(), str(self.role.currentData())

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
