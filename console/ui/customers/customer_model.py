"""The customer list: plan, window, support-list size and whether the list is stale.

A stale list is flagged three ways at once (colour, icon and words), so the flag reads for
colour-blind agents and in a screenshot pasted into a ticket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import IntEnum
from typing import Any

import qtawesome as qta
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

from console.domain.records import Customer
from console.services.customers import is_list_stale
from console.ui.customers.common import age_text, day_text, ok_colour, warning_colour
from console.ui.forms import plain_tip

CUSTOMER_ROLE = Qt.ItemDataRole.UserRole + 1  # the Customer of the row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts the column sensibly
STALE_ROLE = Qt.ItemDataRole.UserRole + 3  # True when the support list needs confirming

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    PLAN = 1
    WINDOW = 2
    CONTACTS = 3
    LIST = 4


_HEADERS = {
    Column.NAME: "Customer",
    Column.PLAN: "Plan",
    Column.WINDOW: "Support window",
    Column.CONTACTS: "People",
    Column.LIST: "List confirmed",
}


@dataclass(frozen=True, slots=True)
class ListStatus:
    """Where a customer's support list stands against the policy's threshold."""

    stale: bool
    text: str  # short, for the list cell
    detail: str  # a sentence, for tooltips and the editor's banner
    age: timedelta | None  # since the last confirmation; None when never confirmed


def list_status(customer: Customer, now: datetime, stale_days: int, zone: tzinfo) -> ListStatus:
    stale = is_list_stale(customer, now, stale_days)
    confirmed = customer.list_confirmed_at
    if confirmed is None:
        return ListStatus(
            True,
            "Never confirmed",
            "The customer has never confirmed this support list: ask them to check it.",
            None,
        )
    age = now - confirmed
    when = f"{day_text(confirmed, zone)} ({age_text(age)})"
    if stale:
        return ListStatus(
            True,
            f"Stale: {age_text(age)}",
            f"Last confirmed {when}: older than the policy's {stale_days} days. "
            "Ask the customer to confirm or correct it.",
            age,
        )
    return ListStatus(False, age_text(age).capitalize(), f"Last confirmed {when}.", age)


@dataclass(frozen=True, slots=True)
class _Row:
    customer: Customer
    status: ListStatus


class CustomerListModel(QAbstractTableModel):
    """Rows of customers; reloads with the same customers only repaint, others reset."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._plans: dict[str, str] = {}
        self._windows: dict[str, str] = {}
        self._now = datetime.min
        self._stale_days = 90
        self._zone: tzinfo | None = None
        self._icons: dict[str, QIcon] = {}
        self._colours: dict[str, QColor] = {}
        self.refresh_theme()

    # -- feeding -----------------------------------------------------------------------------

    def set_customers(
        self,
        customers: Sequence[Customer],
        *,
        plans: Mapping[str, str],
        windows: Mapping[str, str],
        now: datetime,
        stale_days: int,
        zone: tzinfo,
    ) -> None:
        """Show ``customers``; ``plans``/``windows`` map ids to names."""
        self._plans, self._windows = dict(plans), dict(windows)
        self._now, self._stale_days, self._zone = now, stale_days, zone
        rows = [self._row(c) for c in customers]
        if [r.customer.id for r in rows] == [r.customer.id for r in self._rows]:
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(Column) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def update_customer(self, customer: Customer) -> QModelIndex:
        """Replace one customer (or append a new one); returns its first cell."""
        row = self.row_of(customer.id)
        if row is None:
            position = len(self._rows)
            self.beginInsertRows(QModelIndex(), position, position)
            self._rows.append(self._row(customer))
            self.endInsertRows()
            return self.index(position, 0)
        self._rows[row] = self._row(customer)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
        return self.index(row, 0)

    def refresh_theme(self) -> None:
        """Recompute the flag colours and icons for the current palette."""
        warn, ok = warning_colour(), ok_colour()
        self._colours = {"stale": warn, "ok": ok}
        self._icons = {
            "stale": qta.icon("mdi6.alert-circle", color=warn),
            "never": qta.icon("mdi6.help-circle", color=warn),
            "ok": qta.icon("mdi6.check-circle-outline", color=ok),
        }
        if self._rows:
            self.dataChanged.emit(
                self.index(0, Column.LIST),
                self.index(len(self._rows) - 1, Column.LIST),
                [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ForegroundRole],
            )

    def _row(self, customer: Customer) -> _Row:
        assert self._zone is not None
        return _Row(customer, list_status(customer, self._now, self._stale_days, self._zone))

    # -- reading -----------------------------------------------------------------------------

    def row_of(self, customer_id: str) -> int | None:
        for row, item in enumerate(self._rows):
            if item.customer.id == customer_id:
                return row
        return None

    def customer_at(self, row: int) -> Customer:
        return self._rows[row].customer

    def status_of(self, customer_id: str) -> ListStatus | None:
        row = self.row_of(customer_id)
        return None if row is None else self._rows[row].status

    @property
    def stale_days(self) -> int:
        return self._stale_days

    # -- Qt model ----------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(Column)
        ):
            return _HEADERS[Column(section)]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        customer, status = item.customer, item.status
        column = Column(index.column())
        if role == CUSTOMER_ROLE:
            return customer
        if role == STALE_ROLE:
            return status.stale
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            return self._display(customer, status, column, sort=role == SORT_ROLE)
        if column is Column.LIST:
            return self._list_cell(customer, status, role)
        if role == Qt.ItemDataRole.ToolTipRole and column is Column.WINDOW:
            return plain_tip(self._windows.get(customer.window_id, ""))
        if role == Qt.ItemDataRole.TextAlignmentRole and column is Column.CONTACTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, customer: Customer, status: ListStatus, column: Column, sort: bool) -> Any:
        if column is Column.NAME:
            return customer.name.casefold() if sort else customer.name
        if column is Column.PLAN:
            return self._plans.get(customer.plan, customer.plan)
        if column is Column.WINDOW:
            return self._windows.get(customer.window_id, "(missing window)")
        if column is Column.CONTACTS:
            return len(customer.contacts) if sort else str(len(customer.contacts))
        if sort:  # stale first, the oldest first; never confirmed above all
            age = status.age.total_seconds() if status.age is not None else float("inf")
            return -age
        return status.text

    def _list_cell(self, customer: Customer, status: ListStatus, role: int) -> Any:
        key = "ok" if not status.stale else "never" if status.age is None else "stale"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icons[key]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colours["stale" if status.stale else "ok"]
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(status.detail)
        return None
