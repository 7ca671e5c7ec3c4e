"""Painting the queue: the countdown with its state in colour, icon and words; badges.

Delegates paint, they don't compute: the model hands over a ``CountdownCell`` (a typed
state, the words, whether they tick), a ``BadgeCell`` or ``(text, muted)``; :class:`_Art`
turns a state into a colour, a tint and an icon pixmap once per theme (and device pixel
ratio) and keeps them; laid-out text is kept per view font (:class:`_Texts`). Nothing here
reads a state, a clock or a length back out of the words. Every paint saves and restores
the painter.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import qtawesome as qta
from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QPainter,
    QPixmap,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from console.domain.clock_model import ClockState
from console.ui.queue.model import CELL_ROLE, PENDING, BadgeCell, CountdownCell, RowState
from console.ui.theme import Theme, current_theme, theme_generation

__all__ = ["STATE_ICONS", "QueueDelegate"]

Index = QModelIndex | QPersistentModelIndex

STATE_ICONS: dict[RowState, str] = {
    ClockState.RUNNING: "mdi6.timer-outline",
    ClockState.AT_RISK: "mdi6.alert",
    ClockState.BREACHED: "mdi6.fire",
    ClockState.PAUSED: "mdi6.pause-circle",
    ClockState.MET: "mdi6.check-circle",
    ClockState.MISSED: "mdi6.close-circle",
    ClockState.NOT_APPLICABLE: "mdi6.minus-circle-outline",
    PENDING: "mdi6.timer-sand",
}
_EMPHASISED: frozenset[RowState] = frozenset({ClockState.AT_RISK, ClockState.BREACHED})
_COLOURED: frozenset[RowState] = frozenset({ClockState.MET, ClockState.MISSED})
_MUTED_STATES: frozenset[RowState] = frozenset(
    {ClockState.PAUSED, ClockState.NOT_APPLICABLE, PENDING}
)
_ICON = 16
_GAP = 6
_MARGIN = 2  # beyond the style's own text margin
_SELECTED = QStyle.StateFlag.State_Selected.value
_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewItem
# A ticking countdown is laid out in pieces that each begin with a number: the numbers change
# at their own pace, the words after them never do (a layout cache, not a reading of them).
_NUMBER = re.compile(r"\d+")


class _Look(NamedTuple):
    """How a countdown in one state paints: the cell's tint, the pens, the weight."""

    tint: QColor | None
    pen: QColor
    detail_pen: QColor
    kind: int


class _Art:
    """What painting needs from the theme (colours, tints, icon pixmaps), built once per theme."""

    def __init__(self) -> None:
        self._generation = -1
        self.theme: Theme = current_theme()
        self._pixmaps: dict[tuple[RowState, float], QPixmap] = {}
        self._looks: dict[tuple[RowState, bool], _Look] = {}

    def refresh(self) -> _Art:
        """Rebuild after a theme change (one integer compared per paint otherwise)."""
        if self._generation != theme_generation():
            self._generation = theme_generation()
            self.theme = current_theme()
            self._pixmaps.clear()
            self._looks.clear()
        return self

    def pixmap(self, state: RowState, ratio: float) -> QPixmap:
        key = (state, ratio)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            colour = self.theme.state_color(state)
            icon = qta.icon(STATE_ICONS.get(state, STATE_ICONS[PENDING]), color=colour)
            pixmap = self._pixmaps[key] = icon.pixmap(QSize(_ICON, _ICON), ratio)
        return pixmap

    def look(self, state: RowState, selected: bool) -> _Look:
        """At risk and breached: bold in the state's colour; met and missed: in their colour;
        paused, not applicable and pending: muted; running: plain text."""
        key = (state, selected)
        look = self._looks.get(key)
        if look is None:
            theme = self.theme
            emphasised = state in _EMPHASISED
            if emphasised or state in _COLOURED:
                pen = theme.state_color(state)
            elif state in _MUTED_STATES:
                pen = theme.muted
            else:
                pen = theme.highlighted_text if selected else theme.text
            look = self._looks[key] = _Look(
                tint=None if selected else theme.state_tint(state),
                pen=pen,
                detail_pen=theme.state_color(state) if emphasised else theme.muted,
                kind=BOLD if emphasised else PLAIN,
            )
        return look


