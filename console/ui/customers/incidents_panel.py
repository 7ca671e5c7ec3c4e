"""The selected customer's incidents: open ones first, then past ones a page at a time.

Reads run off the GUI thread; a reply for a customer no longer shown is dropped. Enter or a
double-click on a row asks for that incident (``incident_activated``).
"""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import QModelIndex, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.qt.worker import Dispatcher
from console.services.customer_incidents import PAST_PAGE, CustomerIncident, CustomerIncidents
from console.services.customers import CustomerService
from console.ui.customers.incident_model import (
    INCIDENT_ID_ROLE,
    CustomerIncidentModel,
    OpenColumn,
    PastColumn,
)
from console.ui.forms import error_text, hint_label, if_alive, plain_label, set_plain

EMPTY_TEXT = (
    "No incidents for this customer yet. Incidents opened for it, from the queue's "
    "New incident or from its contacts' mail, are listed here: open ones first, then past ones."
)


def count_text(open_count: int, past_count: int) -> str:
    """``3 open · 41 past``."""
    return f"{open_count} open · {past_count} past"


class CustomerIncidentsPanel(QWidget):
    """Open and past incidents of one customer."""

    incident_activated = Signal(str)  # an incident's id: the agent asked to open it
    loaded = Signal()  # a customer's incidents (or one more page) are shown
    counts_changed = Signal(str)  # "3 open · 41 past", '' while nothing is shown

    def __init__(
        self,
        customers: CustomerService,
        dispatcher: Dispatcher,
        zone: tzinfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._customers = customers
        self._dispatcher = dispatcher
        self._customer_id: str | None = None
        self._past_count = 0
        self.busy = False
        self.page_size = PAST_PAGE  # past incidents per read
        self.open_model = CustomerIncidentModel(False, zone, self)
        self.past_model = CustomerIncidentModel(True, zone, self)
        self._build()
        self.open_table.activated.connect(self._on_table_activated)
        self.past_table.activated.connect(self._on_table_activated)
        self.more_button.clicked.connect(self._on_more_button_clicked)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.count_label = plain_label()
        font = self.count_label.font()
        font.setBold(True)
        self.count_label.setFont(font)
        layout.addWidget(self.count_label)
        self.message = hint_label()
        self.message.hide()
        layout.addWidget(self.message)
        self.empty_label = hint_label(EMPTY_TEXT)
        self.empty_label.hide()
        layout.addWidget(self.empty_label)

        self.open_heading = plain_label("Open")
        self.open_table = self._table(self.open_model)
        heads = self.open_table.horizontalHeader()
        heads.setSectionResizeMode(OpenColumn.TITLE, QHeaderView.ResizeMode.Stretch)
        self.open_none = hint_label("No open incidents.")
        layout.addWidget(self.open_heading)
        layout.addWidget(self.open_none)
        layout.addWidget(self.open_table, 2)

        self.past_heading = plain_label("Past")
        self.past_table = self._table(self.past_model)
        heads = self.past_table.horizontalHeader()
        heads.setSectionResizeMode(PastColumn.TITLE, QHeaderView.ResizeMode.Stretch)
        self.past_none = hint_label("No past incidents.")
        layout.addWidget(self.past_heading)
        layout.addWidget(self.past_none)
        layout.addWidget(self.past_table, 3)
        more = QHBoxLayout()
        self.shown_label = hint_label()
        self.more_button = QPushButton("Show more")
        self.more_button.setToolTip("The next page of past incidents")
        more.addWidget(self.shown_label, 1)
        more.addWidget(self.more_button)
        layout.addLayout(more)
        layout.addStretch(0)  # takes the room only while no table shows
        self._layout = layout
        for heading in (self.open_heading, self.past_heading):
            heading.setFont(font)
        self._show_sections(False)

    def _table(self, model: CustomerIncidentModel) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.setTabKeyNavigation(False)
        table.setToolTip("Enter or double-click opens the incident")
        heads = table.horizontalHeader()
        heads.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        heads.setStretchLastSection(False)
        return table

    # -- loading -----------------------------------------------------------------------------

    @property
    def customer_id(self) -> str | None:
        return self._customer_id

    def show_customer(self, customer_id: str | None) -> None:
        """List ``customer_id``'s incidents (read off the GUI thread); None clears."""
        self._customer_id = customer_id
        self.open_model.set_rows(())
        self.past_model.set_rows(())
        self.message.hide()
        self.empty_label.hide()
        self._show_sections(False)
        if customer_id is None:
            self.count_label.clear()
            self.counts_changed.emit("")
            return
        set_plain(self.count_label, "Reading incidents…")
        self.busy = True
        service, page = self._customers, self.page_size

        def read() -> CustomerIncidents:
            return service.incidents(customer_id, page)

        self._dispatcher.submit(
            read, if_alive(self, self._on_read_done), if_alive(self, self._on_read_failed)
        )

    def reload(self) -> None:
        self.show_customer(self._customer_id)

    def _on_read_done(self, incidents: CustomerIncidents) -> None:
        if incidents.customer_id != self._customer_id:
            return  # the agent moved on to another customer meanwhile
        self.busy = False
        self._past_count = incidents.past_count
        self.open_model.set_rows(incidents.open)
        self.past_model.set_rows(incidents.past)
        text = count_text(incidents.open_count, incidents.past_count)
        set_plain(self.count_label, text)
        empty = incidents.open_count == 0 and incidents.past_count == 0
        self.empty_label.setVisible(empty)
        self._show_sections(not empty)
        self._fit_open_table()
        self.counts_changed.emit(text)
        self.loaded.emit()

    def _on_read_failed(self, error: Exception) -> None:
        self.busy = False
        self.count_label.clear()
        set_plain(self.message, f"The incidents could not be read: {error_text(error)}")
        self.message.show()

    def _show_sections(self, shown: bool) -> None:
        has_open = self.open_model.rowCount() > 0
        has_past = self.past_model.rowCount() > 0
        self.open_heading.setVisible(shown)
        self.open_none.setVisible(shown and not has_open)
        self.open_table.setVisible(shown and has_open)
        self.past_heading.setVisible(shown)
        self.past_none.setVisible(shown and not has_past)
        self.past_table.setVisible(shown and has_past)
        self._layout.setStretch(self._layout.count() - 1, 0 if has_open or has_past else 1)
        self._update_more(shown)

    def _update_more(self, shown: bool = True) -> None:
        listed = self.past_model.rowCount()
        more = shown and listed < self._past_count
        self.more_button.setVisible(more)
        self.shown_label.setVisible(more)
        if more:
            set_plain(self.shown_label, f"Showing the latest {listed} of {self._past_count} past")

    def _fit_open_table(self) -> None:
        """The open table is as tall as its rows (up to six), so past ones get the room."""
        rows = min(self.open_model.rowCount(), 6)
        table = self.open_table
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        height += (
            sum(table.rowHeight(r) for r in range(rows))
            or table.verticalHeader().defaultSectionSize()
        )
        if rows < self.open_model.rowCount():
            height += table.horizontalScrollBar().sizeHint().height()
        table.setMaximumHeight(height + 2)

    # -- slots -------------------------------------------------------------------------------

    @Slot()
    def _on_more_button_clicked(self) -> None:
        customer_id = self._customer_id
        if customer_id is None or self.busy:
            return
        offset = self.past_model.rowCount()
        service, page = self._customers, self.page_size
        self.busy = True
        self.more_button.setEnabled(False)

        def read() -> tuple[str, tuple[CustomerIncident, ...]]:
            return customer_id, service.past_incidents(customer_id, offset, page)

        self._dispatcher.submit(
            read, if_alive(self, self._on_more_done), if_alive(self, self._on_more_failed)
        )

    def _on_more_done(self, result: tuple[str, tuple[CustomerIncident, ...]]) -> None:
        self.busy = False
        self.more_button.setEnabled(True)
        customer_id, rows = result
        if customer_id != self._customer_id:
            return
        self.past_model.append(rows)
        self._update_more()
        self.loaded.emit()

    def _on_more_failed(self, error: Exception) -> None:
        self.more_button.setEnabled(True)
        self._on_read_failed(error)

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        incident_id = index.data(INCIDENT_ID_ROLE)
        if isinstance(incident_id, str) and incident_id:
            self.incident_activated.emit(incident_id)
