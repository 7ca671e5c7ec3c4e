"""The status-bar item for mail: when each mailbox was last checked, a failed check's words
in red (the full words in the tooltip, as plain text), and the mail waiting in the outbox
("Outbox: 2 waiting, 1 deferred")."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QWidget

from console.qt.mail_worker import WatchStatus
from console.ui.forms import error_colour, plain_label, plain_tip
from console.ui.theme import current_theme

__all__ = ["MailStatusWidget", "outbox_text", "status_text", "status_tooltip"]

_SHORT = 70  # characters of a failure's words in the bar; the tooltip has them all


def _time(status: WatchStatus, zone: tzinfo | None) -> str:
    return status.checked_at.astimezone(zone).strftime("%H:%M") if status.checked_at else "—"


def _failed_words(status: WatchStatus) -> str:
    words = " ".join(status.error.split())
    return words if len(words) <= _SHORT else words[: _SHORT - 1] + "…"


def status_text(statuses: list[WatchStatus], zone: tzinfo | None = None) -> str:
    """'Mail: support@… checked 12:04', 'Mail: 2 mailboxes, last check 12:04', or the first
    failure's words."""
    if not statuses:
        return "Mail: not checked yet"
    failed = [s for s in statuses if s.error]
    if failed:
        return f"Mail: {_failed_words(failed[0])}"
    if len(statuses) == 1:
        return f"Mail: {statuses[0].name} checked {_time(statuses[0], zone)}"
    latest = max(statuses, key=lambda s: s.checked_at.timestamp() if s.checked_at else 0.0)
    return f"Mail: {len(statuses)} mailboxes, last check {_time(latest, zone)}"


def outbox_text(waiting: int, deferred: int) -> str:
    """``Outbox: 2 waiting, 1 deferred``; "" when nothing waits."""
    if not waiting:
        return ""
    text = f"Outbox: {waiting} waiting"
    return f"{text}, {deferred} deferred" if deferred else text


def status_tooltip(statuses: list[WatchStatus], zone: tzinfo | None = None) -> str:
    lines = []
    for status in statuses:
        when = _time(status, zone)
        if status.error:
            lines.append(f"{status.name}: the check at {when} failed: {status.error}")
        else:
            lines.append(f"{status.name}: checked at {when}, {status.imported} message(s)")
    lines.append("Click for the mail settings.")
    return "\n".join(lines)


class MailStatusWidget(QWidget):
    """Shows each mailbox's latest check; ``clicked`` asks for Settings → Mail…."""

    clicked = Signal()

    def __init__(self, zone: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._statuses: dict[str, WatchStatus] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        self.label = plain_label()  # a server's words, as it said them
        layout.addWidget(self.label)
        self.outbox_label = plain_label()
        self.outbox_label.hide()
        layout.addWidget(self.outbox_label)
        self._render()

    @Slot(int, int)
    def show_outbox(self, waiting: int, deferred: int) -> None:
        """The mail waiting in the outbox (the Outbox page counts it)."""
        text = outbox_text(waiting, deferred)
        self.outbox_label.setText(f"· {text}" if text else "")
        colour = current_theme().state_color("at_risk").name()
        self.outbox_label.setStyleSheet(f"color: {colour};" if deferred else "")
        self.outbox_label.setVisible(bool(text))

    @Slot(object)
    def show_status(self, status: WatchStatus) -> None:
        self._statuses[status.mailbox_id] = status
        self._render()

    def forget(self) -> None:
        """The mailboxes changed: start again from the next checks."""
        self._statuses.clear()
        self._render()

    def failed(self) -> bool:
        return any(s.error for s in self._statuses.values())

    def _render(self) -> None:
        statuses = list(self._statuses.values())
        self.label.setText(status_text(statuses, self._zone))
        self.label.setStyleSheet(f"color: {error_colour()};" if self.failed() else "")
        self.setToolTip(plain_tip(status_tooltip(statuses, self._zone)))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)
