"""The new-incident form (DESIGN §2, §7): every report item, the channel, the contact, files.

The customers, their support lists and the policy are read off the GUI thread when the form
opens; submitting reads the attached files and calls ``open_incident`` off the GUI thread
too. The service validates everything at once: each message appears under its field and
nothing is saved until the whole form is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import qtawesome as qta
import shiboken6
from PySide6.QtCore import QDate, QDateTime, QSize, Qt, QTime, QTimeZone, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
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
from console.services.validation import ATTACHMENT_LIMIT, format_size
from console.ui.forms import FieldErrors, error_colour, error_label, with_error
from console.ui.incident.files import with_files

_CHANNELS = ((Channel.WEB, "Web form"), (Channel.EMAIL, "Email"), (Channel.PHONE, "Phone"))


@dataclass(frozen=True, slots=True)
class _FormData:
    customers: list[Customer]
    windows: dict[str, SupportWindow]
    policy: Policy


def _if_alive(owner: QWidget, fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """A job's callback that is dropped if ``owner`` was deleted meanwhile."""

    def call(value: Any) -> None:
        if shiboken6.isValid(owner):
            fn(value)

    return call


def _fill_priorities(combo: QComboBox, policy: Policy) -> None:
    combo.clear()
    combo.addItem("Not stated", "")
    for info in policy.priorities:
        combo.addItem(f"{info.id} · {info.label}", info.id)
        combo.setItemData(combo.count() - 1, info.definition, Qt.ItemDataRole.ToolTipRole)


class _TextBox(QPlainTextEdit):
    """A report text that asks for ``lines`` lines and grows into any room left."""

    def __init__(self, placeholder: str, lines: int) -> None:
        super().__init__()
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        self._height = self.fontMetrics().lineSpacing() * lines + 14
        self.setMinimumHeight(self._height)

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._height)


class _FileList(QListWidget):
    """The attachment list: small until there is room to grow."""

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), 96)


def _text_box(placeholder: str, lines: int = 3) -> QPlainTextEdit:
    return _TextBox(placeholder, lines)


