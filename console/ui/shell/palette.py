"""The command palette (Ctrl+K): find any action of the window by typing part of its name.

A small list of every action the window offers (:func:`~console.ui.shell.shortcuts.
window_actions`), with its menu and its keys. Typing filters it (case-insensitive: a
substring first, then the letters in order, "nwinc" for "New incident…"); Up and Down
choose, Enter runs the chosen action, Esc closes. An action that cannot run now stays in the
list, greyed, after the ones that can, with the reason its tooltip gives ("Open an incident
first"), so a user learns why instead of wondering where it went; Enter on it says why again.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from console.ui.forms import plain_label, plain_tip, set_plain
from console.ui.shell.shortcuts import FoundAction, window_actions

__all__ = ["PALETTE_KEYS", "CommandPalette", "PaletteRow", "disabled_reason", "install_palette"]

PALETTE_KEYS = "Ctrl+K"
NOT_NOW = "not available now"
_ROLE = Qt.ItemDataRole.UserRole


def match_score(query: str, text: str) -> int | None:
    """How well ``query`` matches ``text`` (lower is better), or None for no match.

    A substring scores by where it starts (a word start beats the middle of a word); the
    letters of ``query`` in order, with gaps, score after every substring.
    """
    query, text = query.strip().lower(), text.lower()
    if not query:
        return 0
    at = text.find(query)
    if at >= 0:
        word_start = at == 0 or not text[at - 1].isalnum()
        return at if word_start else 50 + at
    position, spread, start = 0, 0, -1
    for char in query:
        if char == " ":
            continue
        found = text.find(char, position)
        if found < 0:
            return None
        if start < 0:
            start = found
        spread += found - position
        position = found + 1
    return 200 + spread + start


def disabled_reason(action: QAction) -> str:
    """Why ``action`` cannot run now: its tooltip when that says more than its name."""
    name = action.text().replace("&", "").strip().rstrip("…").rstrip(".").lower()
    tip = action.toolTip().replace("&", "").strip()
    if tip and tip.rstrip("…").rstrip(".").lower() != name:
        return tip
    return NOT_NOW


@dataclass(frozen=True)
class PaletteRow:
    """One row as the user sees it."""

    label: str
    group: str
    keys: str
    enabled: bool
    reason: str  # why it is greyed ("" when enabled)
    action: QAction


def palette_rows(found: list[FoundAction], query: str) -> list[PaletteRow]:
    """The rows matching ``query``: runnable ones first, each part best match first."""
    scored: list[tuple[int, int, int, PaletteRow]] = []
    for index, item in enumerate(found):
        label, group, keys = item.label, item.group, item.shortcut
        scores = [
            s
            for s in (
                match_score(query, label),
                _plus(match_score(query, f"{group} {label}"), 100),
                _plus(match_score(query, keys), 150) if keys else None,
            )
            if s is not None
        ]
        if not scores:
            continue
        enabled = item.action.isEnabled()
        row = PaletteRow(
            label=label,
            group=group,
            keys=keys,
            enabled=enabled,
            reason="" if enabled else disabled_reason(item.action),
            action=item.action,
        )
        scored.append((0 if enabled else 1, min(scores), index, row))
    return [row for *_, row in sorted(scored, key=lambda s: s[:3])]


def _plus(score: int | None, offset: int) -> int | None:
    return None if score is None else score + offset


class CommandPalette(QDialog):
    """Ctrl+K over ``window``: type, choose, Enter."""

    action_chosen = Signal(QAction)  # emitted just before the chosen action runs

    def __init__(self, window: QMainWindow, keys: str = PALETTE_KEYS) -> None:
        super().__init__(window)
        self._window = window
        self.open_action = QAction("Command palette…", window)
        self.open_action.setObjectName("commandPaletteAction")
        self.open_action.setShortcut(QKeySequence(keys))
        self.open_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.open_action.setToolTip("Find any action by name and run it")
        self.open_action.triggered.connect(self.popup)
        self._found: list[FoundAction] = []
        self.rows: list[PaletteRow] = []  # what the list shows, in order
        self.setObjectName("commandPalette")
        self.setWindowTitle("Commands")
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        frame = QFrame(self)
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        outer.addWidget(frame)
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        self.search = QLineEdit(frame)
        self.search.setPlaceholderText("Type a command: assign, wallboard, theme…")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        layout.addWidget(self.search)
        self.list = QTreeWidget(frame)
        self.list.setObjectName("paletteList")
        self.list.setColumnCount(3)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setAlternatingRowColors(False)
        self._row_height = self.fontMetrics().height() + 10
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.list, 1)
        self.status = plain_label("", frame)
        self.status.setObjectName("paletteStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.list.itemClicked.connect(self._on_list_item_activated)

    # -- opening -----------------------------------------------------------------------------

    @Slot()
    def popup(self) -> None:
        """Collect the window's actions as they are now and show the palette over it."""
        self._found = [
            f
            for f in window_actions(self._window, shown_only=True)
            if f.action is not self.open_action
        ]
        self.search.clear()
        self._fill("")
        width = min(640, max(420, self._window.width() - 80))
        height = min(440, max(240, self._window.height() - 120))
        self.resize(width, height)
        top_left = self._window.mapToGlobal(self._window.rect().topLeft())
        self.move(top_left.x() + (self._window.width() - width) // 2, top_left.y() + 60)
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus()

    # -- filtering ---------------------------------------------------------------------------

    @Slot(str)
    def _on_search_text_changed(self, text: str) -> None:
        self._fill(text)

    def _fill(self, query: str) -> None:
        self.rows = palette_rows(self._found, query)
        self.list.clear()
        for index, row in enumerate(self.rows):
            label = row.label if row.enabled else f"{row.label} — {row.reason}"
            item = QTreeWidgetItem([label, row.group, row.keys])
            item.setData(0, _ROLE, index)
            item.setSizeHint(0, QSize(0, self._row_height))
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if not row.enabled:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(0, plain_tip(row.reason))
            self.list.addTopLevelItem(item)
        first = next((i for i, r in enumerate(self.rows) if r.enabled), None)
        self._choose(first)
        if not self.rows:
            set_plain(self.status, "No command matches. Esc closes.")
        else:
            set_plain(self.status, "Enter runs the chosen command · ↑↓ choose · Esc closes")

    def current_row(self) -> PaletteRow | None:
        item = self.list.currentItem()
        if item is None:
            return None
        return self.rows[int(item.data(0, _ROLE))]

    def _step(self, step: int) -> None:
        enabled = [i for i, r in enumerate(self.rows) if r.enabled]
        if not enabled:
            return
        item = self.list.currentItem()
        now = int(item.data(0, _ROLE)) if item is not None else -1
        if now not in enabled:
            target = enabled[0] if step > 0 else enabled[-1]
        else:
            target = enabled[(enabled.index(now) + step) % len(enabled)]
        self._choose(target)

    def _choose(self, index: int | None) -> None:
        """Make row ``index`` the chosen one (None: none, when nothing can run)."""
        item = self.list.topLevelItem(index) if index is not None else None
        if item is None:
            self.list.setCurrentIndex(QModelIndex())
        else:
            self.list.setCurrentItem(item)
            self.list.scrollToItem(item)

    # -- running -----------------------------------------------------------------------------

    def run_current(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self._run(row)

    def _run(self, row: PaletteRow) -> None:
        if not row.action.isEnabled():
            set_plain(self.status, f"{row.label}: {disabled_reason(row.action)}")
            return
        self.accept()  # close first: the action may open a dialog of its own
        self.action_chosen.emit(row.action)
        row.action.trigger()

    @Slot(QTreeWidgetItem, int)
    def _on_list_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        self._run(self.rows[int(item.data(0, _ROLE))])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        pressed = isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress
        if watched is self.search and pressed and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._step(1 if key == Qt.Key.Key_Down else -1)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.run_current()
                return True
        return super().eventFilter(watched, event)


def install_palette(window: QMainWindow, keys: str = PALETTE_KEYS) -> CommandPalette:
    """Give ``window`` a command palette on ``keys`` (Ctrl+K); the palette's own action is
    ``palette.open_action`` (put it in a menu to show it there too)."""
    palette = CommandPalette(window, keys)
    window.addAction(palette.open_action)
    return palette
