"""Mail screens: Settings → Mail…, the Inbox of held mail, and the status-bar item."""

from console.ui.mail.inbox import InboxView
from console.ui.mail.settings_dialog import MailSettingsDialog
from console.ui.mail.status_widget import MailStatusWidget

__all__ = ["InboxView", "MailSettingsDialog", "MailStatusWidget"]
