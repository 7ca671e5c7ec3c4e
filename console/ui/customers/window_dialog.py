"""Create or edit a support window: hours in the calendar grammar, zone, holidays, preview.

The hours and the zone are checked as they are typed (the calendar's own message says what
is wrong and where; a zone must be one of this machine's installed IANA zones, never a folder
such as "Europe" or a path) and the preview shows when this calendar next opens and closes,
from now. Saving goes through the service, which checks everything again and answers per field.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

import holidays
import qtawesome as qta
from PySide6.QtCore import QDate, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.calendar import BusinessCalendar
from console.domain.countdown import format_span
from console.domain.explain import when
from console.domain.records import SupportWindow
from console.qt.worker import Dispatcher
from console.services import validation
from console.services.context import ConsoleContext
from console.ui.forms import FieldErrors, error_label, hint_label, if_alive, with_error

_EXAMPLES = (
    "For example: Mon-Fri 09:00-17:30 · Mon-Fri 08:00-12:00,13:00-17:00; Sat 10:00-14:00 · "
    "Sun-Thu 22:00-06:00 (overnight) · 24x7"
)


@cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


@cache
def holiday_countries() -> tuple[tuple[str, str], ...]:
    """(code, "US — United States") for every country the ``holidays`` package knows."""
    names: dict[str, str] = {}
    try:
        table = resources.files("tzdata").joinpath("zoneinfo/iso3166.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        table = ""
    for line in table.splitlines():
        if line and not line.startswith("#") and "\t" in line:
            code, name = line.split("\t", 1)
            names[code] = name.strip()
    codes = sorted(c for c in holidays.list_supported_countries() if len(c) == 2)
    return tuple((c, f"{c} — {names[c]}" if c in names else c) for c in codes)


@cache
def subdivisions(country: str) -> tuple[tuple[str, str], ...]:
    """(code, "NSW — New South Wales") for the country's subdivisions."""
    supported = holidays.list_supported_countries()
    codes = [str(s) for s in supported.get(country, [])]
    if not codes:
        return ()
    try:
        aliases = holidays.country_holidays(country).get_subdivision_aliases()
    except (NotImplementedError, AttributeError):
        aliases = {}
    out = []
    for code in codes:
        names = [str(n) for n in aliases.get(code, [])]
        out.append((code, f"{code} — {names[0]}" if names else code))
    return tuple(out)


def _searchable(combo: QComboBox, placeholder: str) -> None:
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.setMaxVisibleItems(20)
    completer = QCompleter(combo.model(), combo)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    combo.setCompleter(completer)
    line = combo.lineEdit()
    if line is not None:
        line.setPlaceholderText(placeholder)


