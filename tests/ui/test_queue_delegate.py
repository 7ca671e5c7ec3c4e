"""Painting countdowns: a countdown in seconds is drawn from kept pieces, and it looks exactly
like the whole string laid out at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from console.domain.countdown import format_countdown
from console.ui.queue.delegate import BOLD, PLAIN, _Texts

WIDTH, HEIGHT = 420, 32

seconds = st.integers(min_value=-3 * 86_400, max_value=3 * 86_400)


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
    text = format_countdown(
        timedelta(seconds=wall), None if business is None else timedelta(seconds=business)
    )
    kind = BOLD if bold else PLAIN
    assert painted(texts.draw_ticking, text, kind) == painted(texts.draw, text, kind)
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    assert texts.draw_ticking(painter, 0, 0, WIDTH, HEIGHT, text, kind) == texts.draw(
        painter, 0, 0, WIDTH, HEIGHT, text, kind
    )
    painter.end()


def test_a_narrow_column_elides_the_countdown_like_any_text(texts: _Texts) -> None:
    text = format_countdown(timedelta(minutes=12, seconds=9), timedelta(minutes=8, seconds=1))
    narrow = texts.metrics[PLAIN].horizontalAdvance(text) // 2
    assert painted(texts.draw_ticking, text, PLAIN, narrow) == painted(
        texts.draw, text, PLAIN, narrow
    )


def test_an_hour_of_seconds_lays_out_pieces_not_thousands_of_strings(qapp: QApplication) -> None:
    texts = _Texts(qapp.font())
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    for left in range(3599, 0, -1):  # 59 m 59 s down to 0 m 01 s
        texts.draw_ticking(
            painter, 0, 0, WIDTH, HEIGHT, format_countdown(timedelta(seconds=left)), PLAIN
        )
    painter.end()
    assert len(texts._laid) <= 60 + 60  # minutes ("12 m ") and seconds ("09 s") apart
