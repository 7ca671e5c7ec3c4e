"""Painting countdowns: colour and icon come from the cell's typed state, never from its words;
a ticking countdown is drawn from kept pieces and looks exactly like the whole string laid
out at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem

from console.domain import wording
from console.domain.clock_model import Clock, ClockState, ClockType
from console.domain.reading import Reading
from console.ui.queue.delegate import BOLD, PLAIN, QueueDelegate, _Texts
from console.ui.queue.model import CountdownCell
from console.ui.theme import current_theme

WIDTH, HEIGHT = 420, 32
NOW = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)
DAY = timedelta(hours=8, minutes=30)

seconds = st.integers(min_value=-3 * 86_400, max_value=3 * 86_400)


def countdown(wall: int, business: int | None) -> str:
    """What the queue shows for a clock ``wall`` seconds from its deadline (the words)."""
    state = ClockState.BREACHED if wall < 0 else ClockState.RUNNING
    clock = Clock(kind=ClockType.FIRST_RESPONSE, state=state, now=NOW)
    reading = Reading(
        NOW,
        "P3",
        0,
        clock,
        state,
        deadline=NOW + timedelta(seconds=wall),
        wall=timedelta(seconds=wall),
        business=None if business is None else timedelta(seconds=business),
        business_day=DAY,
        business_running=True,
    )
    return wording.countdown(reading, UTC)


def painted(draw: Callable[..., int], text: str, kind: int, width: int = WIDTH) -> QImage:
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(QColor("black"))
    draw(painter, 4, 0, width, HEIGHT, text, kind)
    painter.end()
    return image


@pytest.fixture(scope="module")
def texts(qapp: QApplication) -> _Texts:
    return _Texts(qapp.font())


@settings(max_examples=60, deadline=None)
@given(wall=seconds, business=st.none() | seconds, bold=st.booleans())
def test_a_countdown_in_pieces_looks_like_the_whole_string(
    texts: _Texts, wall: int, business: int | None, bold: bool
) -> None:
    text = countdown(wall, business)
    kind = BOLD if bold else PLAIN
    assert painted(texts.draw_ticking, text, kind) == painted(texts.draw, text, kind)
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    assert texts.draw_ticking(painter, 0, 0, WIDTH, HEIGHT, text, kind) == texts.draw(
        painter, 0, 0, WIDTH, HEIGHT, text, kind
    )
    painter.end()


def test_a_narrow_column_elides_the_countdown_like_any_text(texts: _Texts) -> None:
    text = countdown(12 * 60 + 9, 8 * 60 + 1)
    assert text == "12 m 09 s (8 m 01 s business)"
    narrow = texts.metrics[PLAIN].horizontalAdvance(text) // 2
    assert painted(texts.draw_ticking, text, PLAIN, narrow) == painted(
        texts.draw, text, PLAIN, narrow
    )


def test_an_hour_of_seconds_lays_out_pieces_not_thousands_of_strings(qapp: QApplication) -> None:
    texts = _Texts(qapp.font())
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    for left in range(3599, 0, -1):  # 59 m 59 s down to 0 m 01 s
        texts.draw_ticking(painter, 0, 0, WIDTH, HEIGHT, countdown(left, None), PLAIN)
    painter.end()
    assert len(texts._laid) <= 60 + 60  # minutes ("12 m ") and seconds ("09 s") apart


def test_a_narrow_column_shows_the_short_detail_whole_or_nothing(texts: _Texts) -> None:
    detail = "breached · First response"
    cell = CountdownCell(ClockState.BREACHED, "1 h 29 m over", detail, "breached")
    wide = texts.metrics[PLAIN].horizontalAdvance(cell.detail) + 2
    assert texts.fitting(cell, wide) == "breached · First response"
    assert texts.fitting(cell, wide - 10) == "breached"
    assert texts.fitting(cell, 5) == ""


def paint_cell(qapp: QApplication, cell: CountdownCell) -> QImage:
    """``cell`` painted by the queue's delegate into an image."""
    delegate = QueueDelegate()

    class Index:  # the one role the delegate asks for
        @staticmethod
        def data(role: int) -> CountdownCell:
            return cell

    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, WIDTH, HEIGHT)
    option.font = qapp.font()
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    delegate.paint(painter, option, Index())  # type: ignore[arg-type]
    painter.end()
    return image


def test_colours_come_from_the_typed_state_not_from_the_words(qapp: QApplication) -> None:
    """A cell reading "on track" but breached is painted breached; the words decide nothing."""
    theme = current_theme()
    breached_tint = theme.state_tint(ClockState.BREACHED)
    assert breached_tint is not None
    misleading = CountdownCell(ClockState.BREACHED, "12 m 09 s", "on track · First response")
    image = paint_cell(qapp, misleading)
    assert image.pixelColor(WIDTH - 2, 1) == breached_tint
    plain = CountdownCell(ClockState.RUNNING, "12 m 09 s over", "breached · First response")
    assert paint_cell(qapp, plain).pixelColor(WIDTH - 2, 1) == QColor("white")
