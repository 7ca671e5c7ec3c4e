"""Where a mailbox's password is kept: the operating system's keyring, never a file the
console writes. A machine with no desktop keyring (``mail watch`` under systemd) passes it
as a systemd credential instead: ``LoadCredential=`` puts it in ``$CREDENTIALS_DIRECTORY``,
under the mailbox's name with every character but letters, digits, ``.``, ``-`` and ``_``
made ``_`` (``support_vendor.example`` for ``support@vendor.example``).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from console.domain.mail import Mailbox
from console.services.sync import keep_secret, read_secret, secure_backends

__all__ = [
    "KEYRING_SERVICE",
    "PasswordUnavailable",
    "credential_name",
    "password_for",
    "store_password",
]

log = logging.getLogger(__name__)

KEYRING_SERVICE = "support-console-mail"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class PasswordUnavailable(Exception):  # noqa: N818 (names are the API)
    """No safe place to keep a mailbox password; ``str()`` says what to do, in words."""


def credential_name(mailbox: Mailbox) -> str:
    """The file name of the mailbox's password among systemd credentials."""
    return _UNSAFE.sub("_", mailbox.name) or "mailbox"


def _key(mailbox: Mailbox) -> str:
    return f"{mailbox.username}@{mailbox.host}:{mailbox.port}"


def _backends() -> list[Any]:
    import keyring  # noqa: PLC0415 (its backend discovery is slow; only when needed)

    return secure_backends(keyring.get_keyring())


def password_for(mailbox: Mailbox) -> str | None:
    """The password from systemd's credentials, else the keyring; None when neither has it."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if folder:
        path = Path(folder) / credential_name(mailbox)
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except FileNotFoundError:
            pass
        except OSError:
            log.info("credential %s could not be read", path, exc_info=True)
    return read_secret(_backends(), KEYRING_SERVICE, _key(mailbox))


def store_password(mailbox: Mailbox, password: str) -> None:
    """Keep the password in a secure keyring, or say in words why it cannot be kept."""
    backends = _backends()
    if not backends:
        raise PasswordUnavailable(
            "No secure system keyring is available, so the mailbox password cannot be kept "
            "safely. Install or unlock your desktop's keyring, or pass it to 'mail watch' as "
            f"a systemd credential named {credential_name(mailbox)!r}."
        )
    keep_secret(
        backends,
        KEYRING_SERVICE,
        _key(mailbox),
        password,
        what="mailbox password",
        refused=PasswordUnavailable,
    )
