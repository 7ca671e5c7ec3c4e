"""Desktop notifications (DESIGN §7): an incident of mine, or an unassigned one, turns at risk
or breaches.

The queue's ticker says when an incident's state changes; :class:`Notifier` decides whether
the signed-in agent should hear about it and says it once per transition: through the
system tray where there is one, else through :class:`NotificationBanner`, a small closable
strip the main window places above its pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

import qtawesome as qta
from PySide6.QtCore import QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSystemTrayIcon,
    QToolButton,
    QWidget,
)

__all__ = ["NOTIFIED_STATES", "Notice", "NotificationBanner", "Notifier"]

AT_RISK = "at_risk"
BREACHED = "breached"
NOTIFIED_STATES = frozenset({AT_RISK, BREACHED})

_ICONS = {AT_RISK: "mdi6.alert", BREACHED: "mdi6.fire"}
# (accent, background, text) on a light and on a dark palette: a warning strip, not a panel.
_LIGHT = {AT_RISK: ("#b45309", "#fff3e0", "#5c3d0a"), BREACHED: ("#c62828", "#fdecec", "#6b1414")}
_DARK = {AT_RISK: ("#fbbf24", "#3a2f17", "#fde68a"), BREACHED: ("#ff6b6b", "#3f2224", "#fecaca")}


@dataclass(frozen=True, slots=True)
class Notice:
    """What a notification says about one incident (the queue builds these)."""

    incident_id: str
    number: str
    title: str
    customer: str
    assignee_id: str | None
    clock: str = ""  # e.g. "First response"
    countdown: str = ""  # e.g. "12 m 39 s" or "−1 h 02 m"
    deadline: datetime | None = None


def headline(notice: Notice, state: str) -> str:
    return f"{notice.number} is at risk" if state == AT_RISK else f"{notice.number} breached"


def body(notice: Notice, state: str) -> str:
    if state == AT_RISK:
        when = f"{notice.clock} due in {notice.countdown}" if notice.countdown else notice.clock
    else:
        late = notice.countdown.lstrip("\N{MINUS SIGN}-")
        when = f"{notice.clock} overdue by {late}" if late else f"{notice.clock} overdue"
    return f"{when} · {notice.customer}: {notice.title}"


class NotificationBanner(QFrame):
    """An in-app notification strip: icon, text, Open and close. Hidden until needed."""

    open_requested = Signal(str)  # incident id
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBanner")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAutoFillBackground(True)
        self._incident_id = ""
        self._queued = 0
        self._icon = QLabel()
        self._icon.setFixedSize(QSize(22, 22))
        self.text_label = QLabel()
        self.text_label.setTextFormat(Qt.TextFormat.RichText)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self._open = QPushButton("Open")
        self._open.setCursor(Qt.CursorShape.PointingHandCursor)
        self._open.clicked.connect(self._on_open_clicked)
        self._close = QToolButton()
        self._close.setIcon(qta.icon("mdi6.close"))
        self._close.setAutoRaise(True)
        self._close.setToolTip("Dismiss")
        self._close.setAccessibleName("Dismiss notification")
        self._close.clicked.connect(self._on_close_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.text_label, 1)
        layout.addWidget(self._open, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    @property
    def incident_id(self) -> str:
        return self._incident_id

    def show_notice(self, notice: Notice, state: str) -> None:
        """Show ``notice``; a newer one replaces it and the count of unseen ones grows."""
        self._queued = self._queued + 1 if not self.isHidden() else 0
        self._incident_id = notice.incident_id
        dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
        colours = _DARK if dark else _LIGHT
        accent, background, text = colours.get(state, colours[AT_RISK])
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(background))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
        self.setPalette(palette)
        self.text_label.setPalette(palette)
        self._close.setIcon(qta.icon("mdi6.close", color=QColor(text)))
        self._icon.setPixmap(
            qta.icon(_ICONS.get(state, _ICONS[AT_RISK]), color=QColor(accent)).pixmap(
                QSize(22, 22), self.devicePixelRatioF()
            )
        )
        more = f" <span>(+{self._queued}\N{NO-BREAK SPACE}more)</span>" if self._queued else ""
        self.text_label.setText(
            f"<b>{escape(headline(notice, state))}</b> — {escape(body(notice, state))}{more}"
        )
        self.setAccessibleDescription(f"{headline(notice, state)}. {body(notice, state)}")
        self.show()

    def dismiss(self) -> None:
        self._queued = 0
        self.hide()
        self.dismissed.emit()

    @Slot()
    def _on_open_clicked(self) -> None:
        incident_id = self._incident_id
        self.dismiss()
        if incident_id:
            self.open_requested.emit(incident_id)

    @Slot()
    def _on_close_clicked(self) -> None:
        self.dismiss()


class Notifier(QObject):
    """Says once per transition that an incident of mine, or an unassigned one, needs me.

    Connect the queue's ``incident_state_changed(incident_id, old, new, notice)`` to
    :meth:`on_state_changed`. Notices are deduplicated by (incident, state, deadline): the
    same at-risk clock paused overnight and at risk again next morning is said once, while a
    later clock of the same incident (the next status update) is a new transition.
    """

    notified = Signal(str, str, str)  # incident id, state, message

    def __init__(
        self,
        actor_id: str,
        banner: NotificationBanner | None = None,
        parent: QObject | None = None,
        *,
        tray: QSystemTrayIcon | None = None,
        use_tray: bool | None = None,
    ) -> None:
        super().__init__(parent)
        self._actor_id = actor_id
        self.banner = banner if banner is not None else NotificationBanner()
        if use_tray is None:
            use_tray = tray is not None or QSystemTrayIcon.isSystemTrayAvailable()
        self._tray: QSystemTrayIcon | None = None
        if tray is not None:
            self._tray = tray  # its owner shows it
        elif use_tray:
            self._tray = QSystemTrayIcon(qta.icon("mdi6.lifebuoy"), self)
            self._tray.setToolTip("Support Console")
            self._tray.show()
        self._seen: set[tuple[str, str, datetime | None]] = set()

    @property
    def uses_tray(self) -> bool:
        return self._tray is not None

    def concerns_me(self, notice: Notice) -> bool:
        return notice.assignee_id is None or notice.assignee_id == self._actor_id

    @Slot(str, str, str, object)
    def on_state_changed(
        self, incident_id: str, old_state: str, new_state: str, notice: object = None
    ) -> None:
        if new_state not in NOTIFIED_STATES or old_state == new_state:
            return
        if not isinstance(notice, Notice) or not self.concerns_me(notice):
            return
        key = (incident_id, new_state, notice.deadline)
        if key in self._seen:
            return
        self._seen.add(key)
        title, text = headline(notice, new_state), body(notice, new_state)
        if self._tray is not None:
            icon = (
                QSystemTrayIcon.MessageIcon.Critical
                if new_state == BREACHED
                else QSystemTrayIcon.MessageIcon.Warning
            )
            self._tray.showMessage(title, text, icon, 10_000)
        else:
            self.banner.show_notice(notice, new_state)
        self.notified.emit(incident_id, new_state, f"{title}: {text}")
