"""Painting the queue: the countdown with its state in colour, icon and words; badges.

Delegates paint, they don't compute: the model hands over a ``CountdownCell`` (state, text,
detail), a ``BadgeCell`` or ``(text, muted)``; :class:`_Art` turns a state into a colour, a
tint and an icon pixmap once per theme (and device pixel ratio) and keeps them; laid-out
text is kept per view font (:class:`_Texts`). Every paint saves and restores the painter.
"""

from __future__ import annotations

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
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPixmap, QStaticText, QTransform
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from console.ui.queue.model import CELL_ROLE, PENDING, BadgeCell, CountdownCell
from console.ui.theme import Theme, current_theme, theme_generation

__all__ = ["STATE_ICONS", "QueueDelegate"]

Index = QModelIndex | QPersistentModelIndex

STATE_ICONS = {
    "running": "mdi6.timer-outline",
    "at_risk": "mdi6.alert",
    "breached": "mdi6.fire",
    "paused": "mdi6.pause-circle",
    "met": "mdi6.check-circle",
    "missed": "mdi6.close-circle",
    "not_applicable": "mdi6.minus-circle-outline",
    PENDING: "mdi6.timer-sand",
}
_EMPHASISED = frozenset({"at_risk", "breached"})
_MUTED_STATES = frozenset({"paused", "not_applicable", PENDING})
_ICON = 16
_GAP = 6
_MARGIN = 2  # beyond the style's own text margin
_LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
_SELECTED = QStyle.StateFlag.State_Selected.value
_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewItem
_SECONDS = " s"  # "12 m 09 s": a countdown under an hour shows its seconds
_SHORT = 12  # "−59 m 59 s" and shorter


class _Art:
    """What painting needs from the theme (colours, tints, icon pixmaps), built once per theme."""

    def __init__(self) -> None:
        self._generation = -1
        self.theme: Theme = current_theme()
        self._pixmaps: dict[tuple[str, float], QPixmap] = {}

    def refresh(self) -> _Art:
        """Rebuild after a theme change (one integer compared per paint otherwise)."""
        if self._generation != theme_generation():
            self._generation = theme_generation()
            self.theme = current_theme()
            self._pixmaps.clear()
        return self

    def pixmap(self, state: str, ratio: float) -> QPixmap:
        key = (state, ratio)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            colour = self.theme.state_color(state)
            icon = qta.icon(STATE_ICONS.get(state, STATE_ICONS[PENDING]), color=colour)
            pixmap = self._pixmaps[key] = icon.pixmap(QSize(_ICON, _ICON), ratio)
        return pixmap


PLAIN, BOLD, ITALIC = 0, 1, 2


