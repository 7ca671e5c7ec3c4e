"""The main window assembles the screens and wires them; every decision lives elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

import qtawesome as qta
from PySide6.QtCore import QMetaMethod, QProcess, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.views import SavedView
from console.qt.notifier import NotificationBanner, Notifier
from console.qt.outside_changes import OutsideChanges
from console.qt.settings import Settings
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.ui.customers.view import CustomersView
from console.ui.escalations.view import EscalationsView
from console.ui.forms import error_text, show_full_screen
from console.ui.history.view import HistoryView
from console.ui.incident.detail import IncidentDetailView
from console.ui.incident.quick_assign import TAKE_KEYS
from console.ui.queue.view import QueueView
from console.ui.queue.views import view_label
from console.ui.shell.handover import WindowState, capture, restore
from console.ui.shell.notifications import NotificationsMenu, install_notifications
from console.ui.shell.palette import install_palette
from console.ui.shell.shortcuts import keyboard_shortcuts_dialog
from console.ui.shell.statusbar import ConsoleStatusBar
from console.ui.theme import apply_theme

# What only a menu action opens is imported when it is first opened, not at start-up.
if TYPE_CHECKING:
    from console.ui.agents import AgentsDialog
    from console.ui.board.view import Wallboard

FIRST_SIZE = QSize(1366, 768)  # the console's size on first start, where it fits
FRAME_ALLOWANCE = QSize(16, 64)  # a window manager's frame and title bar, and a panel

PAGES = (
    ("queue", "Queue", "mdi6.format-list-checks"),
    ("customers", "Customers", "mdi6.domain"),
    ("escalations", "Escalations", "mdi6.stairs-up"),
    ("history", "History", "mdi6.history"),
)


class MainWindow(QMainWindow):
    # The composition root rebuilds the window in the new theme; the new window takes over
    # the old one's state (page, open incident, queue search, filters, sort): see handover.
    theme_changed = Signal(str)
    _handover: ClassVar[WindowState | None] = None  # set only while theme_changed is emitted
    # Sign out / Switch agent: the remembered agent is forgotten; the composition root asks
    # who is here and opens the console for them (without a receiver the console restarts).
    agent_switch_requested = Signal()

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
        settings: Settings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._dispatcher = dispatcher
        self._settings = settings
        self.setWindowTitle("Support Console")
        self.setMinimumSize(QSize(1100, 640))

        self.ticker = SlaTicker(context.clock, self)  # the one scheduler of live time
        self.wallboard: Wallboard | None = None  # View → Wallboard, held while it is open
        self.agents_dialog: AgentsDialog | None = None  # Settings → Agents, once opened
        self.queue = QueueView(context, dispatcher, self.ticker, settings=settings)
        self.detail = IncidentDetailView(context, dispatcher, self.ticker)
        self.banner = NotificationBanner()
        self.notifier = Notifier(context.actor.id, self.banner, self, settings=settings)
        # What other programs (the mail reader, a second console) write to this database.
        self.outside_changes = OutsideChanges(context.incidents, dispatcher, self)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setFixedWidth(150)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        for key, label, icon in PAGES:
            item = QListWidgetItem(qta.icon(icon), label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(150, 44))
            self.nav.addItem(item)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._queue_page())
        self.customers = CustomersView(context, dispatcher)
        self.pages.addWidget(self.customers)
        self.escalations = EscalationsView(context, dispatcher, self.ticker)
        self.history = HistoryView(context, dispatcher)
        self.pages.addWidget(self.escalations)
        self.pages.addWidget(self.history)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.nav)
        body.addWidget(self.pages, 1)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)
        self.setCentralWidget(central)
        self.setStatusBar(ConsoleStatusBar(context.actor, context.agent_zone.key, context.db_path))

        self._create_actions()
        self._connect_signals()
        self._restore_layout()
        if MainWindow._handover is not None:  # built to replace a window (theme switch)
            restore(self, MainWindow._handover)

    def _queue_page(self) -> QWidget:
        """The queue fills the page; an opened incident's detail slides in beside it."""
        self.detail_pane = QWidget()
        pane = QVBoxLayout(self.detail_pane)
        pane.setContentsMargins(0, 0, 0, 0)
        pane.setSpacing(0)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 0)
        bar.addStretch(1)
        self.close_detail_button = QToolButton()
        self.close_detail_button.setIcon(qta.icon("mdi6.close"))
        self.close_detail_button.setText("Close")
        self.close_detail_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.close_detail_button.setToolTip("Close the incident detail (Esc)")
        self.close_detail_button.setShortcut(QKeySequence("Esc"))
        self.close_detail_button.setAutoRaise(True)
        bar.addWidget(self.close_detail_button)
        pane.addLayout(bar)
        pane.addWidget(self.detail, 1)
        self.detail_pane.hide()
        self.work_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.work_splitter.addWidget(self.queue)
        self.work_splitter.addWidget(self.detail_pane)
        self.work_splitter.setStretchFactor(0, 1)
        self.work_splitter.setStretchFactor(1, 1)
        self.work_splitter.setChildrenCollapsible(False)
        return self.work_splitter

    def open_incident(self, incident_id: str) -> None:
        """Show an incident's detail beside the queue; the queue highlights it, or nothing
        when it is not in the queue (resolved, filtered out), never another incident."""
        if not incident_id:
            return
        self.nav.setCurrentRow(0)
        if self.detail_pane.isHidden():
            self.detail_pane.show()
            total = self.work_splitter.width()
            self.work_splitter.setSizes([total - total * 9 // 20, total * 9 // 20])
        if self.queue.selected_incident_id() != incident_id and not self.queue.select_incident(
            incident_id
        ):
            self.queue.table.selectionModel().clear()
        self.detail.show_incident(incident_id)

    def selected_incident_id(self) -> str:
        """The incident the agent is looking at on the current screen ("" for none):
        History's selection on History, else the open detail's, else the queue's."""
        if self.pages.currentWidget() is self.history:
            return self.history.detail.incident_id()
        if self.pages.currentWidget() is self.work_splitter and self.detail_pane.isVisible():
            return self.detail.incident_id()
        return self.queue.selected_incident_id() or ""

    def _create_actions(self) -> None:
        def action(text: str, icon: str, shortcut: str | QKeySequence.StandardKey) -> QAction:
            act = QAction(qta.icon(icon), text, self)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(act)
            return act

        self.new_action = action("New incident…", "mdi6.plus-circle", "Ctrl+N")
        self.search_action = action("Search the queue", "mdi6.magnify", "Ctrl+F")
        self.open_action = action("Open selected incident", "mdi6.open-in-app", "Ctrl+O")
        self.take_action = action("Take it (assign to me)", "mdi6.account-arrow-left", TAKE_KEYS)
        self.take_action.setToolTip(f"Assign the selected incident to me ({TAKE_KEYS})")
        self.unassign_action = action("Unassign", "mdi6.account-remove", "Ctrl+Shift+U")
        self.reopen_action = action("Reopen…", "mdi6.restore", "Ctrl+Shift+O")
        self.respond_action = action("Respond…", "mdi6.reply", "Ctrl+R")
        self.update_action = action("Post status update…", "mdi6.bullhorn", "Ctrl+U")
        self.escalate_action = action("Escalate…", "mdi6.stairs-up", "Ctrl+E")
        self.board_action = action("Wallboard", "mdi6.monitor-dashboard", "Ctrl+Shift+B")
        self.theme_action = action("Dark theme", "mdi6.theme-light-dark", "Ctrl+Shift+T")
        self.theme_action.setCheckable(True)
        self.theme_action.setChecked(self._settings.theme == "dark")
        self.quit_action = action("Quit", "mdi6.exit-to-app", QKeySequence.StandardKey.Quit)
        self.policy_action = action("Support policy…", "mdi6.file-document-edit", "Ctrl+Shift+P")
        self.agents_action = action("Agents…", "mdi6.account-key", "Ctrl+Shift+A")
        self.switch_agent_action = action(
            "Sign out / Switch agent…", "mdi6.account-switch", "Ctrl+Shift+L"
        )

        menu = self.menuBar()
        incident_menu = menu.addMenu("&Incident")
        for act in (self.new_action, self.open_action, self.respond_action):
            incident_menu.addAction(act)
        incident_menu.addAction(self.update_action)
        incident_menu.addAction(self.escalate_action)
        incident_menu.addSeparator()
        for act in (self.take_action, self.unassign_action, self.reopen_action):
            incident_menu.addAction(act)
        incident_menu.addSeparator()
        incident_menu.addAction(self.switch_agent_action)
        incident_menu.addAction(self.quit_action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.search_action)
        view_menu.addAction(self.board_action)
        view_menu.addAction(self.theme_action)
        # Each saved view by name (so the command palette finds them too), refilled whenever
        # the queue reads them again.
        self.saved_views_menu = view_menu.addMenu(
            qta.icon("mdi6.bookmark-multiple-outline"), "Saved views"
        )
        self._fill_saved_views_menu()
        self.settings_menu = menu.addMenu("&Settings")
        self.settings_menu.addAction(self.policy_action)
        self.settings_menu.addAction(self.agents_action)
        self.notifications: NotificationsMenu = install_notifications(
            self,
            self._settings,
            self.notifier,
            settings_menu=self.settings_menu,
            view_menu=view_menu,
        )
        self.command_palette = install_palette(self)  # Ctrl+K: every action of the window, by name
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.command_palette.open_action)
        self.shortcuts_action = help_menu.addAction("Keyboard shortcuts…")

    def _connect_signals(self) -> None:
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.new_action.triggered.connect(self._on_new_action_triggered)
        self.search_action.triggered.connect(self._on_search_action_triggered)
        self.open_action.triggered.connect(self._on_open_action_triggered)
        self.respond_action.triggered.connect(self.detail.respond)
        self.update_action.triggered.connect(self.detail.post_update)
        self.escalate_action.triggered.connect(self.detail.escalate)
        self.theme_action.toggled.connect(self._on_theme_action_toggled)
        self.quit_action.triggered.connect(self.close)
        self.policy_action.triggered.connect(self.customers.open_policy_editor)
        self.agents_action.triggered.connect(self._on_agents_action_triggered)
        self.switch_agent_action.triggered.connect(self._on_switch_agent_action_triggered)
        self.board_action.triggered.connect(self._on_board_action_triggered)
        self.escalations.incident_activated.connect(self.open_incident)
        self.escalations.incident_changed.connect(self.queue.refresh_incident)
        self.customers.customer_changed.connect(self._on_customers_customer_changed)
        self.queue.incident_activated.connect(self.open_incident)
        self.customers.incident_activated.connect(self.open_incident)
        self.queue.bulk_changed.connect(self._on_queue_bulk_changed)
        self.outside_changes.incidents_changed.connect(self.refresh_incidents)
        self.queue.bulk_finished.connect(self._on_notice)
        self.queue.view_notice.connect(self._on_notice)
        self.queue.views_loaded.connect(self._fill_saved_views_menu)
        self.close_detail_button.clicked.connect(self.detail_pane.hide)
        self.queue.current_incident_changed.connect(self._on_queue_current_incident_changed)
        self.banner.open_requested.connect(self._on_banner_open_requested)
        self.notifications.open_requested.connect(self._on_banner_open_requested)
        self.queue.new_incident_requested.connect(self._on_new_action_triggered)
        self.queue.incident_state_changed.connect(self.notifier.on_state_changed)
        self.detail.incident_changed.connect(self.queue.refresh_incident)
        self.queue.incident_refreshed.connect(self._on_queue_incident_refreshed)
        self.detail.incident_changed.connect(self.history.detail.reload)
        self.history.detail.incident_changed.connect(self.queue.refresh_incident)
        self.history.detail.incident_changed.connect(self._on_history_incident_changed)
        self.history.detail.incident_changed.connect(self.history.refresh_incident)
        self.detail.incident_changed.connect(self.history.refresh_incident)
        self.detail.notice.connect(self._on_notice)
        self.history.detail.notice.connect(self._on_notice)
        self.take_action.triggered.connect(self._on_take_action_triggered)
        self.shortcuts_action.triggered.connect(self._on_shortcuts_action_triggered)
        self.unassign_action.triggered.connect(self._on_unassign_action_triggered)
        self.reopen_action.triggered.connect(self._on_reopen_action_triggered)
        self._dispatcher.job_failed.connect(self._on_dispatcher_job_failed)

    def add_settings_action(self, text: str, icon: str, slot: Callable[[], None]) -> QAction:
        """For features assembled outside the window (sync): one more Settings entry."""
        act = QAction(qta.icon(icon), text, self)
        act.triggered.connect(slot)
        self.settings_menu.addAction(act)
        return act

    def add_page(self, key: str, label: str, icon: str, page: QWidget) -> QListWidgetItem:
        """For features assembled outside the window (mail): one more page in the navigation;
        the caller keeps the item to update its label (a count)."""
        item = QListWidgetItem(qta.icon(icon), label)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setSizeHint(QSize(150, 44))
        self.nav.addItem(item)
        self.pages.addWidget(page)
        return item

    def _first_size(self) -> None:
        """1366×768, or less where that would not fit with the window's frame (a 1366×768
        laptop), so the status bar is never below the screen's edge."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        size = FIRST_SIZE
        if screen is not None:
            room = screen.availableGeometry().size() - FRAME_ALLOWANCE
            size = size.boundedTo(room.expandedTo(self.minimumSize()))
        self.resize(size)

    def _restore_layout(self) -> None:
        geometry = self._settings.value("ui/geometry")
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self._first_size()
        state = self._settings.value("ui/state")
        if not state.isEmpty():
            self.restoreState(state)
        page = str(self._settings.value("ui/page"))
        keys = [key for key, _, _ in PAGES]
        self.nav.setCurrentRow(keys.index(page) if page in keys else 0)

    @Slot()
    def _on_new_action_triggered(self) -> None:
        # From a customer's screen the incident is that customer's, unless the agent says not.
        on_customers = self.pages.currentWidget() is self.customers
        chosen = (self.customers.selected_customer_id() or "") if on_customers else ""
        from console.ui.incident.new_form import NewIncidentDialog  # noqa: PLC0415

        dialog = NewIncidentDialog(self._context, self._dispatcher, self, customer_id=chosen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.incident_opened.connect(self._on_new_incident_opened)
        dialog.add_customer_requested.connect(self._on_new_incident_add_customer_requested)
        dialog.open()

    @Slot()
    def _on_new_incident_add_customer_requested(self) -> None:
        self.nav.setCurrentRow(self.pages.indexOf(self.customers))
        self.customers.start_new_customer()

    @Slot()
    def _on_shortcuts_action_triggered(self) -> None:
        dialog = keyboard_shortcuts_dialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot(object)
    def _on_new_incident_opened(self, summary: object) -> None:
        incident_id = getattr(summary, "id", "")
        self.queue.refresh_incident(incident_id)
        self.open_incident(incident_id)

    @Slot(str)
    def _on_queue_current_incident_changed(self, incident_id: str) -> None:
        """The detail follows the agent's selection, not a row that slid under the cursor
        because the incident shown left the queue (resolved, filtered out): that one stays
        on show and the queue highlights nothing. Which of the two happened is known once
        the queue has finished changing, so the decision waits for the event loop."""
        if not incident_id or not self.detail_pane.isVisible():
            return
        shown = self.detail.incident_id()
        was_listed = bool(shown) and self.queue.proxy.proxy_row(shown) is not None
        QTimer.singleShot(0, self, lambda: self._follow_queue_selection(shown, was_listed))

    def _follow_queue_selection(self, shown: str, was_listed: bool) -> None:
        if shown != self.detail.incident_id():
            return  # something else was opened meanwhile
        left = was_listed and self.queue.proxy.proxy_row(shown) is None
        if left:
            self.queue.table.selectionModel().clear()
            return
        selected = self.queue.selected_incident_id()
        if selected and selected != shown:
            self.detail.show_incident(selected)

    @Slot(str)
    def _on_notice(self, text: str) -> None:
        self.statusBar().showMessage(text, 15_000)

    @Slot(list)
    def refresh_incidents(self, incident_ids: list[str]) -> None:
        """Incidents changed elsewhere (another program, the mail reader): their queue rows
        and, when one is on show, the detail are read again."""
        for incident_id in incident_ids:
            self.queue.refresh_incident(incident_id)
        shown = self.detail.incident_id()
        if shown in incident_ids:
            self.detail.show_incident(shown)

    @Slot(str)
    def _on_queue_incident_refreshed(self, incident_id: str) -> None:
        """The incident on show came (back) into the queue, reopened say: highlight it."""
        if (
            incident_id == self.detail.incident_id()
            and self.detail_pane.isVisible()
            and self.queue.selected_incident_id() is None
        ):
            self.queue.select_incident(incident_id)

    @Slot()
    def _fill_saved_views_menu(self) -> None:
        menu = self.saved_views_menu
        menu.clear()
        for view in self.queue.saved_views:
            act = menu.addAction(f"View: {view_label(view)}".replace("&", "&&"))
            act.triggered.connect(partial(self._on_saved_view_chosen, view))
        if self.queue.saved_views:
            menu.addSeparator()
        menu.addAction("Save queue filters as a view…", self._on_save_view_chosen)
        manage = menu.addAction("Manage saved views…", self.queue.manage_views)
        manage.setEnabled(bool(self.queue.saved_views))

    def _on_saved_view_chosen(self, view: SavedView) -> None:
        self.nav.setCurrentRow(0)
        self.queue.apply_view(view)

    def _on_save_view_chosen(self) -> None:
        self.nav.setCurrentRow(0)
        self.queue.save_view()

    @Slot(str)
    def _on_queue_bulk_changed(self, incident_id: str) -> None:
        if incident_id == self.detail.incident_id():
            self.detail.show_incident(incident_id)
        self.history.detail.reload(incident_id)
        self.history.refresh_incident(incident_id)

    @Slot(str)
    def _on_history_incident_changed(self, incident_id: str) -> None:
        if incident_id == self.detail.incident_id():
            self.detail.show_incident(incident_id)

    @Slot()
    def _on_take_action_triggered(self) -> None:
        self.detail.take_incident(self.selected_incident_id())

    @Slot()
    def _on_unassign_action_triggered(self) -> None:
        self.detail.unassign_incident(self.selected_incident_id())

    @Slot()
    def _on_reopen_action_triggered(self) -> None:
        chosen = self.selected_incident_id()
        if not chosen:
            self._on_notice("Choose an incident to reopen first.")
        elif self.pages.currentWidget() is self.history:
            self.history.detail.reopen()
        elif chosen == self.detail.incident_id() and self.detail.details is not None:
            self.detail.reopen()
        else:  # a queue row whose detail is not open yet: open it, then ask for the reason
            self.open_incident(chosen)
            self.detail.incident_loaded.connect(
                self._reopen_once_loaded, Qt.ConnectionType.SingleShotConnection
            )

    @Slot(str)
    def _reopen_once_loaded(self, _incident_id: str) -> None:
        self.detail.reopen()

    @Slot()
    def _on_board_action_triggered(self) -> None:
        """Open the wallboard, or bring the open one forward. A parentless window lives only
        while Python holds it, so the main window keeps it until it is closed."""
        if self.wallboard is not None:
            show_full_screen(self.wallboard)
            self.wallboard.raise_()
            self.wallboard.activateWindow()
            return
        from console.ui.board.view import Wallboard  # noqa: PLC0415

        board = Wallboard(self._context, self._dispatcher, self.ticker)
        board.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        board.setWindowTitle("Support Console — wallboard")
        board.destroyed.connect(lambda: setattr(self, "wallboard", None))  # closed: let it go
        self.wallboard = board
        show_full_screen(board)

    @Slot(object)
    def _on_customers_customer_changed(self, _customer: object) -> None:
        self.queue.reload()

    @Slot(str)
    def _on_banner_open_requested(self, incident_id: str) -> None:
        self.queue.select_incident(incident_id)
        self.open_incident(incident_id)

    @Slot()
    def _on_search_action_triggered(self) -> None:
        self.nav.setCurrentRow(0)
        self.queue.focus_search()

    @Slot()
    def _on_open_action_triggered(self) -> None:
        """Ctrl+O opens the current screen's selection: History's on History."""
        if self.pages.currentWidget() is self.history:
            self.open_incident(self.history.detail.incident_id())
        else:
            self.open_incident(self.queue.selected_incident_id() or "")

    @Slot(bool)
    def _on_theme_action_toggled(self, dark: bool) -> None:
        name = "dark" if dark else "light"
        self._settings.theme = name
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        MainWindow._handover = capture(self)
        try:
            self.theme_changed.emit(name)  # the window built now takes this one's state
        finally:
            MainWindow._handover = None

    @Slot()
    def _on_agents_action_triggered(self) -> None:
        """Settings → Agents: everyone may look; only an admin changes anything."""
        if self.agents_dialog is None:
            from console.ui.agents import AgentsDialog  # noqa: PLC0415

            self.agents_dialog = AgentsDialog(self._context.agents, self._context.agent_zone, self)
        else:
            self.agents_dialog.reload()
        self.agents_dialog.open()

    @Slot()
    def _on_switch_agent_action_triggered(self) -> None:
        """Shift handover: forget who is here, then the sign-in dialog asks again."""
        self._context.agents.sign_out()
        signal = QMetaMethod.fromSignal(self.agent_switch_requested)
        if self.isSignalConnected(signal):
            self.agent_switch_requested.emit()
            return
        # No one rebuilds the console in this process: start it anew, then close this one.
        arguments = [a for a in sys.orig_argv[1:] if a != "--rebuild-demo"]
        if QProcess.startDetached(sys.executable, arguments)[0]:
            self.close()

    @Slot(object)
    def _on_dispatcher_job_failed(self, error: object) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Support Console",
            error_text(error),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # an error may quote a name as typed
        box.exec()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.outside_changes.timer.isActive():
            self.outside_changes.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.outside_changes.stop()
        self._settings.set_value("ui/geometry", self.saveGeometry())
        self._settings.set_value("ui/state", self.saveState())
        current = self.nav.currentItem()  # pages added later (Inbox) have their key too
        key = current.data(Qt.ItemDataRole.UserRole) if current is not None else PAGES[0][0]
        self._settings.set_value("ui/page", key)
        self._settings.sync()
        super().closeEvent(event)