PLAIN, BOLD, ITALIC = 0, 1, 2
_Laid = tuple[QStaticText, float, float]  # the text, its advance, its offset from the top


class _Texts:
    """Laid-out text for the view's font, kept: shaping a string costs more than drawing it.

    Most strings repeat from one paint to the next (names, titles, "breached · First
    response", a countdown in days or hours), so each is shaped once into a ``QStaticText``.
    A countdown that ticks (the cell says so) changes every second, but only its numbers do:
    it is drawn from kept pieces that each start at a number, "12 m " (the same for a minute)
    and "09 s" (one of sixty), and so on for a business countdown beside it.
    """

    LIMIT = 4096

    def __init__(self, font: QFont) -> None:
        bold, italic = QFont(font), QFont(font)
        bold.setBold(True)
        italic.setItalic(True)
        self.fonts = (QFont(font), bold, italic)
        self.metrics = tuple(QFontMetrics(f) for f in self.fonts)
        self.float_metrics = tuple(QFontMetricsF(f) for f in self.fonts)
        self._laid: dict[tuple[str, int, int], _Laid] = {}
        self._advances: dict[tuple[str, int], float] = {}

    def draw(
        self, painter: QPainter, x: int, y: int, width: int, height: int, text: str, kind: int
    ) -> int:
        """Draw ``text`` at ``x``, centred in ``height`` below ``y``, elided to ``width``;
        returns the width drawn."""
        key = (text, kind, width)
        laid = self._laid.get(key)
        if laid is None:
            metrics = self.metrics[kind]
            shown = text
            if metrics.horizontalAdvance(text) > width:
                shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
            laid = self._lay_out(key, shown, kind, height)
        static, advance, offset = laid
        painter.setFont(self.fonts[kind])
        painter.drawStaticText(QPointF(x, y + offset), static)
        return round(advance)

    def draw_ticking(
        self, painter: QPainter, x: int, y: int, width: int, height: int, text: str, kind: int
    ) -> int:
        """Draw a ticking countdown as kept pieces, each from a number up to the next one
        ("12 m ", the same for a minute; "09 s", one of sixty)."""
        pieces, start = [], 0
        for match in _NUMBER.finditer(text):
            if match.start() > start:
                pieces.append(self._piece(text[start : match.start()], kind, height))
                start = match.start()
        if start < len(text):
            pieces.append(self._piece(text[start:], kind, height))
        total = sum(piece[1] for piece in pieces)
        if total > width:  # a narrow column: one elided string
            return self.draw(painter, x, y, width, height, text, kind)
        painter.setFont(self.fonts[kind])
        left = float(x)
        for static, advance, offset in pieces:
            painter.drawStaticText(QPointF(left, y + offset), static)
            left += advance
        return round(total)

    def _piece(self, text: str, kind: int, height: int) -> _Laid:
        key = (text, kind, -height)  # a piece is never elided: no width in its key
        laid = self._laid.get(key)
        return laid if laid is not None else self._lay_out(key, text, kind, height)

    def _lay_out(self, key: tuple[str, int, int], text: str, kind: int, height: int) -> _Laid:
        static = QStaticText(text)
        static.setTextFormat(Qt.TextFormat.PlainText)
        static.prepare(QTransform(), self.fonts[kind])
        if len(self._laid) >= self.LIMIT:
            self._laid.clear()
        advance = self.float_metrics[kind].horizontalAdvance(text)  # trailing space included
        offset = (height - static.size().height()) / 2
        laid = self._laid[key] = (static, advance, offset)
        return laid

    def fitting(self, cell: CountdownCell, width: int) -> str:
        """The cell's detail if it fits whole, else its short form, else nothing: never a
        cut word."""
        for text in (cell.detail, cell.short):
            if text and self.advance(text, PLAIN) <= width:
                return text
        return ""

    def advance(self, text: str, kind: int) -> float:
        """The width of ``text`` in the ``kind`` font (kept)."""
        key = (text, kind)
        advance = self._advances.get(key)
        if advance is None:
            if len(self._advances) >= self.LIMIT:
                self._advances.clear()
            advance = self._advances[key] = self.float_metrics[kind].horizontalAdvance(text)
        return advance


