"""Support Console: the composition root. Parses arguments, opens the store, starts Qt."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import platformdirs
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.qt.gc import GuiThreadCollector
from console.qt.settings import Settings
from console.qt.worker import Dispatcher
from console.services.agents import AgentService
from console.services.context import ConsoleContext, SystemClock
from console.services.reports import Format, period, reproject_if_stale
from console.services.seed import seed_defaults
from console.services.validation import ValidationError
from console.services.workstation import (
    remember_agent,
    remember_clock,
    signed_in_agent,
    workstation,
)
from console.ui.shell.main_window import MainWindow
from console.ui.theme import apply_theme
from db.engine import Database, database_exists, open_database, translate_errors
from db.errors import DatabaseCorrupt, StoreError
from db.store import SqliteStore
from safekeeping.cli import COMMANDS as SAFEKEEPING

# Only what the first paint of the queue needs is imported above: the sync stack, the mail
# channel, backups, templates, reports and the wallboard's filters are imported where they
# are used, once the queue is on screen (or for the command that needs them).
if TYPE_CHECKING:
    from console.qt.mail_worker import MailWorker
    from console.qt.sync_worker import SyncWorker
    from console.services.board import BoardFilter
    from console.services.sync import SyncService

APP_NAME = "Support Console"
APP_ID = "support-console"
# Who the read-only wallboard acts as; it records nothing, so it is never stored.
BOARD_VIEWER = Agent(id="", name="Wallboard", role=Role.AGENT)
GUI_SWITCH_INTERVAL_S = 0.001
# Set by tests/bench/startup.py: print the time of the first painted queue, then quit.
EXIT_AFTER_PAINT = "SUPPORT_CONSOLE_EXIT_AFTER_PAINT"


def default_db_path(demo: bool = False) -> Path:

    folder = Path(platformdirs.user_data_dir(APP_ID, appauthor=False))
    return folder / ("demo.sqlite3" if demo else "console.sqlite3")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="support-console",
        description=(
            "Support Console: work the incident queue with exact, explainable SLA countdowns. "
            "Everything is stored locally in SQLite and works offline."
        ),
        epilog=(
            "reports: report attainment [--db PATH] [--from DATE] [--to DATE] "
            "[--format json|csv]; report incidents [--db PATH] [--from DATE] [--to DATE] "
            "[--format csv|json]. See 'report attainment --help' and 'report incidents --help'. "
            "Email: mail import [--db PATH] FILE.eml... (see 'mail import --help'). "
            "Team sync: sync init-server | upgrade-server | member add|list|remove."
        ),
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        help="SQLite database file to use (default: console.sqlite3 in your user data folder)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a populated demo database (built on first use, kept apart from your real one)",
    )
    parser.add_argument(
        "--rebuild-demo",
        action="store_true",
        help="with --demo: throw the demo database away and build it anew for the current time",
    )
    parser.add_argument(
        "--board",
        action="store_true",
        help="open the full-screen, read-only countdown wallboard instead of the agent console",
    )
    parser.add_argument(
        "--window",
        dest="board_windows",
        metavar="NAME",
        action="append",
        default=[],
        help="with --board: show only incidents of customers in this support window (its name "
        "or id; repeat for more than one)",
    )
    parser.add_argument(
        "--priority",
        dest="board_priorities",
        metavar="P1,P2",
        action="append",
        default=[],
        help="with --board: show only incidents of these priorities (comma-separated)",
    )
    parser.add_argument(
        "--theme", choices=("light", "dark"), help="colour theme (default: the last one used)"
    )
    commands = parser.add_subparsers(
        dest="command",
        title="commands (without one, the console opens)",
        metavar="COMMAND",
    )
    add_report_parser(commands)
    return parser


REPORT_HELP = """\
Offline reports for scripts: the same figures as the History screen, on stdout, with no
filter comment line. DATE is an ISO date (2026-03-01) in UTC on the instant an incident was
received: --from is the first day counted, --to the day after the last. Exit status: 0 done,
1 the database was refused (missing, locked, damaged or from a newer version), 2 a usage
error. Problems are written in words on stderr.
"""
ATTAINMENT_HELP = """\
First responses by the priority that set the deadline, the plan and the month (YYYY-MM, UTC)
of the deadline: met (a response at or before the deadline), missed (none by the deadline, or
a late one), pending (no response yet, deadline still ahead) and excluded (counted apart,
never as met or missed). JSON (default): {"groups": [{"priority", "plan", "month", "met",
"missed", "pending", "excluded"}], "totals": {"met", "missed", "pending", "excluded"}}.
CSV: a header line, then one line per group (sum the columns for totals).
"""
INCIDENTS_HELP = """\
One row per incident and clock, newest incident first: number, customer, plan, priority,
status, clock, deadline_utc, outcome, counted_at_utc. clock is first_response,
status_update (one row per due time), escalation_1 or escalation_2; outcome is met, missed,
pending, excluded or not_applicable; priority is the one whose target set that deadline;
deadline_utc and counted_at_utc (the response that met it, or came late) are ISO 8601 UTC.
CSV (default) neutralises cells a spreadsheet would run; JSON is an array of objects with
the same keys (null for no instant). The first_response rows add up to the attainment
report's totals.
"""


def utc_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date such as 2026-03-01"
        ) from None


def add_report_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    report = commands.add_parser(
        "report",
        help="offline reports for scripts: report attainment | report incidents",
        description=REPORT_HELP,
        formatter_class=raw,
    )
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    for name, fmt, summary, text in (
        ("attainment", Format.JSON, "first-response attainment by group", ATTAINMENT_HELP),
        ("incidents", Format.CSV, "every clock of every incident and its outcome", INCIDENTS_HELP),
    ):
        kind = kinds.add_parser(
            name, help=summary, description=f"{text}\n{REPORT_HELP}", formatter_class=raw
        )
        kind.add_argument(
            "--db",
            metavar="PATH",
            type=Path,
            default=argparse.SUPPRESS,
            help="SQLite database file to read (default: console.sqlite3 in your user data folder)",
        )
        kind.add_argument(
            "--from",
            dest="start",
            metavar="DATE",
            type=utc_date,
            help="count incidents received on or after this UTC date",
        )
        kind.add_argument(
            "--to",
            dest="end",
            metavar="DATE",
            type=utc_date,
            help="count incidents received before this UTC date",
        )
        kind.add_argument(
            "--format",
            choices=[f.value for f in Format],
            default=fmt.value,
            help=f"output format (default: {fmt.value})",
        )
        kind.set_defaults(report_parser=kind)


def prepare_demo(path: Path, rebuild: bool) -> None:
    """Build the demo database through the services, into a temporary file moved in at the end."""

    if path.exists() and not rebuild:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    from console.services.demo import build_demo  # noqa: PLC0415

    store = SqliteStore(open_database(partial, backup=False))
    try:
        print(f"Building the demo database at {path} …", file=sys.stderr)
        build_demo(store)
    finally:
        store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    partial.replace(path)


def sign_in(store: SqliteStore, hlc: HybridLogicalClock) -> Agent | None:
    """The agent at this workstation; None if the user cancels.

    A remembered agent goes straight in; a remembered lead or admin is asked for their
    passphrase, and a deactivated one is asked who is here. A newcomer signs up as an agent
    (the first person on a new database as its admin): roles are granted, not claimed.
    """
    agents = AgentService(store, hlc)
    remembered = signed_in_agent(store)
    if remembered is not None:
        account = agents.account(remembered.id)
        if account.active and not account.needs_passphrase:
            return remembered
    from console.ui.shell.sign_in import SignInDialog  # noqa: PLC0415

    dialog = SignInDialog(agents.accounts(), chosen_id=remembered.id if remembered else None)
    while dialog.exec():
        chosen = dialog.chosen_agent_id()
        try:
            if chosen:
                agent = agents.sign_in(chosen, dialog.passphrase_text())
            else:
                name, email = dialog.new_agent()
                agent = agents.sign_up(name, email, dialog.passphrase_text())
        except ValidationError as exc:
            dialog.show_error("\n".join(exc.errors.values()))
            continue
        except PermissionError as exc:  # NotAllowed: deactivated
            dialog.show_error(str(exc))
            continue
        remember_agent(store, agent)
        return agent
    return None


def switch_agent(store: SqliteStore, hlc: HybridLogicalClock) -> Agent | None:
    """Shift handover (Sign out / Switch agent): forget who was here and ask again."""
    AgentService(store, hlc).sign_out()
    return sign_in(store, hlc)


def wire_sync(
    window: MainWindow,
    context: ConsoleContext,
    dispatcher: Dispatcher,
    service: SyncService,
    worker: SyncWorker,
) -> None:
    """Sync's status in the status bar, its settings in the menu, pulled changes into view."""
    from console.ui.sync import SyncSettingsDialog, SyncStatusWidget  # noqa: PLC0415

    status = SyncStatusWidget(context.agent_zone)
    window.statusBar().addPermanentWidget(status)
    worker.status_changed.connect(status.show_status)
    worker.changes_pulled.connect(lambda ids: [window.queue.refresh_incident(i) for i in ids])
    worker.records_pulled.connect(lambda _tables: window.queue.reload())

    def open_settings() -> None:
        dialog = SyncSettingsDialog(context, service, window, dispatcher=dispatcher)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.settings_saved.connect(lambda _settings: worker.restart())
        dialog.sync_turned_off.connect(worker.restart)
        dialog.open()

    status.clicked.connect(open_settings)
    window.add_settings_action("Team sync…", "mdi6.cloud-sync", open_settings)


