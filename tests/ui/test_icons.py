"""Every icon the console names exists in its icon font: a wrong name raises inside Qt's
paint or data call, where it leaves a row blank instead of failing a test (a timeline row of a
new kind of event was blank that way)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import qtawesome as qta

from console.domain.events import EventKind
from console.ui.incident.timeline import _ICONS

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"""["'](mdi6\.[a-z0-9-]+)["']""")


def named_icons() -> list[str]:
    found: set[str] = set()
    for path in [*(ROOT / "console").rglob("*.py"), ROOT / "main.py"]:
        found.update(NAME.findall(path.read_text(encoding="utf-8")))
    return sorted(found)


@pytest.mark.parametrize("name", named_icons())
def test_the_icon_exists(qapp: object, name: str) -> None:
    assert not qta.icon(name).isNull()


def test_every_kind_of_event_has_its_own_icon() -> None:
    assert set(_ICONS) == set(EventKind)
