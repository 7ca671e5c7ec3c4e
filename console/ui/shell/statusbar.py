"""Status bar pieces: who is signed in, the local time zone, the database in use."""

from __future__ import annotations

from datetime import datetime

import qtawesome as qta
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QWidget

from console.domain.records import Agent
from console.ui.forms import plain_label, plain_tip


class _Item(QWidget):
    def __init__(self, icon: str, text: str, tooltip: str) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(4)
        picture = QLabel()
        picture.setPixmap(qta.icon(icon, color="#6b7280").pixmap(16, 16))
        self.label = plain_label(text)  # a name, a path: as typed
        layout.addWidget(picture)
        layout.addWidget(self.label)
        self.setToolTip(plain_tip(tooltip))


class ConsoleStatusBar(QStatusBar):
    def __init__(self, agent: Agent, zone_name: str, db_path: str) -> None:
        super().__init__()
        now = datetime.now().astimezone()
        self.agent_item = _Item(
            "mdi6.account-circle", f"{agent.name} · {agent.role.value}", "Signed-in agent and role"
        )
        self.zone_item = _Item(
            "mdi6.earth", f"{zone_name} ({now.strftime('%Z')})", "Your local time zone"
        )
        self.db_item = _Item("mdi6.database", db_path, "Database file in use")
        self.addWidget(self.agent_item)
        self.addWidget(self.zone_item)
        self.addPermanentWidget(self.db_item)
