"""One customer's details: name, plan, support window and account manager (CSM).

The form saves as a whole when the agent presses Save; the service checks every field and
each message appears under its field, with nothing saved until all are valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import qtawesome as qta
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.policy import Policy
from console.domain.records import Customer, SupportWindow
from console.qt.worker import Dispatcher
from console.services import validation
from console.services.context import ConsoleContext
from console.ui.customers.window_dialog import WindowEditorDialog
from console.ui.forms import (
    FieldErrors,
    error_label,
    hint_label,
    if_alive,
    phone_text,
    reserve_line,
    with_error,
)


@dataclass(frozen=True, slots=True)
class CustomerFields:
    name: str = ""
    plan: str = ""
    window_id: str = ""
    csm_name: str = ""
    csm_email: str = ""
    csm_phone: str = ""

    @classmethod
    def of(cls, customer: Customer) -> CustomerFields:
        return cls(
            customer.name,
            customer.plan,
            customer.window_id,
            customer.csm_name,
            customer.csm_email,
            phone_text(customer.csm_phone) if customer.csm_phone else "",  # as every screen
        )


def phone_hint(window: SupportWindow | None) -> str:
    """How phone numbers without a country code are read for a customer in ``window``."""
    region = validation.region_for_zone(window.zone) if window else None
    if not region:
        return "Write numbers with + and the country code."
    return f"Numbers without + are read as {region} numbers; others need + and the country code."


class CustomerForm(QWidget):
    """Shows one customer (or a blank new one) and saves it through the service."""

    customer_saved = Signal(object)  # Customer
    window_saved = Signal(object)  # SupportWindow, created or edited from this form
    dirty_changed = Signal(bool)

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._policy: Policy | None = None
        self._windows: dict[str, SupportWindow] = {}
        self._customer: Customer | None = None
        self._saved = CustomerFields()
        self._dirty = False
        self.busy = False
        self.window_dialog: WindowEditorDialog | None = None
        self._build()
        self._connect_signals()
        self.show_customer(None)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.general_error = error_label()
        layout.addWidget(self.general_error)
        self.errors = FieldErrors(self.general_error)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)

        self.name = QLineEdit()
        self.name.setPlaceholderText("Customer name")
        self.plan = QComboBox()
        # The hints change with the plan and window chosen: room is kept for them, so the
        # rows and the buttons below never move while the agent picks.
        self.plan_info = reserve_line(hint_label(), 2)
        self.window_combo = QComboBox()
        self.window_combo.setMinimumContentsLength(24)
        self.new_window = QPushButton(qta.icon("mdi6.calendar-plus"), "New…")
        self.new_window.setToolTip("Create a custom support window")
        self.edit_window = QPushButton(qta.icon("mdi6.calendar-edit"), "Edit…")
        self.edit_window.setToolTip(
            "Edit the chosen window (changes apply to every customer on it)"
        )
        self.window_info = reserve_line(hint_label())
        window_row = QHBoxLayout()
        window_row.setContentsMargins(0, 0, 0, 0)
        window_row.addWidget(self.window_combo, 1)
        window_row.addWidget(self.edit_window)
        window_row.addWidget(self.new_window)
        # Support windows are policy data: only leads and admins create or change them.
        self._may_edit_windows = self._context.actor.role.may_edit_policy
        self.new_window.setVisible(self._may_edit_windows)
        self.edit_window.setVisible(self._may_edit_windows)
        window_box = QWidget()
        window_box.setLayout(window_row)
        self.csm_name = QLineEdit()
        self.csm_name.setPlaceholderText("Customer Success Manager (plans with a named manager)")
        self.csm_email = QLineEdit()
        self.csm_email.setPlaceholderText("name@vendor.example")
        self.csm_phone = QLineEdit()
        self.csm_phone_hint = reserve_line(hint_label(), 2)

        for key, label, widget, focus, hint in (
            ("name", "Name", self.name, self.name, None),
            ("plan", "Plan", self.plan, self.plan, self.plan_info),
            ("window_id", "Support window", window_box, self.window_combo, self.window_info),
            ("csm_name", "Account manager", self.csm_name, self.csm_name, None),
            ("csm_email", "Manager's email", self.csm_email, self.csm_email, None),
            ("csm_phone", "Manager's phone", self.csm_phone, self.csm_phone, self.csm_phone_hint),
        ):
            box, error = with_error(widget, hint)
            form.addRow(label, box)
            self.errors.add(key, focus, error)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.revert_button = QPushButton(qta.icon("mdi6.undo-variant"), "Revert")
        self.save_button = QPushButton(qta.icon("mdi6.content-save"), "Save changes")
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

    def _connect_signals(self) -> None:
        for line in (self.name, self.csm_name, self.csm_email, self.csm_phone):
            line.textChanged.connect(self._on_field_changed)
            line.returnPressed.connect(self._on_save_button_clicked)
        self.plan.currentIndexChanged.connect(self._on_field_changed)
        self.window_combo.currentIndexChanged.connect(self._on_field_changed)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.revert_button.clicked.connect(self._on_revert_button_clicked)
        self.new_window.clicked.connect(self._on_new_window_clicked)
        self.edit_window.clicked.connect(self._on_edit_window_clicked)

    # -- public ------------------------------------------------------------------------------

    @property
    def customer(self) -> Customer | None:
        return self._customer

    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_catalogue(self, policy: Policy, windows: Sequence[SupportWindow]) -> None:
        """The plans and windows to choose from; keeps what is typed in the form."""
        current = self.value()
        self._policy = policy
        self._windows = {w.id: w for w in windows}
        for combo in (self.plan, self.window_combo):
            combo.blockSignals(True)
            combo.clear()
        self.plan.addItem("Choose a plan", "")
        for plan in policy.plans:
            self.plan.addItem(plan.name, plan.id)
        self.window_combo.addItem("Choose a window", "")
        for window in sorted(windows, key=lambda w: (not w.builtin, w.name.casefold())):
            kind = "" if window.builtin else " (custom)"
            self.window_combo.addItem(f"{window.name}{kind} · {window.zone}", window.id)
        self._set_combo(self.plan, current.plan)
        self._set_combo(self.window_combo, current.window_id)
        for combo in (self.plan, self.window_combo):
            combo.blockSignals(False)
        self._on_field_changed()

    def show_customer(self, customer: Customer | None) -> None:
        """Load ``customer`` into the form; None starts a new customer."""
        self._customer = customer
        self._saved = CustomerFields.of(customer) if customer else CustomerFields()
        self.errors.clear()
        self._write(self._saved)
        self.save_button.setText("Save changes" if customer else "Create customer")
        self._on_field_changed()

    def select_window(self, window_id: str) -> None:
        self._set_combo(self.window_combo, window_id)

    def value(self) -> CustomerFields:
        return CustomerFields(
            self.name.text(),
            str(self.plan.currentData() or ""),
            str(self.window_combo.currentData() or ""),
            self.csm_name.text(),
            self.csm_email.text(),
            self.csm_phone.text(),
        )

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _set_combo(combo: QComboBox, data: str) -> None:
        combo.setCurrentIndex(max(0, combo.findData(data)))

    def _write(self, fields: CustomerFields) -> None:
        widgets = (
            self.name,
            self.plan,
            self.window_combo,
            self.csm_name,
            self.csm_email,
            self.csm_phone,
        )
        for widget in widgets:
            widget.blockSignals(True)
        self.name.setText(fields.name)
        self._set_combo(self.plan, fields.plan)
        self._set_combo(self.window_combo, fields.window_id)
        self.csm_name.setText(fields.csm_name)
        self.csm_email.setText(fields.csm_email)
        self.csm_phone.setText(fields.csm_phone)
        for widget in widgets:
            widget.blockSignals(False)

    @Slot()
    def _on_field_changed(self) -> None:
        fields = self.value()
        plan = None
        if self._policy is not None and fields.plan:
            plan = next((p for p in self._policy.plans if p.id == fields.plan), None)
        if plan is None:
            self.plan_info.setText("")
        else:
            who = "the customer proposes" if plan.customer_proposes else "the vendor sets"
            manager = (
                "a named account manager (CSM) is the customer's primary contact"
                if plan.named_account_manager
                else "no named account manager"
            )
            self.plan_info.setText(f"On {plan.name}, {who} the priority; {manager}.")
        self.plan_info.setVisible(plan is not None)
        window = self._windows.get(fields.window_id)
        if window is None:
            self.window_info.setText("")
        else:
            holidays = window.holiday_country or (
                f"{len(window.holidays)} closed dates" if window.holidays else "no holidays"
            )
            if window.holiday_country and window.holiday_subdivision:
                holidays += f"-{window.holiday_subdivision}"
            if window.holiday_country:
                holidays += " public holidays"
            self.window_info.setText(f"{window.hours} in {window.zone}; {holidays}.")
        self.window_info.setVisible(window is not None)
        self.edit_window.setEnabled(window is not None)
        self.csm_phone_hint.setText(phone_hint(window))
        self.csm_phone.setPlaceholderText("+44 20 7946 0000")
        dirty = fields != self._saved
        self.save_button.setEnabled(not self.busy and (dirty or self._customer is None))
        self.revert_button.setEnabled(not self.busy and dirty)
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    @Slot()
    def _on_revert_button_clicked(self) -> None:
        self.errors.clear()
        self._write(self._saved)
        self._on_field_changed()

    @Slot()
    def _on_save_button_clicked(self) -> None:
        if self.busy:
            return
        fields = self.value()
        service = self._context.customers
        customer_id = self._customer.id if self._customer else None

        def save() -> Customer:
            if customer_id is None:
                return service.create_customer(
                    fields.name,
                    fields.plan,
                    fields.window_id,
                    csm_name=fields.csm_name,
                    csm_email=fields.csm_email,
                    csm_phone=fields.csm_phone,
                )
            return service.edit_customer(
                customer_id,
                name=fields.name,
                plan=fields.plan,
                window_id=fields.window_id,
                csm_name=fields.csm_name,
                csm_email=fields.csm_email,
                csm_phone=fields.csm_phone,
            )

        self.busy = True
        self._on_field_changed()
        self._dispatcher.submit(
            save, if_alive(self, self._on_saved), if_alive(self, self._on_failed)
        )

    def _on_saved(self, customer: Customer) -> None:
        self.busy = False
        self.show_customer(customer)
        self.customer_saved.emit(customer)

    def _on_failed(self, error: Exception) -> None:
        self.busy = False
        self.errors.show_exception(error)
        self._on_field_changed()

    # -- windows -----------------------------------------------------------------------------

    def _open_window_dialog(self, window: SupportWindow | None) -> None:
        if self.window_dialog is not None:
            self.window_dialog.deleteLater()
        dialog = WindowEditorDialog(self._context, self._dispatcher, window, self)
        dialog.window_saved.connect(self._on_window_dialog_saved)
        self.window_dialog = dialog
        dialog.open()

    @Slot()
    def _on_new_window_clicked(self) -> None:
        self._open_window_dialog(None)

    @Slot()
    def _on_edit_window_clicked(self) -> None:
        window = self._windows.get(self.value().window_id)
        if window is not None:
            self._open_window_dialog(window)

    @Slot(object)
    def _on_window_dialog_saved(self, window: SupportWindow) -> None:
        windows = {**self._windows, window.id: window}
        if self._policy is not None:
            self.set_catalogue(self._policy, list(windows.values()))
        self.select_window(window.id)
        self.window_saved.emit(window)
