"""Attachment files on disk: safe names, whole-or-nothing writes, failures said in words."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import stat
import threading
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from console.domain.records import Attachment
from console.ui.incident.files import (
    AttachmentFileError,
    read_files,
    safe_file_name,
    save_copy,
    save_error,
    write_for_opening,
)

T = TypeVar("T")


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


# -- only regular files are read; names never hide their type (issue 12) --------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe no one writes to: opening it for reading the usual way waits forever."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    path = tmp_path / "app.log"
    os.mkfifo(path)
    yield path
    release(path)


def release(path: Path) -> None:
    """Let a reader stuck opening ``path`` go (a writer comes and leaves at once)."""
    with contextlib.suppress(OSError):  # no one was waiting
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def promptly(job: Callable[[], T], release_path: Path) -> T:
    """Run ``job`` in a thread: if it is still stuck after a generous while it has hung on
    the pipe (the regression this guards), so the pipe is released and the test fails."""
    outcome: list[T] = []
    thread = threading.Thread(target=lambda: outcome.append(job()), daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():
        release(release_path)
        thread.join(timeout=10)
        pytest.fail("reading the file waited on a named pipe instead of refusing it")
    assert outcome, "the job raised (see the thread's traceback above)"
    return outcome[0]


def test_a_fifo_is_refused_at_once_in_words(fifo: Path) -> None:
    files, messages = promptly(lambda: read_files([fifo]), fifo)

    assert messages == {
        "attachments[0]": '"app.log" is a named pipe (FIFO), not a file: only files can be '
        "attached."
    }
    assert files == [("app.log", b"")]


def test_a_link_to_a_fifo_is_refused_at_once_in_words(fifo: Path, tmp_path: Path) -> None:
    link = tmp_path / "server.log"
    link.symlink_to(fifo)

    _, messages = promptly(lambda: read_files([link]), fifo)

    assert messages == {
        "attachments[0]": '"server.log" is a link to a named pipe (FIFO), not a file: only '
        "files can be attached."
    }


def test_a_fifo_put_in_place_after_the_check_is_refused_not_waited_on(
    fifo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check and the open are two steps: the open never blocks and is checked again."""
    regular = tmp_path / "regular.log"
    regular.write_bytes(b"fine")
    real_stat = os.stat

    def stat_before_the_swap(path: object, *args: object, **kwargs: object) -> os.stat_result:
        return real_stat(regular if Path(str(path)) == fifo else path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat_before_the_swap)

    _, messages = promptly(lambda: read_files([fifo]), fifo)

    assert messages == {
        "attachments[0]": '"app.log" is a named pipe (FIFO), not a file: only files can be '
        "attached."
    }


def test_a_device_a_socket_and_a_folder_are_refused_in_words(tmp_path: Path) -> None:
    if not Path("/dev/null").exists() or not hasattr(socket, "AF_UNIX"):
        pytest.skip("no /dev/null or Unix sockets on this system")
    server = socket.socket(socket.AF_UNIX)
    sock = tmp_path / "agent.sock"
    try:
        server.bind(str(sock))
    except OSError:
        server.close()
        pytest.skip("cannot make a Unix socket here")
    folder = tmp_path / "logs"
    folder.mkdir()
    try:
        files, messages = read_files([Path("/dev/null"), sock, folder])
    finally:
        server.close()

    assert messages == {
        "attachments[0]": '"null" is a device, not a file: only files can be attached.',
        "attachments[1]": '"agent.sock" is a socket, not a file: only files can be attached.',
        "attachments[2]": '"logs" is a folder, not a file: only files can be attached.',
    }
    assert [content for _, content in files] == [b"", b"", b""]


def test_a_regular_file_and_a_link_to_one_are_still_read(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"\x00 binary \xff")
    link = tmp_path / "latest.log"
    link.symlink_to(log)

    assert read_files([log, link]) == (
        [("app.log", b"\x00 binary \xff"), ("latest.log", b"\x00 binary \xff")],
        {},
    )


@pytest.mark.parametrize(
    ("name", "safe", "real"),
    [
        ("evil\u202etxt.exe", "evil_txt.exe", ".exe"),  # shows as "evilexe.txt"
        ("photo\u2067gpj\u2069.scr", "photo_gpj_.scr", ".scr"),
        ("\u200fresume\u200e.pdf\u061c.lnk", "_resume_.pdf_.lnk", ".lnk"),
        ("line\nbreak\x00.log", "line_break_.log", ".log"),
    ],
)
def test_a_copy_to_open_never_has_a_name_that_lies_about_its_type(
    tmp_path: Path, name: str, safe: str, real: str
) -> None:
    path = write_for_opening(tmp_path, attachment(name, b"MZ"), b"MZ")

    assert path.name == safe
    assert path.suffix == real  # the type the desktop goes by is the real one, shown last
    assert all(unicodedata.category(ch)[0] != "C" for ch in path.name)
    assert path.read_bytes() == b"MZ"


def test_a_fifo_put_where_a_copy_was_is_replaced_not_read(fifo: Path, tmp_path: Path) -> None:
    log = attachment("app.log", b"as attached")
    path = write_for_opening(tmp_path, log, b"as attached")
    path.chmod(0o600)
    path.unlink()
    os.mkfifo(path)

    assert promptly(lambda: write_for_opening(tmp_path, log, b"as attached"), path) == path
    assert stat.S_ISREG(path.stat().st_mode)
    assert path.read_bytes() == b"as attached"
