"""The status-bar item for backups: the last good copy ("Backed up 09:12"), or a warning in
colour and words when there has been none for two days; a click opens Settings → Backups…."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, tzinfo

import qtawesome as qta
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from console.services.backups import BackupStatus
from console.ui.forms import plain_label, plain_tip, plural
from console.ui.theme import current_theme


def status_text(status: BackupStatus, now: datetime, zone: tzinfo | None = None) -> str:
    """'Backed up 09:12', 'Backed up 7 Dec 09:12', 'No backup for 3 days', 'No backup yet'."""
    if status.running:
        return "Backing up…"
    if status.last is None:
        return "No backup yet"
    if status.overdue:
        return f"No backup for {plural(status.days_without, 'day')}"
    local = status.last.at.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"Backed up {local:%H:%M}"
    return f"Backed up {local.day} {local:%b %H:%M}"


def status_tooltip(status: BackupStatus, zone: tzinfo | None = None) -> str:
    lines = []
    if status.last is not None:
        at = status.last.at.astimezone(zone)
        lines.append(f"Last good backup: {at:%a %d %b %Y %H:%M} — {status.last.file}")
        lines.append(f"In {status.last.folder}")
    else:
        lines.append("This database has not been backed up yet.")
    if status.error:
        lines.append(f"The last attempt failed: {status.error}")
    if not status.daily:
        lines.append("Daily backups are off.")
    if not status.chosen:
        lines.append(
            f"Backups go to {status.folder}, on the database's own disk: choose a folder on "
            "another disk or a network share."
        )
    elif status.shares_disk:
        lines.append(f"The backup folder {status.folder} is on the database's own disk.")
    lines.append("Click for backup settings.")
    return "\n".join(lines)


class BackupStatusWidget(QWidget):
    """Shows the latest :class:`BackupStatus` it was given; ``clicked`` asks for the settings."""

    clicked = Signal()

    def __init__(
        self,
        now: Callable[[], datetime] | None = None,
        zone: tzinfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._now = now
        self._zone = zone
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(4)
        self.icon = QLabel()
        self.label = plain_label()  # names a folder the user typed
        layout.addWidget(self.icon)
        layout.addWidget(self.label)
        self.status: BackupStatus | None = None
        self.warning = False

    @Slot(object)
    def show_status(self, status: BackupStatus) -> None:
        self.status = status
        now = self._now() if self._now is not None else datetime.now().astimezone()
        self.warning = not status.running and (status.overdue or bool(status.error))
        if status.running:
            name, state = "mdi6.database-sync-outline", "running"
        elif self.warning:
            name, state = "mdi6.database-alert-outline", "breached"
        elif not status.chosen:
            name, state = "mdi6.database-check-outline", "at_risk"
        else:
            name, state = "mdi6.database-check-outline", "met"
        colour = current_theme().state_color(state)
        self.icon.setPixmap(qta.icon(name, color=colour).pixmap(16, 16))
        self.label.setText(status_text(status, now, self._zone))
        self.label.setStyleSheet(f"color: {colour.name()};" if self.warning else "")
        self.setToolTip(plain_tip(status_tooltip(status, self._zone)))

    @Slot()
    def show_running(self) -> None:
        if self.status is not None:
            self.show_status(replace(self.status, running=True))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)
