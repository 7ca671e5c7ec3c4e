"""The history filters: search text, period, customers, priorities, plans, outcome, exclusions.

The outcome filter is the first response's outcome when the list is read (met, missed,
pending), the very rule attainment counts with: "First response missed" lists exactly the
incidents attainment counts as missed.

Customers, priorities and plans take several values each (``MultiChoice``); none means any.
Each change emits ``filter_changed`` with a fresh ``IncidentFilter`` (typing waits for a
short pause first). ``describe`` says in words which filters are in force, for the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

import qtawesome as qta
from PySide6.QtCore import QDate, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from console.domain.outcomes import Outcome
from console.services.ports import Clock, IncidentFilter
from console.ui.history.multichoice import MultiChoice

TYPING_PAUSE_MS = 300

PERIODS: tuple[tuple[str, int | None], ...] = (
    ("Any time", None),
    ("Last 7 days", 7),
    ("Last 30 days", 30),
    ("Last 90 days", 90),
    ("Last 12 months", 365),
    ("Between dates…", -1),
)
# The first response's outcome now, by the rule attainment counts with (excluded ones left out).
OUTCOMES: tuple[tuple[str, Outcome | None], ...] = (
    ("Any first response", None),
    ("First response met", Outcome.MET),
    ("First response missed", Outcome.MISSED),
    ("First response pending", Outcome.PENDING),
)
OUTCOME_TIP = (
    "Met: a response to the customer at or before the deadline. Missed: none by the deadline "
    "(or a late one; resolving is not a response). Pending: no response yet, deadline still "
    "ahead. Excluded incidents are in none of these."
)
EXCLUSIONS: tuple[tuple[str, bool | None], ...] = (
    ("With excluded", None),
    ("Without excluded", False),
    ("Only excluded", True),
)


def _combo(items: Sequence[tuple[str, object]], tip: str) -> QComboBox:
    combo = QComboBox()
    for text, value in items:
        combo.addItem(text, value)
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def _day(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class FilterBar(QWidget):
    filter_changed = Signal(object)  # IncidentFilter

    def __init__(self, clock: Clock, zone: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._zone = zone
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles, reports, notes and updates…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(qta.icon("mdi6.magnify"), QLineEdit.ActionPosition.LeadingPosition)
        self.period = _combo(PERIODS, "When the incidents were opened")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addMonths(-1))
        self.date_to = QDateEdit(today)
        for edit, tip in ((self.date_from, "Opened on or after"), (self.date_to, "up to and on")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setToolTip(tip)
        self.customer = MultiChoice("Customer", "Any customer", ("customer", "customers"))
        self.priority = MultiChoice("Priority", "Any priority", ("priority", "priorities"))
        self.plan = MultiChoice(
            "Plan", "Any plan", ("plan", "plans"), "Plan the incident was opened under"
        )
        self.outcome = _combo(OUTCOMES, OUTCOME_TIP)
        self.excluded = _combo(EXCLUSIONS, "Incidents excluded from support")
        self.clear_button = QToolButton()
        self.clear_button.setIcon(qta.icon("mdi6.filter-remove-outline"))
        self.clear_button.setText("Clear")
        self.clear_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.clear_button.setToolTip("Clear every filter")

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.search, 0, 0, 1, 4)
        grid.addWidget(self.period, 0, 4)
        self.dates = QWidget()
        dates = QGridLayout(self.dates)
        dates.setContentsMargins(0, 0, 0, 0)
        dates.addWidget(self.date_from, 0, 0)
        dates.addWidget(QLabel("to"), 0, 1)
        dates.addWidget(self.date_to, 0, 2)
        grid.addWidget(self.dates, 0, 5, 1, 2)
        for column, widget in enumerate(
            (self.customer, self.priority, self.plan, self.outcome, self.excluded)
        ):
            grid.addWidget(widget, 1, column)
        grid.addWidget(self.clear_button, 1, 5, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(6, 1)
        self.dates.setVisible(False)

        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.apply)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self.apply)
        self.period.currentIndexChanged.connect(self._on_period_current_index_changed)
        for choice in (self.customer, self.priority, self.plan):
            choice.chosen_changed.connect(self.apply)
        for combo in (self.outcome, self.excluded):
            combo.currentIndexChanged.connect(self.apply)
        self.date_from.dateChanged.connect(self.apply)
        self.date_to.dateChanged.connect(self.apply)
        self.clear_button.clicked.connect(self.clear)

    def set_choices(
        self,
        customers: Sequence[tuple[str, str]],
        priorities: Sequence[str],
        plans: Sequence[tuple[str, str]],
    ) -> None:
        """Fill the customer, priority and plan lists (id, name), keeping what is chosen."""
        self.customer.set_choices(customers)
        self.priority.set_choices([(p, p) for p in priorities])
        self.plan.set_choices(plans)

    # -- the filter -------------------------------------------------------------------------

    def current(self) -> IncidentFilter:
        opened_from, opened_to = self._period()
        outcome = self.outcome.currentData()  # Qt may hand the enum back as a plain str
        return IncidentFilter(
            text=self.search.text().strip(),
            customer_ids=self.customer.chosen(),
            priorities=self.priority.chosen(),
            plans=self.plan.chosen(),
            opened_from=opened_from,
            opened_to=opened_to,
            outcome=Outcome(outcome) if outcome else None,
            excluded=self.excluded.currentData(),
        )

    def _period(self) -> tuple[datetime | None, datetime | None]:
        days = self.period.currentData()
        if days is None:
            return None, None
        if days == -1:
            start = _day(self.date_from.date())
            end = _day(self.date_to.date()) + timedelta(days=1)
            return (
                datetime.combine(start, time(), self._zone),
                datetime.combine(end, time(), self._zone),
            )
        return self._clock.now() - timedelta(days=days), None

    def describe(self) -> list[str]:
        """The filters in force, in words ("Any" ones left out; several values joined by "or")."""
        flt, parts = self.current(), []
        if flt.text:
            parts.append(f"Search: “{flt.text}”")
        if self.period.currentData() == -1:
            parts.append(
                f"Opened from {self.date_from.date().toString('dd MMM yyyy')} "
                f"to {self.date_to.date().toString('dd MMM yyyy')}"
            )
        elif self.period.currentData() is not None:
            parts.append(f"Opened in the {self.period.currentText().lower()}")
        for choice in (self.customer, self.priority, self.plan):
            if words := choice.describe():
                parts.append(words)
        for combo in (self.outcome, self.excluded):
            if combo.currentIndex() > 0:
                parts.append(combo.currentText())
        return parts or ["No filters: every incident"]

    # -- changes ----------------------------------------------------------------------------

    @Slot()
    def apply(self) -> None:
        self._typing.stop()
        self.filter_changed.emit(self.current())

    @Slot()
    def clear(self) -> None:
        combos = (self.period, self.outcome, self.excluded)
        choices = (self.customer, self.priority, self.plan)
        widgets = (self.search, *combos, *choices)
        for widget in widgets:
            widget.blockSignals(True)
        self.search.clear()
        for combo in combos:
            combo.setCurrentIndex(0)
        for choice in choices:
            choice.clear_choice()
        for widget in widgets:
            widget.blockSignals(False)
        self.dates.setVisible(False)
        self.apply()

    @Slot(str)
    def _on_search_text_changed(self, _: str) -> None:
        self._typing.start()

    @Slot(int)
    def _on_period_current_index_changed(self, _: int) -> None:
        self.dates.setVisible(self.period.currentData() == -1)
        self.apply()
