"""A message under a field goes away as soon as the person edits that field, not at the next
submit; the other fields' messages stay until those are fixed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from console.ui.forms import FieldErrors, error_label


def _form(qtbot: QtBot) -> tuple[QWidget, FieldErrors, QLineEdit, QComboBox, QPlainTextEdit]:
    form = QWidget()
    layout = QVBoxLayout(form)
    general = error_label()
    layout.addWidget(general)
    errors = FieldErrors(general)
    name, plan, steps = QLineEdit(), QComboBox(), QPlainTextEdit()
    plan.addItems(["Standard", "Premium"])
    for key, widget in (("name", name), ("plan", plan), ("steps", steps)):
        label = error_label()
        layout.addWidget(widget)
        layout.addWidget(label)
        errors.add(key, widget, label)
    qtbot.addWidget(form)
    return form, errors, name, plan, steps


def _refused(errors: FieldErrors) -> None:
    errors.show({"name": "The name is required.", "plan": "Pick a plan.", "steps": "Too long."})


def test_typing_in_a_field_clears_its_message_and_only_its_message(qtbot: QtBot) -> None:
    _form_kept, errors, name, _plan, _steps = _form(qtbot)
    _refused(errors)
    assert errors.invalid_keys() == ["name", "plan", "steps"]
    qtbot.keyClicks(name, "Acme")
    assert errors.message("name") == ""
    assert errors.invalid_keys() == ["plan", "steps"]


def test_choosing_and_editing_clear_the_other_kinds_of_field(qtbot: QtBot) -> None:
    _form_kept, errors, _name, plan, steps = _form(qtbot)
    _refused(errors)
    plan.setFocus()
    qtbot.keyClick(plan, Qt.Key.Key_Down)  # a person picks another plan
    assert errors.message("plan") == ""
    qtbot.keyClicks(steps, "shorter")
    assert errors.invalid_keys() == ["name"]


def test_filling_a_field_from_code_keeps_its_message(qtbot: QtBot) -> None:
    _form_kept, errors, name, _plan, _steps = _form(qtbot)
    _refused(errors)
    name.setText("loaded from the record")  # not the person's edit
    assert errors.message("name") == "The name is required."
