"""Support Console: the composition root. Parses arguments, opens the store, starts Qt."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import platformdirs
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.qt.gc import GuiThreadCollector
from console.qt.settings import Settings
from console.qt.sync_worker import SyncWorker
from console.qt.worker import Dispatcher
from console.services.agents import AgentService
from console.services.context import ConsoleContext, SystemClock
from console.services.demo import build_demo
from console.services.seed import seed_defaults
from console.services.sync import SyncService, projection_rebuilder
from console.services.validation import ValidationError
from console.services.workstation import (
    remember_agent,
    remember_clock,
    signed_in_agent,
    workstation,
)
from console.ui.board.view import Wallboard
from console.ui.shell.main_window import MainWindow
from console.ui.shell.sign_in import SignInDialog
from console.ui.sync import SyncSettingsDialog, SyncStatusWidget
from console.ui.theme import apply_theme
from db.engine import open_database
from db.errors import StoreError
from db.store import SqliteStore
from db.sync.backend import SqlSyncBackend
from db.sync.cli import init_server_command

APP_NAME = "Support Console"
APP_ID = "support-console"
# Who the read-only wallboard acts as; it records nothing, so it is never stored.
BOARD_VIEWER = Agent(id="", name="Wallboard", role=Role.AGENT)


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
        "--theme", choices=("light", "dark"), help="colour theme (default: the last one used)"
    )
    return parser


def prepare_demo(path: Path, rebuild: bool) -> None:
    """Build the demo database through the services, into a temporary file moved in at the end."""

    if path.exists() and not rebuild:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
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
    """The signed-in agent for this database, asking on first run; None if the user cancels."""

    agent = signed_in_agent(store)
    if agent is not None:
        return agent
    agents = AgentService(store, hlc)
    dialog = SignInDialog(agents.agents())
    while dialog.exec():
        chosen = dialog.chosen_agent_id()
        try:
            if chosen:
                agent = agents.agent(chosen)
            else:
                name, role = dialog.new_agent()
                agent = agents.register(name, role)
        except ValidationError as exc:
            dialog.show_error("\n".join(exc.errors.values()))
            continue
        remember_agent(store, agent)
        return agent
    return None


def wire_sync(
    window: MainWindow,
    context: ConsoleContext,
    dispatcher: Dispatcher,
    service: SyncService,
    worker: SyncWorker,
) -> None:
    """Sync's status in the status bar, its settings in the menu, pulled changes into view."""
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


def open_main_window(
    context: ConsoleContext,
    dispatcher: Dispatcher,
    settings: Settings,
    sync_service: SyncService,
    sync_worker: SyncWorker,
    previous: MainWindow | None = None,
) -> MainWindow:
    """Show the console; a theme switch builds it anew so every icon takes the new colours."""
    window = MainWindow(context, dispatcher, settings)
    if previous is not None:
        for signal in (sync_worker.status_changed, sync_worker.changes_pulled):
            signal.disconnect()
        sync_worker.records_pulled.disconnect()
    wire_sync(window, context, dispatcher, sync_service, sync_worker)
    window.theme_changed.connect(
        lambda _name: open_main_window(
            context, dispatcher, settings, sync_service, sync_worker, previous=window
        )
    )
    window.show()
    if previous is not None:
        previous.close()
        previous.deleteLater()
    return window


def run(db_path: Path, demo: bool, rebuild_demo: bool, board: bool, theme: str | None) -> int:

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_ID)
    settings = Settings()
    apply_theme(app, theme or settings.theme)
    if theme:
        settings.theme = theme
    try:
        if demo:
            prepare_demo(db_path, rebuild_demo)
        store = SqliteStore(open_database(db_path))
        clock = SystemClock()
        station = workstation(store)
        seed_defaults(store, clock, station.hlc)
        # The wallboard only reads: it runs unattended, so nobody is asked to sign in.
        agent = BOARD_VIEWER if board else sign_in(store, station.hlc)
    except StoreError as exc:
        print(exc.message, file=sys.stderr)
        QMessageBox.critical(None, APP_NAME, exc.message)
        return exc.exit_code
    if agent is None:
        return 0
    local = datetime.now().astimezone().tzinfo
    zone_name = getattr(local, "key", None) or _local_zone_name()
    context = ConsoleContext.build(
        store, clock, agent, station.id, station.hlc, ZoneInfo(zone_name), str(db_path)
    )
    collector = GuiThreadCollector(app)
    collector.start()
    dispatcher = Dispatcher()
    sync_service = SyncService(
        SqlSyncBackend(
            store.database,
            workstation_id=station.id,
            hlc=station.hlc,
            author=agent.name,
            rebuild=projection_rebuilder(clock, station.id, station.hlc),
        )
    )
    sync_worker = SyncWorker(sync_service)
    if board:
        board_window = Wallboard(context, dispatcher)
        board_window.setWindowTitle(f"{APP_NAME} — wallboard")
        sync_worker.changes_pulled.connect(lambda _ids: board_window.reload())
        board_window.showFullScreen()
    else:
        open_main_window(context, dispatcher, settings, sync_service, sync_worker)
    if sync_service.settings() is not None:
        sync_worker.start()
    code = app.exec()
    sync_worker.stop()
    dispatcher.wait_for_done()
    remember_clock(store, station.hlc)
    store.close()
    return code


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
    if arguments[:2] == ["sync", "init-server"]:
        return init_server_command(arguments[2:])
    args = build_parser().parse_args(arguments)
    db_path = args.db or default_db_path(demo=args.demo)
    return run(
        db_path=db_path,
        demo=args.demo,
        rebuild_demo=args.rebuild_demo,
        board=args.board,
        theme=args.theme,
    )


if __name__ == "__main__":
    sys.exit(main())
