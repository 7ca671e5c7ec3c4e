"""The report tab: the seven report items at a glance, and a request for the missing ones.

Shown by the incident detail and the history review; ``show_details`` fills it from
``IncidentDetails`` and the agent's zone.
"""

from __future__ import annotations

from datetime import tzinfo
from urllib.parse import quote

import qtawesome as qta
from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.domain.events import REPORT_ITEMS
from console.domain.explain import when
from console.services.attachment_rules import shown_name
from console.services.incidents import IncidentDetails
from console.ui.forms import esc, plain_tip, set_markup, set_plain, text_label
from console.ui.theme import current_theme


class ReportTab(QScrollArea):
    """The seven report items at a glance, and a ready request for the missing ones.

    With a server to send mail through (``set_sending(True)``) the request is sent from the
    console: ``send_requested`` asks the detail view to open it in the compose dialog;
    without one, "Compose email" opens the agent's own mail program."""

    send_requested = Signal(str)  # the request's text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sending = False
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.setWidget(body)
        self.checklist = QGridLayout()
        self.checklist.setHorizontalSpacing(8)
        self.checklist.setColumnStretch(1, 1)
        self.item_icons: dict[str, QLabel] = {}
        self.item_texts: dict[str, QLabel] = {}
        for row, (key, _) in enumerate(REPORT_ITEMS):
            icon, text = QLabel(), text_label()
            icon.setAlignment(Qt.AlignmentFlag.AlignTop)
            self.checklist.addWidget(icon, row, 0)
            self.checklist.addWidget(text, row, 1)
            self.item_icons[key], self.item_texts[key] = icon, text
        layout.addLayout(self.checklist)
        layout.addSpacing(8)
        self.request_heading = text_label()
        layout.addWidget(self.request_heading)
        self.request = QPlainTextEdit()
        self.request.setReadOnly(True)
        self.request.setMinimumHeight(self.request.fontMetrics().lineSpacing() * 12)
        layout.addWidget(self.request, 1)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton(qta.icon("mdi6.content-copy"), "Copy")
        self.compose_button = QPushButton(qta.icon("mdi6.email-edit-outline"), "Compose email")
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.compose_button)
        layout.addLayout(buttons)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.compose_button.clicked.connect(self._on_compose_button_clicked)
        self._address = ""
        self._subject = ""

    def show_details(self, details: IncidentDetails, zone: tzinfo) -> None:
        missing = dict(details.missing_items)
        for key, label in REPORT_ITEMS:
            have = _report_value(details, key, zone)
            lacking = key in missing
            icon = "mdi6.close-circle" if lacking else "mdi6.check-circle"
            colour = current_theme().state_color("missed" if lacking else "met").name()
            self.item_icons[key].setPixmap(qta.icon(icon, color=colour).pixmap(18, 18))
            value = "<i>missing</i>" if lacking else esc(_elide(have, 160))
            set_markup(self.item_texts[key], f"<b>{esc(label.capitalize())}</b>: {value}")
            self.item_texts[key].setToolTip(plain_tip(have))
        text = details.missing_items_request()
        contact = details.contact
        self._address = contact.emails[0] if contact and contact.emails else ""
        self._subject = f"{details.summary.number}: information needed"
        if not text:
            set_plain(self.request_heading, "The report is complete: nothing to ask for.")
        elif contact is None:
            set_markup(self.request_heading, "<b>Request for the missing items</b>")
        else:
            to = f"{contact.name} <{self._address}>" if self._address else contact.name
            set_markup(self.request_heading, f"<b>Request for the missing items</b>, to {esc(to)}")
        self.request.setPlainText(text)
        self.request.setVisible(bool(text))
        self.copy_button.setVisible(bool(text))
        self.compose_button.setVisible(bool(text))
        self.compose_button.setEnabled(bool(self._address))
        self._show_compose()

    def set_sending(self, sending: bool) -> None:
        """Whether the console sends the request itself (a sending server is set up)."""
        self._sending = sending
        self._show_compose()

    def _show_compose(self) -> None:
        self.compose_button.setText("Send request…" if self._sending else "Compose email")
        if not self._address:
            tip = "The reporting contact has no email address."
        elif self._sending:
            tip = f"Send this request to {self._address} from the console's outbox"
        else:
            tip = f"Open your email program with this request to {self._address}"
        self.compose_button.setToolTip(plain_tip(tip))

    def mailto(self) -> QUrl:
        body = self.request.toPlainText()
        return QUrl(
            f"mailto:{quote(self._address, safe='@')}"
            f"?subject={quote(self._subject, safe='')}&body={quote(body, safe='')}"
        )

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.request.toPlainText())

    @Slot()
    def _on_compose_button_clicked(self) -> None:
        if self._sending:
            self.send_requested.emit(self.request.toPlainText())
        else:
            QDesktopServices.openUrl(self.mailto())


def _elide(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _report_value(details: IncidentDetails, key: str, zone: tzinfo) -> str:
    report = details.report
    if key == "started_at":
        if report.started_at is None:
            return ""
        own = report.started_at.tzinfo
        text = when(report.started_at, own) if own else ""
        return f"{text} ({when(report.started_at, zone)} your time)"
    if key == "attachments":
        names = [shown_name(str(a.get("filename", ""))) for a in report.attachments]
        return ", ".join(n for n in names if n)
    return " ".join(str(report.value(key) or "").split())