class _Texts:
    """Laid-out text for the view's font, kept: shaping a string costs more than drawing it.

    Most strings repeat from one paint to the next (names, titles, "breached · first
    response", a countdown in days or hours), so each is shaped once into a ``QStaticText``.
    A countdown that shows seconds changes every tick: it is drawn directly, never kept.
    """

    LIMIT = 4096

    def __init__(self, font: QFont) -> None:
        bold, italic = QFont(font), QFont(font)
        bold.setBold(True)
        italic.setItalic(True)
        self.fonts = (QFont(font), bold, italic)
        self.metrics = tuple(QFontMetrics(f) for f in self.fonts)
        self._laid: dict[tuple[str, int, int], tuple[QStaticText, int, float]] = {}
        self._fitted: dict[tuple[str, int], str] = {}

    def draw(self, painter: QPainter, rect: QRect, text: str, kind: int) -> int:
        """Draw ``text`` left and vertically centred in ``rect``, elided; returns its width."""
        width = rect.width()
        key = (text, kind, width)
        laid = self._laid.get(key)
        if laid is None:
            metrics = self.metrics[kind]
            advance = metrics.horizontalAdvance(text)
            shown = text
            if advance > width:
                shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
                advance = metrics.horizontalAdvance(shown)
            static = QStaticText(shown)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), self.fonts[kind])
            if len(self._laid) >= self.LIMIT:
                self._laid.clear()
            offset = (rect.height() - static.size().height()) / 2
            laid = self._laid[key] = (static, advance, offset)
        static, advance, offset = laid
        painter.setFont(self.fonts[kind])
        painter.drawStaticText(QPointF(rect.left(), rect.top() + offset), static)
        return advance

    def draw_once(self, painter: QPainter, rect: QRect, text: str, kind: int) -> int:
        """Draw a string that will not be seen again soon (a countdown in seconds)."""
        painter.setFont(self.fonts[kind])
        if len(text) <= _SHORT:  # fits any countdown column: draw, and let Qt say how wide
            return painter.drawText(rect, _LEFT, text).width()
        metrics = self.metrics[kind]
        if metrics.horizontalAdvance(text) > rect.width():
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        return painter.drawText(rect, _LEFT, text).width()

    def fitting(self, detail: str, width: int) -> str:
        """``detail``, dropping trailing `` · `` parts until it fits whole; never a cut word."""
        key = (detail, width)
        fitted = self._fitted.get(key)
        if fitted is None:
            if len(self._fitted) >= self.LIMIT:
                self._fitted.clear()
            parts = detail.split(" · ") if detail else []
            metrics = self.metrics[PLAIN]
            while parts and metrics.horizontalAdvance(" · ".join(parts)) > width:
                parts.pop()
            fitted = self._fitted[key] = " · ".join(parts)
        return fitted


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
        self._margin = 0

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
            self._margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1
        rect = option.rect
        content = rect.adjusted(self._margin + _MARGIN, 0, -self._margin - _MARGIN, 0)
        selected = bool(option.state.value & _SELECTED)
        painter.save()
        try:
            if selected:  # the view drew the row background; the style adds the selection
                style = widget.style() if widget is not None else QApplication.style()
                style.drawPrimitive(_PANEL, option, painter, widget)
            if isinstance(cell, CountdownCell):
                self._countdown(painter, rect, content, cell, selected, art, texts)
            elif isinstance(cell, BadgeCell):
                self._badge(painter, content, cell, art, texts)
            else:
                text, muted = cell
                theme = art.theme
                if muted:
                    painter.setPen(theme.muted)
                else:
                    painter.setPen(theme.highlighted_text if selected else theme.text)
                texts.draw(painter, content, text, ITALIC if muted else PLAIN)
        finally:
            painter.restore()

    # -- pieces -----------------------------------------------------------------------------

    @staticmethod
    def _countdown(
        painter: QPainter,
        rect: QRect,
        content: QRect,
        cell: CountdownCell,
        selected: bool,
        art: _Art,
        texts: _Texts,
    ) -> None:
        theme = art.theme
        state = cell.state
        emphasised = state in _EMPHASISED
        tint = theme.state_tint(state)
        if tint is not None and not selected:
            painter.fillRect(rect, tint)
        pixmap = art.pixmap(state, painter.device().devicePixelRatioF())
        painter.drawPixmap(content.left(), content.top() + (content.height() - _ICON) // 2, pixmap)
        left = content.left() + _ICON + _GAP
        room = QRect(left, content.top(), max(0, content.right() - left), content.height())
        if emphasised or state in ("met", "missed"):
            painter.setPen(theme.state_color(state))
        elif state in _MUTED_STATES:
            painter.setPen(theme.muted)
        else:
            painter.setPen(theme.highlighted_text if selected else theme.text)
        kind = BOLD if emphasised else PLAIN
        if _SECONDS in cell.text:  # changes every tick: not worth keeping
            width = texts.draw_once(painter, room, cell.text, kind)
        else:
            width = texts.draw(painter, room, cell.text, kind)
        rest = room.adjusted(width + 2 * _GAP, 0, 0, 0)
        detail = texts.fitting(cell.detail, rest.width())
        if detail:
            painter.setPen(theme.state_color(state) if emphasised else theme.muted)
            texts.draw(painter, rest, detail, PLAIN)

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
