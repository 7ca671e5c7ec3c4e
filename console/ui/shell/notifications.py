"""Settings → Notifications… and View → Recent notifications.

:class:`NotificationSettingsDialog` chooses what the notifier says (at risk, breached, only
my incidents and unassigned ones) and whether it beeps; each choice is written to the
settings file as it is made, and the notifier reads it at the next transition, so it takes
effect at once. :class:`RecentNotificationsDialog` lists the notices said this session,
newest first, and opens the incident of a row (Open, Enter or a double click).
"""

from __future__ import annotations

from dataclasses import replace

import qtawesome as qta
from PySide6.QtCore import QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.clock_model import ClockState
from console.qt.notifier import NoticeRecord, Notifier
from console.qt.settings import NotifyPreferences, Settings
from console.ui.forms import hint_label, plain_label, plain_tip
from console.ui.theme import current_theme

__all__ = [
    "RECENT_KEYS",
    "NotificationSettingsDialog",
    "NotificationsMenu",
    "RecentNotificationsDialog",
    "install_notifications",
    "time_text",
]

RECENT_KEYS = "Ctrl+Shift+M"

_ICONS = {ClockState.AT_RISK: "mdi6.alert", ClockState.BREACHED: "mdi6.fire"}


def _state_icon(state: ClockState) -> QIcon:
    """The banner's icon for ``state``, in the theme's colour for it (as in the queue)."""
    colour = current_theme().state_color(state.value)
    return qta.icon(_ICONS.get(state, "mdi6.bell"), color=colour)


class NotificationSettingsDialog(QDialog):
    """Four choices, saved as they are made."""

    changed = Signal(object)  # the NotifyPreferences now in force

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Notifications")
        self.setObjectName("notificationSettingsDialog")
        self._settings = settings
        prefs = settings.notifications
        self.at_risk_box = QCheckBox("When an incident turns &at risk")
        self.breached_box = QCheckBox("When an incident &breaches")
        self.only_mine_box = QCheckBox("Only incidents assigned to &me or to no one")
        self.sound_box = QCheckBox("Play a &sound with each notification")
        self.at_risk_box.setChecked(prefs.at_risk)
        self.breached_box.setChecked(prefs.breached)
        self.only_mine_box.setChecked(prefs.only_mine)
        self.sound_box.setChecked(prefs.sound)
        self.only_mine_box.setToolTip(
            "Off: you are told about every open incident, whoever it is assigned to"
        )
        self.sound_box.setToolTip("The desktop's alert sound, where there is one")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 12)
        layout.setSpacing(8)
        layout.addWidget(plain_label("Tell me:"))
        layout.addWidget(self.at_risk_box)
        layout.addWidget(self.breached_box)
        layout.addSpacing(6)
        layout.addWidget(self.only_mine_box)
        layout.addWidget(self.sound_box)
        layout.addSpacing(6)
        layout.addWidget(hint_label("Changes are saved and take effect at once."))
        layout.addStretch(1)
        layout.addWidget(buttons)
        for box in (self.at_risk_box, self.breached_box, self.only_mine_box, self.sound_box):
            box.toggled.connect(self._on_box_toggled)

    def sizeHint(self) -> QSize:
        return super().sizeHint().expandedTo(QSize(420, 0))

    def preferences(self) -> NotifyPreferences:
        return replace(
            self._settings.notifications,
            at_risk=self.at_risk_box.isChecked(),
            breached=self.breached_box.isChecked(),
            only_mine=self.only_mine_box.isChecked(),
            sound=self.sound_box.isChecked(),
        )

    @Slot(bool)
    def _on_box_toggled(self, _checked: bool) -> None:
        prefs = self.preferences()
        self._settings.notifications = prefs
        self.changed.emit(prefs)


def time_text(record: NoticeRecord) -> str:
    """``Wed 14:32:05`` in the agent's zone: a shift may cross midnight."""
    return record.local_time.strftime("%a %H:%M:%S")


