"""The wallboard's painted parts: one incident tile, and the counts by priority.

A tile paints a :class:`~console.services.board.TileText` (the incident's live reading,
worded by the domain) and nothing else; ``show`` works out the text at "now" and repaints
only when it differs from what is on screen (``repaints`` counts them, so a test can tell a
quiet tick from a busy one). Sizes come from ``unit``: the board sets it from the screen, so
the same layout is readable on a laptop and across a room.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from console.domain.clock_model import ClockState
from console.domain.wording import state_words
from console.services.board import BoardCounts, BoardItem, TileText, tile_text

BACKGROUND = QColor("#111418")
PANEL = QColor("#1e232a")
TEXT = QColor("#f1f3f5")
MUTED = QColor("#aab2bd")
STATE_COLOURS = {
    ClockState.BREACHED: QColor("#ff5b5b"),
    ClockState.AT_RISK: QColor("#ffb02e"),
    ClockState.RUNNING: QColor("#7cc4ff"),
    ClockState.PAUSED: QColor("#b8a9e0"),
}
PRIORITY_COLOURS = {
    "P1": QColor("#d32f2f"),
    "P2": QColor("#ef6c00"),
    "P3": QColor("#1976d2"),
    "P4": QColor("#546e7a"),
}
OTHER_PRIORITY = QColor("#607d8b")
_LEFT_MIDDLE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT_MIDDLE = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def pixel_font(base: QFont, pixels: float, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPixelSize(max(6, round(pixels)))
    font.setBold(bold)
    return font


def state_colour(state: ClockState) -> QColor:
    return STATE_COLOURS.get(state, MUTED)


class Tile(QWidget):
    def __init__(self, zone: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._zone = zone
        self.item: BoardItem | None = None
        self.text: TileText | None = None
        self.unit = 16.0
        self.repaints = 0  # how many times a change of text asked for a repaint

    def show_item(self, item: BoardItem | None, now: datetime) -> bool:
        """Show ``item`` as it reads at ``now``; repaints (and returns True) only when the
        text on screen changes."""
        self.item = item
        text = tile_text(item, now, self._zone) if item is not None else None
        if text == self.text:
            return False
        self.text = text
        self.repaints += 1
        self.update()
        return True

    def tick(self, now: datetime) -> bool:
        """The same item a second later: repaint if it now reads differently."""
        return self.show_item(self.item, now)

    def set_unit(self, unit: float) -> None:
        if unit != self.unit:
            self.unit = unit
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        if self.text is not None:
            self._paint(painter, self.text)
        painter.restore()

    def _paint(self, painter: QPainter, text: TileText) -> None:
        u = self.unit
        box = QRectF(self.rect()).adjusted(u * 0.25, u * 0.25, -u * 0.25, -u * 0.25)
        accent = state_colour(text.state)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PANEL)
        painter.drawRoundedRect(box, u * 0.4, u * 0.4)
        painter.setBrush(accent)
        painter.drawRoundedRect(QRectF(box.left(), box.top(), u * 0.45, box.height()), 3, 3)
        inner = box.adjusted(u * 0.95, u * 0.45, -u * 0.6, -u * 0.35).toRect()
        base = self.font()

        # first line: priority chip and number; who owns it on the right
        chip_font = pixel_font(base, u * 0.9, bold=True)
        chip_w = QFontMetrics(chip_font).horizontalAdvance(text.priority) + round(u * 0.7)
        chip = QRect(inner.left(), inner.top(), chip_w, round(u * 1.25))
        painter.setBrush(PRIORITY_COLOURS.get(text.priority, OTHER_PRIORITY))
        painter.drawRoundedRect(QRectF(chip), u * 0.3, u * 0.3)
        painter.setFont(chip_font)
        painter.setPen(QColor("white"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text.priority)
        number_font = pixel_font(base, u * 0.85, bold=True)
        painter.setFont(number_font)
        painter.setPen(MUTED)
        number_w = QFontMetrics(number_font).horizontalAdvance(text.number)
        number = QRect(chip.right() + round(u * 0.5), chip.top(), number_w, chip.height())
        painter.drawText(number, _LEFT_MIDDLE, text.number)
        owner = QRect(inner.left(), chip.top(), inner.width(), chip.height())
        owner.setLeft(number.right() + round(u * 0.8))
        self._elided(painter, pixel_font(base, u * 0.8), MUTED, owner, _RIGHT_MIDDLE, text.assignee)

        # customer and title, then which clock and how it stands, in the state's colour
        top = chip.bottom() + round(u * 0.25)
        for pixels, bold, colour, words, shrink in (
            (u * 1.1, True, TEXT, text.customer, False),
            (u * 0.85, False, MUTED, text.title, False),
            (u * 0.9, True, accent, text.headline, True),  # the clock's state: never cut off
        ):
            font = pixel_font(base, pixels, bold=bold)
            height = QFontMetrics(font).height()
            row = QRect(inner.left(), top, inner.width(), height)
            if shrink:
                font = self._narrowed(font, words, row.width())
            self._elided(painter, font, colour, row, _LEFT_MIDDLE, words)
            top += height + round(u * 0.05)

        # the countdown, as big as fits what is left of the tile; business time above it
        rest = QRect(inner.left(), top, inner.width(), inner.bottom() - top)
        self._countdown(painter, text.parts, rest, accent)

    def _countdown(
        self, painter: QPainter, parts: tuple[str, str], rest: QRect, colour: QColor
    ) -> None:
        u, base = self.unit, self.font()
        main, business = parts
        big = pixel_font(base, u * 2.2, bold=True)
        small = pixel_font(base, u * 0.85, bold=True)
        gap = u * 0.3
        metrics = QFontMetrics(big)
        room = rest.height() - (QFontMetrics(small).ascent() + gap if business else 0)
        scale = min(
            1.0,
            rest.width() / max(1, metrics.horizontalAdvance(main)),
            room / max(1, metrics.capHeight()),
        )
        if scale < 1.0:
            big.setPixelSize(max(6, int(big.pixelSize() * scale)))
            metrics = QFontMetrics(big)
        baseline = rest.bottom() - u * 0.1
        painter.setPen(colour)
        painter.setFont(big)
        painter.drawText(QPointF(rest.right() - metrics.horizontalAdvance(main), baseline), main)
        if business:
            small_metrics = QFontMetrics(small)
            shown = small_metrics.elidedText(business, Qt.TextElideMode.ElideLeft, rest.width())
            painter.setFont(small)
            painter.drawText(
                QPointF(
                    rest.right() - small_metrics.horizontalAdvance(shown),
                    baseline - metrics.capHeight() - gap,
                ),
                shown,
            )

    @staticmethod
    def _narrowed(font: QFont, text: str, width: int, floor: float = 0.7) -> QFont:
        """``font`` made smaller (down to ``floor`` of its size) until ``text`` fits ``width``."""
        needed = QFontMetrics(font).horizontalAdvance(text)
        if needed <= width:
            return font
        smaller = QFont(font)
        smaller.setPixelSize(max(6, int(font.pixelSize() * max(floor, width / needed))))
        return smaller

    @staticmethod
    def _elided(
        painter: QPainter,
        font: QFont,
        colour: QColor,
        rect: QRect,
        align: Qt.AlignmentFlag,
        text: str,
    ) -> None:
        painter.setFont(font)
        painter.setPen(colour)
        shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, align, shown)


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
        painter.setBrush(PRIORITY_COLOURS.get(priority, OTHER_PRIORITY))
        painter.drawRoundedRect(QRectF(box.left(), box.top(), box.width(), u * 0.35), 3, 3)
        inner = box.adjusted(u * 0.7, u * 0.6, -u * 0.7, -u * 0.3).toRect()
        painter.setFont(pixel_font(base, u * 1.6, bold=True))
        painter.setPen(TEXT)
        painter.drawText(inner, _LEFT_MIDDLE, priority)
        half = inner.width() * 0.36
        for offset, count, state in (
            (inner.width() - 2 * half, breached.get(priority, 0), ClockState.BREACHED),
            (inner.width() - half, at_risk.get(priority, 0), ClockState.AT_RISK),
        ):
            cell = QRect(int(inner.left() + offset), inner.top(), int(half), inner.height())
            painter.setPen(QPen(state_colour(state) if count else MUTED))
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
            painter.drawText(
                label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, state_words(state)
            )
