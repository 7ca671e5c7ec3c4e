"""Where a mailbox's or an SMTP account's password is kept: the operating system's keyring
(service ``support-console-mail``, key ``user@host:port``), never a file the console writes.
A machine with no desktop keyring (``mail watch`` under systemd) passes it as a systemd
credential instead: ``LoadCredential=`` puts it in ``$CREDENTIALS_DIRECTORY``, under the
mailbox's name with every character but letters, digits, ``.``, ``-`` and ``_`` made ``_``
(``support_vendor.example`` for ``support@vendor.example``); an SMTP account's name gets
``smtp-`` in front (``smtp-support_vendor.example``), so the two never share a file.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from console.domain.mail import Mailbox
from console.domain.outbound import SmtpAccount
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

#: What a password is for: a mailbox intake reads, or an account the outbox sends through.
Account = Mailbox | SmtpAccount


class PasswordUnavailable(Exception):  # noqa: N818 (names are the API)
    """No safe place to keep a mailbox password; ``str()`` says what to do, in words."""


def credential_name(mailbox: Account) -> str:
    """The file name of the mailbox's (or SMTP account's) password among systemd credentials."""
    if isinstance(mailbox, SmtpAccount):
        return "smtp-" + (_UNSAFE.sub("_", mailbox.name) or "account")
    return _UNSAFE.sub("_", mailbox.name) or "mailbox"


def _key(mailbox: Account) -> str:
    return f"{mailbox.username}@{mailbox.host}:{mailbox.port}"


def _backends() -> list[Any]:
    import keyring  # noqa: PLC0415 (its backend discovery is slow; only when needed)

    return secure_backends(keyring.get_keyring())


def password_for(mailbox: Account) -> str | None:
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


def store_password(mailbox: Account, password: str) -> None:
    """Keep the password in a secure keyring, or say in words why it cannot be kept."""
    what = "SMTP password" if isinstance(mailbox, SmtpAccount) else "mailbox password"
    backends = _backends()
    if not backends:
        raise PasswordUnavailable(
            f"No secure system keyring is available, so the {what} cannot be kept "
            "safely. Install or unlock your desktop's keyring, or pass it to 'mail watch' as "
            f"a systemd credential named {credential_name(mailbox)!r}."
        )
    keep_secret(
        backends,
        KEYRING_SERVICE,
        _key(mailbox),
        password,
        what=what,
        refused=PasswordUnavailable,
    )
