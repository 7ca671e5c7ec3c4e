"""The two ladders of one incident: a card per person, the one to contact next marked.

Each card copies an email address or a phone number to the clipboard, or asks for a mail
to be composed (``mail_requested``); the view decides the subject and the body.
"""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.escalation import Ladder, Rung
from console.ui.forms import phone_text, plain_label, plain_tip, set_plain

NEXT_COLOUR = "#ef6c00"


def _tool(icon: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setIcon(qta.icon(icon))
    button.setToolTip(plain_tip(tip))
    button.setAutoRaise(True)
    button.setMinimumSize(button.sizeHint())  # never squeezed below its icon mid-relayout
    return button


class RungCard(QFrame):
    """One person: name and role, why they are on the ladder, how to reach them."""

    copied = Signal(str)  # what was put on the clipboard
    mail_requested = Signal(object)  # Rung

    def __init__(self, rung: Rung, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rung = rung
        self.setObjectName("rungCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        if rung.is_next:
            self.setStyleSheet(
                f"QFrame#rungCard {{ border: 2px solid {NEXT_COLOUR}; border-radius: 6px; }}"
            )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        top = QHBoxLayout()
        self.name = plain_label(rung.name)
        bold = QFont(self.name.font())
        bold.setBold(True)
        self.name.setFont(bold)
        top.addWidget(self.name)
        if rung.is_next:
            badge = QLabel("Contact next")
            badge.setStyleSheet(
                f"color: white; background: {NEXT_COLOUR}; border-radius: 7px; padding: 0 7px;"
            )
            top.addWidget(badge)
        top.addStretch(1)
        layout.addLayout(top)
        about = " · ".join(part for part in (rung.role, rung.reason) if part)
        self.about = plain_label(about)
        self.about.setWordWrap(True)
        self.about.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.about)

        grid = QGridLayout()
        grid.setContentsMargins(0, 2, 0, 0)
        grid.setHorizontalSpacing(4)
        grid.setColumnStretch(1, 1)
        self.copy_email_button = _tool("mdi6.content-copy", "Copy the email address")
        self.mail_button = _tool("mdi6.email-edit-outline", "Write an email")
        self.copy_phone_button = _tool("mdi6.content-copy", "Copy the phone number")
        row = 0
        if rung.email:
            grid.addWidget(QLabel(pixmap=qta.icon("mdi6.email-outline").pixmap(16, 16)), row, 0)
            grid.addWidget(_selectable(rung.email), row, 1)
            grid.addWidget(self.copy_email_button, row, 2)
            grid.addWidget(self.mail_button, row, 3)
            row += 1
        if rung.phone:
            grid.addWidget(QLabel(pixmap=qta.icon("mdi6.phone-outline").pixmap(16, 16)), row, 0)
            grid.addWidget(_selectable(phone_text(rung.phone)), row, 1)
            grid.addWidget(self.copy_phone_button, row, 2)
            row += 1
        if not row:
            grid.addWidget(QLabel("<i>No email address or phone number</i>"), 0, 0, 1, 4)
        self.copy_email_button.setVisible(bool(rung.email))
        self.mail_button.setVisible(bool(rung.email))
        self.copy_phone_button.setVisible(bool(rung.phone))
        layout.addLayout(grid)
        self.copy_email_button.clicked.connect(self._on_copy_email_button_clicked)
        self.copy_phone_button.clicked.connect(self._on_copy_phone_button_clicked)
        self.mail_button.clicked.connect(self._on_mail_button_clicked)

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)

    @Slot()
    def _on_copy_email_button_clicked(self) -> None:
        self._copy(self.rung.email)

    @Slot()
    def _on_copy_phone_button_clicked(self) -> None:
        self._copy(self.rung.phone)

    @Slot()
    def _on_mail_button_clicked(self) -> None:
        self.mail_requested.emit(self.rung)


def _selectable(text: str) -> QLabel:
    label = plain_label(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setToolTip(plain_tip(text))
    # a narrow panel clips a long address rather than scrolling sideways
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class LadderPanel(QWidget):
    """Vendor side above customer side; rebuilt whenever another incident is chosen."""

    copied = Signal(str)
    mail_requested = Signal(object)  # Rung

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.vendor_box = QGroupBox("Vendor side: agent, then Escalation 1, then Escalation 2")
        self.customer_box = QGroupBox("Customer side: the CSM first, then the support list")
        self._vendor = QVBoxLayout(self.vendor_box)
        self._customer = QVBoxLayout(self.customer_box)
        self.gaps = plain_label()  # the gaps name people
        self.gaps.setWordWrap(True)
        self.gaps.setStyleSheet(f"color: {NEXT_COLOUR};")
        self.gaps.hide()
        layout.addWidget(self.gaps)  # what is missing comes first: someone must fix it
        layout.addWidget(self.vendor_box)
        layout.addWidget(self.customer_box)
        layout.addStretch(1)
        self.cards: list[RungCard] = []

    def show_ladder(self, ladder: Ladder | None) -> None:
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = []
        if ladder is None:
            self.gaps.clear()
            self.gaps.hide()
            return
        for rung in ladder.vendor:
            self._add(self._vendor, rung)
        for rung in ladder.customer:
            self._add(self._customer, rung)
        set_plain(self.gaps, "\n".join(f"• {gap}" for gap in ladder.gaps))
        self.gaps.setVisible(bool(ladder.gaps))

    def _add(self, layout: QVBoxLayout, rung: Rung) -> None:
        card = RungCard(rung)
        card.copied.connect(self.copied)
        card.mail_requested.connect(self.mail_requested)
        layout.addWidget(card)
        self.cards.append(card)

    def card(self, name: str) -> RungCard:
        return next(card for card in self.cards if card.rung.name == name)
