"""Attachment files on this computer: reading them in, writing copies out, naming them safely.

Shared by the new-incident form and the detail's Attachments tab. The functions that touch the
file system run inside Dispatcher jobs, never on the GUI thread; their failures come back as
:class:`AttachmentFileError`, whose ``message`` says in words what happened and what to do.
Only regular files are read (:func:`read_regular_file`); the naming rules (which names are
refused, the safe form of any name) are ``console.services.attachment_rules``.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from console.domain.records import Attachment
from console.services.attachment_rules import (
    name_problem,
    not_a_file,
    safe_file_name,
    shown_name,
)
from console.services.validation import ATTACHMENT_LIMIT, ValidationError, format_size

T = TypeVar("T")

_PLAIN_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}")
# Opening never blocks (a FIFO swapped in after the check) nor takes a terminal.
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class AttachmentFileError(Exception):
    """A file could not be read or written; ``message`` is the sentence to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAFileError(OSError):
    """The path names something other than a regular file; ``message`` says what."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_regular_file(path: Path, limit: int = ATTACHMENT_LIMIT) -> tuple[int, bytes]:
    """The size of the regular file at ``path`` and up to ``limit`` + 1 bytes of it.

    Anything else (a folder, a FIFO, a socket, a device, or a link to one) is refused with
    :class:`NotAFileError` before it is opened, and again after (the open never blocks, so a FIFO
    put in its place meanwhile is refused too, not waited on). Other failures are OSError.
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        link = stat.S_ISLNK(os.lstat(path).st_mode)
        raise NotAFileError(not_a_file(path.name, info.st_mode, link=link))
    descriptor = os.open(path, _READ_FLAGS)
    with os.fdopen(descriptor, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode):
            raise NotAFileError(not_a_file(path.name, opened.st_mode, link=False))
        return opened.st_size, handle.read(limit + 1)


def read_files(paths: Sequence[Path]) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    """Each file's content, and our own message for files too big, unreadable or not files.

    A file over the limit is not read whole: a limit-and-one-byte prefix is enough for the
    service to refuse it, and the message gives the real size. Only regular files are read
    (:func:`read_regular_file`). Messages show a name in its safe form (:func:`shown_name`).
    """
    files: list[tuple[str, bytes]] = []
    messages: dict[str, str] = {}
    for index, path in enumerate(paths):
        key, shown = f"attachments[{index}]", shown_name(path.name)
        try:
            size, content = read_regular_file(path)
        except NotAFileError as exc:
            files.append((path.name, b""))
            messages[key] = exc.message
            continue
        except OSError as exc:
            files.append((path.name, b""))
            messages[key] = f'"{shown}" could not be read: {exc.strerror or exc}.'
            continue
        if size > ATTACHMENT_LIMIT and name_problem(path.name) is None:
            messages[key] = (
                f'"{shown}" is {format_size(size)}; attachments may be at most '
                f"{format_size(ATTACHMENT_LIMIT)}."
            )
        files.append((path.name, content))
    return files, messages


def with_files(paths: Sequence[Path], use: Callable[[tuple[tuple[str, bytes], ...]], T]) -> T:
    """Read ``paths`` and hand them to ``use`` (a service call that stores attachments).

    If the service refuses, its messages for files we could not read or that are too big are
    replaced by ours, which give the reason and the real size.
    """
    files, messages = read_files(paths)
    try:
        return use(tuple(files))
    except ValidationError as exc:
        raise ValidationError({**exc.errors, **messages}) from exc


def _reason(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "the disk is full"
    if error.errno == errno.EROFS:
        return "the disk is read-only"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "it is read-only or you may not write there"
    if error.errno == errno.ENOENT:
        return "the folder does not exist"
    if error.errno == errno.EISDIR:
        return "a folder already has that name"
    if error.errno == errno.ENAMETOOLONG:
        return "the name is too long for that disk"
    detail = error.strerror or str(error) or type(error).__name__
    return detail[:1].lower() + detail[1:]


def save_error(error: OSError, name: str, path: Path) -> AttachmentFileError:
    """Why saving ``name`` as ``path`` failed, in words."""
    return AttachmentFileError(
        f'"{shown_name(name)}" could not be saved to {path.parent}: {_reason(error)}. '
        "Choose another place to save it."
    )


def write_file(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` whole or not at all.

    The bytes go to a hidden file beside ``path`` first and replace it only once all of them
    are on the disk, so a full disk never leaves a cut-off file under the chosen name.
    """
    part = path.parent / f".support-console-{secrets.token_hex(6)}.part"
    try:
        with part.open("xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def save_copy(path: Path, name: str, content: bytes) -> Path:
    """Save an attachment's ``content`` as ``path`` (Save as…); AttachmentFileError if it fails."""
    try:
        write_file(path, content)
    except OSError as exc:
        raise save_error(exc, name, path) from exc
    return path


class _SessionFolder:
    """A private (0700) folder for opened attachments, made on first use, removed at exit.

    The copies must outlive the job that wrote them (the desktop application reads them
    later), so they stay until the console quits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._path: Path | None = None

    def path(self) -> Path:
        with self._lock:
            if self._path is None or not self._path.is_dir():
                self._path = Path(tempfile.mkdtemp(prefix="support-console-"))
                atexit.register(_remove, self._path)
            return self._path


def _remove(folder: Path) -> None:
    for root, _, names in os.walk(folder):
        for file_name in names:  # the copies are read-only; Windows refuses to delete those
            try:
                os.chmod(os.path.join(root, file_name), 0o600)
            except OSError:
                continue
    shutil.rmtree(folder, ignore_errors=True)


session_folder = _SessionFolder().path


def write_for_opening(folder: Path, attachment: Attachment, content: bytes) -> Path:
    """A read-only copy of an attachment to hand to the desktop, under its own (safe) name.

    The name is :func:`safe_file_name`'s: no character in it hides or reorders another, so
    the extension the desktop chooses an application by is the one the agent sees, last.

    Each attachment gets its own sub-folder, so two files called ``app.log`` never overwrite
    each other; opening the same one again reuses its copy if that is still intact.
    """
    key = attachment.id
    token = key if _PLAIN_ID.fullmatch(key) else hashlib.sha256(key.encode()).hexdigest()[:32]
    path = folder / token / safe_file_name(attachment.filename)
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        if _intact(path, content):
            return path
        if path.exists():
            os.chmod(path, 0o600)
        write_file(path, content)
        os.chmod(path, 0o400)  # a viewing copy: edits to it would never reach the incident
    except OSError as exc:
        raise AttachmentFileError(
            f'"{shown_name(attachment.filename)}" could not be opened: its copy could not be '
            f"written to {path.parent} ({_reason(exc)})."
        ) from exc
    return path


def _intact(path: Path, content: bytes) -> bool:
    try:
        size, data = read_regular_file(path, len(content))
    except OSError:  # gone, or not a regular file any more: written again
        return False
    return size == len(content) and data == content


class FileFolder:
    """Where the next file dialog opens: the folder last used, else the home folder (never
    the console's working directory). One per process, shared by every attach button."""

    _last: Path | None = None

    @classmethod
    def start(cls) -> Path:
        last = cls._last
        if last is not None and last.is_dir():
            return last
        return Path.home()

    @classmethod
    def remember(cls, chosen: Sequence[Path]) -> None:
        """A dialog returned ``chosen``: its folder is where the next one opens."""
        if chosen:
            cls._last = chosen[0].parent

    @classmethod
    def forget(cls) -> None:
        cls._last = None