class RecentNotificationsDialog(QDialog):
    """The notices said this session, newest first; Open shows a row's incident."""

    open_requested = Signal(str)  # incident id

    COLUMNS = ("Time", "Incident", "What happened", "Customer and title")

    def __init__(self, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recent notifications")
        self.setObjectName("recentNotificationsDialog")
        self._notifier = notifier
        self.summary = plain_label()
        self.table = QTreeWidget()
        self.table.setObjectName("recentNotifications")
        self.table.setColumnCount(len(self.COLUMNS))
        self.table.setHeaderLabels(list(self.COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 110)
        self.table.setColumnWidth(1, 160)
        self.table.setColumnWidth(2, 230)
        self.empty_label = hint_label(
            "No notifications yet. Incidents that turn at risk or breach are listed here."
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.open_button = QPushButton("&Open")
        self.open_button.setDefault(True)
        self.clear_button = QPushButton("C&lear")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(buttons)

        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.clear_button.clicked.connect(notifier.clear_history)
        self.table.itemActivated.connect(self._on_table_item_activated)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        notifier.history_changed.connect(self.reload)
        self.reload()

    def sizeHint(self) -> QSize:
        return QSize(820, 440)

    @Slot()
    def reload(self) -> None:
        """Show the notifier's history again, keeping the selected notice selected."""
        chosen = self.selected_record()
        records = self._notifier.history
        self.table.clear()
        for record in records:
            item = QTreeWidgetItem(
                [
                    time_text(record),
                    record.number,
                    record.what,
                    record.about,
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, record)
            item.setIcon(2, _state_icon(record.state))
            item.setToolTip(3, plain_tip(record.about))
            item.setToolTip(0, record.local_time.strftime("%A %d %B %Y, %H:%M:%S %Z"))
            self.table.addTopLevelItem(item)
            if record == chosen:
                self.table.setCurrentItem(item)
        count = len(records)
        self.summary.setText(
            "Newest first: 1 notification this session"
            if count == 1
            else f"Newest first: {count} notifications this session"
        )
        self.summary.setVisible(count > 0)
        self.table.setVisible(count > 0)
        self.empty_label.setVisible(count == 0)
        first = self.table.topLevelItem(0)
        if first is not None and self.table.currentItem() is None:
            self.table.setCurrentItem(first)
        self._update_buttons()

    def selected_record(self) -> NoticeRecord | None:
        item = self.table.currentItem()
        if item is None or not item.isSelected():
            return None
        record = item.data(0, Qt.ItemDataRole.UserRole)
        return record if isinstance(record, NoticeRecord) else None

    @Slot()
    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.selected_record() is not None)
        self.clear_button.setEnabled(bool(self._notifier.history))

    @Slot()
    def _on_open_button_clicked(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.open_requested.emit(record.incident_id)

    @Slot(QTreeWidgetItem, int)
    def _on_table_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        record = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(record, NoticeRecord):
            self.open_requested.emit(record.incident_id)


class NotificationsMenu(QObject):
    """Settings → Notifications… and View → Recent notifications… of a window: the two
    actions and their dialogs, built on first use and kept (the window holds this object)."""

    open_requested = Signal(str)  # incident id: Open in Recent notifications

    def __init__(self, window: QMainWindow, settings: Settings, notifier: Notifier) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._notifier = notifier
        self.settings_dialog: NotificationSettingsDialog | None = None
        self.recent_dialog: RecentNotificationsDialog | None = None
        self.settings_action = QAction(qta.icon("mdi6.bell-cog"), "Notifications…", window)
        self.recent_action = QAction(qta.icon("mdi6.bell-ring"), "Recent notifications…", window)
        self.recent_action.setShortcut(QKeySequence(RECENT_KEYS))
        self.recent_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(self.recent_action)
        self.settings_action.triggered.connect(self.open_settings)
        self.recent_action.triggered.connect(self.open_recent)

    @Slot()
    def open_settings(self) -> NotificationSettingsDialog:
        if self.settings_dialog is None:
            self.settings_dialog = NotificationSettingsDialog(self._settings, self._window)
        self.settings_dialog.open()
        return self.settings_dialog

    @Slot()
    def open_recent(self) -> RecentNotificationsDialog:
        if self.recent_dialog is None:
            self.recent_dialog = RecentNotificationsDialog(self._notifier, self._window)
            self.recent_dialog.resize(self.recent_dialog.sizeHint())
            self.recent_dialog.open_requested.connect(self._on_recent_open_requested)
        self.recent_dialog.reload()
        self.recent_dialog.show()
        self.recent_dialog.raise_()
        self.recent_dialog.activateWindow()
        return self.recent_dialog

    @Slot(str)
    def _on_recent_open_requested(self, incident_id: str) -> None:
        self.open_requested.emit(incident_id)


def install_notifications(
    window: QMainWindow,
    settings: Settings,
    notifier: Notifier,
    *,
    settings_menu: QMenu,
    view_menu: QMenu,
) -> NotificationsMenu:
    """Add Notifications… to ``settings_menu`` and Recent notifications… to ``view_menu``."""
    menu = NotificationsMenu(window, settings, notifier)
    settings_menu.addAction(menu.settings_action)
    view_menu.addAction(menu.recent_action)
    return menu
