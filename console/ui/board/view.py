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
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from PySide6.QtCore import QRect, Qt, Signal, Slot
from PySide6.QtGui import QHideEvent, QKeyEvent, QPainter, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.board import (
    BOARD_HORIZON,
    Board,
    BoardItem,
    board_counts,
    board_tiles,
    next_board_change,
    read_board,
)
from console.services.context import ConsoleContext
from console.ui.board.tile import BACKGROUND, MUTED, TEXT, CountsBar, Tile, pixel_font
from console.ui.forms import if_alive, show_full_screen

log = logging.getLogger(__name__)

PAGE_SECONDS = 12
RELOAD_SECONDS = 30
HEADER_UNITS = 2.6
COUNTS_UNITS = 4.4
TILE_WIDTH_UNITS = 20  # a tile is about this many units wide …
TILE_HEIGHT_UNITS = 9.3  # … and this many high


class Wallboard(QWidget):
    loaded = Signal()  # fresh data is on screen

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
        ticker: SlaTicker,
        parent: QWidget | None = None,
        *,
        page_seconds: int = PAGE_SECONDS,
        reload_seconds: int = RELOAD_SECONDS,
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
        self.items: list[BoardItem] = []  # every open incident with a live clock
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
        reader = self._context.open_incidents
        self._dispatcher.submit(
            lambda: read_board(reader),
            if_alive(self, self._on_board_read),
            if_alive(self, self._on_board_failed),
        )

    def _on_board_read(self, board: Board) -> None:
        self._loading = False
        self._failed_since = None
        self.priorities = board.priorities or self.priorities
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
        self.items = items
        self.loads += 1
        self._refresh(self._ticker.now())

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

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.save()
        painter.fillRect(event.rect(), BACKGROUND)
        u = self.unit
        header = self._header_rect().adjusted(round(u * 0.9), 0, -round(u * 0.9), 0)
        base = self.font()
        painter.setFont(pixel_font(base, u * 1.4, bold=True))
        painter.setPen(TEXT)
        painter.drawText(
            header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "SLA wallboard"
        )
        painter.setFont(pixel_font(base, u * 1.1))
        painter.setPen(MUTED)
        painter.drawText(
            header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self._header_text
        )
        if self._empty_shown:
            painter.setFont(pixel_font(base, u * 2.2, bold=True))
            painter.setPen(MUTED)
            rest = self.rect().adjusted(0, self.counts.geometry().bottom(), 0, 0)
            painter.drawText(
                rest,
                Qt.AlignmentFlag.AlignCenter,
                "Nothing is at risk or breached.\nNo clock runs out in the next "
                f"{int(BOARD_HORIZON.total_seconds() // 3600)} hours.",
            )
        painter.restore()

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
