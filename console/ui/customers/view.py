"""Customers & support lists (DESIGN §7): the page the main window shows.

Left, every customer with its plan, window and whether its support list is stale (colour,
icon and words). Right, the selected customer's details and its support list. Data is read
off the GUI thread; each edit is saved at once by the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import qtawesome as qta
from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain.policy import Policy
from console.domain.records import Customer, SupportWindow
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.ui.customers.common import title_text
from console.ui.customers.customer_form import CustomerForm, phone_hint
from console.ui.customers.customer_model import (
    CUSTOMER_ROLE,
    SORT_ROLE,
    STALE_ROLE,
    Column,
    CustomerListModel,
)
from console.ui.customers.import_dialog import add_import_action
from console.ui.customers.incidents_panel import CustomerIncidentsPanel
from console.ui.customers.support_list import SupportListEditor
from console.ui.forms import (
    error_label,
    error_text,
    hint_label,
    if_alive,
    page_title,
    plain_label,
    plural,
)
from console.ui.policy.editor import PolicyEditorDialog


@dataclass(frozen=True, slots=True)
class _Catalogue:
    customers: list[Customer]
    windows: list[SupportWindow]
    policy: Policy


class _CustomerFilter(QSortFilterProxyModel):
    """Name search plus "stale lists only"."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._stale_only = False
        self.setSortRole(SORT_ROLE)
        self.setFilterKeyColumn(Column.NAME)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_stale_only(self, stale_only: bool) -> None:
        self.beginFilterChange()
        self._stale_only = stale_only
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if self._stale_only:
            index = self.sourceModel().index(source_row, 0, source_parent)
            if not index.data(STALE_ROLE):
                return False
        return super().filterAcceptsRow(source_row, source_parent)


