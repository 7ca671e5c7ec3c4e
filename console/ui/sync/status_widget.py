"""The status-bar item for sync: online or offline, pending changes, the last sync, and the
changes set aside (refused by the server, or impossible to merge here) with their reasons."""

from __future__ import annotations

from datetime import tzinfo

import qtawesome as qta
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from console.services.sync import SHOWN_SET_ASIDE, SyncState, SyncStatus
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
    if status.quarantined:
        parts.append(f"{status.quarantined} set aside")
    return " · ".join(parts)


#: How many reasons the tooltip lists before "and N more".
SHOWN_REASONS = SHOWN_SET_ASIDE


def status_tooltip(status: SyncStatus, zone: tzinfo | None = None) -> str:
    """The tooltip, as plain text."""
    lines = [f"Sync server: {status.server}" if status.server else "Sync is not set up."]
    if status.member:
        role = f" ({status.role})" if status.role else ""
        lines.append(f"Signed in to the server as {status.member}{role}.")
    if status.last_sync is not None:
        lines.append(f"Last sync: {status.last_sync.astimezone(zone):%a %d %b %Y %H:%M:%S %Z}")
    if status.pending:
        lines.append(f"{status.pending} local change(s) not yet on the server (kept safely).")
    if status.last_error:
        lines.append(status.last_error)
    if status.conflicts:
        lines.append(f"{status.conflicts} edit(s) lost to a concurrent edit: see Sync settings.")
    if status.quarantined:
        lines.append(
            f"{status.quarantined} change(s) set aside, not merged (sync goes on without them):"
        )
        shown = list(status.set_aside)[:SHOWN_REASONS]
        lines.extend(f"• {reason}" for reason in shown)
        if status.quarantined > len(shown):
            lines.append(f"  and {status.quarantined - len(shown)} more.")
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
        self._show_tip()

    def _show_tip(self) -> None:
        tip = status_tooltip(self.status, self._zone)
        self.setToolTip(plain_tip(tip))  # remote words are shown as plain text, never markup

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)
