"""The countdown wallboard (DESIGN §7): full screen, read-only, readable across a room.

Breached and at-risk counts by priority on top; below, a tile for every incident that has
breached, is at risk or is due within ``BOARD_HORIZON``, soonest deadline first. When the
tiles do not fit, the board turns the page by itself every ``page_seconds``.

Next to no CPU while nothing changes: the data is read on the Dispatcher every
``reload_seconds`` (or on ``reload()``); in between one single-shot timer wakes exactly
when something on screen will read differently: a countdown on this page (once a minute
past an hour, once a second below), an incident turning at risk or breaching, a tile
entering the horizon, or the minute of the header clock. Only tiles whose text changed
repaint. Every instant comes from the injected clock, so tests drive it by calling the
timer slots.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

import shiboken6
from PySide6.QtCore import QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QKeyEvent, QPainter, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.review import (
    BOARD_HORIZON,
    BoardItem,
    BoardState,
    ReviewService,
    board_counts,
    board_tiles,
    countdown_changes_in,
    next_transition,
)
from console.ui.board.tile import (
    BACKGROUND,
    MUTED,
    STATE_COLOURS,
    TEXT,
    CountsBar,
    Tile,
    pixel_font,
)

log = logging.getLogger(__name__)

PAGE_SECONDS = 12
RELOAD_SECONDS = 30
TILE_WIDTH_UNITS = 20  # a tile is about this many units wide …
TILE_HEIGHT_UNITS = 8.6  # … and this many high


class Wallboard(QWidget):
    loaded = Signal()  # fresh data is on screen

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
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
        self._review = ReviewService(context.store, context.clock)
        self._zone = context.agent_zone
        self.items: list[BoardItem] = []  # every open incident with a clock counting down
        self.shown: list[BoardItem] = []  # those with a tile, soonest deadline first
        self.priorities: tuple[str, ...] = ("P1", "P2", "P3", "P4")
        self.page = 0
        self.loads = 0
        self._next_event: datetime | None = None
        self._header_text = ""
        self._empty_shown = False
        self._loading = False
        self._failed_since: datetime | None = None  # reloads failing since then
        self.unit = 16.0
        self.columns, self.rows = 1, 1
        self.counts = CountsBar(self)
        self.tiles: list[Tile] = []

        self._tick = QTimer(self)
        self._tick.setSingleShot(True)
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self._on_tick_timeout)
        self._pager = QTimer(self)
        self._pager.setInterval(page_seconds * 1000)
        self._pager.timeout.connect(self._on_pager_timeout)
        self._reloader = QTimer(self)
        self._reloader.setInterval(reload_seconds * 1000)
        self._reloader.timeout.connect(self._on_reloader_timeout)

    # -- data --------------------------------------------------------------------------------

    @Slot()
    def reload(self) -> None:
        """Read the open incidents again (off the GUI thread)."""
        if self._loading:
            return
        self._loading = True
        review = self._review

        def job() -> tuple[tuple[str, ...], list[BoardItem]]:
            return review.priorities(), review.board()

        def done(result: tuple[tuple[str, ...], list[BoardItem]]) -> None:
            if shiboken6.isValid(self):
                self._loading = False
                self._failed_since = None
                self.priorities, items = result
                self.set_items(items)
                self.loaded.emit()

        def failed(error: Exception) -> None:  # keep showing the last good data, and say so
            if shiboken6.isValid(self):
                self._loading = False
                log.warning("wallboard reload failed: %s", error)
                if self._failed_since is None:
                    self._failed_since = self._context.clock.now()
                self._update_header(self._context.clock.now())

        self._dispatcher.submit(job, done, failed)

    def set_items(self, items: list[BoardItem]) -> None:
        self.items = items
        self.loads += 1
        self._refresh(self._context.clock.now())

    def _refresh(self, now: datetime) -> None:
        """Re-pick the tiles and the counts at ``now`` and show the current page."""
        self.shown = board_tiles(self.items, now)
        self.counts.show_counts(board_counts(self.items, now, self.priorities))
        self._next_event = self._next_membership_change(now)
        self.page = min(self.page, self.page_count - 1)
        self._show_page(now)

    def _next_membership_change(self, now: datetime) -> datetime | None:
        """The next instant an item turns at risk, breaches or comes within the horizon."""
        shown = {item.incident_id for item in self.shown}
        entering = [
            item.deadline - BOARD_HORIZON
            for item in self.items
            if item.incident_id not in shown and item.deadline - BOARD_HORIZON > now
        ]
        candidates = [
            t for t in (next_transition(self.items, now), min(entering, default=None)) if t
        ]
        return min(candidates, default=None)

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

    @Slot()
    def next_page(self) -> None:
        self.page = (self.page + 1) % self.page_count
        self._show_page(self._context.clock.now())

    def _show_page(self, now: datetime) -> None:
        items = self.page_items()
        for index, tile in enumerate(self.tiles):
            item = items[index] if index < len(items) else None
            if item != tile.item:  # equal items (a reload that changed nothing) keep their pixels
                tile.show_item(item, now)
            else:
                tile.tick(now)
            tile.setVisible(item is not None)
        empty = not self.shown and self.loads > 0
        if empty != self._empty_shown:
            self._empty_shown = empty
            self.update()
        self._update_header(now)
        self._sync_pager()
        self._schedule(now)

    def _sync_pager(self) -> None:
        if self.page_count > 1 and self.isVisible():
            if not self._pager.isActive():
                self._pager.start()
        else:
            self._pager.stop()

    # -- time --------------------------------------------------------------------------------

    @Slot()
    def _on_tick_timeout(self) -> None:
        now = self._context.clock.now()
        if self._next_event is not None and now >= self._next_event:
            self._refresh(now)  # counts or tiles change: re-pick (cheap, no database)
            return
        for tile in self.tiles:
            if tile.isVisibleTo(self):
                tile.tick(now)
        self._update_header(now)
        self._schedule(now)

    @Slot()
    def _on_pager_timeout(self) -> None:
        self.next_page()

    @Slot()
    def _on_reloader_timeout(self) -> None:
        self.reload()

    def next_wake(self, now: datetime) -> datetime:
        """When the board next needs to look at the clock."""
        minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        wakes = [minute]
        wakes += [now + countdown_changes_in(i.deadline, now) for i in self.page_items()]
        if self._next_event is not None:
            wakes.append(self._next_event)
        return min(wakes)

    def _schedule(self, now: datetime) -> None:
        if not self.isVisible():
            return
        wait = (self.next_wake(now) - now).total_seconds()
        self._tick.start(max(0, math.ceil(wait * 1000)) + 5)

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
        return QRect(0, 0, self.width(), round(self.unit * 3))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._lay_out()

    def _lay_out(self) -> None:
        width, height = self.width(), self.height()
        self.unit = u = max(8.0, min(height / 36, width / 60))
        margin = round(u * 0.6)
        header = self._header_rect().height()
        counts_h = round(u * 5)
        self.counts.unit = u
        self.counts.setGeometry(margin, header, width - 2 * margin, counts_h)
        top = header + counts_h + round(u * 0.4)
        grid_w, grid_h = width - 2 * margin, height - top - margin
        self.columns = max(1, int(grid_w // (u * TILE_WIDTH_UNITS)))
        self.rows = max(1, int(grid_h // (u * TILE_HEIGHT_UNITS)))
        while len(self.tiles) < self.per_page:
            tile = Tile(self)
            tile.hide()
            self.tiles.append(tile)
        for tile in self.tiles[self.per_page :]:
            tile.show_item(None, self._context.clock.now())
            tile.hide()
        tile_w, tile_h = grid_w / self.columns, grid_h / self.rows
        for index, tile in enumerate(self.tiles[: self.per_page]):
            row, column = divmod(index, self.columns)
            tile.unit = u
            tile.setGeometry(
                round(margin + column * tile_w),
                round(top + row * tile_h),
                round(tile_w),
                round(tile_h),
            )
        self.page = 0
        self._refresh(self._context.clock.now())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.save()
        painter.fillRect(event.rect(), BACKGROUND)
        u = self.unit
        header = self._header_rect().adjusted(round(u * 0.9), 0, -round(u * 0.9), 0)
        base = self.font()
        painter.setFont(pixel_font(base, u * 1.5, bold=True))
        painter.setPen(TEXT)
        painter.drawText(
            header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "SLA wallboard"
        )
        painter.setFont(pixel_font(base, u * 1.2))
        painter.setPen(MUTED)
        painter.drawText(
            header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self._header_text
        )
        if self._empty_shown:
            painter.setFont(pixel_font(base, u * 2.2, bold=True))
            painter.setPen(STATE_COLOURS[BoardState.RUNNING])
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
            self.showNormal() if self.isFullScreen() else self.showFullScreen()
        elif event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Right, Qt.Key.Key_PageDown):
            self.next_page()
        elif event.key() == Qt.Key.Key_F5:
            self.reload()
        else:
            super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._reloader.start()
        self.reload()
        self._sync_pager()
        self._schedule(self._context.clock.now())

    def hideEvent(self, event: QHideEvent) -> None:
        self._tick.stop()
        self._pager.stop()
        self._reloader.stop()
        super().hideEvent(event)