class QueueDelegate(QStyledItemDelegate):
    """Paints every queue cell from the one value the model gives for ``CELL_ROLE``.

    One model call per cell, no ``initStyleOption`` (which asks the model for a dozen roles
    the queue never sets): the view draws the row background, the style the selection, we
    the content. A tick repaints the visible countdowns many times a minute, all day long.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._art = _Art()
        self._texts: _Texts | None = None
        self._inset = 0  # the style's focus margin and ours, each side

    def forget_layout(self) -> None:
        """The view's font or style changed: lay text out afresh."""
        self._texts = None

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        cell = index.data(CELL_ROLE)
        if cell is None:
            super().paint(painter, option, index)
            return
        art = self._art.refresh()
        widget = option.widget
        texts = self._texts
        if texts is None:
            texts = self._texts = _Texts(option.font)
            style = widget.style() if widget is not None else QApplication.style()
            self._inset = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1 + _MARGIN
        rect = option.rect
        selected = bool(option.state.value & _SELECTED)
        painter.save()
        try:
            if selected:  # the view drew the row background; the style adds the selection
                style = widget.style() if widget is not None else QApplication.style()
                style.drawPrimitive(_PANEL, option, painter, widget)
            if type(cell) is CountdownCell:
                self._countdown(painter, rect, cell, selected, art, texts)
                return
            inset = self._inset
            content = rect.adjusted(inset, 0, -inset, 0)
            if type(cell) is BadgeCell:
                self._badge(painter, content, cell, art, texts)
                return
            text, muted = cell
            theme = art.theme
            if muted:
                painter.setPen(theme.muted)
            else:
                painter.setPen(theme.highlighted_text if selected else theme.text)
            texts.draw(
                painter,
                content.x(),
                content.y(),
                content.width(),
                content.height(),
                text,
                ITALIC if muted else PLAIN,
            )
        finally:
            painter.restore()

    # -- pieces -----------------------------------------------------------------------------

    def _countdown(
        self,
        painter: QPainter,
        rect: QRect,
        cell: CountdownCell,
        selected: bool,
        art: _Art,
        texts: _Texts,
    ) -> None:
        """Icon, countdown, then as much of the detail as fits: plain ints, no rectangles
        (a tick repaints every visible countdown)."""
        state = cell.state
        look = art.look(state, selected)
        if look.tint is not None:
            painter.fillRect(rect, look.tint)
        x, top, height = rect.x() + self._inset, rect.y(), rect.height()
        right = x + rect.width() - 2 * self._inset
        pixmap = art.pixmap(state, painter.device().devicePixelRatioF())
        painter.drawPixmap(x, top + (height - _ICON) // 2, pixmap)
        x += _ICON + _GAP
        painter.setPen(look.pen)
        text = cell.text
        room = max(0, right - x)
        if cell.ticking:  # changes every second: drawn from kept pieces
            x += texts.draw_ticking(painter, x, top, room, height, text, look.kind) + 2 * _GAP
        else:
            x += texts.draw(painter, x, top, room, height, text, look.kind) + 2 * _GAP
        detail = texts.fitting(cell, right - x)
        if detail:
            painter.setPen(look.detail_pen)
            texts.draw(painter, x, top, right - x, height, detail, PLAIN)

    @staticmethod
    def _badge(
        painter: QPainter, content: QRect, cell: BadgeCell, art: _Art, texts: _Texts
    ) -> None:
        theme = art.theme
        metrics = texts.metrics[BOLD]
        width = max(metrics.horizontalAdvance(cell.text) + 14, 30)
        height = min(content.height() - 8, metrics.height() + 4)
        badge = QRectF(
            content.left(), content.top() + (content.height() - height) / 2, width, height
        )
        fill = theme.accent if cell.kind == "escalation" else theme.priority_color(cell.text)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(badge, height / 2, height / 2)
        painter.setFont(texts.fonts[BOLD])
        painter.setPen(theme.badge_text)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, cell.text)
