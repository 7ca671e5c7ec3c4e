"""Desktop notifications (DESIGN §7): an incident of mine, or an unassigned one, turns at risk
or breaches.

The queue's ticker says when an incident's state changes; :class:`Notifier` decides whether
the signed-in agent should hear about it and says it once per transition: through the
system tray where there is one, else through :class:`NotificationBanner`, a small closable
strip that floats over the bottom of the window it is placed in: it is never laid out with
the pages, so showing or dismissing it moves nothing under the pointer. A notice is worded
from the incident's live reading by :mod:`console.domain.wording`, so a breach reads the
same as in the queue; the states compared are :class:`ClockState` values.

What is said follows Settings → Notifications… (:class:`NotifyPreferences`), read at each
transition so a change takes effect at once: at risk, breached, a sound, and whether only my
incidents and unassigned ones count. Every notice said is kept in a bounded history (the
Recent notifications dialog); the transitions already said are forgotten after a few days,
and never more than a fixed number are kept, so a long shift does not grow the process.
"""

from __future__ import annotations

import sys
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape

import qtawesome as qta
from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal, Slot
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

from console.domain import wording
from console.domain.clock_model import ClockState, ClockType
from console.domain.reading import Reading
from console.qt.settings import NotifyPreferences, Settings

__all__ = [
    "HISTORY_SIZE",
    "MAX_REMEMBERED",
    "NOTIFIED_STATES",
    "REMEMBER_FOR",
    "Notice",
    "NoticeRecord",
    "NotificationBanner",
    "Notifier",
    "body",
    "title",
    "tray_body",
]

AT_RISK = ClockState.AT_RISK
BREACHED = ClockState.BREACHED
NOTIFIED_STATES = frozenset({AT_RISK, BREACHED})

_MARKUP_PLATFORMS = ("linux", "freebsd", "openbsd", "netbsd")
_ICONS = {AT_RISK: "mdi6.alert", BREACHED: "mdi6.fire"}
# (accent, background, text) on a light and on a dark palette: a warning strip, not a panel.
_LIGHT = {AT_RISK: ("#b45309", "#fff3e0", "#5c3d0a"), BREACHED: ("#c62828", "#fdecec", "#6b1414")}
_DARK = {AT_RISK: ("#fbbf24", "#3a2f17", "#fde68a"), BREACHED: ("#ff6b6b", "#3f2224", "#fecaca")}
_MARGIN = 12  # between the floating banner and its host's sides
_BOTTOM = 34  # above the host's bottom: clear of a page's one-line summary (the queue counts)
_MAX_WIDTH = 900
HISTORY_SIZE = 200  # notices kept for Recent notifications, newest first
# A transition said is not said again while it is remembered: long enough for a clock paused
# over a weekend, and never more than MAX_REMEMBERED (the oldest are forgotten first).
REMEMBER_FOR = timedelta(days=4)
MAX_REMEMBERED = 2000


@dataclass(frozen=True, slots=True)
class Notice:
    """What a notification is about: one incident and its live reading (the queue builds it)."""

    incident_id: str
    number: str
    title: str
    customer: str
    assignee_id: str | None
    reading: Reading | None = None  # at the instant of the transition
    zone: tzinfo = UTC  # the agent's: where the words give a time of day

    @property
    def deadline(self) -> datetime | None:
        return self.reading.deadline if self.reading is not None else None

    @property
    def clock(self) -> ClockType | None:
        return self.reading.kind if self.reading is not None else None


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """One notice as it was said: when, about which incident, and what happened."""

    at: datetime  # the instant of the transition (the reading's)
    incident_id: str
    number: str
    state: ClockState
    what: str  # ``First response · breached``
    about: str  # ``Northwind Freight: Checkout returns 502``
    zone: tzinfo = UTC

    @property
    def local_time(self) -> datetime:
        return self.at.astimezone(self.zone)


def title(notice: Notice) -> str:
    """``INC-… · First response · breached``: the incident and the reading's headline."""
    if notice.reading is None:
        return notice.number
    return f"{notice.number} · {wording.headline(notice.reading)}"


def body(notice: Notice) -> str:
    """``0 m 01 s over · Northwind Freight: Checkout returns 502``: the queue's countdown."""
    about = f"{notice.customer}: {notice.title}"
    if notice.reading is None:
        return about
    return f"{wording.countdown(notice.reading, notice.zone)} · {about}"


