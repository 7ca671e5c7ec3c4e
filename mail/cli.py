"""``main.py mail …``: email intake with no window (DESIGN §11).

- ``mail import FILE.eml…`` prints one line per message on stdout, in the words of §11
  (``created INC-… CUSTOMER``, ``threaded INC-…``, ``held unknown-sender ADDRESS``,
  ``ignored auto-reply`` …); a file it cannot read gives ``refused FILE: reason`` on stderr.
- ``mail watch`` reads every enabled mailbox until stopped (IDLE where offered, else a poll),
  printing the same lines, and each failed check in words on stderr; it also sends the mail
  outbox (also when only an SMTP account is set up), printing ``sent INC-… ADDRESS`` …;
  ``--once`` checks each mailbox once, sends what is due once, and exits (for a timer, and
  for tests).
- ``mail outbox`` lists the mail waiting to be sent, one line each (state, incident number,
  recipient, subject, last error); ``--send`` sends what is due once, one line per mail:
  ``sent INC-… ADDRESS``, ``deferred INC-… ADDRESS: words``, ``failed INC-… ADDRESS: words``.
- ``mail mailbox add|list|remove`` keeps the list of mailboxes (leads' work in the console's
  Settings → Mail…); ``add`` reads the password from the terminal, or one line of stdin with
  ``--password-stdin``, into the keyring.

Every message is written whole or not at all. Exit codes: 0 done, 1 something was refused
(a file, a mailbox, the database, a mail deferred or failed), 2 a usage error.
"""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from console.domain.ids import HybridLogicalClock
from console.domain.mail import Mailbox
from console.domain.records import Agent, Role
from console.services.context import SystemClock
from console.services.incidents import IncidentService
from console.services.mail_intake import MailIntake, MailSource
from console.services.mailboxes import MailboxService
from console.services.outbox import OutboxService
from console.services.seed import seed_defaults
from console.services.validation import NotAllowed, ValidationError
from console.services.workstation import workstation
from db.engine import database_exists, open_database
from db.errors import StoreError
from db.store import SqliteStore
from mail.outbox_sender import OutboxPass, OutboxSender
from mail.parse import parse
from mail.passwords import PasswordUnavailable, password_for, store_password
from mail.watch import MailboxStatus, MailWatcher

__all__ = ["FILE_MAILBOX", "INTAKE_AGENT", "import_messages", "intake_origin", "mail_command"]

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
#: Who the timeline says recorded what mail brought.
INTAKE_AGENT = Agent(id="", name="Email intake", role=Role.AGENT)
#: The mailbox that messages imported from files are recorded under.
FILE_MAILBOX = "imported files"
_MAX_FILE = 60 * 1024 * 1024  # a message file bigger than this is not mail


def build_parser(default_db: Callable[[], Path]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py mail", description="Email intake with no window (DESIGN §11)."
    )
    commands = parser.add_subparsers(dest="mail_command", metavar="COMMAND", required=True)
    imp = commands.add_parser(
        "import",
        help="import .eml files as the mailbox would",
        description=(
            "Import each FILE.eml as if it had arrived in the support mailbox: one line per "
            "message on stdout (created, threaded, reopened, delivery, bounce, held, "
            "ignored). A message's received time is its Date: header, never later than now."
        ),
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE.eml")
    watch = commands.add_parser(
        "watch",
        help="read the configured mailboxes and send the outbox until stopped",
        description=(
            "Read every enabled mailbox into the console's database until stopped (Ctrl+C or "
            "SIGTERM): IDLE where the server offers it, else a check a minute. One line per "
            "message on stdout; a mailbox that cannot be read is said on stderr and tried "
            "again later. It also sends the mail outbox (one line per mail: sent, deferred, "
            "failed), also when only a server to send through is set up."
        ),
    )
    watch.add_argument(
        "--once", action="store_true", help="check each mailbox and send the outbox once, then exit"
    )
    outbox = commands.add_parser(
        "outbox",
        help="list the mail waiting to be sent; --send sends it once",
        description=(
            "List the mail waiting in the outbox: state, incident, recipient, subject and the "
            "server's last words. With --send, send what is due now once, one line per mail."
        ),
    )
    outbox.add_argument("--send", action="store_true", help="send what is due now, once")
    box = commands.add_parser("mailbox", help="the mailboxes intake reads: add, list, remove")
    kinds = box.add_subparsers(dest="mailbox_command", metavar="ACTION", required=True)
    add = kinds.add_parser("add", help="add a mailbox (or change the one with this name)")
    add.add_argument("name", help="how the console names it, e.g. support@vendor.example")
    add.add_argument("--host", required=True, help="the IMAP server, e.g. imap.vendor.example")
    add.add_argument("--port", type=int, default=993, help="993 (TLS) unless --starttls")
    add.add_argument("--user", required=True, help="the user name to sign in with")
    add.add_argument("--folder", default="INBOX")
    add.add_argument(
        "--after",
        choices=("leave", "seen", "move"),
        default="seen",
        help="what happens to a message once imported (default: seen)",
    )
    add.add_argument("--move-to", default="", help="the folder for --after move")
    add.add_argument("--ca", default="", help="a CA certificate (PEM) to trust")
    add.add_argument("--starttls", action="store_true", help="STARTTLS on port 143")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from one line of stdin"
    )
    kinds.add_parser("list", help="list the mailboxes")
    remove = kinds.add_parser("remove", help="remove a mailbox by name")
    remove.add_argument("name")
    for sub in (imp, watch, outbox, add, remove, kinds.choices["list"]):
        sub.add_argument(
            "--db",
            type=Path,
            default=None,
            help=f"the console's database (default: {default_db()})",
        )
    return parser


