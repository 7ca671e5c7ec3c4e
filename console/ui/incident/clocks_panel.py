"""Every SLA clock of one incident: state, countdown and the sentences that explain it.

The panel computes nothing itself: the detail view hands it ``IncidentClocks`` (already moved
to "now" with ``IncidentClocks.at``), and each card shows its clock's state, countdown and
``explain`` sentences (deadline in the window's zone, the agent's zone and UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import qtawesome as qta
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.domain.clock_model import Clock, ClockState, ClockType, IncidentClocks, PauseReason
from console.domain.countdown import format_span
from console.domain.explain import explain, when
from console.ui.theme import current_theme

# state → (label, icon); colours come from the theme, like the queue's
_STATES: dict[ClockState, tuple[str, str]] = {
    ClockState.RUNNING: ("Running", "mdi6.timer-outline"),
    ClockState.AT_RISK: ("At risk", "mdi6.alert"),
    ClockState.BREACHED: ("Breached", "mdi6.alert-octagon"),
    ClockState.MET: ("Met", "mdi6.check-circle"),
    ClockState.MISSED: ("Missed", "mdi6.close-circle"),
    ClockState.PAUSED: ("Paused", "mdi6.pause-circle"),
    ClockState.NOT_APPLICABLE: ("Not applicable", "mdi6.minus-circle-outline"),
}


def state_label(clock: Clock) -> str:
    label = _STATES[clock.state][0]
    if clock.state is ClockState.PAUSED:
        if clock.pause_reason is PauseReason.WAITING:
            return "Paused: waiting on the customer"
        if clock.resumes_at is not None:
            zone = ZoneInfo(clock.window_zone) if clock.window_zone else UTC
            return f"Paused: the window is closed until {when(clock.resumes_at, zone)}"
    return label


def countdown_text(clock: Clock) -> str:
    """Time left, overdue, or by how much the clock was met or missed."""
    if clock.state in (ClockState.MET, ClockState.MISSED) and clock.margin is not None:
        margin = clock.margin
        if margin.total_seconds() >= 0:
            return f"{format_span(margin)} early"
        return f"{format_span(-margin)} late"
    if clock.state is ClockState.BREACHED and clock.wall_remaining is not None:
        return f"{format_span(-clock.wall_remaining)} overdue"
    return clock.countdown()


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
        bold = QFont(self.name.font())
        bold.setBold(True)
        self.name.setFont(bold)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.countdown = QLabel()
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setPointSizeF(max(fixed.pointSizeF(), self.font().pointSizeF()) * 1.25)
        fixed.setBold(True)
        self.countdown.setFont(fixed)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.countdown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.icon)
        top.addWidget(self.name)
        top.addSpacing(8)
        top.addWidget(self.state, 1)
        top.addWidget(self.countdown)
        layout.addLayout(top)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explanation.setObjectName("clockExplanation")
        layout.addWidget(self.explanation)
        self._shown: tuple[ClockState, str] | None = None

    def show_clock(self, clock: Clock, agent_zone: tzinfo) -> None:
        label, icon = _STATES[clock.state]
        colour = current_theme().state_color(clock.state.value).name()
        if self._shown != (clock.state, colour):
            self._shown = (clock.state, colour)
            self.icon.setPixmap(qta.icon(icon, color=colour).pixmap(20, 20))
            self.state.setStyleSheet(f"color: {colour}; font-weight: bold;")
            self.countdown.setStyleSheet(f"color: {colour};")
        self.name.setText(clock.kind.label)
        _set(self.state, state_label(clock))
        _set(self.countdown, countdown_text(clock))
        lines = explain(clock, agent_zone)
        _set(self.explanation, "\n".join(f"• {line}" for line in lines))
        self.explanation.setHidden(clock.state is ClockState.NOT_APPLICABLE and len(lines) <= 1)
        if clock.state is ClockState.NOT_APPLICABLE:
            self.setToolTip(lines[0] if lines else "")
            _set(self.state, lines[0].split(": ", 1)[-1] if lines else label)


def _set(label: QLabel, text: str) -> None:
    if label.text() != text:  # no relayout when a tick changes nothing
        label.setText(text)


class ClocksPanel(QWidget):
    """The four clocks of an incident, live ones first."""

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

    def show_clocks(self, clocks: IncidentClocks) -> None:
        """Show ``clocks`` as they stand at ``clocks.now`` (call again on every tick)."""
        self.clocks = clocks
        ranked = sorted(clocks.clocks, key=_rank)
        for card, clock in zip(self.cards, ranked, strict=True):
            card.show_clock(clock, self._zone)

    def card_texts(self) -> list[str]:
        """What each card says, top to bottom (for tests and accessibility checks)."""
        return [
            " | ".join((c.name.text(), c.state.text(), c.countdown.text(), c.explanation.text()))
            for c in self.cards
        ]


def _rank(clock: Clock) -> tuple[int, datetime, int]:
    """Live clocks first, soonest deadline first; then stopped ones; then not applicable."""
    group = 0 if clock.is_live else 1 if clock.state is not ClockState.NOT_APPLICABLE else 2
    due = clock.deadline if clock.is_live and clock.deadline is not None else _LAST
    return (group, due, list(ClockType).index(clock.kind))


_LAST = datetime.max.replace(tzinfo=UTC)