def message(notice: Notice) -> str:
    """One line: ``INC-… · First response · breached · 0 m 01 s over · customer: title``."""
    about = f"{notice.customer}: {notice.title}"
    if notice.reading is None:
        return f"{notice.number} · {about}"
    return f"{notice.number} · {wording.line(notice.reading, notice.zone)} · {about}"


def tray_body(text: str, platform: str | None = None) -> str:
    """``text`` for a tray notification's body. Desktop notification servers on Linux and
    BSD read the body as markup (``<b>``, ``<a>``, ``<img>``), so there it is escaped; Windows
    and macOS show it as plain text. The title is plain text everywhere."""
    platform = sys.platform if platform is None else platform
    return escape(text, quote=False) if platform.startswith(_MARKUP_PLATFORMS) else text


def _state(value: object) -> ClockState | None:
    """A state as the ticker's ``str`` signal carries it, typed again (None: not a clock's)."""
    if isinstance(value, ClockState):
        return value
    try:
        return ClockState(str(value))
    except ValueError:
        return None


class NotificationBanner(QFrame):
    """An in-app notification strip: icon, text, Open and close. Hidden until needed.

    Put in a parent (or a parent's layout), it floats over the bottom of that parent when it
    shows: it leaves the layout, so the widgets of the window keep their places.
    """

    open_requested = Signal(str)  # incident id
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBanner")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAutoFillBackground(True)
        self._incident_id = ""
        self._queued = 0
        self._styled: tuple[ClockState, bool] | None = None  # the state and palette styled for
        self._host: QWidget | None = None
        self._icon = QLabel()
        self._icon.setFixedSize(QSize(22, 22))
        self.text_label = QLabel()
        self.text_label.setTextFormat(Qt.TextFormat.RichText)  # our markup: pieces escaped
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
        layout.setContentsMargins(14, 6, 8, 6)
        layout.setSpacing(10)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.text_label, 1)
        layout.addWidget(self._open, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    @property
    def incident_id(self) -> str:
        return self._incident_id

    def show_notice(self, notice: Notice, state: ClockState) -> None:
        """Show ``notice``; a newer one replaces it and the count of unseen ones grows."""
        self._queued = self._queued + 1 if not self.isHidden() else 0
        self._incident_id = notice.incident_id
        dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
        if self._styled != (state, dark):  # a style sheet costs milliseconds: only on change
            self._style(state, dark)
        more = f" <span>(+{self._queued}\N{NO-BREAK SPACE}more)</span>" if self._queued else ""
        self.text_label.setText(f"<b>{escape(title(notice))}</b> — {escape(body(notice))}{more}")
        self.setAccessibleDescription(message(notice))
        self._float()
        self.show()
        if self._host is not None and not self.isWindow():
            self._place()
            self.raise_()  # over the pages it floats above

    def _style(self, state: ClockState, dark: bool) -> None:
        self._styled = (state, dark)
        colours = _DARK if dark else _LIGHT
        accent, background, text = colours.get(state, colours[AT_RISK])
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(background))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(text))
        self.setPalette(palette)
        self.text_label.setPalette(palette)
        self.setStyleSheet(
            f"#notificationBanner {{ background: {background}; border: 1px solid {accent};"
            " border-radius: 6px; }"
        )
        self._close.setIcon(qta.icon("mdi6.close", color=QColor(text)))
        self._icon.setPixmap(
            qta.icon(_ICONS.get(state, _ICONS[AT_RISK]), color=QColor(accent)).pixmap(
                QSize(22, 22), self.devicePixelRatioF()
            )
        )

    def _float(self) -> None:
        """Leave the parent's layout (if any) and follow the parent's size from now on."""
        host = self.parentWidget()
        if host is None or self.isWindow():
            return
        layout = host.layout()
        if layout is not None and layout.indexOf(self) >= 0:
            layout.removeWidget(self)  # stays a child of ``host``, laid out by no one
        if host is not self._host:
            if self._host is not None:
                self._host.removeEventFilter(self)
            host.installEventFilter(self)
            self._host = host

    def _place(self) -> None:
        """Over the bottom of the host, centred, as wide as fits up to ``_MAX_WIDTH``."""
        host = self._host
        if host is None or host is not self.parentWidget():
            return
        width = max(0, min(host.width() - 2 * _MARGIN, _MAX_WIDTH))
        height = self.heightForWidth(width) if self.hasHeightForWidth() else -1
        if height <= 0:
            height = self.sizeHint().height()
        self.setGeometry(
            (host.width() - width) // 2, host.height() - height - _BOTTOM, width, height
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._host and event.type() == QEvent.Type.Resize and not self.isHidden():
            self._place()
        return False

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
    :meth:`on_state_changed`. Notices are deduplicated by (incident, state, clock, deadline):
    the same at-risk clock paused overnight and at risk again next morning is said once,
    while a later clock of the same incident (the next status update) is a new transition.
    ``settings`` (Settings → Notifications…) is read at every transition; without it the
    defaults apply. ``beep`` makes the sound (``QApplication.beep`` unless a test passes one).
    """

    notified = Signal(str, str, str)  # incident id, state, message
    history_changed = Signal()

    def __init__(
        self,
        actor_id: str,
        banner: NotificationBanner | None = None,
        parent: QObject | None = None,
        *,
        tray: QSystemTrayIcon | None = None,
        use_tray: bool | None = None,
        settings: Settings | None = None,
        beep: Callable[[], None] | None = None,
        history_size: int = HISTORY_SIZE,
        remember_for: timedelta = REMEMBER_FOR,
        max_remembered: int = MAX_REMEMBERED,
    ) -> None:
        super().__init__(parent)
        self._actor_id = actor_id
        self._settings = settings
        self._beep = beep if beep is not None else QApplication.beep
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
        # Transition -> the instant it was said, oldest first.
        self._seen: OrderedDict[
            tuple[str, ClockState, ClockType | None, datetime | None], datetime
        ] = OrderedDict()
        self._remember_for = remember_for
        self._max_remembered = max(1, max_remembered)
        self._history: deque[NoticeRecord] = deque(maxlen=max(1, history_size))

    @property
    def uses_tray(self) -> bool:
        return self._tray is not None

    @property
    def preferences(self) -> NotifyPreferences:
        return self._settings.notifications if self._settings is not None else NotifyPreferences()

    @property
    def history(self) -> tuple[NoticeRecord, ...]:
        """The notices said, newest first (at most ``history_size``)."""
        return tuple(reversed(self._history))

    @property
    def remembered(self) -> int:
        """How many transitions already said are remembered (so not said again)."""
        return len(self._seen)

    def clear_history(self) -> None:
        self._history.clear()
        self.history_changed.emit()

    def concerns_me(self, notice: Notice, prefs: NotifyPreferences | None = None) -> bool:
        if not (prefs or self.preferences).only_mine:
            return True
        return notice.assignee_id is None or notice.assignee_id == self._actor_id

    def wants(self, state: ClockState, prefs: NotifyPreferences | None = None) -> bool:
        prefs = prefs or self.preferences
        return (state is AT_RISK and prefs.at_risk) or (state is BREACHED and prefs.breached)

    @Slot(str, object, object, object)
    def on_state_changed(
        self, incident_id: str, old_state: object, new_state: object, notice: object = None
    ) -> None:
        """``old_state`` and ``new_state`` are ClockState values (or their ``str`` values, as a
        ``str`` signal carries them); anything else (pending) is no clock's transition."""
        old, new = _state(old_state), _state(new_state)
        if new is None or new not in NOTIFIED_STATES or old is new:
            return
        if not isinstance(notice, Notice) or notice.reading is None:
            return
        if notice.reading.state is not new:
            return  # the words would not match the transition
        prefs = self.preferences  # read now: a change in Settings → Notifications… counts at once
        if not self.wants(new, prefs) or not self.concerns_me(notice, prefs):
            return
        now = notice.reading.now
        self._forget_before(now - self._remember_for)
        key = (incident_id, new, notice.clock, notice.deadline)
        if key in self._seen:
            return
        self._seen[key] = now
        while len(self._seen) > self._max_remembered:
            self._seen.popitem(last=False)
        if self._tray is not None:
            icon = (
                QSystemTrayIcon.MessageIcon.Critical
                if new is BREACHED
                else QSystemTrayIcon.MessageIcon.Warning
            )
            self._tray.showMessage(title(notice), tray_body(body(notice)), icon, 10_000)
        else:
            self.banner.show_notice(notice, new)
        if prefs.sound:
            self._beep()
        self._history.append(
            NoticeRecord(
                at=now,
                incident_id=incident_id,
                number=notice.number,
                state=new,
                what=wording.headline(notice.reading),
                about=f"{notice.customer}: {notice.title}",
                zone=notice.zone,
            )
        )
        self.notified.emit(incident_id, new.value, message(notice))
        self.history_changed.emit()

    def _forget_before(self, limit: datetime) -> None:
        """Forget the transitions said before ``limit`` (the oldest come first; a clock set
        back leaves later ones for the size limit)."""
        while self._seen:
            key, said = next(iter(self._seen.items()))
            if said >= limit:
                return
            del self._seen[key]