class CustomersView(QWidget):
    """Customer list, customer details and the support-list editor."""

    loaded = Signal()  # customers, windows and policy are in (after every reload)
    customer_changed = Signal(object)  # Customer: saved details, list edits, confirmation
    policy_saved = Signal(object)  # PolicyVersion saved from the policy editor
    incident_activated = Signal(str)  # an incident's id: open it (Enter or double-click)

    def __init__(
        self, context: ConsoleContext, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._catalogue: _Catalogue | None = None
        self._shown_once = False
        self._pending_select: str | None = None
        self.busy = False
        self.policy_dialog: PolicyEditorDialog | None = None
        self.discard_box: QMessageBox | None = None
        self.model = CustomerListModel(self)
        self.proxy = _CustomerFilter(self)
        self.proxy.setSourceModel(self.model)
        self._build()
        self.import_action = add_import_action(self, context, dispatcher)  # CSV / XLSX lists
        self._connect_signals()
        self.reload()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        title = page_title("Customers & support lists")
        header.addWidget(title)
        header.addStretch(1)
        self.policy_button = QPushButton(qta.icon("mdi6.file-document-edit"), "Support policy…")
        self.policy_button.setToolTip(
            "Targets, update cadences, thresholds and escalation contacts"
            + ("" if self._context.actor.role.may_edit_policy else " (read-only for agents)")
        )
        self.new_button = QPushButton(qta.icon("mdi6.domain-plus"), "New customer")
        header.addWidget(self.policy_button)
        header.addWidget(self.new_button)
        layout.addLayout(header)
        self.message = error_label()
        layout.addWidget(self.message)

        splitter = self.splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search customers")
        self.search.setClearButtonEnabled(True)
        self.stale_only = QCheckBox("Stale lists only")
        filters.addWidget(self.search, 1)
        filters.addWidget(self.stale_only)
        left_layout.addLayout(filters)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        heads = self.table.horizontalHeader()
        heads.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        for column in (Column.PLAN, Column.WINDOW, Column.CONTACTS, Column.LIST):
            heads.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnHidden(Column.WINDOW, True)  # the details show it; room for names
        self.count_label = plain_label()
        self.count_label.setObjectName("hint")
        self.empty_state = QWidget()
        empty_layout = QVBoxLayout(self.empty_state)
        empty_layout.setContentsMargins(8, 24, 8, 8)
        self.empty_label = hint_label(
            "No customers yet. Add the first one with New customer: its name, plan and support "
            "window, then the people on its support list. Incidents are opened for a customer."
        )
        self.empty_button = QPushButton(qta.icon("mdi6.domain-plus"), "Add the first customer")
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignLeft)
        empty_layout.addStretch(1)
        self.empty_state.hide()
        self.no_match_label = hint_label("")
        self.no_match_label.hide()
        left_layout.addWidget(self.empty_state, 1)
        left_layout.addWidget(self.no_match_label)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)
        splitter.addWidget(left)

        right_scroll = self.details_scroll = QScrollArea()
        right_scroll.setWidgetResizable(True)
        right_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        self.details_group = QGroupBox("Customer")
        details_layout = QVBoxLayout(self.details_group)
        self.form = CustomerForm(self._context, self._dispatcher)
        details_layout.addWidget(self.form)
        self.list_group = QGroupBox("Support list")
        list_layout = QVBoxLayout(self.list_group)
        self.support_list = SupportListEditor(self._context, self._dispatcher)
        list_layout.addWidget(self.support_list)
        right_layout.addWidget(self.details_group)
        right_layout.addWidget(self.list_group, 1)
        right_scroll.setWidget(right)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(right_scroll, "Details && support list")
        self.incidents = CustomerIncidentsPanel(
            self._context.customers, self._dispatcher, self._context.agent_zone
        )
        self.tabs.addTab(self.incidents, "Incidents")
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([540, 660])
        layout.addWidget(splitter, 1)

    def _connect_signals(self) -> None:
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.search.textChanged.connect(self._update_count)
        self.stale_only.toggled.connect(self._on_stale_only_toggled)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.empty_button.clicked.connect(self._on_new_button_clicked)
        self.policy_button.clicked.connect(self.open_policy_editor)
        self.form.customer_saved.connect(self._on_form_customer_saved)
        self.form.window_saved.connect(self._on_form_window_saved)
        self.support_list.customer_changed.connect(self._on_support_list_customer_changed)
        self.incidents.incident_activated.connect(self.incident_activated)
        self.incidents.counts_changed.connect(self._on_incidents_counts_changed)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)

    # -- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read customers, windows and the policy again (off the GUI thread)."""
        service = self._context.customers

        def read() -> _Catalogue:
            return _Catalogue(service.customers(), service.windows(), service.policy())

        self.busy = True
        self._dispatcher.submit(
            read, if_alive(self, self._on_loaded), if_alive(self, self._on_failed)
        )

    def _on_loaded(self, catalogue: _Catalogue) -> None:
        self.busy = False
        self._catalogue = catalogue
        self.message.hide()
        selected = self.selected_customer_id()
        self.model.set_customers(
            catalogue.customers,
            plans={p.id: p.name for p in catalogue.policy.plans},
            windows={w.id: w.name for w in catalogue.windows},
            now=self._context.clock.now(),
            stale_days=catalogue.policy.support_list_stale_days,
            zone=self._context.agent_zone,
        )
        self.form.set_catalogue(catalogue.policy, catalogue.windows)
        target = self._pending_select or selected
        self._pending_select = None
        listed = self.incidents.customer_id
        if target is not None and self.model.row_of(target) is not None:
            self.select_customer(target)
        elif self.proxy.rowCount() and self.form.customer is None and not self.form.dirty:
            self.table.selectRow(0)
        if listed is not None and self.incidents.customer_id == listed:
            self.incidents.reload()  # back on the page: incidents moved on meanwhile
        self._update_count()
        self.loaded.emit()

    def _on_failed(self, error: Exception) -> None:
        self.busy = False
        self.message.setText(error_text(error))
        self.message.show()

    def showEvent(self, event: QShowEvent) -> None:
        """Coming back to the page re-reads the lists: staleness moves on with the days."""
        super().showEvent(event)
        if self._shown_once and not self.busy:
            self.reload()
        self._shown_once = True

    def changeEvent(self, event: QEvent) -> None:
        """A new theme: the flag colours and icons follow it."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "model"):
            self.model.refresh_theme()

    # -- selection ---------------------------------------------------------------------------

    def selected_customer_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        customer = rows[0].data(CUSTOMER_ROLE)
        return customer.id if isinstance(customer, Customer) else None

    def select_customer(self, customer_id: str) -> None:
        row = self.model.row_of(customer_id)
        if row is None:
            self._pending_select = customer_id
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():  # filtered out: show everything again
            self.search.clear()
            self.stale_only.setChecked(False)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        customer_id = self.selected_customer_id()
        if customer_id is None:
            return
        row = self.model.row_of(customer_id)
        assert row is not None
        customer = self.model.customer_at(row)
        shown = self.form.customer
        if shown is not None and shown.id == customer.id:
            if not self.form.dirty:
                self.form.show_customer(customer)
            self._show_list(customer)
            return
        if self.form.dirty:
            self._ask_discard(customer)
            return
        self._show(customer)

    def _show(self, customer: Customer | None) -> None:
        self.form.show_customer(customer)
        self._show_list(customer)
        self.incidents.show_customer(customer.id if customer else None)
        self.details_group.setTitle(
            title_text(f"Customer: {customer.name}") if customer else "New customer"
        )

    def _show_list(self, customer: Customer | None) -> None:
        window = None
        if customer is not None and self._catalogue is not None:
            window = next((w for w in self._catalogue.windows if w.id == customer.window_id), None)
        self.support_list.show_customer(customer, self.model.stale_days, phone_hint(window))

    def _ask_discard(self, customer: Customer | None) -> None:
        """The form has unsaved changes: keep them unless the agent says to discard."""
        shown = self.form.customer
        self.table.selectionModel().blockSignals(True)
        if shown is not None:
            self.select_customer(shown.id)
        else:
            self.table.clearSelection()
        self.table.selectionModel().blockSignals(False)
        name = shown.name if shown else "the new customer"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Discard your unsaved changes to {name}?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the name as typed
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def finished(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Discard):
                self.form.show_customer(None)  # drop the edits first
                if customer is None:
                    self._show(None)
                else:
                    self.select_customer(customer.id)

        box.finished.connect(finished)
        if self.discard_box is not None:
            self.discard_box.deleteLater()
        self.discard_box = box
        box.open()

    # -- slots -------------------------------------------------------------------------------

    @Slot(bool)
    def _on_stale_only_toggled(self, stale_only: bool) -> None:
        self.proxy.set_stale_only(stale_only)
        self._update_count()

    @Slot()
    def _update_count(self) -> None:
        total = self.model.rowCount()
        stale = sum(1 for row in range(total) if self.model.index(row, 0).data(STALE_ROLE))
        shown = self.proxy.rowCount()
        text = f"{plural(total, 'customer')}, {stale} with a stale support list"
        if shown != total:
            text = f"Showing {shown} of {text}"
        self.count_label.setText(text)
        empty = total == 0 and self._catalogue is not None
        self.empty_state.setVisible(empty)
        self.table.setVisible(not empty)
        self.count_label.setVisible(not empty)
        no_match = not empty and shown == 0
        if no_match:
            parts = ["No customer"]
            if self.search.text():
                parts.append(f"matches “{self.search.text()}”")
            if self.stale_only.isChecked():
                parts.append("has a stale support list" if len(parts) == 1 else "with a stale list")
            self.no_match_label.setText(
                " ".join(parts)
                + f". Clear the search or the filter to see all {plural(total, 'customer')}."
            )
        self.no_match_label.setVisible(no_match)

    def start_new_customer(self) -> None:
        """Customers → New customer, as the button does (the new-incident form asks for it
        on an empty database)."""
        self._on_new_button_clicked()

    @Slot()
    def _on_new_button_clicked(self) -> None:
        if self.form.dirty:
            self._ask_discard(None)
            return
        self.table.clearSelection()
        self._show(None)
        self.form.name.setFocus()

    @Slot(object)
    def _on_form_customer_saved(self, customer: Customer) -> None:
        self.model.update_customer(customer)
        self.select_customer(customer.id)
        if self.incidents.customer_id != customer.id:
            self.incidents.show_customer(customer.id)  # a new customer: none yet
        self.details_group.setTitle(title_text(f"Customer: {customer.name}"))
        self._show_list(self.model.customer_at(self.model.row_of(customer.id) or 0))
        self._update_count()
        self.customer_changed.emit(customer)

    @Slot(str)
    def _on_incidents_counts_changed(self, counts: str) -> None:
        index = self.tabs.indexOf(self.incidents)
        self.tabs.setTabText(index, f"Incidents · {counts}" if counts else "Incidents")

    def show_incidents(self) -> None:
        """Bring the selected customer's incidents to the front."""
        self.tabs.setCurrentWidget(self.incidents)

    @Slot(object)
    def _on_form_window_saved(self, window: SupportWindow) -> None:
        self.reload()  # a window's name may have changed for every customer on it

    @Slot(object)
    def _on_support_list_customer_changed(self, customer: Customer) -> None:
        self.model.update_customer(customer)
        self._update_count()
        self.customer_changed.emit(customer)

    @Slot()
    def open_policy_editor(self) -> None:
        """The lead's policy editor (read-only for agents)."""
        if self.policy_dialog is not None:
            self.policy_dialog.deleteLater()
        dialog = PolicyEditorDialog(self._context, self._dispatcher, self)
        dialog.policy_saved.connect(self._on_policy_dialog_saved)
        self.policy_dialog = dialog
        dialog.open()

    @Slot(object)
    def _on_policy_dialog_saved(self, version: object) -> None:
        self.reload()
        self.policy_saved.emit(version)
