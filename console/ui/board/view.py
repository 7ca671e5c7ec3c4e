"""The countdown wallboard (DESIGN §7): full screen, read-only, readable across a room.

Breached and at-risk counts by priority on top; below, a tile for every incident that has
breached, is at risk or is due within ``BOARD_HORIZON``, by priority, then breached before
at risk before the rest, then time left (``console.services.board``). When the tiles do not
fit, the board turns the page by itself every ``page_seconds``.

Live time comes from the one :class:`~console.qt.ticker.SlaTicker`: the board acquires it
while shown and, on each tick, lets every visible tile compare its text with what it shows
(only changed tiles repaint). At the earliest ``next_change_at`` of any reading (or when a
deadline comes within the horizon) it re-reads the due items through the domain and
re-picks the tiles and counts, with no database read. Paging and the reload of the data
(on the Dispatcher, every ``reload_seconds``) count ticks, so the board owns no timer.

A :class:`~console.services.board.BoardFilter` (``--window``, ``--priority``, or the two
combos in the header) narrows tiles and counts to the incidents of some support windows or
priorities; the header says which.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from PySide6.QtCore import QRect, Qt, Signal, Slot
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QHideEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QWidget

from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.board import (
    BOARD_HORIZON,
    Board,
    BoardFilter,
    BoardItem,
    board_counts,
    board_tiles,
    next_board_change,
    read_board,
)
from console.services.context import ConsoleContext
from console.ui.board.filters import BoardFilterBar
from console.ui.board.tile import BACKGROUND, MUTED, TEXT, CountsBar, Tile, pixel_font
from console.ui.forms import if_alive, show_full_screen

log = logging.getLogger(__name__)

PAGE_SECONDS = 12
RELOAD_SECONDS = 30
HEADER_UNITS = 2.6
COUNTS_UNITS = 4.4
TILE_WIDTH_UNITS = 20  # a tile is about this many units wide …
TILE_HEIGHT_UNITS = 9.3  # … and this many high
TITLE = "SLA wallboard"


class Wallboard(QWidget):
    loaded = Signal()  # fresh data is on screen
    filter_changed = Signal(object)  # the BoardFilter now shown

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
        ticker: SlaTicker,
        parent: QWidget | None = None,
        *,
        page_seconds: int = PAGE_SECONDS,
        reload_seconds: int = RELOAD_SECONDS,
        board_filter: BoardFilter | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Support Console · Wallboard")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._context = context
        self._dispatcher = dispatcher
        self._ticker = ticker
        self._zone = context.agent_zone
        self._page_seconds = page_seconds
        self._reload_seconds = reload_seconds
        self.board_filter = board_filter or BoardFilter()
        self.loaded_items: list[BoardItem] = []  # every open incident with a live clock
        self.items: list[BoardItem] = []  # those the filter lets through
        self.shown: list[BoardItem] = []  # those with a tile, in board order
        self.priorities: tuple[str, ...] = ("P1", "P2", "P3", "P4")
        self.page = 0
        self.loads = 0
        self._next_event: datetime | None = None  # when the tiles or counts change next
        self._header_text = ""
        self._empty_shown = False
        self._loading = False
        self._failed_since: datetime | None = None  # reloads failing since then
        self._subscribed = False
        self._ticks_on_page = 0  # ticks since the page last turned
        self._ticks_since_reload = 0
        self.unit = 16.0
        self.columns, self.rows = 1, 1
        self.counts = CountsBar(self)
        self.filters = BoardFilterBar(self)
        self.filters.show_filter(self.board_filter)
        self.filters.filter_chosen.connect(self.set_filter)
        self.tiles: list[Tile] = []
        ticker.ticked.connect(self._on_ticker_ticked)

    # -- data --------------------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        """Read the open incidents again (off the GUI thread)."""
        if self._loading:
            return
        self._loading = True
        self._ticks_since_reload = 0
        reader, windows = self._context.open_incidents, self._context.customers.windows
        self._dispatcher.submit(
            lambda: read_board(reader, windows),
            if_alive(self, self._on_board_read),
            if_alive(self, self._on_board_failed),
        )

    def _on_board_read(self, board: Board) -> None:
        self._loading = False
        self._failed_since = None
        self.priorities = board.priorities or self.priorities
        self.filters.set_choices(board.windows, self.priorities)
        self.set_items(list(board.items))
        self.loaded.emit()

    def _on_board_failed(self, error: Exception) -> None:
        """Keep showing the last good data, and say so."""
        self._loading = False
        log.warning("wallboard reload failed: %s", error)
        now = self._ticker.now()
        if self._failed_since is None:
            self._failed_since = now
        self._update_header(now)

    def set_items(self, items: list[BoardItem]) -> None:
        self.loaded_items = items
        self.items = self.board_filter.apply(items)
        self.loads += 1
        self._refresh(self._ticker.now())

    @Slot(object)
    def set_filter(self, board_filter: BoardFilter) -> None:
        """Show only the incidents ``board_filter`` lets through (no database read)."""
        self.board_filter = board_filter
        self.filters.show_filter(board_filter)
        now = self._ticker.now()
        self.items = board_filter.apply(item.at(now) for item in self.loaded_items)
        self.page = 0
        self._ticks_on_page = 0
        self._header_text = ""
        self._refresh(now)
        self.update()
        self.filter_changed.emit(board_filter)

    def _refresh(self, now: datetime) -> None:
        """Re-read the items whose reading changed by ``now``, re-pick tiles and counts."""
        self.items = [item.at(now) for item in self.items]
        self.shown = board_tiles(self.items, now, self.priorities)
        self.counts.show_counts(board_counts(self.items, self.priorities))
        self._next_event = next_board_change(self.items, now)
        self.page = min(self.page, self.page_count - 1)
        self._show_page(now)

    # -- pages -------------------------------------------------------------------------------

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(len(self.shown) / self.per_page))

    def page_items(self) -> list[BoardItem]:
        start = self.page * self.per_page
        return self.shown[start : start + self.per_page]

    def visible_tiles(self) -> list[Tile]:
        return [tile for tile in self.tiles if tile.item is not None and tile.isVisibleTo(self)]

    @Slot()
    def next_page(self) -> None:
        self.page = (self.page + 1) % self.page_count
        self._ticks_on_page = 0
        self._show_page(self._ticker.now())

    def _show_page(self, now: datetime) -> None:
        items = self.page_items()
        for index, tile in enumerate(self.tiles):
            item = items[index] if index < len(items) else None
            tile.show_item(item, now)  # repaints only if the text differs
            tile.setVisible(item is not None)
        empty = not self.shown and self.loads > 0
        if empty != self._empty_shown:
            self._empty_shown = empty
            self.update()
        self._update_header(now)

    # -- time --------------------------------------------------------------------------------

    @Slot(object)
    def _on_ticker_ticked(self, now: datetime) -> None:
        if not self._subscribed:
            return
        if self._next_event is not None and now >= self._next_event:
            self._refresh(now)  # a reading changed: re-read it, re-pick (no database)
        else:
            for tile in self.visible_tiles():
                tile.tick(now)
            self._update_header(now)
        self._ticks_on_page += 1
        if self.page_count > 1 and self._ticks_on_page >= self._page_seconds:
            self.next_page()
        self._ticks_since_reload += 1
        if self._ticks_since_reload >= self._reload_seconds:
            self.reload()

    def _update_header(self, now: datetime) -> None:
        local = now.astimezone(self._zone)
        pages = f"Page {self.page + 1} of {self.page_count}   ·   " if self.page_count > 1 else ""
        stale = ""
        if self._failed_since is not None:
            since = self._failed_since.astimezone(self._zone)
            stale = f"Cannot read the database since {since:%H:%M}   ·   "
        text = f"{stale}{pages}{local:%a %d %b  %H:%M} {local.tzname()}"
        if text != self._header_text:
            self._header_text = text
            self.update(self._header_rect())

    # -- geometry and painting ---------------------------------------------------------------

    def _header_rect(self) -> QRect:
        return QRect(0, 0, self.width(), round(self.unit * HEADER_UNITS))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._lay_out()

    def _lay_out(self) -> None:
        width, height = self.width(), self.height()
        self.unit = u = max(8.0, min(height / 36, width / 60))
        margin = round(u * 0.6)
        header = self._header_rect().height()
        counts_h = round(u * COUNTS_UNITS)
        self.counts.unit = u
        self.counts.setGeometry(margin, header, width - 2 * margin, counts_h)
        self._place_filters(u, header)
        top = header + counts_h + round(u * 0.3)
        grid_w, grid_h = width - 2 * margin, height - top - margin
        self.columns = max(1, int(grid_w // (u * TILE_WIDTH_UNITS)))
        self.rows = max(1, int(grid_h // (u * TILE_HEIGHT_UNITS)))
        while len(self.tiles) < self.per_page:
            tile = Tile(self._zone, self)
            tile.hide()
            self.tiles.append(tile)
        now = self._ticker.now()
        for tile in self.tiles[self.per_page :]:
            tile.show_item(None, now)
            tile.hide()
        tile_w, tile_h = grid_w / self.columns, grid_h / self.rows
        for index, tile in enumerate(self.tiles[: self.per_page]):
            row, column = divmod(index, self.columns)
            tile.set_unit(u)
            tile.setGeometry(
                round(margin + column * tile_w),
                round(top + row * tile_h),
                round(tile_w),
                round(tile_h),
            )
        self.page = 0
        self._ticks_on_page = 0
        self._refresh(now)

    def _title_font(self, u: float) -> QFont:
        return pixel_font(self.font(), u * 1.4, bold=True)

    def _place_filters(self, u: float, header: int) -> None:
        """The two combos just after the title, in the header's height."""
        self.filters.set_unit(u)
        title = QFontMetrics(self._title_font(u)).horizontalAdvance(TITLE)
        left = round(u * 0.9) + title + round(u * 1.2)
        hint = self.filters.sizeHint()
        height = min(hint.height(), header)
        self.filters.setGeometry(
            left, (header - height) // 2, max(hint.width(), round(u * 24)), height
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.save()
        painter.fillRect(event.rect(), BACKGROUND)
        u = self.unit
        header = self._header_rect().adjusted(round(u * 0.9), 0, -round(u * 0.9), 0)
        base = self.font()
        painter.setFont(self._title_font(u))
        painter.setPen(TEXT)
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, TITLE)
        painter.setFont(pixel_font(base, u * 1.1))
        painter.setPen(MUTED)
        painter.drawText(
            header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self._header_text
        )
        if self._empty_shown:
            painter.setFont(self.empty_font())
            painter.setPen(MUTED)
            rest = self.rect().adjusted(0, self.counts.geometry().bottom(), 0, 0)
            painter.drawText(rest, Qt.AlignmentFlag.AlignCenter, self.empty_text())
        painter.restore()

    def empty_font(self) -> QFont:
        """Large, but never wider than the board: a long window name shrinks it."""
        text, width = self.empty_text(), self.width() - round(self.unit * 2)
        size = self.unit * 2.2
        font = pixel_font(self.font(), size, bold=True)
        widest = max(QFontMetrics(font).horizontalAdvance(line) for line in text.splitlines())
        if widest > width > 0:
            font = pixel_font(self.font(), size * width / widest, bold=True)
        return font

    def empty_text(self) -> str:
        """What an empty board says (naming the filter, if any: people's text, drawn plain)."""
        hours = int(BOARD_HORIZON.total_seconds() // 3600)
        among = f" in {self.board_filter.label}" if self.board_filter.label else ""
        return (
            f"Nothing{among} is at risk or breached.\nNo clock runs out in the next {hours} hours."
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Q):
            self.close()
        elif event.key() == Qt.Key.Key_F11:
            self.showNormal() if self.isFullScreen() else show_full_screen(self)
        elif event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Right, Qt.Key.Key_PageDown):
            self.next_page()
        elif event.key() == Qt.Key.Key_F5:
            self.reload()
        else:
            super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._subscribed = True
        self._ticker.acquire(self)  # ticks now, then every second while shown
        self._ticks_on_page = 0
        self.reload()

    def hideEvent(self, event: QHideEvent) -> None:
        self._subscribed = False
        self._ticker.release(self)
        super().hideEvent(event)
