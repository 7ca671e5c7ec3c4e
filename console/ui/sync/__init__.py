"""Sync screens: the settings dialog and the status-bar item."""

from console.ui.sync.settings_dialog import SyncSettingsDialog
from console.ui.sync.status_widget import SyncStatusWidget

__all__ = ["SyncSettingsDialog", "SyncStatusWidget"]