def wire_mail(
    window: MainWindow,
    context: ConsoleContext,
    dispatcher: Dispatcher,
    worker: MailWorker,
) -> None:
    """Settings → Mail… for everyone (read-only for agents; mailboxes and sending accounts),
    the Outbox and Inbox pages, each mailbox's last check and the mail waiting to be sent in
    the status bar; the reader starts when an enabled mailbox exists."""
    from console.domain.mail import Mailbox  # noqa: PLC0415
    from console.domain.outbound import SmtpAccount  # noqa: PLC0415
    from console.services.mail_intake import MailIntake  # noqa: PLC0415
    from console.services.mailboxes import MailboxService  # noqa: PLC0415
    from console.ui.mail import InboxView, MailSettingsDialog, MailStatusWidget  # noqa: PLC0415
    from console.ui.mail.outbox_view import OutboxView  # noqa: PLC0415
    from mail.cli import import_messages  # noqa: PLC0415
    from mail.imap import MailboxError, check_connection  # noqa: PLC0415
    from mail.parse import parse  # noqa: PLC0415
    from mail.passwords import password_for, store_password  # noqa: PLC0415
    from mail.smtp import SmtpError  # noqa: PLC0415
    from mail.smtp import check_connection as check_smtp  # noqa: PLC0415
    from mail.watch import imap_settings  # noqa: PLC0415

    mailboxes = MailboxService(context.store, context.actor)
    intake = MailIntake(context.store, context.clock, context.incidents, parse=parse)
    inbox = InboxView(intake, context.customers, context.actor.name, dispatcher, context.agent_zone)
    inbox.notice.connect(lambda text: window.statusBar().showMessage(text, 15_000))
    inbox.incident_opened.connect(window.queue.refresh_incident)
    status = MailStatusWidget(context.agent_zone)
    window.statusBar().addPermanentWidget(status)
    worker.mailbox_checked.connect(status.show_status)
    worker.incidents_changed.connect(window.refresh_incidents)
    worker.mail_arrived.connect(inbox.reload)
    window.outside_changes.checked.connect(inbox.check_outside)  # a separate `mail watch`
    # The Outbox sits above the Inbox: the Inbox stays the last page.
    outbox = OutboxView(
        context.outbox, context.incidents, context.clock.now, dispatcher, context.agent_zone
    )
    outbox_item = window.add_page("outbox", "Outbox", "mdi6.email-fast-outline", outbox)
    outbox.count_changed.connect(lambda n: outbox_item.setText(f"Outbox ({n})" if n else "Outbox"))
    outbox.counts_changed.connect(status.show_outbox)
    outbox.notice.connect(lambda text: window.statusBar().showMessage(text, 15_000))
    outbox.incident_opened.connect(window.open_incident)
    outbox.incident_changed.connect(lambda incident_id: window.refresh_incidents([incident_id]))
    window.outside_changes.checked.connect(outbox.check_outside)  # the sender, `mail watch`
    window.outside_changes.checked.connect(window.detail.outbox_strip.check_outside)
    window.detail.incident_changed.connect(lambda _id: outbox.check_outside())
    item = window.add_page("inbox", "Inbox", "mdi6.inbox-arrow-down", inbox)
    inbox.count_changed.connect(lambda n: item.setText(f"Inbox ({n})" if n else "Inbox"))

    def test(mailbox: Mailbox, password: str) -> str:
        secret = password or password_for(mailbox)
        if secret is None:
            raise MailboxError("No password is stored for this mailbox yet: enter it above.")
        return check_connection(imap_settings(mailbox), secret)

    def test_smtp(account: SmtpAccount, password: str) -> str:
        secret = password or password_for(account)
        if secret is None and account.username:
            raise SmtpError("No password is stored for this account yet: enter it in its form.")
        return check_smtp(account, secret)

    def changed() -> None:
        status.forget()
        worker.restart()

    # An answer queued or a mail retried goes out now, not at the sender's next pass.
    window.detail.incident_changed.connect(lambda _id: worker.wake_sender())
    outbox.incident_changed.connect(lambda _id: worker.wake_sender())
    worker.outbox_sent.connect(lambda _report: outbox.refresh())
    worker.outbox_sent.connect(lambda _report: window.detail.outbox_strip.check_outside())

    def open_settings() -> None:
        may_edit = context.actor.role.may_edit_policy
        dialog = MailSettingsDialog(
            mailboxes,
            may_edit,
            store_password,
            test,
            dispatcher,
            window,
            accounts=context.outbox.accounts,
            store_smtp_password=store_password,
            test_smtp=test_smtp,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.mailboxes_changed.connect(changed)
        dialog.accounts_changed.connect(changed)  # the sender starts, or stops, with them
        dialog.open()

    def dropped(files: list[str]) -> None:
        """.eml files dropped on the queue: imported as 'mail import' does, said in words."""

        def done(answer: tuple[list[str], list[str]]) -> None:
            lines, refused = answer
            said = "; ".join([*lines, *refused])
            window.statusBar().showMessage(f"Mail imported: {said}", 30_000)
            window.queue.reload()
            inbox.reload()

        dispatcher.submit(
            lambda: import_messages(intake, [Path(f) for f in files]),
            done,
            lambda error: window.statusBar().showMessage(
                f"The mail could not be imported: {error}", 30_000
            ),
        )

    window.queue.mail_files_dropped.connect(dropped)
    status.clicked.connect(open_settings)
    window.add_settings_action("Mail…", "mdi6.email-sync-outline", open_settings)
    worker.start()


def open_main_window(
    context: ConsoleContext,
    dispatcher: Dispatcher,
    settings: Settings,
    sync_service: SyncService,
    sync_worker: SyncWorker,
    previous: MainWindow | None = None,
    mail_worker: MailWorker | None = None,
) -> MainWindow:
    """Show the console; a theme switch builds it anew so every icon takes the new colours."""
    window = MainWindow(context, dispatcher, settings)
    if previous is not None:
        for signal in (sync_worker.status_changed, sync_worker.changes_pulled):
            signal.disconnect()
        sync_worker.records_pulled.disconnect()
        if mail_worker is not None:
            for mail_signal in (mail_worker.mailbox_checked, mail_worker.incidents_changed):
                mail_signal.disconnect()
            mail_worker.mail_arrived.disconnect()
    wire_window(window, context, dispatcher, settings, sync_service, sync_worker, mail_worker)
    window.show()
    if previous is not None:
        previous.close()
        previous.deleteLater()
    return window


def wire_window(
    window: MainWindow,
    context: ConsoleContext,
    dispatcher: Dispatcher,
    settings: Settings,
    sync_service: SyncService,
    sync_worker: SyncWorker,
    mail_worker: MailWorker | None,
) -> None:
    """Everything the window shows beside its own screens: sync, mail, templates, backups."""
    from console.ui.backups import wire_backups  # noqa: PLC0415
    from console.ui.mail.templates_dialog import wire_templates  # noqa: PLC0415

    wire_sync(window, context, dispatcher, sync_service, sync_worker)
    if mail_worker is not None:
        wire_mail(window, context, dispatcher, mail_worker)
    wire_templates(window, context, dispatcher)
    wire_backups(window, context, dispatcher)
    window.theme_changed.connect(
        lambda _name: open_main_window(
            context,
            dispatcher,
            settings,
            sync_service,
            sync_worker,
            previous=window,
            mail_worker=mail_worker,
        )
    )


class Background:
    """What the console runs beside its window: team sync, the mail reader and sender. Built
    once the queue is on screen, so their imports and threads stay off the first paint."""

    def __init__(self, context: ConsoleContext, hlc: HybridLogicalClock, db_path: Path) -> None:
        from console.qt.mail_worker import MailWorker  # noqa: PLC0415
        from console.qt.sync_worker import SyncWorker  # noqa: PLC0415
        from console.services.incidents import IncidentService  # noqa: PLC0415
        from console.services.mail_intake import MailIntake  # noqa: PLC0415
        from console.services.outbox import OutboxService  # noqa: PLC0415
        from console.services.sync import SyncService, projection_rebuilder  # noqa: PLC0415
        from db.sync.backend import SqlSyncBackend  # noqa: PLC0415
        from mail.cli import INTAKE_AGENT  # noqa: PLC0415
        from mail.outbox_sender import OutboxPass, OutboxSender  # noqa: PLC0415
        from mail.parse import parse  # noqa: PLC0415
        from mail.passwords import password_for  # noqa: PLC0415
        from mail.watch import MailboxStatus, MailWatcher  # noqa: PLC0415

        store, clock = context.store, context.clock
        station = context.workstation_id
        assert isinstance(store, SqliteStore)
        self.sync_service = SyncService(
            SqlSyncBackend(
                store.database,
                workstation_id=station,
                hlc=hlc,
                author=context.actor.name,
                rebuild=projection_rebuilder(clock, station, hlc),
            )
        )
        self.sync_worker = SyncWorker(self.sync_service)
        mail_incidents = IncidentService(store, clock, INTAKE_AGENT, station, hlc)
        watch_intake = MailIntake(store, clock, mail_incidents, parse=parse)

        def watcher(said: Callable[[MailboxStatus], None]) -> MailWatcher:
            locks = Path(f"{db_path}.mail-locks")  # the same locks as 'mail watch'
            return MailWatcher(store, watch_intake, clock, password_for, locks, on_status=said)

        # The console's own sender: its events are written by the same "Email intake"
        # identity as 'mail watch', whichever agent is signed in.
        sending = OutboxService(store, clock, mail_incidents, INTAKE_AGENT)

        def sender(said: Callable[[OutboxPass], None]) -> OutboxSender:
            return OutboxSender(store, sending, clock, password_for, on_pass=said)

        self.mail_worker = MailWorker(
            watcher, lambda: bool(watcher(lambda _s: None).mailboxes()), make_sender=sender
        )

    def start_sync(self) -> None:
        if self.sync_service.settings() is not None:
            self.sync_worker.start()

    def stop(self) -> None:
        self.sync_worker.stop()
        self.mail_worker.stop()


class _WhenQueueShown(QObject):
    """Calls ``then`` once, right after the queue's first paint with its first load in it
    (or after ``FALLBACK_MS``, should that load fail)."""

    FALLBACK_MS = 5_000

    def __init__(self, window: MainWindow, then: Callable[[], None]) -> None:
        super().__init__(window)
        self._then: Callable[[], None] | None = then
        self._loaded = False
        self._viewport = window.queue.table.viewport()
        window.queue.loaded.connect(self._on_queue_loaded)
        self._viewport.installEventFilter(self)
        QTimer.singleShot(self.FALLBACK_MS, self._fire)

    def _on_queue_loaded(self, _count: int) -> None:
        self._loaded = True
        self._viewport.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._loaded and event.type() == QEvent.Type.Paint:
            self._viewport.removeEventFilter(self)
            QTimer.singleShot(0, self._fire)  # once this paint has finished
        return False

    def _fire(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            then()


class _DatabaseCheck(QObject):
    """``PRAGMA quick_check`` on a thread of its own (it may take seconds on a big file, and
    must not hold up the screens' jobs); the outcome is told on the GUI thread."""

    _finished = Signal(object)  # list[str] (the problems, [] when healthy), None if stopped
    _failed = Signal(str)

    def __init__(self, database: Database, parent: QObject) -> None:
        super().__init__(parent)
        self._database = database
        self._thread = threading.Thread(target=self._run, name="database-check", daemon=True)
        # Emitted on the check's thread, received here on the GUI thread (queued).
        self._finished.connect(self._on_check_finished)
        self._failed.connect(self._on_check_failed)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._database.stop_check()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        try:
            problems = self._database.quick_check()
        except StoreError as exc:
            self._failed.emit(exc.message)
        else:
            self._finished.emit(problems)

    @Slot(object)
    def _on_check_finished(self, problems: list[str] | None) -> None:
        if problems:
            said = "; ".join(" ".join(p.split()) for p in problems[:3])  # one line each
            show_damage(_main_window(), DatabaseCorrupt(self._database.path, said))

    @Slot(str)
    def _on_check_failed(self, text: str) -> None:
        window = _main_window()
        if window is not None:
            window.statusBar().showMessage(f"The database check stopped: {text}", 30_000)


def _main_window() -> MainWindow | None:
    """The console's window now (a theme switch replaces it)."""
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    return next((w for w in shown if w.isVisible()), shown[0] if shown else None)


def check_database_later(app: QApplication, database: Database) -> _DatabaseCheck | None:
    """After a start that did not follow a clean close, or once a week: the whole file is
    checked off the GUI thread, and damage is told in words with the way to a backup."""
    if not database.check_due:
        return None
    check = _DatabaseCheck(database, app)
    check.start()
    return check


DAMAGE_ADVICE = (
    "Stop working in this file: what you save now may be lost. Restore the last good backup "
    "from Settings → Backups… (the console closes after a restore), or ask whoever looks "
    "after your backups."
)


def show_damage(window: MainWindow | None, error: DatabaseCorrupt) -> None:
    """The check found damage: said in words (plain text), with a button to the backups."""
    text = f"The check of the database {error.path} found damage ({error.detail}). {DAMAGE_ADVICE}"
    _tell(text)
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, text, parent=window)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if window is not None:
        window.statusBar().showMessage("The database is damaged: see Settings → Backups…")
        actions = window.settings_menu.actions()
        backups = next((a for a in actions if a.text() == "Backups…"), None)
        if backups is not None:
            button = box.addButton("Open Backups…", QMessageBox.ButtonRole.AcceptRole)
            button.clicked.connect(backups.trigger)
    box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def run(
    db_path: Path,
    demo: bool,
    rebuild_demo: bool,
    board: bool,
    theme: str | None,
    board_windows: Sequence[str] = (),
    board_priorities: Sequence[str] = (),
) -> int:

    # Workers run Python too: hand the GIL back to the GUI thread sooner than every 5 ms,
    # so a paint that calls into Python waits less behind a loading job.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_ID)
    settings = Settings()
    apply_theme(app, theme or settings.theme)
    if theme:
        settings.theme = theme
    store: SqliteStore | None = None
    try:
        if demo:
            with translate_errors(db_path, os_errors=True):
                prepare_demo(db_path, rebuild_demo)
        # Header and schema only: the whole file is checked once the queue is up, when due.
        store = SqliteStore(open_database(db_path, quick_check=False))
        store.database.mark_in_use()
        clock = SystemClock()
        station = workstation(store)
        seed_defaults(store, clock, station.hlc)
        reproject_if_stale(store, clock, station.id, station.hlc, notice=_tell)
        # The wallboard only reads: it runs unattended, so nobody is asked to sign in.
        agent = BOARD_VIEWER if board else sign_in(store, station.hlc)
    except StoreError as exc:
        if store is not None:  # close, and take away the -wal/-shm (or new file) we made
            store.database.abandon()
        _tell(exc.message)
        show_start_error(exc.message)
        return exc.exit_code
    if agent is None:
        store.database.mark_closed_cleanly()
        store.close()
        return 0
    local = datetime.now().astimezone().tzinfo
    zone_name = getattr(local, "key", None) or _local_zone_name()
    context = ConsoleContext.build(
        store, clock, agent, station.id, station.hlc, ZoneInfo(zone_name), str(db_path)
    )
    collector = GuiThreadCollector(app)
    collector.start()
    dispatcher = Dispatcher()
    background: Background | None = None
    check: list[_DatabaseCheck] = []
    if board:
        from console.services.board import BoardFilterError  # noqa: PLC0415

        try:
            board_filter = board_filter_for(context, board_windows, board_priorities)
        except BoardFilterError as exc:  # a usage error: refused before any window opens
            _tell(f"support-console: {exc}")
            store.database.mark_closed_cleanly()
            store.close()
            return 2
        except StoreError as exc:
            _tell(exc.message)
            store.close()
            return exc.exit_code
        background = Background(context, station.hlc, db_path)
        open_wallboard(context, dispatcher, app, board_filter, background.sync_worker)
        background.start_sync()
    else:
        window = MainWindow(context, dispatcher, settings)

        def the_rest() -> None:
            nonlocal background
            background = Background(context, station.hlc, db_path)
            wire_window(
                window,
                context,
                dispatcher,
                settings,
                background.sync_service,
                background.sync_worker,
                background.mail_worker,
            )
            background.start_sync()
            assert store is not None
            started = check_database_later(app, store.database)
            check.extend([started] if started is not None else [])

        _WhenQueueShown(window, the_rest)
        if os.environ.get(EXIT_AFTER_PAINT):  # installed last, so it sees each paint first
            exit_after_first_queue_paint(app, window)
        window.show()
    code = app.exec()
    for running in check:
        running.stop()
    if background is not None:
        background.stop()
    dispatcher.wait_for_done()
    remember_clock(store, station.hlc)
    store.database.mark_closed_cleanly()
    store.close()
    return code


def open_wallboard(
    context: ConsoleContext,
    dispatcher: Dispatcher,
    app: QApplication,
    board_filter: BoardFilter,
    sync_worker: SyncWorker,
) -> None:
    from console.qt.ticker import SlaTicker  # noqa: PLC0415
    from console.ui.board.view import Wallboard  # noqa: PLC0415
    from console.ui.forms import show_full_screen  # noqa: PLC0415

    board_window = Wallboard(
        context, dispatcher, SlaTicker(context.clock, app), board_filter=board_filter
    )
    board_window.setWindowTitle(f"{APP_NAME} — wallboard")
    sync_worker.changes_pulled.connect(lambda _ids: board_window.reload())
    show_full_screen(board_window)


class _FirstQueuePaint(QObject):
    """Prints the monotonic time once the queue has painted rows, then closes the window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._seen = False
        window.queue.table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        paint = event.type() == QEvent.Type.Paint
        if paint and not self._seen and self._window.queue.model.rowCount() > 0:
            self._seen = True
            QTimer.singleShot(0, self._painted)  # runs once this paint has finished
        return False

    def _painted(self) -> None:
        print(f"PAINTED {time.monotonic():.6f}", flush=True)
        self._window.close()


def exit_after_first_queue_paint(app: QApplication, window: MainWindow) -> None:
    """For the start-up benchmark (``SUPPORT_CONSOLE_EXIT_AFTER_PAINT=1``, not a user flag):
    the console quits, as closed by its user, right after its first paint of queue rows."""
    _FirstQueuePaint(window)


def board_filter_for(
    context: ConsoleContext, windows: Sequence[str], priorities: Sequence[str]
) -> BoardFilter:
    """``--window`` and ``--priority`` checked against the database (BoardFilterError)."""
    from console.services.board import BoardFilter, resolve_board_filter  # noqa: PLC0415

    if not windows and not priorities:
        return BoardFilter()
    known = [(w.id, w.name) for w in context.customers.windows()]
    return resolve_board_filter(known, context.open_incidents.priorities(), windows, priorities)


def _tell(text: str) -> None:
    print(text, file=sys.stderr)


def show_start_error(message: str) -> None:
    """Why the console cannot start, in a dialog (as plain text: it names a path)."""
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, message)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def report(args: argparse.Namespace) -> int:
    """``report attainment|incidents``: parse, open, print; the figures come from the service."""
    from console.services.reports import (  # noqa: PLC0415
        ReportService,
        write_attainment,
        write_incidents,
    )

    try:
        flt = period(args.start, args.end)
    except ValueError as exc:
        args.report_parser.error(str(exc))  # exits 2
    path: Path = getattr(args, "db", None) or default_db_path(demo=args.demo)
    try:
        if not database_exists(path):
            _tell(f"There is no database at {path}: nothing to report (see --db).")
            return 1
        store = SqliteStore(open_database(path))
    except StoreError as exc:
        _tell(exc.message)
        return 1
    try:
        clock = SystemClock()
        station = workstation(store)
        reproject_if_stale(store, clock, station.id, station.hlc, notice=_tell)
        reports, fmt = ReportService(store, clock), Format(args.format)
        if args.report == "attainment":
            write_attainment(reports.attainment(flt), sys.stdout, fmt)
        else:
            write_incidents(reports.incidents(flt), sys.stdout, fmt)
        sys.stdout.flush()
    except StoreError as exc:
        store.database.abandon()
        _tell(exc.message)
        return 1
    except BrokenPipeError:  # the reader stopped early (``| head``): not a failure
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        store.close()
    return 0


def _local_zone_name() -> str:
    """The IANA name of the local zone (TZ, /etc/timezone or /etc/localtime), else UTC."""

    if os.environ.get("TZ"):
        return os.environ["TZ"].lstrip(":")
    timezone_file = Path("/etc/timezone")
    if timezone_file.exists():
        return timezone_file.read_text().strip() or "UTC"
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    return "UTC"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["sync"]:
        from db.sync.cli import sync_command  # noqa: PLC0415

        return sync_command(arguments[1:])
    if arguments[:1] == ["mail"]:
        from mail.cli import mail_command  # noqa: PLC0415

        return mail_command(arguments[1:], default_db_path)
    if arguments[:1] and arguments[0] in SAFEKEEPING:
        from safekeeping.cli import safekeeping_command  # noqa: PLC0415

        return safekeeping_command(arguments, default_db_path)
    args = build_parser().parse_args(arguments)
    if args.command == "report":
        return report(args)
    if (args.board_windows or args.board_priorities) and not args.board:
        build_parser().error("--window and --priority filter the wallboard: add --board")
    db_path = args.db or default_db_path(demo=args.demo)
    return run(
        db_path=db_path,
        demo=args.demo,
        rebuild_demo=args.rebuild_demo,
        board=args.board,
        theme=args.theme,
        board_windows=args.board_windows,
        board_priorities=args.board_priorities,
    )


if __name__ == "__main__":
    sys.exit(main())
