"""The mailboxes email intake reads (Settings → Mail…, ``main.py mail mailbox …``).

Leads and admins add, change and remove them; anyone may list them. Every field is checked
with a message naming it; the password is never stored here (the keyring keeps it, see
``mail.passwords``).
"""

from __future__ import annotations

import re
from dataclasses import replace

from console.domain.ids import new_id
from console.domain.mail import AFTER_IMPORT, Mailbox
from console.domain.records import Agent
from console.services.ports import Store
from console.services.validation import Errors, NotAllowed, ValidationError

__all__ = ["MailboxService"]

_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")
_IPV6 = re.compile(r"^\[?[0-9A-Fa-f:]+\]?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MailboxService:
    def __init__(self, store: Store, actor: Agent) -> None:
        self._store = store
        self._actor = actor

    def mailboxes(self) -> list[Mailbox]:
        with self._store.read() as tx:
            return tx.mail.mailboxes()

    def save(self, draft: Mailbox) -> Mailbox:
        """Add ``draft`` (an empty id) or change the mailbox with its id."""
        self._require_lead("change the mailboxes email is read from")
        mailbox = validate(draft)
        with self._store.transaction() as tx:
            taken = [m for m in tx.mail.mailboxes() if m.name.casefold() == mailbox.name.casefold()]
            if any(m.id != mailbox.id for m in taken):
                raise ValidationError.single("name", f"A mailbox called “{mailbox.name}” exists.")
            if mailbox.id and tx.mail.mailbox(mailbox.id) is None:
                raise ValidationError.single("name", "This mailbox was removed meanwhile.")
            saved = mailbox if mailbox.id else replace(mailbox, id=new_id())
            tx.mail.save_mailbox(saved)
            return saved

    def delete(self, mailbox_id: str) -> None:
        self._require_lead("remove a mailbox")
        with self._store.transaction() as tx:
            tx.mail.delete_mailbox(mailbox_id)

    def _require_lead(self, what: str) -> None:
        if not self._actor.role.may_edit_policy:
            raise NotAllowed(f"Only a team lead or an admin may {what}.")


def check_server(
    name: str,
    host: str,
    port: int,
    username: str,
    ca_file: str,
    *,
    username_required: bool = True,
    port_hint: str = "993 for IMAP over TLS",
) -> Errors:
    """Messages for a mail server's name, host, port, user name and certificate file: one
    rule for the IMAP mailboxes and the SMTP accounts."""
    errors = Errors()
    name = " ".join(name.split())
    if not name:
        errors.add("name", "Give it a name, e.g. its address (support@vendor.example).")
    elif len(name) > 200 or _CONTROL.search(name):
        errors.add("name", "The name is at most 200 printable characters.")
    host = host.strip()
    if not host:
        errors.add("host", "Give the server's host name, e.g. mail.vendor.example.")
    elif not (_HOST.match(host) or _IPV6.match(host)) or len(host) > 253:
        errors.add("host", f"“{host[:60]}” is not a host name.")
    if not 1 <= port <= 65535:
        errors.add("port", f"The port is a number from 1 to 65535 ({port_hint}).")
    username = username.strip()
    if not username and username_required:
        errors.add("username", "Give the user name the server signs in with.")
    elif len(username) > 320 or _CONTROL.search(username):
        errors.add("username", "The user name is at most 320 printable characters.")
    if _CONTROL.search(ca_file.strip()):
        errors.add("ca_file", "The certificate file's path has characters a path cannot have.")
    return errors


def validate(draft: Mailbox) -> Mailbox:
    """The mailbox with its fields cleaned, or a ValidationError naming each bad field."""
    errors = check_server(draft.name, draft.host, draft.port, draft.username, draft.ca_file)
    name = " ".join(draft.name.split())
    host = draft.host.strip()
    username = draft.username.strip()
    folder = draft.folder.strip() or "INBOX"
    if len(folder) > 200 or _CONTROL.search(folder):
        errors.add("folder", "The folder is at most 200 printable characters.")
    if draft.after not in AFTER_IMPORT:
        errors.add("after", "Choose what happens to a message once imported: leave, seen or move.")
    move_to = draft.move_to.strip()
    if draft.after == "move":
        if not move_to:
            errors.add("move_to", "Name the folder imported messages are moved to.")
        elif move_to == folder:
            errors.add("move_to", "Move them to another folder than the one read.")
        elif len(move_to) > 200 or _CONTROL.search(move_to):
            errors.add("move_to", "The folder is at most 200 printable characters.")
    ca_file = draft.ca_file.strip()
    errors.raise_if_any()
    return replace(
        draft,
        name=name,
        host=host,
        username=username,
        folder=folder,
        move_to=move_to if draft.after == "move" else "",
        ca_file=ca_file,
    )
