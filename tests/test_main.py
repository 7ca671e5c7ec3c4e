"""The command line is a contract with users (DESIGN §10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_help_documents_every_flag() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    for flag in ("--db", "--demo", "--board", "--rebuild-demo", "--theme"):
        assert flag in result.stdout