class NewIncidentDialog(QDialog):
    """Record a new incident as the customer reported it."""

    incident_opened = Signal(object)  # IncidentSummary
    data_loaded = Signal()  # the customers and the policy are in; the form is usable

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._data: _FormData | None = None
        self._priority_chosen = False  # the user picked a priority: channels leave it alone
        self._zone_chosen = False
        self._shown_customer_id: str | None = None
        self.busy = False
        self._paths: list[Path] = []
        self.setWindowTitle("New incident")
        self.resize(1080, 700)
        self._build()
        self._set_enabled(False)
        self._load()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.general_error = error_label()
        outer.addWidget(self.general_error)
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
        self.customer_info = QLabel()
        self.customer_info.setWordWrap(True)
        self.customer_info.setObjectName("hint")
        self.contact = QComboBox()
        self.channel = QComboBox()
        for channel, label in _CHANNELS:
            self.channel.addItem(label, channel.value)
        self.proposed = QComboBox()
        self.classified = QComboBox()
        self.priority_help = QLabel()
        self.priority_help.setWordWrap(True)
        self.priority_help.setObjectName("hint")
        self.priority_rule = QLabel()
        self.priority_rule.setWordWrap(True)
        self.priority_rule.setObjectName("hint")
        self._row(who_form, "customer_id", "&Customer", self.customer, hint=self.customer_info)
        self._row(who_form, "contact_id", "Reporting c&ontact", self.contact)
        self._row(who_form, "channel", "C&hannel", self.channel)
        self._row(who_form, "proposed_priority", "Customer's &priority", self.proposed)
        self._classified_box = self._row(
            who_form, "priority", "&Vendor's classification", self.classified
        )
        who_form.addRow(self.priority_rule)
        who_form.addRow(self.priority_help)

        files = QGroupBox("Relevant log files or data")
        files_layout = QVBoxLayout(files)
        self.attachments = _FileList()
        self.attachments.setMinimumHeight(72)
        self.attachments.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        buttons = QHBoxLayout()
        self.add_files = QPushButton(qta.icon("mdi6.paperclip"), "Add files…")
        self.remove_files = QPushButton(qta.icon("mdi6.close"), "Remove")
        self.remove_files.setEnabled(False)
        buttons.addWidget(self.add_files)
        buttons.addWidget(self.remove_files)
        buttons.addStretch(1)
        limit = QLabel(f"Up to {format_size(ATTACHMENT_LIMIT)} each")
        limit.setObjectName("hint")
        buttons.addWidget(limit)
        attachments_box, attachments_error = with_error(self.attachments)
        files_layout.addWidget(attachments_box)
        files_layout.addLayout(buttons)

        left = QVBoxLayout()
        left.addWidget(who)
        left.addWidget(files, 1)

        report = QGroupBox("The customer's report")
        report_form = QFormLayout(report)
        report_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.title = QLineEdit()
        self.title.setPlaceholderText("A short summary, e.g. Checkout returns 502 Bad Gateway")
        self.affected = _text_box("Which parts of the service are unavailable or not working")
        self.impact = _text_box("Who is affected and how badly", lines=2)
        self.started_known = QCheckBox("Known")
        self.started = QDateTimeEdit()
        self.started.setCalendarPopup(True)
        self.started.setDisplayFormat("yyyy-MM-dd HH:mm")
        # Only the wall-clock fields are used (the zone is chosen beside it): UTC here keeps
        # this machine's own summer-time gaps from shifting what the agent types.
        self.started.setTimeZone(QTimeZone.utc())
        self.started_zone = QComboBox()
        self.started_zone.setMaxVisibleItems(20)
        started_row = QWidget()
        started_layout = QHBoxLayout(started_row)
        started_layout.setContentsMargins(0, 0, 0, 0)
        started_layout.addWidget(self.started_known)
        started_layout.addWidget(self.started)
        started_layout.addWidget(self.started_zone, 1)
        self.steps = _text_box("1. …\n2. …\n3. …", lines=4)
        self.error_message = _text_box("Paste the message exactly as shown", lines=2)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.error_message.setFont(fixed)
        self._row(report_form, "title", "&Title", self.title)
        self._row(report_form, "affected", "&Affected", self.affected)
        self._row(report_form, "impact", "&Impact on users", self.impact)
        self._row(report_form, "started_at", "&Started", started_row, focus=self.started)
        self._row(report_form, "steps", "Steps to &reproduce", self.steps)
        self._row(report_form, "error_message", "E&xact error message", self.error_message)
        self.errors.add("attachments", self.attachments, attachments_error)

        columns.addLayout(left, 5)
        columns.addWidget(report, 6)

        self.buttons = QDialogButtonBox()
        self.submit_button = self.buttons.addButton(
            "Open incident", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.submit_button.setIcon(qta.icon("mdi6.check"))
        self.submit_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        outer.addWidget(self.buttons)

        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.customer.currentIndexChanged.connect(self._on_customer_changed)
        self.customer.editTextChanged.connect(self._on_customer_changed)
        self.channel.currentIndexChanged.connect(self._on_channel_changed)
        self.proposed.activated.connect(self._on_priority_activated)
        self.classified.activated.connect(self._on_priority_activated)
        self.proposed.currentIndexChanged.connect(self._show_priority_help)
        self.classified.currentIndexChanged.connect(self._show_priority_help)
        self.started_known.toggled.connect(self._on_started_known_toggled)
        self.started_zone.activated.connect(self._on_zone_activated)
        self.add_files.clicked.connect(self._on_add_files_clicked)
        self.remove_files.clicked.connect(self._on_remove_files_clicked)
        self.attachments.itemSelectionChanged.connect(self._on_attachment_selection_changed)
        self._on_started_known_toggled(False)

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
            job, _if_alive(self, self._on_loaded), _if_alive(self, self._on_load_failed)
        )

    def _on_loaded(self, data: _FormData) -> None:
        self._data = data
        for combo in (self.proposed, self.classified):
            _fill_priorities(combo, data.policy)
        self.customer.blockSignals(True)
        for customer in data.customers:
            self.customer.addItem(customer.name, customer.id)
        self.customer.setCurrentIndex(-1)
        self.customer.blockSignals(False)
        self._fill_zones()
        self._reset_started_time()
        self._set_enabled(True)
        self._on_customer_changed()
        self.customer.setFocus()
        self.data_loaded.emit()

    def _on_load_failed(self, error: Exception) -> None:
        self.errors.show_exception(error)

    def _fill_zones(self) -> None:
        common = [self._context.agent_zone.key, "UTC"]
        if self._data is not None:
            common = sorted({w.zone for w in self._data.windows.values()}) + common
        seen: list[str] = []
        for name in common:
            if name not in seen:
                seen.append(name)
        self.started_zone.clear()
        for name in seen:
            self.started_zone.addItem(name, name)
        self.started_zone.insertSeparator(self.started_zone.count())
        for name in sorted(available_timezones()):
            if name not in seen and "/" in name and not name.startswith(("posix/", "right/")):
                self.started_zone.addItem(name, name)
        self.started_zone.setCurrentIndex(self.started_zone.findData(self._context.agent_zone.key))

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
            self.customer_info.setText("Choose the customer to see its plan, window and contacts.")
            self._show_plan_rules(None)
            return
        for position, contact in enumerate(customer.contacts, start=1):
            reach = ", ".join((*contact.emails, *contact.phones))
            role = f" ({contact.role})" if contact.role else ""
            self.contact.addItem(f"{position}. {contact.name}{role}", contact.id)
            self.contact.setItemData(self.contact.count() - 1, reach, Qt.ItemDataRole.ToolTipRole)
        if not customer.contacts:
            self.contact.setPlaceholderText("No one is on this customer's support list")
        plan = self._data.policy.plan(customer.plan)
        window = self._data.windows.get(customer.window_id)
        parts = [f"{plan.name} plan"]
        if window is not None:
            parts.append(f"{window.name} window ({window.zone}, {window.hours})")
        if customer.csm_name:
            parts.append(f"account manager {customer.csm_name}")
        self.customer_info.setText(" · ".join(parts))
        if window is not None and not self._zone_chosen:
            index = self.started_zone.findData(window.zone)
            if index >= 0:
                self.started_zone.setCurrentIndex(index)
                self._reset_started_time()
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
            text = f"<b>{info.id} {info.label}</b>: {info.definition}"
            lines.append(f"<u>{text}</u>" if info.id in chosen else text)
        self.priority_help.setText("<br>".join(lines))

    @Slot(bool)
    def _on_started_known_toggled(self, known: bool) -> None:
        self.started.setEnabled(known)
        self.started_zone.setEnabled(known)

    @Slot()
    def _on_zone_activated(self) -> None:
        self._zone_chosen = True

    def _reset_started_time(self) -> None:
        zone = self._zone()
        if zone is None or self.started_known.isChecked():
            return
        local = self._context.clock.now().astimezone(zone)
        self.started.setDateTime(
            QDateTime(
                QDate(local.year, local.month, local.day),
                QTime(local.hour, local.minute),
                QTimeZone.utc(),
            )
        )

    def _zone(self) -> ZoneInfo | None:
        name = self.started_zone.currentData()
        return ZoneInfo(str(name)) if name else None

    # -- attachments -------------------------------------------------------------------------

    @Slot()
    def _on_add_files_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Attach log files or data")
        self.add_attachments([Path(p) for p in paths])

    def add_attachments(self, paths: list[Path]) -> None:
        """Add files to attach (each shown with its size; over-limit ones are flagged)."""
        for path in paths:
            if path in self._paths:
                continue
            try:
                size = path.stat().st_size
            except OSError:
                size = -1
            self._paths.append(path)
            text = f"{path.name} · {format_size(size)}" if size >= 0 else path.name
            item = QListWidgetItem(qta.icon("mdi6.file-outline"), text)
            item.setToolTip(str(path))
            if size > ATTACHMENT_LIMIT:
                item.setIcon(qta.icon("mdi6.alert-circle", color=error_colour()))
                item.setToolTip(f"{path}\nLarger than {format_size(ATTACHMENT_LIMIT)}")
            self.attachments.addItem(item)

    def attachment_paths(self) -> list[Path]:
        return list(self._paths)

    @Slot()
    def _on_remove_files_clicked(self) -> None:
        selected = self.attachments.selectedItems()
        for row in sorted((self.attachments.row(item) for item in selected), reverse=True):
            self.attachments.takeItem(row)
            del self._paths[row]

    @Slot()
    def _on_attachment_selection_changed(self) -> None:
        self.remove_files.setEnabled(bool(self.attachments.selectedItems()))

    # -- submitting --------------------------------------------------------------------------

    def report(self) -> NewIncident:
        """What the form holds now, as the service takes it (attachments read on submit)."""
        customer = self.selected_customer()
        started: datetime | None = None
        zone = self._zone()
        if self.started_known.isChecked() and zone is not None:
            value = self.started.dateTime()
            day, time = value.date(), value.time()
            started = datetime(
                day.year(), day.month(), day.day(), time.hour(), time.minute(), tzinfo=zone
            )
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
            started_at=started,
            steps=self.steps.toPlainText(),
            error_message=self.error_message.toPlainText(),
        )

    @Slot()
    def submit(self) -> None:
        if self.busy or self._data is None:
            return
        draft, paths, incidents = self.report(), list(self._paths), self._context.incidents

        def job() -> IncidentSummary:
            return with_files(
                paths, lambda files: incidents.open_incident(replace(draft, attachments=files))
            )

        self.busy = True
        self._set_enabled(True)
        self.errors.clear()
        self._dispatcher.submit(
            job, _if_alive(self, self._on_opened), _if_alive(self, self._on_open_failed)
        )

    def _on_opened(self, summary: IncidentSummary) -> None:
        self.busy = False
        self.incident_opened.emit(summary)
        self.accept()

    def _on_open_failed(self, error: Exception) -> None:
        self.busy = False
        self._set_enabled(True)
        self.errors.show_exception(error)

    def reject(self) -> None:
        if not self.busy:  # a save under way finishes first
            super().reject()
