"""Inbox → Accept…: which customer a held message is from, and which contact of its support
list sent it, or "add the sender to its support list". Then the message opens an incident.

The customers load, and the contact is added and the message accepted, off the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import Customer
from console.qt.worker import Dispatcher
from console.services.customers import CustomerService
from console.services.mail_intake import IntakeResult, MailIntake
from console.services.ports import HeldMail
from console.services.validation import ValidationError
from console.ui.forms import (
    FieldErrors,
    error_label,
    hint_label,
    if_alive,
    plain_label,
    submit_on_ctrl_enter,
    with_error,
)

__all__ = ["ADD_SENDER", "AcceptMailDialog"]

ADD_SENDER = ""  # the contact choice "add the sender to its support list"


class AcceptMailDialog(QDialog):
    accepted_into = Signal(object)  # IntakeResult: the incident the message opened
    data_loaded = Signal()

    def __init__(
        self,
        held: HeldMail,
        intake: MailIntake,
        customers: CustomerService,
        by: str,
        dispatcher: Dispatcher,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._held = held
        self._intake = intake
        self._customers = customers
        self._by = by
        self._dispatcher = dispatcher
        self._list: list[Customer] = []
        self.busy = True
        self.setWindowTitle("Accept mail into an incident")
        self.resize(560, 320)
        self._build()
        self._set_busy(True)
        dispatcher.submit(
            customers.customers, if_alive(self, self._on_loaded), if_alive(self, self._on_failed)
        )

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        sender = self._held.sender or "an unreadable address"
        about = plain_label(f"From {sender}: {self._held.subject or '(no subject)'}")
        about.setWordWrap(True)
        outer.addWidget(about)
        outer.addWidget(
            hint_label("The message opens a new incident for this customer, from this contact.")
        )
        self.general_error = error_label()
        outer.addWidget(self.general_error)
        self.errors = FieldErrors(self.general_error)
        form = QFormLayout()
        self.customer = QComboBox()
        self.contact = QComboBox()
        self.contact_name = QLineEdit()
        self.contact_name.setPlaceholderText("The sender's name on the support list")
        self.contact_name.setText(self._held.sender_name or self._held.sender.split("@")[0])
        for key, label, widget in (
            ("customer_id", "Customer", self.customer),
            ("contact_id", "Contact", self.contact),
            ("name", "Name", self.contact_name),
        ):
            box, message = with_error(widget)
            form.addRow(label, box)
            self.errors.add(key, widget, message)
            if widget is self.contact_name:
                self._name_row = box
        self._name_label = form.labelForField(self._name_row)
        outer.addLayout(form)
        outer.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Accept")
        outer.addWidget(self.buttons)
        submit_on_ctrl_enter(self, self.ok_button)
        self.buttons.accepted.connect(self._on_accept_clicked)
        self.buttons.rejected.connect(self.reject)
        self.customer.currentIndexChanged.connect(self._on_customer_current_index_changed)
        self.contact.currentIndexChanged.connect(self._on_contact_current_index_changed)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in (self.ok_button, self.customer, self.contact, self.contact_name):
            widget.setEnabled(not busy)

    def _on_loaded(self, customers: Any) -> None:
        self._list = list(customers)
        self.customer.clear()
        for customer in self._list:
            self.customer.addItem(customer.name, customer.id)
        # The sender on some list already (held as ambiguous): that customer first.
        sender = self._held.sender.casefold()
        listed = next(
            (
                i
                for i, c in enumerate(self._list)
                if any(sender in (e.casefold() for e in k.emails) for k in c.contacts)
            ),
            0,
        )
        self.customer.setCurrentIndex(listed if self._list else -1)
        self._fill_contacts()
        self._set_busy(False)
        if not self._list:
            self.errors.show_general("There is no customer yet: add one under Customers first.")
            self.ok_button.setEnabled(False)
        self.data_loaded.emit()

    def _chosen_customer(self) -> Customer | None:
        chosen = self.customer.currentData()
        return next((c for c in self._list if c.id == chosen), None)

    def _fill_contacts(self) -> None:
        self.contact.clear()
        customer = self._chosen_customer()
        if customer is None:
            return
        self.contact.addItem(f"Add {self._held.sender} to its support list", ADD_SENDER)
        sender = self._held.sender.casefold()
        for contact in customer.contacts:
            emails = ", ".join(contact.emails)
            self.contact.addItem(
                f"{contact.name} ({emails})" if emails else contact.name, contact.id
            )
            if sender in (e.casefold() for e in contact.emails):
                self.contact.setCurrentIndex(self.contact.count() - 1)
        self._show_name()

    def _show_name(self) -> None:
        adding = self.contact.currentData() == ADD_SENDER
        self._name_row.setVisible(adding)
        if self._name_label is not None:
            self._name_label.setVisible(adding)

    @Slot(int)
    def _on_customer_current_index_changed(self, _: int) -> None:
        self._fill_contacts()

    @Slot(int)
    def _on_contact_current_index_changed(self, _: int) -> None:
        self._show_name()

    def choose(self, customer_id: str, contact_id: str = ADD_SENDER) -> None:
        """Pick a customer and a contact (or the "add the sender" choice), as a person would."""
        self.customer.setCurrentIndex(self.customer.findData(customer_id))
        self.contact.setCurrentIndex(self.contact.findData(contact_id))

    @Slot()
    def _on_accept_clicked(self) -> None:
        customer = self._chosen_customer()
        if customer is None:
            self.errors.show({"customer_id": "Choose the customer the message is from."})
            return
        contact_id = str(self.contact.currentData() or ADD_SENDER)
        name = " ".join(self.contact_name.text().split())
        held, intake, customers, by = self._held, self._intake, self._customers, self._by
        if contact_id == ADD_SENDER and not name:
            self.errors.show({"name": "Give the sender's name for the support list."})
            return

        def accept() -> IntakeResult:
            chosen = contact_id
            if chosen == ADD_SENDER:
                try:
                    chosen = customers.add_contact(customer.id, name, "", [held.sender]).id
                except ValidationError as error:  # the name or the address, under "Name"
                    raise ValidationError({"name": "\n".join(error.errors.values())}) from error
            return intake.accept(held.id, customer.id, chosen, by)

        self.errors.clear()
        self._set_busy(True)
        self._dispatcher.submit(
            accept, if_alive(self, self._on_accepted), if_alive(self, self._on_failed)
        )

    def _on_accepted(self, result: Any) -> None:
        self._set_busy(False)
        self.accepted_into.emit(result)
        self.accept()

    def _on_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.errors.show_exception(error)
