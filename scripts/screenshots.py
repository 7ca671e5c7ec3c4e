"""Write a PNG of every screen of the demo database to a folder (default: screenshots/).

Runs offscreen (or under Xvfb); builds a fresh demo database in a temporary folder so the
pictures always show the same kinds of incidents relative to now.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QApplication, QWidget

from console.domain.records import Role
from console.qt.settings import Settings
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext, SystemClock
from console.services.demo import build_demo
from console.services.workstation import workstation
from console.ui.board.view import Wallboard
from console.ui.customers.window_dialog import WindowEditorDialog
from console.ui.incident.new_form import NewIncidentDialog
from console.ui.policy.editor import PolicyEditorDialog
from console.ui.shell.main_window import MainWindow
from console.ui.shell.sign_in import SignInDialog
from console.ui.theme import apply_theme
from db.engine import open_database
from db.store import SqliteStore


def settle(app: QApplication, dispatcher: Dispatcher) -> None:
    """Let queued work finish and its results reach the widgets."""
    for _ in range(5):
        dispatcher.wait_for_done()
        app.processEvents()


def save(widget: QWidget, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    widget.grab().save(str(path))
    print(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", default="screenshots", type=Path)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="screens-") as tmp:
        store = SqliteStore(open_database(Path(tmp) / "demo.sqlite3"))
        build_demo(store)
        station = workstation(store)
        with store.read() as tx:
            agents = tx.agents.list()
        lead = next(a for a in agents if a.role is Role.LEAD)
        context = ConsoleContext.build(
            store,
            SystemClock(),
            lead,
            station.id,
            station.hlc,
            ZoneInfo("Europe/London"),
            str(Path(tmp) / "demo.sqlite3"),
        )
        settings = Settings(Path(tmp) / "settings.ini")
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            dispatcher = Dispatcher()
            window = MainWindow(context, dispatcher, settings)
            window.resize(1366, 768)
            window.show()
            settle(app, dispatcher)
            save(window, args.folder, f"queue-{theme}")
            window.queue.select_row(0)
            window.open_incident(window.queue.selected_incident_id() or "")
            settle(app, dispatcher)
            save(window, args.folder, f"queue-detail-{theme}")
            window.detail_pane.hide()
            for row, key in enumerate(("customers", "escalations", "history"), start=1):
                window.nav.setCurrentRow(row)
                settle(app, dispatcher)
                save(window, args.folder, f"{key}-{theme}")
            policy = PolicyEditorDialog(context, dispatcher, window)
            policy.resize(1100, 700)
            policy.show()
            settle(app, dispatcher)
            save(policy, args.folder, f"policy-editor-{theme}")
            policy.close()
            editor = WindowEditorDialog(context, dispatcher, parent=window)
            editor.show()
            settle(app, dispatcher)
            save(editor, args.folder, f"window-editor-{theme}")
            editor.close()
            for width, height in ((1366, 768), (3840, 2160)):
                board = Wallboard(context, dispatcher, window.ticker)
                board.resize(width, height)
                board.show()
                settle(app, dispatcher)
                save(board, args.folder, f"wallboard-{width}x{height}-{theme}")
                board.close()
            window.nav.setCurrentRow(0)
            dialog = NewIncidentDialog(context, dispatcher, window)
            dialog.show()
            settle(app, dispatcher)
            save(dialog, args.folder, f"new-incident-{theme}")
            dialog.close()
            window.close()
        sign_in = SignInDialog(agents)
        sign_in.show()
        app.processEvents()
        save(sign_in, args.folder, "sign-in")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
