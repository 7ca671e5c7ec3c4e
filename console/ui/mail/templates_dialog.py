"""Settings → Mail templates…: the team's canned responses, edited by leads and admins.

The six templates in a list; the chosen one's subject and body, a list of placeholders to
insert from, and a preview rendered against a sample incident as it is typed. A problem is
named under its field ("line 3: 'custmer' is not a placeholder; …"). Agents see everything
read-only. Reading and saving go through the dispatcher; the preview only renders text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.templates import MailTemplate
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.templates import TemplateService
from console.services.validation import NotAllowed, ValidationError
from console.ui.forms import error_label, plain_label

__all__ = ["TemplatesDialog", "wire_templates"]

_READ_ONLY = "Only a team lead or an admin may change mail templates."


def _words(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.errors.values())
    return str(error) or "The templates could not be read or saved."


class TemplatesDialog(QDialog):
    saved = Signal(object)  # MailTemplate

    def __init__(
        self, service: TemplateService, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Mail templates")
        self.resize(980, 640)
        self._service = service
        self._jobs = dispatcher
        self._templates: list[MailTemplate] = []
        self._editable = False
        self._target: QLineEdit | QPlainTextEdit | None = None

        self.list = QListWidget()
        self.list.setAccessibleName("Templates")
        self.list.setMaximumWidth(240)
        self.list.currentRowChanged.connect(self._show_row)

        self.heading = plain_label()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("Empty: the incident's threaded subject")
        self.subject.setAccessibleName("Subject")
        self.subject_error = error_label()
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Body")
        self.body_error = error_label()
        self.subject.textEdited.connect(self._edited)
        self.body.textChanged.connect(self._edited)

        self.placeholders = QListWidget()
        self.placeholders.setAccessibleName("Placeholders")
        for name, meaning in service.placeholders:
            item = QListWidgetItem(f"{name} — {meaning}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(meaning)
            self.placeholders.addItem(item)
        self.placeholders.itemDoubleClicked.connect(self.insert_placeholder)
        self.insert_button = QPushButton("Insert")
        self.insert_button.clicked.connect(lambda _checked=False: self.insert_placeholder(None))

        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("Preview")
        self.preview_subject = plain_label()
        self.preview_subject.setTextFormat(Qt.TextFormat.PlainText)

        self.note = plain_label()
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.error = error_label()
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.reset_button = QPushButton("Reset to default")
        self.reset_button.clicked.connect(self.reset)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        editor = QVBoxLayout()
        editor.addWidget(self.heading)
        editor.addWidget(QLabel("Subject"))
        editor.addWidget(self.subject)
        editor.addWidget(self.subject_error)
        editor.addWidget(QLabel("Body"))
        editor.addWidget(self.body, 1)
        editor.addWidget(self.body_error)
        side = QVBoxLayout()
        side.addWidget(QLabel("Placeholders"))
        side.addWidget(self.placeholders, 1)
        side.addWidget(self.insert_button)
        side.addWidget(QLabel("Preview (a sample incident)"))
        side.addWidget(self.preview_subject)
        side.addWidget(self.preview, 1)
        columns = QHBoxLayout()
        columns.addWidget(self.list)
        columns.addLayout(editor, 2)
        columns.addLayout(side, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.subject.installEventFilter(self)
        self.body.installEventFilter(self)
        self._set_editable(False)
        self.reload()

    # -- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        service = self._service
        self._jobs.submit(lambda: (service.list(), service.may_edit()), self._loaded, self._failed)

    def _loaded(self, result: tuple[list[MailTemplate], bool]) -> None:
        templates, editable = result
        row = max(self.list.currentRow(), 0)
        self._templates = templates
        self.list.blockSignals(True)
        self.list.clear()
        for template in templates:
            label = template.name + ("" if template.is_default else "  (the team's)")
            self.list.addItem(label)
        self.list.blockSignals(False)
        self._set_editable(editable)
        self.list.setCurrentRow(min(row, len(templates) - 1))
        self._show_row(self.list.currentRow())

    def _set_editable(self, editable: bool) -> None:
        self._editable = editable
        self.subject.setReadOnly(not editable)
        self.body.setReadOnly(not editable)
        self.insert_button.setEnabled(editable)
        self.save_button.setEnabled(editable)
        self.reset_button.setEnabled(editable and not self._current_is_default())
        self.note.setText("" if editable else _READ_ONLY)

    def _current_is_default(self) -> bool:
        template = self.current()
        return template is None or template.is_default

    def current(self) -> MailTemplate | None:
        row = self.list.currentRow()
        return self._templates[row] if 0 <= row < len(self._templates) else None

    def _show_row(self, _row: int) -> None:
        template = self.current()
        if template is None:
            return
        if template.is_default:
            origin = "The default that ships with the console."
        else:
            when = template.updated_at.strftime("%d %b %Y %H:%M UTC") if template.updated_at else ""
            origin = f"The team's version, saved by {template.author or 'a lead'} {when}".strip()
        self.heading.setText(f"{template.name}: {origin}")
        self.subject.setText(template.subject)
        self.body.blockSignals(True)
        self.body.setPlainText(template.body)
        self.body.blockSignals(False)
        self.error.hide()
        self.reset_button.setEnabled(self._editable and not template.is_default)
        self._edited()

    # -- editing ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            if watched is self.subject:
                self._target = self.subject
            elif watched is self.body:
                self._target = self.body
        return super().eventFilter(watched, event)

    def insert_placeholder(self, item: QListWidgetItem | None = None) -> None:
        """``{{ name }}`` at the cursor of the field last edited (the body by default)."""
        if not self._editable:
            return
        item = item or self.placeholders.currentItem()
        if item is None:
            return
        text = "{{ " + str(item.data(Qt.ItemDataRole.UserRole)) + " }}"
        target = self._target or self.body
        target.insert(text) if isinstance(target, QLineEdit) else target.insertPlainText(text)
        target.setFocus()

    def _edited(self) -> None:
        """The preview follows the text; a problem is named under its field."""
        try:
            subject, body = self._service.preview(self.subject.text(), self.body.toPlainText())
        except ValidationError as exc:
            self._show_errors(exc.errors)
            return
        self._show_errors({})
        self.preview_subject.setText(f"Subject: {subject}" if subject else "Subject: (threaded)")
        self.preview.setPlainText(body)

    def _show_errors(self, errors: dict[str, str]) -> None:
        for key, label in (("subject", self.subject_error), ("body", self.body_error)):
            message = errors.get(key, "")
            label.setText(message)
            label.setVisible(bool(message))
        if self._editable:
            self.save_button.setEnabled(not errors)

    # -- saving -----------------------------------------------------------------------------

    def save(self) -> None:
        template = self.current()
        if template is None or not self._editable:
            return
        key, subject, body = template.key, self.subject.text(), self.body.toPlainText()
        service = self._service
        self.save_button.setEnabled(False)
        self._jobs.submit(lambda: service.save(key, subject, body), self._done, self._failed)

    def reset(self) -> None:
        template = self.current()
        if template is None or not self._editable:
            return
        key, service = template.key, self._service
        self.reset_button.setEnabled(False)
        self._jobs.submit(lambda: service.reset(key), self._done, self._failed)

    def _done(self, template: MailTemplate) -> None:
        self.error.hide()
        self.saved.emit(template)
        self.reload()

    def _failed(self, error: Exception) -> None:
        if isinstance(error, ValidationError) and set(error.errors) <= {"subject", "body"}:
            self._show_errors(error.errors)
        else:
            self.error.setText(_words(error) if not isinstance(error, NotAllowed) else str(error))
            self.error.show()
        self.save_button.setEnabled(self._editable)
        self.reset_button.setEnabled(self._editable and not self._current_is_default())


def wire_templates(window: Any, context: ConsoleContext, dispatcher: Dispatcher) -> None:
    """Settings → Mail templates… for everyone (read-only for agents)."""
    service = TemplateService(context.store, context.clock, context.actor)

    def open_dialog() -> None:
        dialog = TemplatesDialog(service, dispatcher, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    window.add_settings_action("Mail templates…", "mdi6.text-box-edit-outline", open_dialog)
