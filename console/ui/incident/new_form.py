"""The new-incident form (DESIGN §2, §7): every report item, the channel, the contact, files.

The customers, their support lists and the policy are read off the GUI thread when the form
opens; submitting reads the attached files and calls ``open_incident`` off the GUI thread
too. The service validates everything at once: each message appears under its field and
nothing is saved until the whole form is valid.

On an empty database the form says there are no customers yet and offers to add one
(``add_customer_requested``). Esc or Cancel on a form with typed text asks before throwing
it away; an untouched form just closes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.domain.events import Channel
from console.domain.policy import Policy
from console.domain.records import Customer, IncidentSummary, SupportWindow
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.incidents import NewIncident
from console.ui.forms import (
    FieldErrors,
    error_label,
    esc,
    hint_label,
    if_alive,
    phone_text,
    plain_tip,
    set_markup,
    set_plain,
    submit_on_ctrl_enter,
    with_error,
)
from console.ui.incident.attachment_picker import AttachmentPicker
from console.ui.incident.files import with_files
from console.ui.incident.started_field import StartedField

_CHANNELS = ((Channel.WEB, "Web form"), (Channel.EMAIL, "Email"), (Channel.PHONE, "Phone"))


@dataclass(frozen=True, slots=True)
class _FormData:
    customers: list[Customer]
    windows: dict[str, SupportWindow]
    policy: Policy


def _fill_priorities(combo: QComboBox, policy: Policy) -> None:
    combo.clear()
    combo.addItem("Not stated", "")
    for info in policy.priorities:
        combo.addItem(f"{info.id} · {info.label}", info.id)
        combo.setItemData(combo.count() - 1, info.definition, Qt.ItemDataRole.ToolTipRole)


class _TextBox(QPlainTextEdit):
    """A report text that asks for ``lines`` lines and grows into any room left.

    Unlike ``action_dialog.text_box`` it also hints at that height, so the report's boxes
    share the column instead of each asking for a default-sized editor.
    """

    def __init__(self, placeholder: str, lines: int = 3) -> None:
        super().__init__()
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        self._height = self.fontMetrics().lineSpacing() * lines + 14
        self.setMinimumHeight(self._height)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._height)


class NewIncidentDialog(QDialog):
    """Record a new incident as the customer reported it."""

    incident_opened = Signal(object)  # IncidentSummary
    data_loaded = Signal()  # the customers and the policy are in; the form is usable
    add_customer_requested = Signal()  # no customers yet: take me to Customers → New customer

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
        parent: QWidget | None = None,
        *,
        customer_id: str = "",  # chosen already (opened from that customer's screen)
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._preset_customer = customer_id
        self._data: _FormData | None = None
        self._priority_chosen = False  # the user picked a priority: channels leave it alone
        self._shown_customer_id: str | None = None
        self.busy = False
        self.discard_box: QMessageBox | None = None
        self.setWindowTitle("New incident")
        self.resize(1080, 700)
        self._build()
        self._set_enabled(False)
        self._load()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.general_error = error_label()  # beside the buttons: it pushes no field down
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        body = self._body = QWidget()
        columns = QHBoxLayout(body)
        columns.setSpacing(16)
        self.scroll_area.setWidget(body)
        outer.addWidget(self.scroll_area, 1)
        self.errors = FieldErrors(self.general_error, self.scroll_area)

        who = QGroupBox("Who reported it, and how")
        who_form = QFormLayout(who)
        self._who_form = who_form
        self.customer = QComboBox()
        self.customer.setEditable(True)
        self.customer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.customer.setPlaceholderText("Type to search customers")
        completer = QCompleter(self.customer.model(), self.customer)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.customer.setCompleter(completer)
        self.customer_info = hint_label("")
        self.add_customer_button = QPushButton(qta.icon("mdi6.domain-plus"), "Add a customer…")
        self.add_customer_button.setToolTip("Open Customers → New customer")
        self.add_customer_button.clicked.connect(self._on_add_customer_button_clicked)
        self.contact = QComboBox()
        self.channel = QComboBox()
        for channel, label in _CHANNELS:
            self.channel.addItem(label, channel.value)
        self.proposed = QComboBox()
        self.classified = QComboBox()
        self.priority_help = hint_label("")
        self.priority_rule = hint_label("")
        self._row(who_form, "customer_id", "&Customer", self.customer, hint=self.customer_info)
        who_form.addRow("", self.add_customer_button)
        who_form.setRowVisible(self.add_customer_button, False)
        self._row(who_form, "contact_id", "Reporting c&ontact", self.contact)
        self._row(who_form, "channel", "C&hannel", self.channel)
        self._row(who_form, "proposed_priority", "Customer's &priority", self.proposed)
        self._classified_box = self._row(
            who_form, "priority", "&Vendor's classification", self.classified
        )
        who_form.addRow(self.priority_rule)
        who_form.addRow(self.priority_help)
        # The labels keep the width of the longest one, "Vendor's classification", shown or
        # not: choosing a customer that the vendor classifies must not shift every field.
        labels: list[QWidget] = []
        for row in range(who_form.rowCount()):
            item = who_form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if widget is not None:
                labels.append(widget)
        widest = max(widget.sizeHint().width() for widget in labels)
        for widget in labels:
            widget.setMinimumWidth(widest)

        self.picker = AttachmentPicker("Relevant log files or data")
        self.attachments = self.picker.list  # focused when the service refuses a file
        self.add_files = self.picker.add_button
        self.remove_files = self.picker.remove_button

        left = QVBoxLayout()
        left.addWidget(who)
        left.addWidget(self.picker, 1)

        report = QGroupBox("The customer's report")
        report_form = QFormLayout(report)
        report_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.title = QLineEdit()
        self.title.setPlaceholderText("A short summary, e.g. Checkout returns 502 Bad Gateway")
        self.affected = _TextBox("Which parts of the service are unavailable or not working")
        self.impact = _TextBox("Who is affected and how badly", lines=2)
        self.started_field = StartedField(self._context.clock, self._context.agent_zone)
        self.started_known = self.started_field.known
        self.started = self.started_field.time
        self.started_zone = self.started_field.zone
        self.steps = _TextBox("1. …\n2. …\n3. …", lines=4)
        self.error_message = _TextBox("Paste the message exactly as shown", lines=2)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.error_message.setFont(fixed)
        self._row(report_form, "title", "&Title", self.title)
        self._row(report_form, "affected", "&Affected", self.affected)
        self._row(report_form, "impact", "&Impact on users", self.impact)
        self._row(report_form, "started_at", "&Started", self.started_field, focus=self.started)
        self._row(report_form, "steps", "Steps to &reproduce", self.steps)
        self._row(report_form, "error_message", "E&xact error message", self.error_message)
        self.errors.add("attachments", self.attachments, self.picker.error)

        columns.addLayout(left, 5)
        columns.addWidget(report, 6)

        self.buttons = QDialogButtonBox()
        self.submit_button = self.buttons.addButton(
            "Open incident", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.submit_button.setIcon(qta.icon("mdi6.check"))
        self.submit_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        bottom = QHBoxLayout()
        bottom.addWidget(self.general_error, 1)
        bottom.addWidget(self.buttons, 0, Qt.AlignmentFlag.AlignBottom)
        outer.addLayout(bottom)

        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        submit_on_ctrl_enter(self, self.submit_button)
        self.customer.currentIndexChanged.connect(self._on_customer_changed)
        self.customer.editTextChanged.connect(self._on_customer_changed)
        self.channel.currentIndexChanged.connect(self._on_channel_changed)
        self.proposed.activated.connect(self._on_priority_activated)
        self.classified.activated.connect(self._on_priority_activated)
        self.proposed.currentIndexChanged.connect(self._show_priority_help)
        self.classified.currentIndexChanged.connect(self._show_priority_help)

    def _row(
        self,
        form: QFormLayout,
        key: str,
        label: str,
        field: QWidget,
        *,
        hint: QLabel | None = None,
        focus: QWidget | None = None,
    ) -> QWidget:
        box, error = with_error(field, hint)
        form.addRow(label, box)
        self.errors.add(key, focus or field, error)
        return box

    # -- loading -----------------------------------------------------------------------------

    def _load(self) -> None:
        context = self._context

        def job() -> _FormData:
            _, policy = context.policy.current()
            windows = {w.id: w for w in context.customers.windows()}
            return _FormData(context.customers.customers(), windows, policy)

        self._dispatcher.submit(
            job, if_alive(self, self._on_loaded), if_alive(self, self._on_load_failed)
        )

    def _on_loaded(self, data: _FormData) -> None:
        self._data = data
        for combo in (self.proposed, self.classified):
            _fill_priorities(combo, data.policy)
        self.customer.blockSignals(True)
        for customer in data.customers:
            self.customer.addItem(customer.name, customer.id)
        self.customer.setCurrentIndex(self.customer.findData(self._preset_customer))
        self.customer.blockSignals(False)
        self.started_field.fill_zones(sorted({w.zone for w in data.windows.values()}))
        self.started_field.reset_time()
        self._set_enabled(True)
        self._on_customer_changed()
        if self.customer.currentIndex() >= 0:
            self.title.setFocus()  # the customer is known: the report comes next
        else:
            self.customer.setFocus()
        if not data.customers:
            self._show_no_customers()
        self.data_loaded.emit()

    def _show_no_customers(self) -> None:
        """An empty database: say why the list is empty and offer the way to fill it."""
        line = self.customer.lineEdit()
        if line is not None:
            line.setPlaceholderText("No customers yet")
        self.customer_info.setText(
            "There are no customers yet. An incident belongs to a customer: add the customer "
            "and its support list under Customers first, then open the incident."
        )
        self._who_form.setRowVisible(self.add_customer_button, True)
        self.add_customer_button.setDefault(True)
        self.submit_button.setDefault(False)
        self.add_customer_button.setFocus()

    @Slot()
    def _on_add_customer_button_clicked(self) -> None:
        self.add_customer_requested.emit()
        super().reject()  # nothing was typed that a customer could belong to

    def _on_load_failed(self, error: Exception) -> None:
        self.errors.show_exception(error)

    def _set_enabled(self, enabled: bool) -> None:
        self._body.setEnabled(enabled)
        self.submit_button.setEnabled(enabled and not self.busy)

    # -- reactions ---------------------------------------------------------------------------

    def selected_customer(self) -> Customer | None:
        """The customer named in the search box (a picked entry or its exact name)."""
        if self._data is None:
            return None
        text, index = self.customer.currentText().strip(), self.customer.currentIndex()
        if index < 0 or text != self.customer.itemText(index):
            index = self.customer.findText(text, Qt.MatchFlag.MatchFixedString)
        if index < 0:
            return None
        customer_id = self.customer.itemData(index)
        return next((c for c in self._data.customers if c.id == customer_id), None)

    @Slot()
    def _on_customer_changed(self) -> None:
        customer = self.selected_customer()
        shown = customer.id if customer else None
        if shown == self._shown_customer_id and self.contact.count():
            return
        self._shown_customer_id = shown
        self.contact.clear()
        if customer is None or self._data is None:
            if self._data is None or self._data.customers:
                self.customer_info.setText(
                    "Choose the customer to see its plan, window and contacts."
                )
            self._show_plan_rules(None)
            return
        for position, contact in enumerate(customer.contacts, start=1):
            reach = ", ".join((*contact.emails, *(phone_text(p) for p in contact.phones)))
            role = f" ({contact.role})" if contact.role else ""
            self.contact.addItem(f"{position}. {contact.name}{role}", contact.id)
            tip = plain_tip(reach)
            self.contact.setItemData(self.contact.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        if not customer.contacts:
            self.contact.setPlaceholderText("No one is on this customer's support list")
        plan = self._data.policy.plan(customer.plan)
        window = self._data.windows.get(customer.window_id)
        parts = [f"{plan.name} plan"]
        if window is not None:
            parts.append(f"{window.name} window ({window.zone}, {window.hours})")
        if customer.csm_name:
            parts.append(f"account manager {customer.csm_name}")
        set_plain(self.customer_info, " · ".join(parts))  # names as typed
        if window is not None:
            self.started_field.follow_zone(window.zone)
        self._show_plan_rules(customer)
        self._apply_channel_default()

    def _show_plan_rules(self, customer: Customer | None) -> None:
        vendor_sets = False
        if customer is not None and self._data is not None:
            plan = self._data.policy.plan(customer.plan)
            vendor_sets = not plan.customer_proposes
            if vendor_sets:
                self.priority_rule.setText(
                    f"On the {plan.name} plan the vendor classifies the priority; the "
                    "customer's wish is kept beside it."
                )
            else:
                self.priority_rule.setText(
                    f"On the {plan.name} plan the customer proposes the priority, and it "
                    "is the incident's priority until triage changes it."
                )
        else:
            self.priority_rule.setText("")
        self._who_form.setRowVisible(self._classified_box, vendor_sets)
        if not vendor_sets:
            self.classified.setCurrentIndex(0)

    def _vendor_classifies(self) -> bool:
        customer = self.selected_customer()
        if customer is None or self._data is None:
            return False
        return not self._data.policy.plan(customer.plan).customer_proposes

    @Slot()
    def _on_channel_changed(self) -> None:
        self._apply_channel_default()

    @Slot()
    def _on_priority_activated(self) -> None:
        self._priority_chosen = True

    def _apply_channel_default(self) -> None:
        """Email defaults to P4 (the policy's channel default) until a priority is picked."""
        if self._priority_chosen or self._data is None:
            return
        default = self._data.policy.default_priority(str(self.channel.currentData())) or ""
        target, other = (
            (self.classified, self.proposed)
            if self._vendor_classifies()
            else (self.proposed, self.classified)
        )
        target.setCurrentIndex(max(0, target.findData(default)))
        other.setCurrentIndex(0)

    @Slot()
    def _show_priority_help(self) -> None:
        if self._data is None:
            return
        chosen = {self.proposed.currentData(), self.classified.currentData()}
        lines = []
        for info in self._data.policy.priorities:
            text = f"<b>{esc(info.id)} {esc(info.label)}</b>: {esc(info.definition)}"
            lines.append(f"<u>{text}</u>" if info.id in chosen else text)
        set_markup(self.priority_help, "<br>".join(lines))

    # -- attachments -------------------------------------------------------------------------

    def add_attachments(self, paths: list[Path]) -> None:
        """Add files to attach (each shown with its size; over-limit ones are flagged)."""
        self.picker.add(paths)

    def attachment_paths(self) -> list[Path]:
        return self.picker.paths()

    # -- submitting --------------------------------------------------------------------------

    def report(self) -> NewIncident:
        """What the form holds now, as the service takes it (attachments read on submit)."""
        customer = self.selected_customer()
        vendor = self._vendor_classifies()
        return NewIncident(
            customer_id=customer.id if customer else "",
            contact_id=str(self.contact.currentData() or ""),
            title=self.title.text(),
            channel=str(self.channel.currentData()),
            proposed_priority=str(self.proposed.currentData() or "") or None,
            priority=(str(self.classified.currentData() or "") or None) if vendor else None,
            affected=self.affected.toPlainText(),
            impact=self.impact.toPlainText(),
            started_at=self.started_field.value(),
            steps=self.steps.toPlainText(),
            error_message=self.error_message.toPlainText(),
        )

    @Slot()
    def submit(self) -> None:
        if self.busy or self._data is None:
            return
        draft, paths, incidents = self.report(), self.picker.paths(), self._context.incidents

        def job() -> IncidentSummary:
            return with_files(
                paths, lambda files: incidents.open_incident(replace(draft, attachments=files))
            )

        self.busy = True
        self._set_enabled(True)
        self.errors.clear()
        self._dispatcher.submit(
            job, if_alive(self, self._on_opened), if_alive(self, self._on_open_failed)
        )

    def _on_opened(self, summary: IncidentSummary) -> None:
        self.busy = False
        self.incident_opened.emit(summary)
        self.accept()

    def _on_open_failed(self, error: Exception) -> None:
        self.busy = False
        self._set_enabled(True)
        self.errors.show_exception(error)

    def touched(self) -> bool:
        """Whether the agent typed anything or attached a file that closing would lose."""
        texts = (
            self.title.text(),
            self.affected.toPlainText(),
            self.impact.toPlainText(),
            self.steps.toPlainText(),
            self.error_message.toPlainText(),
        )
        return any(text.strip() for text in texts) or bool(self.picker.paths())

    def reject(self) -> None:
        """Esc or Cancel: an untouched form closes; typed text is kept unless discarded."""
        if self.busy:  # a save under way finishes first
            return
        if not self.touched():
            super().reject()
            return
        if self.discard_box is not None and self.discard_box.isVisible():
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Discard this incident?",
            "The report you typed has not been saved. Discard it?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        keep = box.button(QMessageBox.StandardButton.Cancel)
        keep.setText("Keep editing")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setEscapeButton(keep)

        def finished(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Discard):
                QDialog.reject(self)

        box.finished.connect(finished)
        if self.discard_box is not None:
            self.discard_box.deleteLater()
        self.discard_box = box
        box.open()
