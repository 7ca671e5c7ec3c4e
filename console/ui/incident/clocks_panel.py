"""Every SLA clock of one incident: its state and countdown in the one wording, and the
sentences that explain it.

The panel decides nothing. The detail view hands it the incident's clocks as the domain read
them at "now" (``IncidentClocks.at``) together with the live reading (``read``); each card
words its clock's typed state with ``wording.state_words`` and its countdown with
``wording.countdown``, and lists the ``explain`` sentences. Between two re-reads, ``advance``
moves the countdowns with ``Reading.advanced`` (arithmetic only).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import qtawesome as qta
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.domain.clock_model import Clock, ClockState, ClockType, IncidentClocks, PauseReason
from console.domain.explain import explain
from console.domain.reading import Reading, read, read_clock
from console.domain.wording import business_note, countdown, state_words
from console.ui.forms import plain_tip
from console.ui.theme import current_theme

# state → icon; colours come from the theme, like the queue's
_ICONS: dict[ClockState, str] = {
    ClockState.RUNNING: "mdi6.timer-outline",
    ClockState.AT_RISK: "mdi6.alert",
    ClockState.BREACHED: "mdi6.alert-octagon",
    ClockState.MET: "mdi6.check-circle",
    ClockState.MISSED: "mdi6.close-circle",
    ClockState.PAUSED: "mdi6.pause-circle",
    ClockState.NOT_APPLICABLE: "mdi6.minus-circle-outline",
}


def clock_reading(clocks: IncidentClocks, reading: Reading, clock: Clock) -> Reading | None:
    """The live reading of ``clock``, one of ``clocks`` (``reading`` is ``read(clocks)``);
    None for a clock that has stopped or never started."""
    if not clock.is_live:
        return None
    if reading.clock is not None and reading.clock.kind is clock.kind:
        return reading
    return read_clock(clocks, clock)


class ClockCard(QFrame):
    """One clock: name, state, countdown, and its explanation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("clockCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        top = QHBoxLayout()
        self.icon = QLabel()
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        bold = QFont(self.name.font())
        bold.setBold(True)
        self.name.setFont(bold)
        self.state = QLabel()
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.state.setWordWrap(True)
        self.countdown = QLabel()
        self.countdown.setTextFormat(Qt.TextFormat.PlainText)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(max(fixed.pointSizeF(), self.font().pointSizeF()) * 1.25)
        fixed.setBold(True)
        self.countdown.setFont(fixed)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.countdown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.countdown.setWordWrap(True)
        top.addWidget(self.icon)
        top.addWidget(self.name)
        top.addSpacing(8)
        top.addWidget(self.state, 1)
        layout.addLayout(top)
        # The countdown on a line of its own: beside the name it held the card wider than
        # the detail pane, and the explanation was cut off at the right.
        layout.addWidget(self.countdown)
        self.explanation = QLabel()
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explanation.setObjectName("clockExplanation")
        layout.addWidget(self.explanation)
        self._shown: tuple[ClockState, str] | None = None
        self._zone: tzinfo = UTC
        self.reading: Reading | None = None  # the live reading of this card's clock

    def show_clock(self, clock: Clock, reading: Reading | None, agent_zone: tzinfo) -> None:
        """Show ``clock`` as read; ``reading`` is its live reading (None once stopped)."""
        self._zone = agent_zone
        self.reading = reading
        colour = current_theme().state_color(clock.state.value).name()
        if self._shown != (clock.state, colour):
            self._shown = (clock.state, colour)
            self.icon.setPixmap(qta.icon(_ICONS[clock.state], color=colour).pixmap(20, 20))
            self.state.setStyleSheet(f"color: {colour}; font-weight: bold;")
            self.countdown.setStyleSheet(f"color: {colour};")
        _set(self.name, clock.kind.label)
        _set(self.state, state_words(clock.state, clock.pause_reason))
        self._show_countdown()
        business = reading.business_day if reading is not None else None
        tip = plain_tip(business_note(business)) if business is not None else ""
        self.countdown.setToolTip(tip)
        lines = explain(clock, agent_zone)
        _set(self.explanation, "\n".join(f"• {line}" for line in lines))

    def advance(self, now: datetime) -> None:
        """Move the countdown to ``now`` (before the clocks' next change: arithmetic)."""
        if self.reading is not None:
            self.reading = self.reading.advanced(now)
            self._show_countdown()

    def _show_countdown(self) -> None:
        # A stopped clock has no countdown: its explanation says when and how it stopped.
        # Nor has one frozen while waiting on the customer: its state words say it all,
        # and the explanation how much will be left when the customer answers.
        reading = self.reading
        shown = reading is not None and reading.pause_reason is not PauseReason.WAITING
        text = countdown(reading, self._zone) if shown and reading else ""
        _set(self.countdown, text)
        self.countdown.setVisible(bool(text))  # no empty line where a countdown would be


def _set(label: QLabel, text: str) -> None:
    if label.text() != text:  # no relayout when a tick changes nothing
        label.setText(text)


class ClocksPanel(QWidget):
    """The four clocks of an incident: the one to act on first, then the other live ones."""

    def __init__(self, agent_zone: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = agent_zone
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.cards = [ClockCard() for _ in range(4)]
        for card in self.cards:
            layout.addWidget(card)
        layout.addStretch(1)
        self.clocks: IncidentClocks | None = None

    def show_clocks(self, clocks: IncidentClocks, reading: Reading | None = None) -> None:
        """Show ``clocks`` as they stand at ``clocks.now``; ``reading`` is ``read(clocks)``
        (read here when not given)."""
        self.clocks = clocks
        reading = read(clocks) if reading is None else reading
        acting = reading.kind
        ranked = sorted(clocks.clocks, key=lambda clock: _rank(clock, acting))
        for card, clock in zip(self.cards, ranked, strict=True):
            card.show_clock(clock, clock_reading(clocks, reading, clock), self._zone)

    def advance(self, now: datetime) -> None:
        """Move every countdown to ``now`` without reading the clocks again."""
        for card in self.cards:
            card.advance(now)

    def card_texts(self) -> list[str]:
        """What each card says, top to bottom (for tests and accessibility checks)."""
        return [
            " | ".join((c.name.text(), c.state.text(), c.countdown.text(), c.explanation.text()))
            for c in self.cards
        ]


def _rank(clock: Clock, acting: ClockType | None) -> tuple[int, datetime, int]:
    """The clock to act on first, then other live clocks, soonest deadline first; then
    stopped ones; then not applicable."""
    if clock.kind is acting:
        group = 0
    else:
        group = 1 if clock.is_live else 2 if clock.state is not ClockState.NOT_APPLICABLE else 3
    due = clock.deadline if clock.is_live and clock.deadline is not None else _LAST
    return (group, due, list(ClockType).index(clock.kind))


_LAST = datetime.max.replace(tzinfo=UTC)
