"""Who is at the workstation: pick yourself (with your passphrase as a lead or admin) or sign up.

Roles are granted, not claimed: a newcomer signs up as an agent (the first person on a new
database as its admin) and there is no role to pick here. Deactivated agents are not offered.
Names are shown as plain text (they are typed by people).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import Agent
from console.services.agents import AgentAccount
from console.ui.forms import error_label, hint_label, plain_label, set_plain


class SignInDialog(QDialog):
    """Pick a registered agent or sign up as a new one; a lead or admin gives a passphrase."""

    NEW = "__new__"

    def __init__(
        self,
        agents: Sequence[AgentAccount | Agent],
        parent: QWidget | None = None,
        *,
        chosen_id: str | None = None,
    ) -> None:
        super().__init__(parent)
        accounts = [
            a if isinstance(a, AgentAccount) else AgentAccount(a, True, False) for a in agents
        ]
        self._accounts = {a.agent.id: a for a in accounts if a.active}
        self._first = not accounts
        self.setWindowTitle("Who is working at this console?")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        intro = plain_label(
            "Support Console records every action with the agent who took it. "
            "Choose yourself, or sign up as a new agent."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = self.form = QFormLayout()
        self.existing = QComboBox()
        for account in self._accounts.values():
            agent = account.agent
            self.existing.addItem(f"{agent.name} ({agent.role.value})", agent.id)
        self.existing.addItem("New agent…", self.NEW)
        form.addRow("Agent", self.existing)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Your full name")
        self.email = QLineEdit()
        self.email.setPlaceholderText("Optional: your work e-mail")
        form.addRow("Name", self.name)
        form.addRow("E-mail", self.email)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setPlaceholderText("The same passphrase again")
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Repeat", self.repeat)
        layout.addLayout(form)
        self.note = hint_label()
        layout.addWidget(self.note)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.existing.currentIndexChanged.connect(self._on_existing_changed)
        if chosen_id in self._accounts:
            self.existing.setCurrentIndex(self.existing.findData(chosen_id))
        self._on_existing_changed()

    # -- what the dialog asks for -----------------------------------------------------------

    def chosen_agent_id(self) -> str | None:
        data = self.existing.currentData()
        return None if data == self.NEW else str(data)

    def new_agent(self) -> tuple[str, str]:
        """The newcomer's name and e-mail (their role is not theirs to choose)."""
        return self.name.text(), self.email.text()

    def passphrase_text(self) -> str:
        return self.passphrase.text()

    def asks_passphrase(self) -> bool:
        return self.form.isRowVisible(self.passphrase)

    def chooses_passphrase(self) -> bool:
        """True when the passphrase is being set now (so it is typed twice)."""
        return self.form.isRowVisible(self.repeat)

    def show_error(self, message: str) -> None:
        set_plain(self.error, message)
        self.error.show()
        if self.asks_passphrase():
            self.passphrase.clear()
            self.repeat.clear()
            self.passphrase.setFocus()

    def accept(self) -> None:
        if self.chooses_passphrase() and self.passphrase.text() != self.repeat.text():
            self.show_error("The two passphrases differ: type the same one twice.")
            return
        super().accept()

    # -- reacting ---------------------------------------------------------------------------

    def _on_existing_changed(self) -> None:
        chosen = self.chosen_agent_id()
        account = self._accounts.get(chosen) if chosen else None
        new = account is None
        for widget in (self.name, self.email):
            self.form.setRowVisible(widget, new)
        if account is None:
            asks = chooses = self._first
        else:
            asks = account.needs_passphrase
            chooses = asks and not account.has_passphrase
        self.form.setRowVisible(self.passphrase, asks)
        self.form.setRowVisible(self.repeat, chooses)
        self.passphrase.clear()
        self.repeat.clear()
        self.error.hide()
        if new and self._first:
            set_plain(
                self.note,
                "You are the first person on this database: you become its admin. "
                "Choose a passphrase of at least 8 characters; signing in as admin asks for it.",
            )
        elif new:
            set_plain(
                self.note,
                "You sign up as an agent. An admin grants lead or admin in Settings → Agents.",
            )
        elif chooses and account is not None:
            set_plain(
                self.note,
                f"Signing in as {account.agent.role.value} needs a passphrase and none is set "
                "yet: choose one now (at least 8 characters).",
            )
        elif asks and account is not None:
            set_plain(self.note, f"Signing in as {account.agent.role.value} needs your passphrase.")
        else:
            set_plain(self.note, "")
        self.note.setVisible(bool(self.note.text()))
        (self.name if new else self.passphrase).setFocus()