def mail_command(argv: Sequence[str], default_db: Callable[[], Path]) -> int:
    """``main.py mail …`` (``argv`` is what follows ``mail``); returns the exit code."""
    parser = build_parser(default_db)
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    path: Path = args.db or default_db()
    if args.mail_command == "import":
        return import_files(path, args.files)
    if args.mail_command == "watch":
        return watch(path, once=args.once)
    if args.mail_command == "outbox":
        return outbox_command(path, send=args.send)
    return mailbox_command(path, args)


def _open(path: Path) -> SqliteStore | None:
    try:
        if not database_exists(path):
            print(
                f"There is no database at {path}: open the console once first (see --db).",
                file=sys.stderr,
            )
            return None
        return SqliteStore(open_database(path))
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return None


def intake_origin(workstation_id: str) -> str:
    """The workstation name intake writes as: the console's own, marked as the mail reader's,
    so a console open on the same database knows these writes came from outside, and the
    two programs' clocks never share a node."""
    return f"{workstation_id}-mail"


def _services(store: SqliteStore) -> tuple[SystemClock, IncidentService]:
    clock = SystemClock()
    station = workstation(store)
    seed_defaults(store, clock, station.hlc)
    origin = intake_origin(station.id)
    hlc = HybridLogicalClock(origin)
    hlc.observe(station.hlc.now())  # past every stamp already stored
    return clock, IncidentService(store, clock, INTAKE_AGENT, origin, hlc)


def _intake(store: SqliteStore) -> tuple[SystemClock, MailIntake]:
    clock, incidents = _services(store)
    return clock, MailIntake(store, clock, incidents, parse=parse)


def outbox_sender(
    store: SqliteStore,
    clock: SystemClock,
    incidents: IncidentService,
    on_pass: Callable[[OutboxPass], None] | None = None,
) -> OutboxSender:
    """The sender ``mail watch`` and ``mail outbox --send`` use."""
    outbox = OutboxService(store, clock, incidents, INTAKE_AGENT)
    return OutboxSender(store, outbox, clock, password_for, on_pass=on_pass)


def _said_pass(result: OutboxPass) -> bool:
    """Print a pass's lines (problems on stderr); True when everything due went out."""
    for line in result.lines:
        print(line, flush=True)
    for problem in result.problems:
        print(problem, file=sys.stderr, flush=True)
    return not (result.problems or result.deferred or result.failed)


def outbox_command(path: Path, *, send: bool) -> int:
    store = _open(path)
    if store is None:
        return EXIT_REFUSED
    try:
        clock, incidents = _services(store)
        sender = outbox_sender(store, clock, incidents)
        if send:
            if not sender.wanted():
                print(_NO_ACCOUNT, file=sys.stderr)
                return EXIT_REFUSED
            return EXIT_OK if _said_pass(sender.send_once()) else EXIT_REFUSED
        outbox = OutboxService(store, clock, incidents, INTAKE_AGENT)
        for entry in reversed(outbox.entries(waiting_only=True)):  # oldest first
            to = entry.mail.to[0] if entry.mail.to else ", ".join(entry.mail.recipients)
            line = f"{entry.state.value} {entry.number} {to} {entry.mail.subject}"
            error = " ".join(entry.last_error.split())
            print(f"{line}: {error}" if error else line)
        return EXIT_OK
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()


_NO_ACCOUNT = "No server to send mail through: a lead sets one up in Settings → Mail…."


