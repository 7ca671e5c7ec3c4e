"""The status-bar item for sync: online or offline, pending changes, the last sync."""

from __future__ import annotations

from datetime import tzinfo

import qtawesome as qta
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from console.services.sync import SyncState, SyncStatus
from console.ui.forms import plain_label, plain_tip
from console.ui.theme import current_theme

_ICONS = {
    SyncState.OFF: ("mdi6.cloud-off-outline", "pending"),
    SyncState.CONNECTING: ("mdi6.cloud-sync-outline", "running"),
    SyncState.ONLINE: ("mdi6.cloud-check-outline", "met"),
    SyncState.OFFLINE: ("mdi6.cloud-alert-outline", "breached"),
}


def status_text(status: SyncStatus, zone: tzinfo | None = None) -> str:
    """'Online · 2 pending · synced 10:42:05' — short enough for a status bar."""
    parts = {
        SyncState.OFF: ["Sync off"],
        SyncState.CONNECTING: ["Connecting…"],
        SyncState.ONLINE: ["Online"],
        SyncState.OFFLINE: ["Offline"],
    }[status.state]
    if status.state is not SyncState.OFF or status.pending:
        parts.append(f"{status.pending} pending" if status.pending else "all sent")
    if status.last_sync is not None:
        parts.append(f"synced {status.last_sync.astimezone(zone).strftime('%H:%M:%S')}")
    if status.conflicts:
        parts.append(f"{status.conflicts} conflict{'s' if status.conflicts != 1 else ''}")
    return " · ".join(parts)


def status_tooltip(status: SyncStatus, zone: tzinfo | None = None) -> str:
    lines = [f"Sync server: {status.server}" if status.server else "Sync is not set up."]
    if status.last_sync is not None:
        lines.append(f"Last sync: {status.last_sync.astimezone(zone):%a %d %b %Y %H:%M:%S %Z}")
    if status.pending:
        lines.append(f"{status.pending} local change(s) not yet on the server (kept safely).")
    if status.last_error:
        lines.append(status.last_error)
    if status.conflicts:
        lines.append(f"{status.conflicts} edit(s) lost to a concurrent edit: see Sync settings.")
    lines.append("Click for sync settings.")
    return "\n".join(lines)


class SyncStatusWidget(QWidget):
    """Shows the latest :class:`SyncStatus` it was given; ``clicked`` asks for the settings."""

    clicked = Signal()

    def __init__(self, zone: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(4)
        self.icon = QLabel()
        self.label = plain_label()  # the server's words and name, as sent
        layout.addWidget(self.icon)
        layout.addWidget(self.label)
        self.status = SyncStatus()
        self.show_status(self.status)

    @Slot(object)
    def show_status(self, status: SyncStatus) -> None:
        self.status = status
        name, state = _ICONS[status.state]
        colour = current_theme().state_color(state)
        self.icon.setPixmap(qta.icon(name, color=colour).pixmap(16, 16))
        self.label.setText(status_text(status, self._zone))
        self.setToolTip(plain_tip(status_tooltip(status, self._zone)))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)
