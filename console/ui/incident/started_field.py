"""When the customer's trouble started, if they know: a wall-clock time in a chosen zone.

Customers give the time as their clocks read it, so the agent types the wall-clock time and
picks its zone (the customer's window zone by default) rather than converting it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateTimeEdit, QHBoxLayout, QWidget

from console.services.ports import Clock


class StartedField(QWidget):
    """A "Known" check box, the date and time, and the zone they are read in."""

    def __init__(self, clock: Clock, agent_zone: ZoneInfo) -> None:
        super().__init__()
        self._clock = clock
        self._agent_zone = agent_zone
        self._zone_chosen = False  # the user picked a zone: customers leave it alone
        self.known = QCheckBox("Known")
        self.time = QDateTimeEdit()
        self.time.setCalendarPopup(True)
        self.time.setDisplayFormat("yyyy-MM-dd HH:mm")
        # Only the wall-clock fields are used (the zone is chosen beside it): UTC here keeps
        # this machine's own summer-time gaps from shifting what the agent types.
        self.time.setTimeZone(QTimeZone.utc())
        self.zone = QComboBox()
        self.zone.setMaxVisibleItems(20)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.known)
        layout.addWidget(self.time)
        layout.addWidget(self.zone, 1)
        self.known.toggled.connect(self._on_known_toggled)
        self.zone.activated.connect(self._on_zone_activated)
        self._on_known_toggled(False)

    def fill_zones(self, first: list[str]) -> None:
        """Offer ``first`` (the customers' window zones), the agent's and UTC, then the rest."""
        seen: list[str] = []
        for name in [*first, self._agent_zone.key, "UTC"]:
            if name not in seen:
                seen.append(name)
        self.zone.clear()
        for name in seen:
            self.zone.addItem(name, name)
        self.zone.insertSeparator(self.zone.count())
        for name in sorted(available_timezones()):
            if name not in seen and "/" in name and not name.startswith(("posix/", "right/")):
                self.zone.addItem(name, name)
        self.zone.setCurrentIndex(self.zone.findData(self._agent_zone.key))

    def follow_zone(self, name: str) -> None:
        """Read the time in ``name`` (the customer's window zone) unless the agent chose one."""
        if self._zone_chosen:
            return
        index = self.zone.findData(name)
        if index >= 0:
            self.zone.setCurrentIndex(index)
            self.reset_time()

    def reset_time(self) -> None:
        """Show the current time in the chosen zone, until the agent says the start is known."""
        zone = self._chosen_zone()
        if zone is None or self.known.isChecked():
            return
        local = self._clock.now().astimezone(zone)
        self.time.setDateTime(
            QDateTime(
                QDate(local.year, local.month, local.day),
                QTime(local.hour, local.minute),
                QTimeZone.utc(),
            )
        )

    def value(self) -> datetime | None:
        """The start as an aware time in the chosen zone; None unless it is known."""
        zone = self._chosen_zone()
        if not self.known.isChecked() or zone is None:
            return None
        shown = self.time.dateTime()
        day, clock = shown.date(), shown.time()
        return datetime(
            day.year(), day.month(), day.day(), clock.hour(), clock.minute(), tzinfo=zone
        )

    def _chosen_zone(self) -> ZoneInfo | None:
        name = self.zone.currentData()
        return ZoneInfo(str(name)) if name else None

    @Slot(bool)
    def _on_known_toggled(self, known: bool) -> None:
        self.time.setEnabled(known)
        self.zone.setEnabled(known)

    @Slot()
    def _on_zone_activated(self) -> None:
        self._zone_chosen = True
