"""A backup killed with SIGKILL at any point never leaves a file that looks complete: the copy
only ever has its final name once it was checked, and the next backup clears what was left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from safekeeping.backup import back_up, check_copy, read_manifest
from tests.safekeeping.conftest import World

ROOT = Path(__file__).resolve().parents[2]


def _spawn(db: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.safekeeping.kill_child", str(db), str(folder)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _complete_looking(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.sqlite3"))


@pytest.mark.parametrize("kill_after", [1, 5, 40, "last"])
def test_a_backup_killed_mid_copy_leaves_nothing_that_looks_complete(
    world: World, tmp_path: Path, kill_after: int | str
) -> None:
    folder = tmp_path / "copies"
    folder.mkdir()
    first = back_up(world.path, folder)  # an earlier good copy must survive untouched
    world.open_incident("Opened after the first copy")
    child = _spawn(world.path, folder)
    assert child.stdin is not None and child.stdout is not None
    steps = 0
    try:
        while True:
            line = child.stdout.readline()
            assert line.startswith("step "), (line, child.stderr.read() if child.stderr else "")
            steps += 1
            if kill_after == "last" and line.split()[3] == "0":
                break  # every page copied; not yet checked, hashed, renamed
            if steps == kill_after:
                break
            child.stdin.write("\n")
            child.stdin.flush()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=30)  # reaps it and closes its pipes
    assert child.returncode == -signal.SIGKILL

    assert _complete_looking(folder) == [first.path.name]
    assert [c.file for c in read_manifest(folder)] == [first.path.name]
    assert list(folder.glob("*.partial"))  # what the kill left, under its temporary name
    assert check_copy(first.path).sha256 == first.copy.sha256

    again = back_up(world.path, folder)  # the next attempt clears it and succeeds
    assert not list(folder.glob("*.partial*"))
    assert check_copy(again.path).revision == first.copy.schema_revision
