"""The wallboard's painted parts: one incident tile, and the counts by priority.

Both are painted from cached text and colours; ``tick`` works out what a tile would show at
"now" and repaints only when that differs from what is on screen (``repaints`` counts them,
so a test can tell a quiet tick from a busy one). Sizes come from ``unit``: the board sets
it from the screen, so the same layout is readable on a laptop and across a room.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from console.services.review import BoardCounts, BoardItem, BoardState

BACKGROUND = QColor("#111418")
PANEL = QColor("#1e232a")
TEXT = QColor("#f1f3f5")
MUTED = QColor("#aab2bd")
STATE_COLOURS = {
    BoardState.BREACHED: QColor("#ff5b5b"),
    BoardState.AT_RISK: QColor("#ffb02e"),
    BoardState.RUNNING: QColor("#7cc4ff"),
}
STATE_WORDS = {
    BoardState.BREACHED: "BREACHED",
    BoardState.AT_RISK: "AT RISK",
    BoardState.RUNNING: "DUE SOON",
}
_LEFT = Qt.AlignmentFlag.AlignLeft
_RIGHT = Qt.AlignmentFlag.AlignRight
PRIORITY_COLOURS = {
    "P1": QColor("#d32f2f"),
    "P2": QColor("#ef6c00"),
    "P3": QColor("#1976d2"),
    "P4": QColor("#546e7a"),
}


def pixel_font(base: QFont, pixels: float, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPixelSize(max(6, round(pixels)))
    font.setBold(bold)
    return font


@dataclass(frozen=True, slots=True)
class TileFace:
    """Everything a tile shows; two equal faces paint the same pixels."""

    state: BoardState
    countdown: str


class Tile(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.item: BoardItem | None = None
        self.face: TileFace | None = None
        self.unit = 16.0
        self.repaints = 0  # how many times a change of face asked for a repaint

    def show_item(self, item: BoardItem | None, now: datetime) -> None:
        self.item = item
        self.face = None
        self.tick(now)
        self.update()

    def tick(self, now: datetime) -> bool:
        """Repaint if the tile would now read differently; True when it did."""
        if self.item is None:
            return False
        face = TileFace(self.item.state(now), self.item.countdown(now))
        if face == self.face:
            return False
        self.face = face
        self.repaints += 1
        self.update()
        return True

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        item, face = self.item, self.face
        if item is not None and face is not None:
            self._paint(painter, item, face)
        painter.restore()

    def _paint(self, painter: QPainter, item: BoardItem, face: TileFace) -> None:
        u = self.unit
        box = QRectF(self.rect()).adjusted(u * 0.25, u * 0.25, -u * 0.25, -u * 0.25)
        accent = STATE_COLOURS[face.state]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PANEL)
        painter.drawRoundedRect(box, u * 0.4, u * 0.4)
        painter.setBrush(accent)
        painter.drawRoundedRect(QRectF(box.left(), box.top(), u * 0.45, box.height()), 3, 3)
        inner = box.adjusted(u * 0.95, u * 0.5, -u * 0.6, -u * 0.45).toRect()
        base = self.font()

        # first line: priority chip, number, escalation; state word on the right
        chip_font = pixel_font(base, u * 0.9, bold=True)
        chip_w = QFontMetrics(chip_font).horizontalAdvance(item.priority) + int(u * 0.7)
        chip = QRect(inner.left(), inner.top(), chip_w, int(u * 1.35))
        painter.setBrush(PRIORITY_COLOURS.get(item.priority, QColor("#607d8b")))
        painter.drawRoundedRect(QRectF(chip), u * 0.3, u * 0.3)
        painter.setFont(chip_font)
        painter.setPen(QColor("white"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, item.priority)
        small = pixel_font(base, u * 0.85, bold=True)
        painter.setFont(small)
        painter.setPen(accent)
        state_word = STATE_WORDS[face.state]
        if item.escalation_level:
            state_word = f"E{item.escalation_level} · {state_word}"
        painter.drawText(inner, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, state_word)
        painter.setPen(MUTED)
        number = QRect(chip.right() + int(u * 0.5), chip.top(), inner.width(), chip.height())
        painter.drawText(
            number, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, item.number
        )

        # customer, title, then what is counted down and who owns it
        top = chip.bottom() + int(u * 0.35)
        self._line(painter, pixel_font(base, u * 1.15, bold=True), TEXT, inner, top, item.customer)
        top += int(u * 1.5)
        self._line(painter, pixel_font(base, u * 0.95), MUTED, inner, top, item.title)
        top += int(u * 1.3)
        meta = f"{item.clock} · {item.assignee or 'unassigned'}"
        self._line(painter, pixel_font(base, u * 0.8), MUTED, inner, top, meta)

        # the countdown, as big as fits the width
        size = u * 2.2
        big = pixel_font(base, size, bold=True)
        needed = QFontMetrics(big).horizontalAdvance(face.countdown)
        if needed > inner.width():
            big = pixel_font(base, size * inner.width() / needed)
        big.setBold(True)
        painter.setFont(big)
        painter.setPen(accent)
        painter.drawText(inner, _RIGHT | Qt.AlignmentFlag.AlignBottom, face.countdown)

    @staticmethod
    def _line(
        painter: QPainter, font: QFont, colour: QColor, inner: QRect, top: int, text: str
    ) -> None:
        painter.setFont(font)
        painter.setPen(colour)
        metrics = QFontMetrics(font)
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, inner.width())
        painter.drawText(
            QRect(inner.left(), top, inner.width(), metrics.height()),
            Qt.AlignmentFlag.AlignLeft,
            shown,
        )


class CountsBar(QWidget):
    """Breached and at-risk counts, one block per priority."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.counts = BoardCounts(breached={}, at_risk={})
        self.unit = 16.0
        self.repaints = 0

    def show_counts(self, counts: BoardCounts) -> None:
        if counts != self.counts:
            self.counts = counts
            self.repaints += 1
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        priorities = list(self.counts.breached) or ["P1", "P2", "P3", "P4"]
        u = self.unit
        width = self.width() / len(priorities)
        for index, priority in enumerate(priorities):
            box = QRectF(index * width, 0, width, self.height()).adjusted(
                u * 0.25, u * 0.2, -u * 0.25, -u * 0.2
            )
            self._block(painter, box, priority, self.counts.breached, self.counts.at_risk)
        painter.restore()

    def _block(
        self,
        painter: QPainter,
        box: QRectF,
        priority: str,
        breached: Mapping[str, int],
        at_risk: Mapping[str, int],
    ) -> None:
        u, base = self.unit, self.font()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PANEL)
        painter.drawRoundedRect(box, u * 0.4, u * 0.4)
        painter.setBrush(PRIORITY_COLOURS.get(priority, QColor("#607d8b")))
        painter.drawRoundedRect(QRectF(box.left(), box.top(), box.width(), u * 0.35), 3, 3)
        inner = box.adjusted(u * 0.7, u * 0.6, -u * 0.7, -u * 0.3).toRect()
        painter.setFont(pixel_font(base, u * 1.6, bold=True))
        painter.setPen(TEXT)
        painter.drawText(
            inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, priority
        )
        half = inner.width() * 0.36
        for offset, count, word, state in (
            (inner.width() - 2 * half, breached.get(priority, 0), "breached", BoardState.BREACHED),
            (inner.width() - half, at_risk.get(priority, 0), "at risk", BoardState.AT_RISK),
        ):
            cell = QRect(int(inner.left() + offset), inner.top(), int(half), inner.height())
            colour = STATE_COLOURS[state] if count else MUTED
            painter.setPen(QPen(colour))
            painter.setFont(pixel_font(base, u * 2.2, bold=True))
            number = QRect(cell.left(), cell.top(), cell.width(), int(cell.height() * 0.68))
            painter.drawText(
                number, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, str(count)
            )
            painter.setFont(pixel_font(base, u * 0.75))
            painter.setPen(MUTED)
            label = QRect(
                cell.left(), number.bottom(), cell.width(), cell.height() - number.height()
            )
            painter.drawText(label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, word)
