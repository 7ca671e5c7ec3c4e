"""Attachment file names: which ones are refused, and the safe form of any name (no I/O).

A name comes from a customer's file or a sync peer, so it may carry characters that are not
text: control characters (a line break, NUL) and the invisible bidirectional-formatting
characters that reorder what is shown. ``evil\\u202etxt.exe`` shows as "evilexe.txt" but is a
``.exe``. Such names are refused when a file is attached (:func:`name_problem`, with a safe
name to rename it to); a name already stored (synced from an older workstation) is shown,
saved and opened in its safe form (:func:`shown_name`, :func:`safe_file_name`), in which each
such character is a visible ``_`` and the real extension stays last.

Only regular files are attached; :func:`not_a_file` words the refusal of anything else.
"""

from __future__ import annotations

import re
import stat
import unicodedata

# The bidirectional-formatting characters: embeddings and overrides (U+202A-U+202E),
# isolates (U+2066-U+2069), the left-to-right / right-to-left marks and the Arabic letter mark.
DIRECTION_CHARACTERS = frozenset(
    [
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
        "\u200e",
        "\u200f",
        "\u061c",
    ]
)
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
_UNSAFE = re.compile(r'[\\/:*?"<>|]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{device}{n}" for device in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")
}
_NAME_BYTES = 255  # the longest name most file systems accept, in UTF-8 bytes


def _hidden(ch: str) -> bool:
    """A character that is not shown as itself: control, line break, direction, surrogate."""
    return (
        ch in DIRECTION_CHARACTERS or ch in _LINE_BREAKS or unicodedata.category(ch) in {"Cc", "Cs"}
    )


def _describe(ch: str) -> str:
    if ch in _LINE_BREAKS:
        return "a line break"
    if ch == "\t":
        return "a tab"
    if ch == "\x00":
        return "a NUL character"
    if unicodedata.category(ch) == "Cs":
        return "a broken character"
    return f"U+{ord(ch):04X}"


def shown_name(name: str) -> str:
    """``name`` as the console shows it: every hidden character is a visible ``_``."""
    return "".join("_" if _hidden(ch) else ch for ch in name or "")


def extension(name: str) -> str:
    """The real extension of ``name`` (``.exe``), read in stored order; "" if it has none."""
    stem, dot, ext = shown_name(name).rpartition(".")
    return f".{ext}" if dot and stem.strip("._ ") and ext.strip() else ""


def name_problem(name: str) -> str | None:
    """Why a file may not be attached under ``name`` (with a safe name to use), or None."""
    if not isinstance(name, str):
        return None
    suggestion = f'Rename it, for example to "{safe_file_name(name)}", and attach it again.'
    if any(ch in DIRECTION_CHARACTERS for ch in name):
        ext = extension(name)
        real = f': it is a "{ext}" file' if ext else ""
        return (
            "The file name contains invisible direction characters that hide its real type"
            f"{real}. {suggestion}"
        )
    found = list(dict.fromkeys(_describe(ch) for ch in name if _hidden(ch)))
    if found:
        return f"The file name contains control characters ({', '.join(found)}). {suggestion}"
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def not_a_file(name: str, mode: int, *, link: bool = False) -> str:
    """Why what ``name`` names (``st_mode`` ``mode``, through a link or not) is not attached."""
    what = f"a link to {_kind(mode)}" if link else _kind(mode)
    return f'"{shown_name(name)}" is {what}, not a file: only files can be attached.'


def hidden_note(name: str) -> str:
    """For a name shown in its safe form, what was hidden in it; "" for a plain name."""
    found = list(dict.fromkeys(_describe(ch) for ch in name or "" if _hidden(ch)))
    if not found:
        return ""
    what = (
        "invisible direction characters that would hide its real type"
        if any(ch in DIRECTION_CHARACTERS for ch in name)
        else "control characters"
    )
    return f'The name it was sent with has {what} ({", ".join(found)}); each is shown as "_".'


def safe_file_name(name: str, fallback: str = "attachment") -> str:
    """``name`` made safe to create on any desktop system, as close to the original as can be.

    Hidden characters (control, line break, direction), path separators and characters
    Windows forbids become ``_``, so the extension the name really ends with is the one shown;
    leading dots and spaces go (no hidden files, no ``..``), as do trailing ones (Windows drops
    them); reserved device names (``CON``, ``com1.txt``) get a leading ``_``; a name too long
    for the file system is shortened, keeping its extension.
    """
    text = _UNSAFE.sub("_", unicodedata.normalize("NFC", shown_name(name)))
    text = text.lstrip(". ").rstrip(". ")
    if not text.strip("_"):
        text = fallback
    if text.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        text = "_" + text
    if len(text.encode()) > _NAME_BYTES:
        stem, dot, ext = text.rpartition(".")
        if not dot or len(ext.encode()) > 16:
            stem, ext = text, ""
        room = _NAME_BYTES - len(ext.encode()) - (1 if ext else 0)
        stem = stem.encode()[:room].decode(errors="ignore").rstrip(". ")
        text = f"{stem}.{ext}" if ext else stem
    return text
