"""The vendor's escalation ladder of one level: ordered contacts, add/edit/delete/move.

These contacts are records of their own, not part of the policy text: each change is saved
at once through the service (leads and admins only) and makes no new policy version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import qtawesome as qta
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain.policy import EscalationLevel
from console.domain.records import EscalationContact
from console.qt.worker import Dispatcher
from console.services.policy import PolicyService
from console.services.ranking import ordered_by_rank
from console.ui.customers.common import pretty_phone
from console.ui.customers.contact_dialog import ContactDialog, ContactInput
from console.ui.customers.rows import RecordTableModel
from console.ui.forms import error_label, error_text, hint_label, if_alive


class EscalationContactModel(RecordTableModel[EscalationContact]):
    headers = ("Name", "Role", "Email", "Phone")

    def cell(self, contact: EscalationContact, column: int, role: int) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return (contact.name, contact.role, contact.email, pretty_phone(contact.phone))[column]


class EscalationLadder(QWidget):
    """One level's contacts in the order the vendor calls them."""

    contacts_changed = Signal(int)  # the level whose ladder was saved

    def __init__(
        self,
        level: EscalationLevel,
        service: PolicyService,
        dispatcher: Dispatcher,
        editable: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.level = level
        self._service = service
        self._dispatcher = dispatcher
        self._editable = editable
        self._pending = 0
        self.contact_dialog: ContactDialog | None = None
        self.delete_box: QMessageBox | None = None
        self.model = EscalationContactModel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if level.description:
            layout.addWidget(hint_label(f"When: {level.description}"))
        row = QHBoxLayout()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(110)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        row.addWidget(self.table, 1)
        buttons = QVBoxLayout()
        self.add_button = QPushButton(qta.icon("mdi6.account-plus"), "Add…")
        self.edit_button = QPushButton(qta.icon("mdi6.account-edit"), "Edit…")
        self.delete_button = QPushButton(qta.icon("mdi6.account-remove"), "Delete")
        self.up_button = QPushButton(qta.icon("mdi6.arrow-up"), "Move up")
        self.down_button = QPushButton(qta.icon("mdi6.arrow-down"), "Move down")
        for button in (
            self.add_button,
            self.edit_button,
            self.delete_button,
            self.up_button,
            self.down_button,
        ):
            buttons.addWidget(button)
            button.setVisible(editable)
        buttons.addStretch(1)
        row.addLayout(buttons)
        layout.addLayout(row, 1)
        self.empty_note = hint_label(
            "Nobody at this level yet: add the people to contact, the first one first."
            if editable
            else "Nobody at this level yet."
        )
        layout.addWidget(self.empty_note)
        self.message = error_label()
        layout.addWidget(self.message)

        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.up_button.clicked.connect(self._on_up_button_clicked)
        self.down_button.clicked.connect(self._on_down_button_clicked)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def set_contacts(self, contacts: list[EscalationContact]) -> None:
        mine = [c for c in contacts if c.level == self.level.level]
        self.model.set_records(ordered_by_rank(mine))
        self.empty_note.setVisible(not mine)
        self._update_buttons()

    def selected(self) -> EscalationContact | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.records[rows[0].row()] if rows else None

    def select(self, contact_id: str) -> None:
        row = self.model.row_of(contact_id)
        if row is not None:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    @Slot()
    def _update_buttons(self) -> None:
        idle = self._editable and not self.busy
        contact = self.selected()
        row = self.model.row_of(contact.id) if contact else None
        self.add_button.setEnabled(idle)
        self.edit_button.setEnabled(idle and contact is not None)
        self.delete_button.setEnabled(idle and contact is not None)
        self.up_button.setEnabled(idle and row is not None and row > 0)
        self.down_button.setEnabled(idle and row is not None and row < self.model.rowCount() - 1)

    # -- jobs --------------------------------------------------------------------------------

    def _run(self, job: Callable[[], object], select: str | None = None) -> None:
        service, level = self._service, self.level.level

        def work() -> list[EscalationContact]:
            job()
            return service.escalation_contacts(level)

        self._pending += 1
        self.message.hide()
        self._update_buttons()
        self._dispatcher.submit(
            work,
            if_alive(self, lambda contacts: self._on_done(contacts, select)),
            if_alive(self, self._on_failed),
        )

    def _on_done(self, contacts: list[EscalationContact], select: str | None) -> None:
        self._pending -= 1
        current = self.selected()
        self.set_contacts(contacts)
        target = select or (current.id if current else None)
        if target:
            self.select(target)
        self._update_buttons()
        self.contacts_changed.emit(self.level.level)

    def _on_failed(self, error: Exception) -> None:
        self._pending -= 1
        self.message.setText(error_text(error))
        self.message.show()
        self._update_buttons()

    # -- actions -----------------------------------------------------------------------------

    def _open(
        self,
        title: str,
        submit: Callable[[ContactInput], EscalationContact],
        initial: ContactInput | None,
    ) -> None:
        dialog = ContactDialog(
            self._dispatcher, submit, title=title, initial=initial, several=False, parent=self
        )
        dialog.saved.connect(lambda contact: self._run(lambda: None, select=contact.id))
        if self.contact_dialog is not None:
            self.contact_dialog.deleteLater()
        self.contact_dialog = dialog
        dialog.open()

    @Slot()
    def _on_add_button_clicked(self) -> None:
        service, level = self._service, self.level.level

        def submit(value: ContactInput) -> EscalationContact:
            return service.add_escalation_contact(
                level, value.name, value.role, value.email, value.phone
            )

        self._open(f"Add an Escalation {level} contact", submit, None)

    @Slot()
    def _on_edit_button_clicked(self) -> None:
        contact = self.selected()
        if contact is None:
            return
        service, contact_id = self._service, contact.id

        def submit(value: ContactInput) -> EscalationContact:
            return service.edit_escalation_contact(
                contact_id, name=value.name, role=value.role, email=value.email, phone=value.phone
            )

        initial = ContactInput(
            contact.name,
            contact.role,
            (contact.email,) if contact.email else (),
            (pretty_phone(contact.phone),) if contact.phone else (),
        )
        self._open(f"Edit {contact.name}", submit, initial)

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and self._editable and not self.busy:
            self._on_edit_button_clicked()

    @Slot()
    def _on_delete_button_clicked(self) -> None:
        contact = self.selected()
        if contact is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete escalation contact",
            f"Take {contact.name} off the Escalation {self.level.level} ladder?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        service, contact_id = self._service, contact.id

        def finished(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self._run(lambda: service.delete_escalation_contact(contact_id))

        box.finished.connect(finished)
        if self.delete_box is not None:
            self.delete_box.deleteLater()
        self.delete_box = box
        box.open()

    @Slot()
    def _on_up_button_clicked(self) -> None:
        contact = self.selected()
        if contact is not None:
            service, contact_id = self._service, contact.id
            self._run(lambda: service.move_escalation_contact_up(contact_id))

    @Slot()
    def _on_down_button_clicked(self) -> None:
        contact = self.selected()
        if contact is not None:
            service, contact_id = self._service, contact.id
            self._run(lambda: service.move_escalation_contact_down(contact_id))
