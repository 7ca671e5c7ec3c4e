"""Add or edit one contact: a support-list contact (several emails and phones) or a vendor
escalation contact (one of each). The service validates; its messages appear per field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import qtawesome as qta
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.qt.worker import Dispatcher
from console.ui.forms import FieldErrors, error_label, hint_label, if_alive, with_error

_SPLIT = re.compile(r"[,;\n]")


@dataclass(frozen=True, slots=True)
class ContactInput:
    """What the form holds; blank entries are kept so the service's indexes match."""

    name: str
    role: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]

    @property
    def email(self) -> str:
        return next((e for e in self.emails if e.strip()), "")

    @property
    def phone(self) -> str:
        return next((p for p in self.phones if p.strip()), "")


def _values(text: str) -> tuple[str, ...]:
    parts = [part.strip() for part in _SPLIT.split(text)]
    return tuple(parts) if any(parts) else ()


class ContactDialog(QDialog):
    """Saves through ``submit`` (run off the GUI thread); ``saved`` carries its result."""

    saved = Signal(object)

    def __init__(
        self,
        dispatcher: Dispatcher,
        submit: Callable[[ContactInput], Any],
        *,
        title: str,
        initial: ContactInput | None = None,
        several: bool = True,
        phone_hint: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._dispatcher = dispatcher
        self._submit = submit
        self._several = several
        self.busy = False
        self.setWindowTitle(title)
        self.setMinimumWidth(600)

        layout = QVBoxLayout(self)
        self.general_error = error_label()  # beside the buttons: it pushes no field down
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)
        self.errors = FieldErrors(self.general_error)

        self.name = QLineEdit()
        self.name.setPlaceholderText("Full name")
        self.role = QLineEdit()
        self.role.setPlaceholderText("e.g. IT support lead")
        self.emails = QLineEdit()
        self.phones = QLineEdit()
        if several:
            self.emails.setPlaceholderText("name@example.com — separate several with commas")
            self.phones.setPlaceholderText("+1 415 555 0100 — separate several with commas")
            keys = ("name", "role", "emails", "phones")
        else:
            self.emails.setPlaceholderText("name@example.com")
            self.phones.setPlaceholderText("+44 20 7946 0000")
            keys = ("name", "role", "email", "phone")
        rows = (
            ("Name", self.name, None),
            ("Role", self.role, None),
            ("Email" + ("s" if several else ""), self.emails, None),
            ("Phone" + ("s" if several else ""), self.phones, phone_hint or None),
        )
        for key, (label, widget, hint) in zip(keys, rows, strict=True):
            box, error = with_error(widget, hint_label(hint) if hint else None)
            form.addRow(label, box)
            self.errors.add(key, widget, error)
        layout.addWidget(hint_label("Give at least one email address or phone number."))

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setIcon(qta.icon("mdi6.content-save"))
        self.save_button.setDefault(True)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.general_error, 1)
        bottom.addWidget(buttons, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(bottom)

        if initial is not None:
            self.name.setText(initial.name)
            self.role.setText(initial.role)
            self.emails.setText(", ".join(initial.emails))
            self.phones.setText(", ".join(initial.phones))

    def value(self) -> ContactInput:
        return ContactInput(
            self.name.text(),
            self.role.text(),
            _values(self.emails.text()),
            _values(self.phones.text()),
        )

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if self.busy:
            return
        value = self.value()
        self.busy = True
        self.save_button.setEnabled(False)
        submit = self._submit  # the job must not hold the dialog itself
        self._dispatcher.submit(
            lambda: submit(value),
            if_alive(self, self._on_saved),
            if_alive(self, self._on_failed),
        )

    def _on_saved(self, result: object) -> None:
        self.busy = False
        self.save_button.setEnabled(True)
        self.errors.clear()
        self.saved.emit(result)
        self.accept()

    def _on_failed(self, error: Exception) -> None:
        self.busy = False
        self.save_button.setEnabled(True)
        self.errors.show_exception(error)
        self.adjustSize()  # room for the messages under the fields
