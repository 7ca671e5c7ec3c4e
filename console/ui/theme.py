"""Light and dark themes: the application palette plus the colours of SLA states and priorities.

Colours are defined once, here, as hex strings; :class:`Theme` turns them into ``QColor``
objects once per theme and keeps them, so a delegate painting thousands of cells never
builds a colour. ``apply_theme`` installs a theme on the application; painters that cache
anything derived from it compare :func:`theme_generation` with the one they cached.

State keys are the values of ``console.domain.clock_model.ClockState`` plus ``pending``
(clocks not worked out yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

import qtawesome as qta
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

__all__ = [
    "THEME_NAMES",
    "Theme",
    "apply_theme",
    "current_theme",
    "theme",
    "theme_generation",
]

THEME_NAMES = ("light", "dark")


@dataclass(frozen=True)
class _Spec:
    window: str
    base: str
    alternate_base: str
    text: str
    muted: str
    button: str
    border: str
    highlight: str
    highlighted_text: str
    tooltip_base: str
    tooltip_text: str
    link: str
    accent: str
    accent_text: str
    states: dict[str, str] = field(default_factory=dict)
    tints: dict[str, str] = field(default_factory=dict)
    priorities: dict[str, str] = field(default_factory=dict)


# Soft selection colours, so a red or amber countdown stays readable on a selected row.
_SPECS = {
    "light": _Spec(
        window="#f3f4f6",
        base="#ffffff",
        alternate_base="#f7f8fa",
        text="#1f2328",
        muted="#5f6670",
        button="#eceef1",
        border="#d0d4da",
        highlight="#d6e4fd",
        highlighted_text="#111418",
        tooltip_base="#ffffff",
        tooltip_text="#1f2328",
        link="#1d4ed8",
        accent="#2563eb",
        accent_text="#ffffff",
        states={
            "running": "#1d4ed8",
            "at_risk": "#b45309",
            "breached": "#c62828",
            "paused": "#5f6670",
            "met": "#2e7d32",
            "missed": "#c62828",
            "not_applicable": "#5f6670",
            "pending": "#8a919a",
        },
        tints={"at_risk": "#fff3e0", "breached": "#fdecec"},
        priorities={"P1": "#c62828", "P2": "#d9480f", "P3": "#1d4ed8", "P4": "#6b7280"},
    ),
    "dark": _Spec(
        window="#1d1f23",
        base="#24272c",
        alternate_base="#2a2d33",
        text="#e6e8eb",
        muted="#a1a8b1",
        button="#30343a",
        border="#444a52",
        highlight="#2c4a72",
        highlighted_text="#ffffff",
        tooltip_base="#30343a",
        tooltip_text="#e6e8eb",
        link="#7fb0ff",
        accent="#3b82f6",
        accent_text="#ffffff",
        states={
            "running": "#7fb0ff",
            "at_risk": "#fbbf24",
            "breached": "#ff6b6b",
            "paused": "#a1a8b1",
            "met": "#6fcf7c",
            "missed": "#ff6b6b",
            "not_applicable": "#a1a8b1",
            "pending": "#7d848d",
        },
        tints={"at_risk": "#3a2f17", "breached": "#3f2224"},
        priorities={"P1": "#e5484d", "P2": "#f76b15", "P3": "#3b82f6", "P4": "#6b7280"},
    ),
}


class Theme:
    """One theme's colours, built once as ``QColor`` objects and shared."""

    def __init__(self, name: str) -> None:
        if name not in _SPECS:
            raise ValueError(f'unknown theme "{name}" (one of: {", ".join(THEME_NAMES)})')
        spec = _SPECS[name]
        self.name = name
        self.dark = name == "dark"
        self.text = QColor(spec.text)
        self.highlighted_text = QColor(spec.highlighted_text)
        self.muted = QColor(spec.muted)
        self.base = QColor(spec.base)
        self.border = QColor(spec.border)
        self.accent = QColor(spec.accent)
        self.accent_text = QColor(spec.accent_text)
        self.badge_text = QColor("#ffffff")
        self._states = MappingProxyType({k: QColor(v) for k, v in spec.states.items()})
        self._tints = MappingProxyType({k: QColor(v) for k, v in spec.tints.items()})
        self._priorities = MappingProxyType({k: QColor(v) for k, v in spec.priorities.items()})
        self.palette = _palette(spec)

    def state_color(self, state: str) -> QColor:
        """The colour of an SLA state (``running``, ``at_risk``, ``breached``, ``paused``…)."""
        return self._states.get(state, self.muted)

    def state_tint(self, state: str) -> QColor | None:
        """A cell background for states that must catch the eye, else None."""
        return self._tints.get(state)

    def priority_color(self, priority: str) -> QColor:
        return self._priorities.get(priority, self.muted)


def _palette(spec: _Spec) -> QPalette:
    role = QPalette.ColorRole
    palette = QPalette()
    colours = {
        role.Window: spec.window,
        role.WindowText: spec.text,
        role.Base: spec.base,
        role.AlternateBase: spec.alternate_base,
        role.Text: spec.text,
        role.Button: spec.button,
        role.ButtonText: spec.text,
        role.BrightText: "#ffffff",
        role.Highlight: spec.highlight,
        role.HighlightedText: spec.highlighted_text,
        role.ToolTipBase: spec.tooltip_base,
        role.ToolTipText: spec.tooltip_text,
        role.PlaceholderText: spec.muted,
        role.Link: spec.link,
        role.LinkVisited: spec.link,
        role.Light: spec.base,
        role.Midlight: spec.button,
        role.Mid: spec.border,
        role.Dark: spec.border,
        role.Shadow: "#000000",
        role.Accent: spec.accent,
    }
    for colour_role, value in colours.items():
        palette.setColor(colour_role, QColor(value))
    disabled = QColor(spec.muted)
    disabled.setAlphaF(0.75)
    for colour_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, colour_role, disabled)
    return palette


@cache
def theme(name: str) -> Theme:
    """The theme called ``name`` (``light`` or ``dark``), built once."""
    return Theme(name)


_current = "light"
_generation = 0


def current_theme() -> Theme:
    return theme(_current)


def theme_generation() -> int:
    """Grows each time a theme is applied: caches keyed on it know when to rebuild."""
    return _generation


def apply_theme(app: QApplication, name: str) -> Theme:
    """Install the ``light`` or ``dark`` theme on ``app`` (Fusion style, our palette)."""
    global _current, _generation  # noqa: PLW0603 - the one application-wide appearance
    chosen = theme(name)
    if app.style().name().casefold() != "fusion":
        app.setStyle("Fusion")
    _current = name
    _generation += 1
    app.setPalette(chosen.palette)
    # qtawesome colours an icon from the palette when it is made and caches it: forget the
    # old ones so icons made from now on follow the theme (the main window is rebuilt).
    qta.reset_cache()
    return chosen
