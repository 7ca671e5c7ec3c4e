"""Attachment files on disk: safe names, whole-or-nothing writes, failures said in words."""

from __future__ import annotations

import errno
import hashlib
import stat
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.domain.records import Attachment
from console.ui.incident.files import (
    AttachmentFileError,
    safe_file_name,
    save_copy,
    save_error,
    write_for_opening,
)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("app.log", "app.log"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("..\\..\\boot.ini", "_.._boot.ini"),
        ("C:\\Users\\olivia\\trace.har", "C__Users_olivia_trace.har"),
        (".bashrc", "bashrc"),
        ("...", "attachment"),
        ("", "attachment"),
        ("/", "attachment"),
        ("report. ", "report"),
        ("CON", "_CON"),
        ("com1.txt", "_com1.txt"),
        ("nul.tar.gz", "_nul.tar.gz"),
        ("console.log", "console.log"),  # only the exact device names are reserved
        ('what?<>|*"', "what______"),
        ("tab\tand\nnewline", "tab_and_newline"),
    ],
)
def test_a_name_is_made_safe_for_any_file_system(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


def test_a_safe_name_is_composed_and_short_enough_keeping_its_extension() -> None:
    assert safe_file_name(unicodedata.normalize("NFD", "résumé.txt")) == "résumé.txt"
    long = safe_file_name("é" * 300 + ".log")
    assert long.endswith("é.log")
    assert len(long.encode()) <= 255


def attachment(name: str, content: bytes, number: int = 1) -> Attachment:
    return Attachment(
        id=f"0190c0de-0000-7000-8000-{number:012d}",
        incident_id="incident",
        filename=name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_at=datetime(2026, 3, 10, 17, 0, tzinfo=UTC),
    )


def test_copies_to_open_never_overwrite_each_other_and_are_read_only(tmp_path: Path) -> None:
    first = write_for_opening(tmp_path, attachment("app.log", b"first", 1), b"first")
    second = write_for_opening(tmp_path, attachment("app.log", b"second", 2), b"second")

    assert first != second
    assert (first.name, second.name) == ("app.log", "app.log")
    assert (first.read_bytes(), second.read_bytes()) == (b"first", b"second")
    assert stat.S_IMODE(first.stat().st_mode) == 0o400
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    assert write_for_opening(tmp_path, attachment("app.log", b"first", 1), b"first") == first


def test_a_spoilt_copy_is_written_again(tmp_path: Path) -> None:
    log = attachment("app.log", b"as attached")
    path = write_for_opening(tmp_path, log, b"as attached")
    path.chmod(0o600)
    path.write_bytes(b"edited in the viewer")

    assert write_for_opening(tmp_path, log, b"as attached") == path
    assert path.read_bytes() == b"as attached"


def test_saving_replaces_the_file_whole_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "app.log"
    target.write_bytes(b"an older, longer copy of the log")

    assert save_copy(target, "app.log", b"new") == target
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["app.log"]


def test_saving_into_a_missing_folder_says_so(tmp_path: Path) -> None:
    target = tmp_path / "gone" / "app.log"
    with pytest.raises(AttachmentFileError) as excinfo:
        save_copy(target, "app.log", b"log")
    assert excinfo.value.message == (
        f'"app.log" could not be saved to {target.parent}: the folder does not exist. '
        "Choose another place to save it."
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "the disk is full"),
        (getattr(errno, "EDQUOT", errno.ENOSPC), "the disk is full"),
        (errno.EROFS, "the disk is read-only"),
        (errno.EACCES, "it is read-only or you may not write there"),
        (errno.EISDIR, "a folder already has that name"),
        (errno.EIO, "input/output error"),
    ],
)
def test_why_a_save_failed_is_said_in_words(code: int, reason: str) -> None:
    error = OSError(code, {errno.EIO: "Input/output error"}.get(code, "ignored"))
    path = Path("/media/usb/app.log")
    assert save_error(error, "app.log", path).message == (
        f'"app.log" could not be saved to {path.parent}: {reason}. Choose another place to save it.'
    )
