"""The wallboard's filter: two small combos in its header, support window and priority.

The same filter as ``main.py --board --window NAME --priority P1,P2``; what the combos say
is what the board shows ("All windows", "GMT + Pacific", "P1, P2"). They take no keyboard
focus, so the board's own keys (Esc, Space, F5) keep working after a click.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, Qt, Signal, Slot
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget

from console.services.board import BoardFilter
from console.ui.board.tile import MUTED, PANEL, TEXT, pixel_font

__all__ = ["BoardFilterBar"]

Windows = tuple[tuple[str, str], ...]


class _BoardCombo(QComboBox):
    """A combo whose arrow is painted at the board's scale (``arrow``: half its width, and
    the width of the drop-down button it sits in)."""

    arrow = (5, 16)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        half, drop = self.arrow
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(TEXT, max(1.5, half / 3))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        centre = QPointF(self.width() - drop / 2, self.height() / 2 + half / 4)
        painter.drawPolyline(
            [
                centre + QPointF(-half, -half / 2),
                centre + QPointF(0, half / 2),
                centre + QPointF(half, -half / 2),
            ]
        )
        painter.end()


class BoardFilterBar(QWidget):
    filter_chosen = Signal(object)  # a BoardFilter the user picked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("boardFilters")
        self._filter = BoardFilter()
        self._windows: Windows = ()
        self._priorities: tuple[str, ...] = ()
        self._window_entries: list[Windows] = [()]  # what each window entry stands for
        self._priority_entries: list[tuple[str, ...]] = [()]
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.window_choice = self._combo("Support window shown on the board")
        self.priority_choice = self._combo("Priorities shown on the board")
        layout.addWidget(self.window_choice)
        layout.addWidget(self.priority_choice)
        layout.addStretch(1)
        self.window_choice.activated.connect(self._on_choice_activated)
        self.priority_choice.activated.connect(self._on_choice_activated)
        self.set_unit(16.0)

    def _combo(self, tip: str) -> _BoardCombo:
        combo = _BoardCombo(self)
        combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        combo.setToolTip(tip)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    @property
    def current(self) -> BoardFilter:
        return self._filter

    def set_unit(self, unit: float) -> None:
        """Scale with the board: the combos read across a room like the header does."""
        font: QFont = pixel_font(self.font(), unit * 1.05)
        pad = max(2, round(unit * 0.25))
        # The arrow is drawn by the sheet too, at the board's scale: the style's own arrow
        # stays a few pixels wide and is clipped by the border on a large board.
        half = max(4, round(unit * 0.35))  # half the arrow's width
        drop = half * 2 + pad * 3  # the drop-down button's width
        sheet = (
            f"QComboBox {{ color: {TEXT.name()}; background: {PANEL.name()};"
            f" border: 1px solid {MUTED.name()}; border-radius: {pad}px;"
            f" padding: {pad // 2}px {drop}px {pad // 2}px {pad * 2}px; }}"
            f" QComboBox::drop-down {{ subcontrol-origin: padding;"
            f" subcontrol-position: center right; width: {drop}px; border: none; }}"
            " QComboBox::down-arrow { image: none; }"
        )
        for combo in (self.window_choice, self.priority_choice):
            combo.setFont(font)
            combo.setStyleSheet(sheet)
            combo.arrow = (half, drop)
        layout = self.layout()
        if layout is not None:
            layout.setSpacing(pad * 2)

    def set_choices(self, windows: Windows, priorities: Sequence[str]) -> None:
        """What can be chosen: the database's windows and the policy's priorities."""
        windows, priorities = tuple(windows), tuple(priorities)
        if windows == self._windows and priorities == self._priorities:
            return
        self._windows, self._priorities = windows, priorities
        self._fill()

    def show_filter(self, board_filter: BoardFilter) -> None:
        """Show ``board_filter`` as chosen (from the command line, or a previous choice)."""
        self._filter = board_filter
        self._fill()

    def _fill(self) -> None:
        current = self._filter
        entries: list[tuple[str, Windows]] = [("All windows", ())]
        entries += [(name, ((window_id, name),)) for window_id, name in self._windows]
        if current.windows and current.windows not in [w for _, w in entries]:
            entries.append((current.window_label, current.windows))
        self._window_entries = [w for _, w in entries]
        self._set_entries(
            self.window_choice,
            [t for t, _ in entries],
            self._window_entries.index(current.windows)
            if current.windows in self._window_entries
            else 0,
        )
        levels: list[tuple[str, tuple[str, ...]]] = [("All priorities", ())]
        for end in range(1, len(self._priorities)):
            chosen = self._priorities[:end]
            levels.append((", ".join(chosen), chosen))
        if current.priorities and current.priorities not in [p for _, p in levels]:
            levels.append((current.priority_label, current.priorities))
        self._priority_entries = [p for _, p in levels]
        entries_p = self._priority_entries
        self._set_entries(
            self.priority_choice,
            [t for t, _ in levels],
            entries_p.index(current.priorities) if current.priorities in entries_p else 0,
        )

    @staticmethod
    def _set_entries(combo: QComboBox, texts: Sequence[str], current: int) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(list(texts))  # plain text: a combo never reads markup
        combo.setCurrentIndex(current)
        combo.blockSignals(False)

    @Slot(int)
    def _on_choice_activated(self, _index: int) -> None:
        chosen = BoardFilter(
            windows=self._window_entries[max(0, self.window_choice.currentIndex())],
            priorities=self._priority_entries[max(0, self.priority_choice.currentIndex())],
        )
        if chosen != self._filter:
            self._filter = chosen
            self.filter_chosen.emit(chosen)
