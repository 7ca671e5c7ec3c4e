"""The support-list editor: contacts in calling order, reorder, add/edit/delete, undo/redo.

Every edit is saved at once (one service call, one transaction) and lands on a per-customer
``QUndoStack``. Saves run off the GUI thread one at a time; while one is on its way the
buttons, drops and undo are held, so edits reach the database in the order they were made.
"""

from __future__ import annotations

from collections.abc import Callable

import qtawesome as qta
from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import Contact, Customer
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.ranking import ordered_by_rank
from console.ui.customers.commands import (
    AddContactCommand,
    ContactFields,
    ContactRef,
    DeleteContactCommand,
    EditContactCommand,
    MoveContactCommand,
    StepContactCommand,
)
from console.ui.customers.common import ok_colour, pretty_phone, warning_colour
from console.ui.customers.contact_dialog import ContactDialog, ContactInput
from console.ui.customers.contact_model import ContactColumn, ContactListModel
from console.ui.customers.customer_model import list_status
from console.ui.forms import (
    error_label,
    error_text,
    esc,
    hint_label,
    if_alive,
    plain_tip,
    set_markup,
)


class SupportListEditor(QWidget):
    """Edits the support list of one customer at a time (``show_customer``)."""

    customer_changed = Signal(object)  # Customer: the list or its confirmation was saved

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._customer: Customer | None = None
        self._stale_days = 90
        self._phone_hint = ""
        self._stacks: dict[str, QUndoStack] = {}
        self._refs: list[ContactRef] = []
        self._pending = 0
        self.contact_dialog: ContactDialog | None = None
        self.delete_box: QMessageBox | None = None
        self.model = ContactListModel(self)
        self._build()
        self._connect_signals()
        self.show_customer(None)

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        confirm_row = QHBoxLayout()
        self.status_icon = QLabel()
        self.status_icon.setFixedSize(22, 22)
        self.status_text = QLabel()
        self.status_text.setTextFormat(Qt.TextFormat.RichText)  # set_markup
        self.status_text.setWordWrap(True)
        self.confirm_button = QPushButton(
            qta.icon("mdi6.calendar-check"), "Confirm list is current"
        )
        self.confirm_button.setToolTip(
            "Record that the customer confirmed today that this list is correct and complete."
        )
        confirm_row.addWidget(self.status_icon, 0, Qt.AlignmentFlag.AlignTop)
        confirm_row.addWidget(self.status_text, 1)
        confirm_row.addWidget(self.confirm_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(confirm_row)

        def action(text: str, icon: str, shortcut: str | QKeySequence.StandardKey) -> QAction:
            act = QAction(qta.icon(icon), text, self)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(act)
            return act

        self.add_action = action("Add…", "mdi6.account-plus", "Ctrl+Shift+N")
        self.edit_action = action("Edit…", "mdi6.account-edit", "F2")
        self.delete_action = action(
            "Delete", "mdi6.account-remove", QKeySequence.StandardKey.Delete
        )
        self.up_action = action("Move up", "mdi6.arrow-up", "Alt+Up")
        self.down_action = action("Move down", "mdi6.arrow-down", "Alt+Down")
        self.undo_action = action("Undo", "mdi6.undo", QKeySequence.StandardKey.Undo)
        self.redo_action = action("Redo", "mdi6.redo", QKeySequence.StandardKey.Redo)

        tools = QHBoxLayout()
        tools.setSpacing(4)
        self.buttons: dict[str, QToolButton] = {}
        for key, act in (
            ("add", self.add_action),
            ("edit", self.edit_action),
            ("delete", self.delete_action),
            ("up", self.up_action),
            ("down", self.down_action),
            ("undo", self.undo_action),
            ("redo", self.redo_action),
        ):
            if key == "undo":
                tools.addStretch(1)
            button = QToolButton()
            button.setDefaultAction(act)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAutoRaise(False)
            self.buttons[key] = button
            tools.addWidget(button)
        layout.addLayout(tools)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setDragEnabled(True)
        self.table.setAcceptDrops(True)
        self.table.setDropIndicatorShown(True)
        self.table.setDragDropOverwriteMode(False)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.table.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(160)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ContactColumn.NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ContactColumn.ROLE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ContactColumn.EMAILS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ContactColumn.PHONES, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        layout.addWidget(self.table, 1)

        self.empty_note = hint_label()
        layout.addWidget(self.empty_note)
        layout.addWidget(
            hint_label(
                "The vendor calls these people in this order: the first person to contact on "
                "top, then people in more responsible positions. Drag a row or use Move up/down "
                "to reorder; every change is saved at once."
            )
        )
        self.message = error_label()
        layout.addWidget(self.message)

    def _connect_signals(self) -> None:
        self.add_action.triggered.connect(self._on_add_action_triggered)
        self.edit_action.triggered.connect(self._on_edit_action_triggered)
        self.delete_action.triggered.connect(self._on_delete_action_triggered)
        self.up_action.triggered.connect(self._on_up_action_triggered)
        self.down_action.triggered.connect(self._on_down_action_triggered)
        self.undo_action.triggered.connect(self._on_undo_action_triggered)
        self.redo_action.triggered.connect(self._on_redo_action_triggered)
        self.confirm_button.clicked.connect(self._on_confirm_button_clicked)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.contact_moved.connect(self._on_model_contact_moved)
        self.model.modelReset.connect(self._update_actions)
        self.model.rowsMoved.connect(self._update_actions)

    # -- public ------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._pending > 0

    @property
    def customer(self) -> Customer | None:
        return self._customer

    @property
    def undo_stack(self) -> QUndoStack | None:
        """The undo history of the customer shown (each customer keeps its own)."""
        return None if self._customer is None else self._stacks.get(self._customer.id)

    def show_customer(
        self, customer: Customer | None, stale_days: int | None = None, phone_hint: str = ""
    ) -> None:
        """Show (and edit) ``customer``'s list; None shows an empty, disabled editor."""
        if stale_days is not None:
            self._stale_days = stale_days
        self._phone_hint = phone_hint
        self._customer = customer
        self.message.hide()
        if customer is not None and customer.id not in self._stacks:
            stack = QUndoStack(self)
            stack.indexChanged.connect(self._update_actions)
            self._stacks[customer.id] = stack
        self.model.set_contacts(ordered_by_rank(customer.contacts) if customer else [])
        self._show_status()
        self._update_actions()

    def selected_contact(self) -> Contact | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.contacts[rows[0].row()]

    def select_contact(self, contact_id: str) -> None:
        row = self.model.row_of(contact_id)
        if row is None:
            return
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    # -- running jobs ------------------------------------------------------------------------

    def run_list_job(self, job: Callable[[], object], select: str | None = None) -> None:
        """Run one saving job, then reload the customer so the list shows what is stored.

        ``select`` names the contact to select afterwards (else the selection stays).
        """
        assert self._customer is not None
        customer_id, service = self._customer.id, self._context.customers

        def work() -> Customer:
            job()
            return service.customer(customer_id)

        self._set_pending(+1)
        self._dispatcher.submit(
            work,
            if_alive(self, lambda customer: self._on_job_done(customer_id, customer, select)),
            if_alive(self, lambda error: self._on_job_failed(customer_id, error)),
        )

    def _set_pending(self, step: int) -> None:
        self._pending += step
        self.model.set_locked(self.busy)
        self._update_actions()

    def _on_job_done(self, customer_id: str, customer: Customer, select: str | None) -> None:
        self._set_pending(-1)
        if self._customer is None or self._customer.id != customer_id:
            self.customer_changed.emit(customer)
            return
        selected = self.selected_contact()
        self._customer = customer
        self.model.set_contacts(ordered_by_rank(customer.contacts))
        if select is not None:
            self.select_contact(select)
        elif selected is not None:
            self.select_contact(self._ref(selected.id).id)
        self._show_status()
        self._update_actions()
        self.customer_changed.emit(customer)

    def _on_job_failed(self, customer_id: str, error: Exception) -> None:
        """Say what failed; the history no longer matches the database, so start afresh."""
        self._set_pending(-1)
        stack = self._stacks.get(customer_id)
        if stack is not None:
            stack.clear()
        if self._customer is not None and self._customer.id == customer_id:
            self.message.setText(error_text(error) + " The list shows what is saved now.")
            self.message.show()
            self.run_list_job(lambda: None)

    def _ref(self, contact_id: str) -> ContactRef:
        for ref in self._refs:
            if ref.id == contact_id:
                return ref
        ref = ContactRef(contact_id)
        self._refs.append(ref)
        return ref

    def _push(self, command_factory: Callable[[QUndoStack], None]) -> None:
        stack = self.undo_stack
        if stack is not None:
            command_factory(stack)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "status_text"):
            self._show_status()  # the stale colour follows the theme

    # -- state -------------------------------------------------------------------------------

    def _show_status(self) -> None:
        customer = self._customer
        if customer is None:
            self.status_icon.clear()
            self.status_text.setText("Select a saved customer to see and edit its support list.")
            self.status_text.setStyleSheet("")
            self.empty_note.hide()
            return
        status = list_status(
            customer, self._context.clock.now(), self._stale_days, self._context.agent_zone
        )
        colour = (warning_colour if status.stale else ok_colour)().name()
        icon = (
            "mdi6.check-circle-outline"
            if not status.stale
            else "mdi6.help-circle"
            if status.age is None
            else "mdi6.alert-circle"
        )
        self.status_icon.setPixmap(qta.icon(icon, color=colour).pixmap(22, 22))
        prefix = "<b>Stale list.</b> " if status.stale else ""
        set_markup(self.status_text, prefix + esc(status.detail))
        self.status_text.setStyleSheet(f"color: {colour};" if status.stale else "")
        if not customer.contacts:
            self.empty_note.setText(
                "No contacts yet: add the person the vendor should contact first."
            )
            self.empty_note.show()
        else:
            self.empty_note.hide()

    @Slot()
    def _update_actions(self) -> None:
        has_customer = self._customer is not None
        idle = has_customer and not self.busy
        selected = self.selected_contact()
        row = self.model.row_of(selected.id) if selected else None
        self.add_action.setEnabled(idle)
        self.edit_action.setEnabled(idle and selected is not None)
        self.delete_action.setEnabled(idle and selected is not None)
        self.up_action.setEnabled(idle and row is not None and row > 0)
        self.down_action.setEnabled(idle and row is not None and row < self.model.rowCount() - 1)
        self.confirm_button.setEnabled(idle and bool(self._customer and self._customer.contacts))
        self.table.setEnabled(has_customer)
        stack = self.undo_stack
        can_undo = bool(stack and stack.canUndo())
        can_redo = bool(stack and stack.canRedo())
        self.undo_action.setEnabled(idle and can_undo)
        self.redo_action.setEnabled(idle and can_redo)
        undo = f"Undo {stack.undoText()}" if stack and can_undo else "Undo"
        redo = f"Redo {stack.redoText()}" if stack and can_redo else "Redo"
        self.undo_action.setToolTip(plain_tip(undo))  # the texts name contacts
        self.redo_action.setToolTip(plain_tip(redo))

    # -- actions -----------------------------------------------------------------------------

    def _open_dialog(self, dialog: ContactDialog) -> None:
        if self.contact_dialog is not None:
            self.contact_dialog.deleteLater()
        self.contact_dialog = dialog
        dialog.open()

    @Slot()
    def _on_add_action_triggered(self) -> None:
        if self._customer is None or self.busy:
            return
        customer_id, service = self._customer.id, self._context.customers

        def submit(value: ContactInput) -> Contact:
            return service.add_contact(
                customer_id, value.name, value.role, value.emails, value.phones
            )

        dialog = ContactDialog(
            self._dispatcher,
            submit,
            title=f"Add a contact to {self._customer.name}",
            phone_hint=self._phone_hint,
            parent=self,
        )
        dialog.saved.connect(self._on_contact_added)
        self._open_dialog(dialog)

    @Slot(object)
    def _on_contact_added(self, contact: Contact) -> None:
        if self._customer is None or contact.customer_id != self._customer.id:
            return
        ref = self._ref(contact.id)
        self._push(
            lambda stack: stack.push(
                AddContactCommand(
                    self,
                    self._context.customers,
                    contact.customer_id,
                    ref,
                    ContactFields.of(contact),
                    done=True,
                )
            )
        )
        self.run_list_job(lambda: None, select=contact.id)

    @Slot()
    def _on_edit_action_triggered(self) -> None:
        contact = self.selected_contact()
        if self._customer is None or contact is None or self.busy:
            return
        service = self._context.customers
        contact_id = contact.id

        def submit(value: ContactInput) -> Contact:
            return service.edit_contact(
                contact_id,
                name=value.name,
                role=value.role,
                emails=value.emails,
                phones=value.phones,
            )

        dialog = ContactDialog(
            self._dispatcher,
            submit,
            title=f"Edit {contact.name}",
            initial=ContactInput(
                contact.name,
                contact.role,
                contact.emails,
                tuple(pretty_phone(p) for p in contact.phones),
            ),
            phone_hint=self._phone_hint,
            parent=self,
        )
        old = ContactFields.of(contact)
        dialog.saved.connect(lambda saved: self._on_contact_edited(old, saved))
        self._open_dialog(dialog)

    def _on_contact_edited(self, old: ContactFields, contact: Contact) -> None:
        new = ContactFields.of(contact)
        if new != old:
            ref = self._ref(contact.id)
            self._push(
                lambda stack: stack.push(
                    EditContactCommand(
                        self,
                        self._context.customers,
                        contact.customer_id,
                        ref,
                        old,
                        new,
                        done=True,
                    )
                )
            )
        self.run_list_job(lambda: None)

    @Slot()
    def _on_delete_action_triggered(self) -> None:
        contact = self.selected_contact()
        if self._customer is None or contact is None or self.busy:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete contact",
            f"Take {contact.name} off the support list of {self._customer.name}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # names as typed
        box.setInformativeText("You can undo this.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        box.finished.connect(lambda _result: self._on_delete_box_finished(contact))
        if self.delete_box is not None:
            self.delete_box.deleteLater()
        self.delete_box = box
        box.open()

    def _on_delete_box_finished(self, contact: Contact) -> None:
        box = self.delete_box
        if box is None or box.clickedButton() is not box.button(QMessageBox.StandardButton.Yes):
            return
        if self._customer is None or self.busy:
            return
        row = self.model.row_of(contact.id)
        if row is None:
            return
        ref = self._ref(contact.id)
        customer_id = self._customer.id
        self._push(
            lambda stack: stack.push(
                DeleteContactCommand(
                    self,
                    self._context.customers,
                    customer_id,
                    ref,
                    ContactFields.of(contact),
                    row,
                )
            )
        )

    def _step(self, step: int) -> None:
        contact = self.selected_contact()
        if self._customer is None or contact is None or self.busy:
            return
        ref = self._ref(contact.id)
        customer_id = self._customer.id
        self._push(
            lambda stack: stack.push(
                StepContactCommand(
                    self, self._context.customers, customer_id, ref, contact.name, step
                )
            )
        )

    @Slot()
    def _on_up_action_triggered(self) -> None:
        self._step(-1)

    @Slot()
    def _on_down_action_triggered(self) -> None:
        self._step(+1)

    @Slot(str, int, int)
    def _on_model_contact_moved(self, contact_id: str, from_row: int, to_row: int) -> None:
        """A drag already moved the row on screen; save the move through the stack."""
        if self._customer is None:
            return
        contact = self.model.contacts[to_row]
        ref = self._ref(contact_id)
        customer_id = self._customer.id
        self._push(
            lambda stack: stack.push(
                MoveContactCommand(
                    self,
                    self._context.customers,
                    customer_id,
                    ref,
                    contact.name,
                    from_row,
                    to_row,
                )
            )
        )
        self.select_contact(contact_id)

    @Slot()
    def _on_undo_action_triggered(self) -> None:
        stack = self.undo_stack
        if stack is not None and stack.canUndo() and not self.busy:
            stack.undo()

    @Slot()
    def _on_redo_action_triggered(self) -> None:
        stack = self.undo_stack
        if stack is not None and stack.canRedo() and not self.busy:
            stack.redo()

    @Slot()
    def _on_confirm_button_clicked(self) -> None:
        if self._customer is None or self.busy:
            return
        customer_id, service = self._customer.id, self._context.customers
        self.message.hide()
        self.run_list_job(lambda: service.confirm_list(customer_id))

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self._on_edit_action_triggered()
