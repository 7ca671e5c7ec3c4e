"""Asks before a policy save: which version it makes, and why (the reason is kept with it)."""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.ui.forms import hint_label, plain_label


class SavePolicyDialog(QDialog):
    """Save as version ``number``? The reason is required: Save waits for one."""

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save the support policy")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.question = plain_label(
            f"Save these changes as policy version {number}? Incidents opened from now on "
            "follow it; open incidents keep the version they were opened under."
        )
        self.question.setWordWrap(True)
        layout.addWidget(self.question)
        form = QFormLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. Premium P1 first response to 30 min, per contract")
        self.reason.setMaxLength(300)
        form.addRow("&Reason", self.reason)
        layout.addLayout(form)
        layout.addWidget(hint_label("The reason is kept with the version in its history."))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setIcon(qta.icon("mdi6.content-save"))
        self.save_button.setText(f"Save version {number}")
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._on_reason_text_changed)

    def value(self) -> str:
        return " ".join(self.reason.text().split())

    @Slot(str)
    def _on_reason_text_changed(self, _text: str) -> None:
        self.save_button.setEnabled(bool(self.value()))

    def accept(self) -> None:
        if self.value():  # Enter in an empty reason box saves nothing
            super().accept()
