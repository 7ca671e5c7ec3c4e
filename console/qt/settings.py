"""One typed facade over QSettings: defaults, conversions and key migrations in one place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QByteArray, QSettings


class Settings:
    """Workstation preferences. Never holds secrets (those go to the keyring)."""

    VERSION = 1
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "ui/theme": "light",
        "ui/geometry": QByteArray(),
        "ui/state": QByteArray(),
        "ui/page": "queue",
        "agent/id": "",
        "queue/columns": "",  # a ColumnLayout as JSON
        # Settings → Notifications…: what the notifier says, and whether it beeps.
        "notify/sound": False,
        "notify/at_risk": True,
        "notify/breached": True,
        "notify/only_mine": True,  # my incidents and unassigned ones; off: everyone's
    }
    # Old key -> new key, applied once when the stored settings are older than VERSION.
    MIGRATIONS: ClassVar[dict[int, dict[str, str]]] = {}

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            self._q = QSettings(
                QSettings.Format.IniFormat, QSettings.Scope.UserScope, "support-console", "console"
            )
        else:
            self._q = QSettings(str(path), QSettings.Format.IniFormat)
        self._migrate()

    def _migrate(self) -> None:
        stored = int(str(self._q.value("settings/version", 0) or 0))
        for version in range(stored + 1, self.VERSION + 1):
            for old, new in self.MIGRATIONS.get(version, {}).items():
                if self._q.contains(old):
                    self._q.setValue(new, self._q.value(old))
                    self._q.remove(old)
        self._q.setValue("settings/version", self.VERSION)

    def value(self, key: str) -> Any:
        """The stored value of ``key`` as its default's type; the default when it is missing
        or cannot be read as that type (an INI file holds only text)."""
        default = self.DEFAULTS[key]
        raw = self._q.value(key, default)
        return _typed(raw, default)

    def set_value(self, key: str, value: Any) -> None:
        if key not in self.DEFAULTS:
            raise KeyError(f"unknown setting {key!r}")
        self._q.setValue(key, value)

    def sync(self) -> None:
        self._q.sync()

    @property
    def file_name(self) -> str:
        return self._q.fileName()

    # Typed accessors for the settings read most often.
    @property
    def theme(self) -> str:
        theme = str(self.value("ui/theme"))
        return theme if theme in ("light", "dark") else "light"

    @theme.setter
    def theme(self, value: str) -> None:
        self.set_value("ui/theme", value)

    @property
    def agent_id(self) -> str:
        return str(self.value("agent/id"))

    @agent_id.setter
    def agent_id(self, value: str) -> None:
        self.set_value("agent/id", value)

    @property
    def queue_columns(self) -> ColumnLayout:
        """The queue's column order, widths and hidden columns (the defaults when unset or
        unreadable)."""
        return ColumnLayout.from_text(str(self.value("queue/columns")))

    @queue_columns.setter
    def queue_columns(self, layout: ColumnLayout) -> None:
        self.set_value("queue/columns", layout.to_text())

    @property
    def notifications(self) -> NotifyPreferences:
        """What Settings → Notifications… chose (the defaults where nothing was chosen)."""
        return NotifyPreferences(
            sound=bool(self.value("notify/sound")),
            at_risk=bool(self.value("notify/at_risk")),
            breached=bool(self.value("notify/breached")),
            only_mine=bool(self.value("notify/only_mine")),
        )

    @notifications.setter
    def notifications(self, prefs: NotifyPreferences) -> None:
        self.set_value("notify/sound", prefs.sound)
        self.set_value("notify/at_risk", prefs.at_risk)
        self.set_value("notify/breached", prefs.breached)
        self.set_value("notify/only_mine", prefs.only_mine)
        self.sync()


@dataclass(frozen=True, slots=True)
class NotifyPreferences:
    """Which notices the agent wants: a sound with each, at risk, breached, and whether only
    incidents assigned to them (or to no one) count."""

    sound: bool = False
    at_risk: bool = True
    breached: bool = True
    only_mine: bool = True


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    """A table's columns as the person left them: their order, widths and the ones they
    hid, by column name (names survive a change in the columns' numbering)."""

    order: tuple[str, ...] = ()
    widths: tuple[tuple[str, int], ...] = ()
    hidden: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return not (self.order or self.widths or self.hidden)

    def width_of(self, name: str) -> int | None:
        return dict(self.widths).get(name)

    def to_text(self) -> str:
        return json.dumps(
            {"order": list(self.order), "widths": dict(self.widths), "hidden": list(self.hidden)},
            separators=(",", ":"),
        )

    @classmethod
    def from_text(cls, text: str) -> ColumnLayout:
        """The layout ``to_text`` wrote; the default layout for anything else."""
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        order = data.get("order", [])
        widths = data.get("widths", {})
        hidden = data.get("hidden", [])
        if not (isinstance(order, list) and isinstance(widths, dict) and isinstance(hidden, list)):
            return cls()
        return cls(
            order=tuple(str(n) for n in order if isinstance(n, str)),
            widths=tuple(
                (str(n), w)
                for n, w in widths.items()
                if isinstance(w, int) and not isinstance(w, bool) and 0 < w < 5000
            ),
            hidden=tuple(str(n) for n in hidden if isinstance(n, str)),
        )


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def _typed(raw: object, default: Any) -> Any:
    """``raw`` (what QSettings read: often a string from the INI file) as ``default``'s type.

    A boolean is parsed, never cast: ``bool("false")`` would be True.
    """
    if raw is None:
        return default
    if isinstance(default, QByteArray):
        return raw if isinstance(raw, QByteArray) else default
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return default
    if isinstance(default, int):
        try:
            return int(str(raw).strip())
        except ValueError:
            return default
    if isinstance(default, float):
        try:
            return float(str(raw).strip())
        except ValueError:
            return default
    if isinstance(default, str):
        return str(raw)
    return raw if isinstance(raw, type(default)) else default
