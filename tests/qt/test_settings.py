"""The settings facade: every key typed, defaults when missing or unreadable, migrations once."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from PySide6.QtCore import QByteArray

from console.qt.settings import Settings


class _Typed(Settings):
    """The facade with a key of every type a preference may have."""

    DEFAULTS: ClassVar[dict[str, Any]] = {
        **Settings.DEFAULTS,
        "notify/sound": True,
        "board/page_seconds": 12,
        "board/scale": 1.0,
    }


def _ini(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def test_a_boolean_written_by_hand_in_the_ini_file_is_parsed_not_cast(tmp_path: Path) -> None:
    for text, expected in (("false", False), ("0", False), ("no", False), ("True", True)):
        ini = _ini(tmp_path / f"{text}.ini", f"[notify]\nsound={text}\n")
        assert _Typed(ini).value("notify/sound") is expected


def test_unreadable_values_fall_back_to_their_defaults(tmp_path: Path) -> None:
    ini = _ini(tmp_path / "s.ini", "[notify]\nsound=maybe\n[board]\npage_seconds=soon\nscale=big\n")
    settings = _Typed(ini)
    assert settings.value("notify/sound") is True
    assert settings.value("board/page_seconds") == 12
    assert settings.value("board/scale") == 1.0


def test_values_round_trip_through_the_file_with_their_types(tmp_path: Path) -> None:
    settings = _Typed(tmp_path / "s.ini")
    settings.set_value("notify/sound", False)
    settings.set_value("board/page_seconds", 30)
    settings.set_value("ui/geometry", QByteArray(b"\x01\x02"))
    settings.theme = "dark"
    settings.sync()
    again = _Typed(tmp_path / "s.ini")
    assert again.value("notify/sound") is False
    assert again.value("board/page_seconds") == 30
    assert again.value("ui/geometry") == QByteArray(b"\x01\x02")
    assert again.theme == "dark"


def test_missing_keys_read_their_defaults_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "s.ini")
    for key, default in Settings.DEFAULTS.items():
        assert settings.value(key) == default
    with pytest.raises(KeyError):
        settings.value("ui/nonsense")
    with pytest.raises(KeyError):
        settings.set_value("ui/nonsense", 1)


def test_a_theme_that_is_not_known_reads_as_light(tmp_path: Path) -> None:
    ini = _ini(tmp_path / "s.ini", "[ui]\ntheme=<b>neon</b>\n")
    assert Settings(ini).theme == "light"


def test_renamed_keys_are_migrated_once(tmp_path: Path) -> None:
    class _Renamed(Settings):
        VERSION = 2
        MIGRATIONS: ClassVar[dict[int, dict[str, str]]] = {2: {"theme": "ui/theme"}}

    ini = _ini(tmp_path / "s.ini", "[General]\ntheme=dark\n")
    assert _Renamed(ini).theme == "dark"
    text = ini.read_text(encoding="utf-8")
    assert "version=2" in text and "[General]" not in text  # the old key is gone