def watch(path: Path, *, once: bool) -> int:
    store = _open(path)
    if store is None:
        return EXIT_REFUSED
    failed = False

    def said(status: MailboxStatus) -> None:
        nonlocal failed
        for line in status.lines:
            print(line, flush=True)
        if status.error:
            failed = True
            print(f"{status.name}: {status.error}", file=sys.stderr, flush=True)

    def sent(result: OutboxPass) -> None:
        nonlocal failed
        if not _said_pass(result):
            failed = True

    try:
        clock, incidents = _services(store)
        intake = MailIntake(store, clock, incidents, parse=parse)
        lock_dir = Path(f"{path}.mail-locks")
        sender = outbox_sender(store, clock, incidents, sent)
        watcher = MailWatcher(
            store, intake, clock, password_for, lock_dir, on_status=said, sender=sender
        )
        mailboxes = watcher.mailboxes()
        sending = sender.wanted()
        if not mailboxes and not sending:
            print(
                "No mailbox to read and no server to send mail through: add them with "
                "'mail mailbox add' or in Settings → Mail….",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        if once:
            for mailbox in mailboxes:
                watcher.check(mailbox)
            if sending:
                sender.send_once()
            return EXIT_REFUSED if failed else EXIT_OK
        if not sending:
            watcher.sender = None
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _n, _f: stop.set())
        doing = f"Reading {len(mailboxes)} mailbox(es)"
        if sending:
            doing += " and sending the outbox"
        print(f"{doing}; Ctrl+C stops.", file=sys.stderr)
        watcher.run(stop)
        return EXIT_OK
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()


def mailbox_command(path: Path, args: argparse.Namespace) -> int:
    store = _open(path)
    if store is None:
        return EXIT_REFUSED
    # A script run by whoever administers the machine: a lead's work, as in the console.
    service = MailboxService(store, Agent(id="", name="Command line", role=Role.ADMIN))
    try:
        if args.mailbox_command == "list":
            for m in service.mailboxes():
                state = "" if m.enabled else "  (off)"
                print(
                    f"{m.name}  {m.username}@{m.host}:{m.port}  {m.folder}  after: {m.after}{state}"
                )
            return EXIT_OK
        existing = {m.name.casefold(): m for m in service.mailboxes()}
        found = existing.get(" ".join(args.name.split()).casefold())
        if args.mailbox_command == "remove":
            if found is None:
                print(f"There is no mailbox called {args.name!r}.", file=sys.stderr)
                return EXIT_REFUSED
            service.delete(found.id)
            print(f"removed {found.name}")
            return EXIT_OK
        draft = Mailbox(
            id=found.id if found else "",
            name=args.name,
            host=args.host,
            port=args.port,
            username=args.user,
            folder=args.folder,
            after=args.after,
            move_to=args.move_to,
            ca_file=args.ca,
            starttls=args.starttls,
        )
        saved = service.save(draft)
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass(f"Password for {saved.username} on {saved.host}: ")
        if password:
            store_password(saved, password)
        print(f"{'changed' if found else 'added'} {saved.name}")
        return EXIT_OK
    except ValidationError as exc:
        for key, message in exc.errors.items():
            print(f"{key}: {message}", file=sys.stderr)
        return EXIT_REFUSED
    except (NotAllowed, PasswordUnavailable) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()


def import_files(path: Path, files: Sequence[Path]) -> int:
    store = _open(path)
    if store is None:
        return EXIT_REFUSED
    try:
        _clock, intake = _intake(store)
        lines, refused = import_messages(intake, files)
        for line in lines:
            print(line, flush=True)
        for line in refused:
            print(line, file=sys.stderr)
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()
    return EXIT_REFUSED if refused else EXIT_OK


def import_messages(intake: MailIntake, files: Sequence[Path]) -> tuple[list[str], list[str]]:
    """Import each file as mail: the ``mail import`` lines, and ``refused FILE: reason`` for
    each file that is not a readable message (also what a drop on the queue does)."""
    lines: list[str] = []
    refused: list[str] = []
    for file in files:
        raw = _read(file)
        if isinstance(raw, str):
            refused.append(f"refused {file}: {raw}")
            continue
        message = parse(raw)
        if not (message.from_address or message.message_id or message.date):
            refused.append(f"refused {file}: not a mail message (no From, Date or Message-ID)")
            continue
        lines.append(intake.take(message, MailSource(FILE_MAILBOX, from_file=True)).line())
    return lines, refused


def _read(file: Path) -> bytes | str:
    """The file's bytes, or why not in words."""
    try:
        if not file.is_file():
            return "not a file" if file.exists() else "no such file"
        size = file.stat().st_size
        if size > _MAX_FILE:
            return f"{size // (1024 * 1024)} MiB is too big for a mail message"
        raw = file.read_bytes()
    except OSError as exc:
        return exc.strerror or str(exc)
    if not raw.strip():
        return "the file is empty"
    return raw