class WindowEditorDialog(QDialog):
    """Edits ``window``, or creates a new window when it is None."""

    window_saved = Signal(object)  # SupportWindow

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
        window: SupportWindow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._window = window
        self.busy = False
        self.setWindowTitle(f"Support window: {window.name}" if window else "New support window")
        self.resize(780, 600)
        self._build()
        self._fill(window)
        self._connect_signals()
        self._on_inputs_changed()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.general_error = error_label()
        layout.addWidget(self.general_error)
        self.errors = FieldErrors(self.general_error)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Central Europe, extended hours")
        box, label = with_error(self.name)
        form.addRow("Name", box)
        self.errors.add("name", self.name, label)

        self.hours = QLineEdit()
        self.hours.setPlaceholderText("Mon-Fri 09:00-17:30")
        self.hours_reading = hint_label()
        hours_box = QWidget()
        hours_layout = QVBoxLayout(hours_box)
        hours_layout.setContentsMargins(0, 0, 0, 0)
        hours_layout.setSpacing(2)
        hours_layout.addWidget(self.hours)
        self.hours_message = error_label()
        hours_layout.addWidget(self.hours_message)
        hours_layout.addWidget(self.hours_reading)
        hours_layout.addWidget(hint_label(_EXAMPLES))
        form.addRow("Hours", hours_box)
        self.errors.add("hours", self.hours, self.hours_message)

        self.zone = QComboBox()
        self.zone.addItems(list(zone_names()))
        _searchable(self.zone, "Type to search, e.g. London or Sydney")
        box, label = with_error(self.zone, hint_label("The clocks follow this zone's local time."))
        form.addRow("Time zone", box)
        self.errors.add("zone", self.zone, label)
        self.zone_message = label

        holidays_group = QGroupBox("Holidays (the window is closed all day)")
        holidays_form = QFormLayout(holidays_group)
        holidays_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        country_row = QHBoxLayout()
        self.country = QComboBox()
        self.country.addItem("No public holidays", "")
        for code, label_text in holiday_countries():
            self.country.addItem(label_text, code)
        _searchable(self.country, "Type to search countries")
        self.subdivision = QComboBox()
        self.subdivision.setMinimumWidth(200)
        country_row.addWidget(self.country, 2)
        country_row.addWidget(self.subdivision, 1)
        country_box = QWidget()
        country_box.setLayout(country_row)
        country_row.setContentsMargins(0, 0, 0, 0)
        box, label = with_error(country_box)
        holidays_form.addRow("Public holidays of", box)
        self.errors.add("holiday_country", self.country, label)

        dates_row = QHBoxLayout()
        dates_row.setContentsMargins(0, 0, 0, 0)
        self.holiday_list = QListWidget()
        self.holiday_list.setMaximumHeight(96)
        dates_row.addWidget(self.holiday_list, 1)
        date_tools = QVBoxLayout()
        self.holiday_date = QDateEdit()
        self.holiday_date.setCalendarPopup(True)
        self.holiday_date.setDisplayFormat("ddd dd MMM yyyy")
        today = self._context.clock.now().astimezone(self._context.agent_zone).date()
        self.holiday_date.setDate(QDate(today.year, today.month, today.day))
        self.add_holiday = QPushButton(qta.icon("mdi6.calendar-plus"), "Add date")
        self.remove_holiday = QPushButton(qta.icon("mdi6.calendar-remove"), "Remove")
        date_tools.addWidget(self.holiday_date)
        date_tools.addWidget(self.add_holiday)
        date_tools.addWidget(self.remove_holiday)
        date_tools.addStretch(1)
        dates_row.addLayout(date_tools)
        dates_box = QWidget()
        dates_box.setLayout(dates_row)
        box, label = with_error(dates_box)
        holidays_form.addRow("Other closed dates", box)
        self.errors.add("holidays", self.holiday_list, label)
        layout.addWidget(holidays_group)

        preview = QGroupBox("Preview from now")
        preview_form = QFormLayout(preview)
        self.preview_state = QLabel()
        self.preview_open = QLabel()
        self.preview_close = QLabel()
        for label_widget in (self.preview_state, self.preview_open, self.preview_close):
            label_widget.setWordWrap(True)
            label_widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        preview_form.addRow("Now", self.preview_state)
        preview_form.addRow("Next opening", self.preview_open)
        preview_form.addRow("Next closing", self.preview_close)
        layout.addWidget(preview)
        layout.addStretch(1)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setIcon(qta.icon("mdi6.content-save"))
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _fill(self, window: SupportWindow | None) -> None:
        if window is None:
            self.hours.setText("Mon-Fri 09:00-17:30")
            self._set_zone(self._context.agent_zone.key)
            self._fill_subdivisions("")
            return
        self.name.setText(window.name)
        self.hours.setText(window.hours)
        self._set_zone(window.zone)
        index = self.country.findData(window.holiday_country)
        self.country.setCurrentIndex(max(0, index))
        self._fill_subdivisions(window.holiday_country, window.holiday_subdivision)
        for day in window.holidays:
            self._add_date(day)

    def _connect_signals(self) -> None:
        self.name.returnPressed.connect(self._on_buttons_accepted)
        self.hours.textChanged.connect(self._on_inputs_changed)
        self.zone.currentIndexChanged.connect(self._on_inputs_changed)
        self.zone.editTextChanged.connect(self._on_inputs_changed)
        self.country.currentIndexChanged.connect(self._on_country_changed)
        self.subdivision.currentIndexChanged.connect(self._on_inputs_changed)
        self.add_holiday.clicked.connect(self._on_add_holiday_clicked)
        self.remove_holiday.clicked.connect(self._on_remove_holiday_clicked)

    def _set_zone(self, zone: str) -> None:
        index = self.zone.findText(zone)
        if index < 0:
            self.zone.addItem(zone)
            index = self.zone.count() - 1
        self.zone.setCurrentIndex(index)

    def _fill_subdivisions(self, country: str, chosen: str = "") -> None:
        self.subdivision.blockSignals(True)
        self.subdivision.clear()
        options = subdivisions(country) if country else ()
        self.subdivision.addItem("Whole country" if options else "No subdivisions", "")
        for code, text in options:
            self.subdivision.addItem(text, code)
        self.subdivision.setCurrentIndex(max(0, self.subdivision.findData(chosen)))
        self.subdivision.setEnabled(bool(options))
        self.subdivision.blockSignals(False)

    def _add_date(self, day: date) -> None:
        for row in range(self.holiday_list.count()):
            if self.holiday_list.item(row).data(Qt.ItemDataRole.UserRole) == day:
                return
        item = QListWidgetItem(f"{day:%a %d %b %Y}")
        item.setData(Qt.ItemDataRole.UserRole, day)
        days = self.holiday_dates()
        position = sum(1 for d in days if d < day)
        self.holiday_list.insertItem(position, item)

    # -- values ------------------------------------------------------------------------------

    def zone_name(self) -> str:
        return self.zone.currentText().strip()

    def holiday_dates(self) -> list[date]:
        return [
            self.holiday_list.item(row).data(Qt.ItemDataRole.UserRole)
            for row in range(self.holiday_list.count())
        ]

    def country_code(self) -> str:
        return str(self.country.currentData() or "")

    def subdivision_code(self) -> str:
        return str(self.subdivision.currentData() or "")

    def calendar(self) -> BusinessCalendar:
        """The calendar the fields describe; ValueError says what is wrong."""
        return BusinessCalendar.parse(
            self.hours.text().strip(),
            self.zone_name(),
            holidays=self.holiday_dates(),
            holiday_country=self.country_code() or None,
            holiday_subdivision=self.subdivision_code() or None,
        )

    # -- live checks -------------------------------------------------------------------------

    @Slot()
    def _on_country_changed(self) -> None:
        self._fill_subdivisions(self.country_code())
        self._on_inputs_changed()

    def zone_problem(self) -> str:
        """What is wrong with the zone as typed, in the service's words ("" when it is known)."""
        try:
            validation.zone(self.zone_name())
        except ValueError as exc:
            return str(exc)
        return ""

    @Slot()
    def _on_inputs_changed(self) -> None:
        zone_problem = self.zone_problem()
        self.zone_message.setText(zone_problem)
        self.zone_message.setVisible(bool(zone_problem))
        hours = self.hours.text().strip()
        problem = ""
        if not hours:
            problem = 'The hours are required, for example "Mon-Fri 09:00-17:30".'
        else:
            try:
                BusinessCalendar.parse(hours, "UTC" if zone_problem else self.zone_name())
            except ValueError as exc:
                problem = str(exc)[:1].upper() + str(exc)[1:]
        if problem:
            self.hours_message.setText(problem)
            self.hours_message.show()
            self.hours_reading.hide()
        else:
            self.hours_message.hide()
        self._update_preview(problem, zone_problem)

    def _update_preview(self, hours_problem: str, zone_problem: str = "") -> None:
        if hours_problem or zone_problem:
            what = "hours" if hours_problem else "time zone"
            self.preview_state.setText(f"Correct the {what} to see when this window opens.")
            self.preview_open.setText("—")
            self.preview_close.setText("—")
            self.hours_reading.hide()
            return
        try:
            calendar = self.calendar()
        except (ValueError, KeyError) as exc:
            self.preview_state.setText(f"No preview: {exc}")
            self.preview_open.setText("—")
            self.preview_close.setText("—")
            self.hours_reading.hide()
            return
        self.hours_reading.setText("Reads as: " + calendar.describe())
        self.hours_reading.show()
        now = self._context.clock.now()
        zone = calendar.zone
        agent = self._context.agent_zone
        open_now = calendar.is_open(now)
        next_open = calendar.next_open(now)
        if next_open is None:
            self.preview_state.setText("This window never opens: check the hours and holidays.")
            self.preview_open.setText("—")
            self.preview_close.setText("—")
            return
        if open_now:
            close = calendar.next_close(now)
            self.preview_state.setText(f"Open ({when(now, zone)})")
            reopen = calendar.next_open(close) if close is not None else None
            self.preview_open.setText(self._instant(reopen, now, agent, "again"))
            self.preview_close.setText(self._instant(close, now, agent))
        else:
            close = calendar.next_close(next_open)
            self.preview_state.setText(f"Closed ({when(now, zone)})")
            self.preview_open.setText(self._instant(next_open, now, agent))
            self.preview_close.setText(self._instant(close, now, agent))

    @staticmethod
    def _instant(at: datetime | None, now: datetime, agent: ZoneInfo, note: str = "") -> str:
        if at is None:
            return "Never: the window stays open." if not note else "—"
        local = at.astimezone(agent)
        mine = f"{local:%a %H:%M} {local.tzname()} your time"
        return f"{when(at, at.tzinfo or agent)} — in {format_span(at - now)} ({mine})"

    # -- holidays ----------------------------------------------------------------------------

    @Slot()
    def _on_add_holiday_clicked(self) -> None:
        picked = self.holiday_date.date()
        self._add_date(date(picked.year(), picked.month(), picked.day()))
        self._on_inputs_changed()

    @Slot()
    def _on_remove_holiday_clicked(self) -> None:
        for item in self.holiday_list.selectedItems():
            self.holiday_list.takeItem(self.holiday_list.row(item))
        self._on_inputs_changed()

    # -- saving ------------------------------------------------------------------------------

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if self.busy:
            return
        service = self._context.customers
        name, hours, zone = self.name.text(), self.hours.text(), self.zone_name()
        days, country, subdivision = (
            self.holiday_dates(),
            self.country_code(),
            self.subdivision_code(),
        )
        window_id = self._window.id if self._window else None

        def save() -> SupportWindow:
            if window_id is None:
                return service.create_window(
                    name,
                    hours,
                    zone,
                    holidays=days,
                    holiday_country=country,
                    holiday_subdivision=subdivision,
                )
            return service.edit_window(
                window_id,
                name=name,
                hours=hours,
                zone=zone,
                holidays=days,
                holiday_country=country,
                holiday_subdivision=subdivision,
            )

        self.busy = True
        self.save_button.setEnabled(False)
        self._dispatcher.submit(
            save, if_alive(self, self._on_saved), if_alive(self, self._on_failed)
        )

    def _on_saved(self, window: SupportWindow) -> None:
        self.busy = False
        self.save_button.setEnabled(True)
        self.errors.clear()
        self._window = window
        self.window_saved.emit(window)
        self.accept()

    def _on_failed(self, error: Exception) -> None:
        self.busy = False
        self.save_button.setEnabled(True)
        self.errors.show_exception(error)
        self.hours_reading.hide()
