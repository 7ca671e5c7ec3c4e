"""The import direction of DESIGN §8: the domain and the services stay free of Qt and the ORM."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_EVERYWHERE = ("PySide6", "shiboken6", "sqlalchemy")
FORBIDDEN_IN_DOMAIN = (*FORBIDDEN_EVERYWHERE, "console.qt", "console.ui", "console.services", "db")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, absolute, with its line (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join((*base, node.module) if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def violations(
    folder: str, forbidden: tuple[str, ...], *, besides: tuple[str, ...] = ()
) -> list[str]:
    out = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path.relative_to(ROOT).as_posix() in besides:
            continue
        for line, module in imported_modules(path):
            if any(module == bad or module.startswith(f"{bad}.") for bad in forbidden):
                out.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return out


def test_domain_is_pure_python() -> None:
    assert violations("console/domain", FORBIDDEN_IN_DOMAIN) == []


def test_services_import_neither_qt_nor_sqlalchemy() -> None:
    assert violations("console/services", (*FORBIDDEN_EVERYWHERE, "mail", "db")) == []


def test_the_mail_adapters_know_neither_qt_nor_the_database() -> None:
    """``mail/`` turns bytes and IMAP servers into domain values; the console's database and
    its screens are someone else's (DESIGN §8). Its command line is a composition root, as
    ``main.py`` is: it alone builds the database and the use cases."""
    forbidden = (*FORBIDDEN_EVERYWHERE, "db", "console.qt", "console.ui")
    assert violations("mail", forbidden, besides=("mail/cli.py",)) == []


def test_the_screens_reach_the_adapters_only_through_the_composition_root() -> None:
    assert violations("console/ui", ("mail", "db")) == []
    assert violations("console/qt", ("mail", "db")) == []


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from PySide6.QtCore import QTimer\n", "PySide6.QtCore"),
        ("import sqlalchemy.orm as orm\n", "sqlalchemy.orm"),
        ("import shiboken6\n", "shiboken6"),
        ("from db import models\n", "db"),
        ("from ..qt import ticker\n", "console.qt"),
        ("def f():\n    from console.ui.queue import QueueView\n", "console.ui.queue"),
    ],
)
def test_the_check_catches_each_kind_of_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, module: str
) -> None:
    fake = tmp_path / "console" / "domain"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    found = violations("console/domain", FORBIDDEN_IN_DOMAIN)
    assert found and found[0].startswith("console/domain/bad.py:")
    assert any(line.endswith(f"imports {module}") for line in found)
