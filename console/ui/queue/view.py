"""The queue screen (DESIGN §7): open incidents by next deadline, filters, live countdowns.

``reload()`` reads every open incident off the GUI thread through ``context.open_incidents``
and resets the model (the only reset); the clocks of rows beyond the first screenfuls follow
in background chunks. ``refresh_incident(id)`` re-reads one incident after an action and
applies the narrowest change. The shared :class:`SlaTicker` ticks while the view is shown:
each tick repaints the countdown cells of the rows on screen (mapped through the proxy to
source ranges) and due state transitions come out as ``incident_state_changed`` with typed
states (:class:`ClockState`, or ``PENDING``) and the notice to give.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

import qtawesome as qta
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QHideEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain import wording
from console.domain.clock_model import ClockState
from console.domain.records import Agent
from console.domain.views import SavedView, ViewFilter
from console.qt.settings import ColumnLayout, Settings
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.bulk import BulkKind, BulkRequest
from console.services.context import ConsoleContext
from console.ui.forms import error_text, if_alive, plain_label, plain_tip
from console.ui.queue.bulk import (
    AgentChoiceDialog,
    BulkBar,
    BulkRunner,
    BulkTextDialog,
    PriorityChoiceDialog,
    ResultStrip,
)
from console.ui.queue.delegate import QueueDelegate
from console.ui.queue.loading import (
    CHUNK_ROWS,
    EAGER_ROWS,
    QueueSnapshot,
    evaluate_rows,
    load_closed,
    load_queue,
    load_row,
)
from console.ui.queue.model import (
    HEADERS,
    ID_ROLE,
    PENDING,
    Column,
    QueueModel,
    QueueRow,
    contiguous,
    row_state,
)
from console.ui.queue.proxy import CLOSED_CHOICES, QueueProxy
from console.ui.queue.table import TITLE_MIN, QueueTable
from console.ui.queue.views import ManageViewsDialog, SaveViewDialog, view_label

__all__ = ["QueueView"]

_ALWAYS_SHOWN = frozenset({Column.NUMBER, Column.TITLE, Column.COUNTDOWN})
# The countdown is what the queue is for: it comes right after the priority, so it stays
# in view however narrow the queue is.
_DEFAULT_ORDER = (
    Column.NUMBER,
    Column.PRIORITY,
    Column.COUNTDOWN,
    Column.CUSTOMER,
    Column.TITLE,
    Column.STATUS,
    Column.WINDOW,
    Column.ESCALATION,
    Column.ASSIGNEE,
)
#: Files dropped on the queue that are imported as mail.
MAIL_FILE_SUFFIXES = (".eml",)

#: How much of an applied view's name the Views button shows (longer names are elided).
VIEW_NAME_SAMPLE = "Unassigned P1–P2 at r"

#: The clock filter's choices: a clock state's value, or several joined by ",".
CLOCK_CHOICES = (
    ("Any clock", ""),
    ("Breached", ClockState.BREACHED.value),
    ("At risk", ClockState.AT_RISK.value),
    ("Breached or at risk", f"{ClockState.BREACHED.value},{ClockState.AT_RISK.value}"),
)

# The widest content each column should show whole, measured in the table's font (bold where
# the delegate paints bold); the header text and its sort arrow must fit too.
# Longer text is elided (the whole of it is in the tooltip): at 1366×768 every column fits.
_SAMPLES = {
    Column.NUMBER: ("INC-S1D6W-0000000", False),  # a mail incident has eight letters
    Column.PRIORITY: ("P1", True),
    Column.CUSTOMER: ("Cascade Dental Gr", False),
    Column.STATUS: ("Waiting", False),
    Column.WINDOW: ("Australian", False),
    Column.ESCALATION: ("E1 eligible", False),
    Column.ASSIGNEE: ("Sofia Alvarez-R", False),
}
# The countdown's usual lines (main text, detail): a breach with business time, a breach
# under a day with its detail. Longer details shorten to the state in words (or go) rather
# than widen it.
_COUNTDOWN_SAMPLES = (
    ("6 d 21 h over (4 bd 5 h 00 m business)", "", True),
    ("21 m 00 s over", "breached · First response", True),
)
# Beside the detail pane the countdown narrows to this: a breach in days and its state.
_COUNTDOWN_COMPACT = ("6 d 21 h over", "breached")
_CELL_PADDING = 20
_HEADER_PADDING = 26  # margins and the sort indicator
_ICON_GAPS = 16 + 6 + 12


class _EmptyState(QWidget):
    """A centred message where the table would be: loading, empty, nothing matches, failed."""

    action_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icon_name = "mdi6.inbox-outline"
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = plain_label()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.body = plain_label()  # an error's words may quote a path or a peer
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setWordWrap(True)
        self.button = QPushButton()
        self.button.clicked.connect(self.action_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 24, 48, 24)
        layout.setSpacing(10)
        layout.addStretch(2)
        layout.addWidget(self.icon)
        layout.addWidget(self.title)
        layout.addWidget(self.body)
        layout.addSpacing(6)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def show_message(self, icon: str, title: str, body: str, action: str = "") -> None:
        self._icon_name = icon
        self._paint_icon()
        self.title.setText(title)
        self.body.setText(body)
        self.button.setText(action)
        self.button.setVisible(bool(action))

    def _paint_icon(self) -> None:
        colour = self.palette().color(self.palette().ColorRole.PlaceholderText)
        self.icon.setPixmap(
            qta.icon(self._icon_name, color=colour).pixmap(QSize(56, 56), self.devicePixelRatioF())
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_icon()
        super().changeEvent(event)


class QueueView(QWidget):
    """Open incidents with live SLA countdowns; the screen an agent works from all day."""

    incident_activated = Signal(str)  # double click or Enter on a row
    new_incident_requested = Signal()
    mail_files_dropped = Signal(list)  # paths of .eml files dropped on the queue: import them
    incident_state_changed = Signal(str, object, object, object)  # id, old, new, Notice
    current_incident_changed = Signal(str)  # the selection moved ("" when none)
    loaded = Signal(int)  # a reload landed with this many open incidents
    clocks_ready = Signal()  # every row's clocks are worked out
    incident_refreshed = Signal(str)  # refresh_incident() applied its change
    closed_loaded = Signal(int)  # resolved incidents read for the status filter: how many
    bulk_changed = Signal(str)  # a bulk action (or its undo) changed this incident
    bulk_finished = Signal(str)  # a bulk action (or its undo) is done: what happened
    views_loaded = Signal()  # the saved views were read again (``saved_views``)
    view_notice = Signal(str)  # something about saved views, for the status bar

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
        ticker: SlaTicker,
        parent: QWidget | None = None,
        *,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._closed_generation = 0
        self._closed_ids: set[str] = set()
        self._context = context
        self._dispatcher = dispatcher
        self._generation = 0
        self._loading = False
        self._loaded_once = False
        self._error = ""
        self._refresh_after_load: set[str] = set()
        self._restoring = True  # no saving while the view builds
        self.model = QueueModel(context.agent_zone, self)
        self.proxy = QueueProxy(self.model, context.actor.id, self)
        self.ticker = ticker
        ticker.attach(self.model)
        self.bulk = BulkRunner(dispatcher, context.incidents, self)
        self.bulk_dialog: QDialog | None = None  # the bulk action's dialog while it is open
        self._chosen = ""  # the incident last told by current_incident_changed
        self.saved_views: list[SavedView] = []
        self._view: SavedView | None = None  # the view last applied, while its filters hold
        self.views_dialog: QDialog | None = None  # Save view or Saved views, while open
        self._build()
        self.setAcceptDrops(True)  # .eml files dropped here are imported as mail
        self._connect_signals()
        if settings is not None:
            self.apply_column_layout(settings.queue_columns)
        self._restoring = False
        self._update_state()

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search number, title or customer")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(qta.icon("mdi6.magnify"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(220)
        self.search.setMaximumWidth(340)
        self.search.setAccessibleName("Search the queue")

        self.mine = self._toggle("Mine", "mdi6.account", "Incidents assigned to you")
        self.unassigned = self._toggle(
            "Unassigned", "mdi6.account-question-outline", "Incidents nobody is working yet"
        )
        self.priority_filter = self._combo("Priority filter", [("All priorities", "")])
        self.status_filter = self._combo(
            "Status filter", [("All open", ""), *QueueProxy.status_choices()]
        )
        self.window_filter = self._combo("Window filter", [("All windows", "")])
        self.clock_filter = self._combo("Clock filter", CLOCK_CHOICES)
        self.clock_filter.setToolTip("Only incidents whose clock is breached or at risk")
        self.views_button = QPushButton(qta.icon("mdi6.bookmark-multiple-outline"), "Views")
        self.views_button.setAccessibleName("Saved views")
        self.views_button.setToolTip("Saved filters: yours and the team's")
        self.views_menu = QMenu(self.views_button)
        self.views_menu.setToolTipsVisible(True)  # each view's filters, in words
        self.views_menu.aboutToShow.connect(self._fill_views_menu)
        self.views_button.setMenu(self.views_menu)
        # One width whatever view is applied, so naming one never reflows the toolbar.
        self.views_button.setText(f"Views: {VIEW_NAME_SAMPLE}")
        self.views_button.setFixedWidth(self.views_button.sizeHint().width())
        self.views_button.setText("Views")
        self.columns_button = QPushButton(qta.icon("mdi6.table-column"), "Columns")
        self.columns_button.setToolTip(
            "Choose the queue's columns (also a right click on the column titles)"
        )
        self.columns_button.setAccessibleName("Choose columns")
        self.columns_button.clicked.connect(self._on_columns_button_clicked)
        self.clear_filters = QPushButton(qta.icon("mdi6.filter-remove-outline"), "Clear")
        self.clear_filters.setToolTip("Show every open incident")
        self.count = plain_label()
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.new_incident = QPushButton(qta.icon("mdi6.plus"), "New incident")
        self.new_incident.setDefault(True)
        self.new_incident.setToolTip("Record a new incident (Ctrl+N)")

        # The filters sit beside the search when there is room, on a row of their own when
        # the queue shares the window with the detail pane (see resizeEvent).
        self.filters = QWidget()
        filters = QHBoxLayout(self.filters)
        filters.setContentsMargins(0, 0, 0, 0)
        filters.setSpacing(8)
        for widget in (
            self.mine,
            self.unassigned,
            self.priority_filter,
            self.status_filter,
            self.clock_filter,
            self.window_filter,
            self.clear_filters,
        ):
            filters.addWidget(widget)
        filters.addStretch(1)
        self._top_row = QHBoxLayout()
        self._top_row.setSpacing(8)
        self._top_row.addWidget(self.views_button)
        self._top_row.addWidget(self.search, 1)
        self._top_row.addWidget(self.filters)
        self._top_row.addStretch(0)
        self._top_row.addWidget(self.columns_button)
        self._top_row.addWidget(self.new_incident)
        self._filter_row = QHBoxLayout()
        self._filters_inline = True
        self.filters.setMinimumWidth(1)  # inline, it never holds the window wider

        self.table = QueueTable()
        self.table.setObjectName("queueTable")
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(QueueDelegate(self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.COUNTDOWN, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Ctrl/Shift-click and Ctrl+A select several: the bulk bar acts on them all.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setCornerButtonEnabled(False)
        self.table.setAccessibleName("Open incidents")
        metrics = self.table.fontMetrics()
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(max(32, metrics.height() + 16))
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumHeight(metrics.height() + 14)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(48)
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        # The countdown is what the queue is for: keep it in view when the queue is narrow
        # (beside the detail pane) by showing it right after the priority.
        for visual, column in enumerate(_DEFAULT_ORDER):
            header.moveSection(header.visualIndex(column), visual)
        self._size_columns()

        self.empty = _EmptyState()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty)

        # Below the table: showing them moves no row from under the pointer.
        self.bulk_bar = BulkBar()
        self.bulk_bar.hide()
        self.result_strip = ResultStrip()

        summary = QHBoxLayout()
        summary.addWidget(self.count)
        summary.addStretch(1)

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(self._top_row)
        layout.addLayout(self._filter_row)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.bulk_bar)
        layout.addWidget(self.result_strip)
        layout.addLayout(summary)

    def _toggle(self, text: str, icon: str, tip: str) -> QPushButton:
        button = QPushButton(qta.icon(icon), text)
        button.setCheckable(True)
        button.setToolTip(tip)
        return button

    def _combo(self, name: str, items: Sequence[tuple[str, str]]) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for text, value in items:
            combo.addItem(text, value)
        return combo

    def _size_columns(self) -> None:
        """Sections wide enough for their usual content; the title takes what is left."""
        font = self.table.font()
        bold = QFont(font)
        bold.setBold(True)
        plain_metrics, bold_metrics = QFontMetrics(font), QFontMetrics(bold)
        header = self.table.horizontalHeader()
        widths: dict[int, int] = {}
        for column, (sample, is_bold) in _SAMPLES.items():
            metrics = bold_metrics if is_bold else plain_metrics
            content = metrics.horizontalAdvance(sample) + _CELL_PADDING
            widths[column] = max(content, self._header_width(column))
        countdown = max(
            (bold_metrics if emphasised else plain_metrics).horizontalAdvance(main)
            + plain_metrics.horizontalAdvance(detail)
            for main, detail, emphasised in _COUNTDOWN_SAMPLES
        )
        countdown += _ICON_GAPS + _CELL_PADDING
        widths[Column.COUNTDOWN] = max(countdown, self._header_width(Column.COUNTDOWN))
        self.default_widths = dict(widths)
        main, detail = _COUNTDOWN_COMPACT
        compact = (
            bold_metrics.horizontalAdvance(main)
            + plain_metrics.horizontalAdvance(detail)
            + _ICON_GAPS
            + _CELL_PADDING
        )
        self.table.countdown_compact = compact
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Fixed)
        # Room for the columns that always stay (the countdown compact): the detail pane
        # beside the queue never squeezes them off screen.
        kept = sum(widths[c] for c in (Column.NUMBER, Column.PRIORITY, Column.ASSIGNEE))
        scroll = self.table.verticalScrollBar().sizeHint().width()
        frame = 2 * self.table.frameWidth()
        self.table.setMinimumWidth(kept + compact + TITLE_MIN + scroll + frame)
        self.table.set_widths(widths)

    def _header_width(self, column: Column) -> int:
        header = self.table.horizontalHeader()
        return header.fontMetrics().horizontalAdvance(HEADERS[column]) + _HEADER_PADDING

    def _connect_signals(self) -> None:
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_search_return_pressed)
        self.mine.toggled.connect(self._on_filter_changed)
        self.unassigned.toggled.connect(self._on_filter_changed)
        for combo in self.filter_combos():
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.clear_filters.clicked.connect(self._on_clear_filters_clicked)
        self.new_incident.clicked.connect(self.new_incident_requested)
        self.empty.action_clicked.connect(self._on_empty_action_clicked)
        self.table.doubleClicked.connect(self._on_table_activated)
        self.table.activated_by_key.connect(self._on_table_activated)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.table.horizontalHeader().customContextMenuRequested.connect(
            self._on_header_menu_requested
        )
        self.table.layout_changed_by_user.connect(self._save_columns)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._show_view_name)
        self.table.selectionModel().selectionChanged.connect(self._update_bulk_bar)
        self.table.selectionModel().selectionChanged.connect(self._on_current_row_changed)
        self.table.customContextMenuRequested.connect(self._on_table_menu_requested)
        bar = self.bulk_bar
        bar.take.clicked.connect(self.bulk_take)
        bar.assign.clicked.connect(self.bulk_assign)
        bar.unassign.clicked.connect(self.bulk_unassign)
        bar.priority.clicked.connect(self.bulk_priority)
        bar.wait.clicked.connect(self.bulk_wait)
        bar.note.clicked.connect(self.bulk_note)
        bar.clear.clicked.connect(self._on_clear_selection_clicked)
        self.result_strip.undo_clicked.connect(self.bulk_undo)
        self.bulk.progressed.connect(self._on_bulk_progressed)
        self.bulk.changed.connect(self._on_bulk_changed)
        self.bulk.finished.connect(self._on_bulk_finished)
        self.ticker.ticked.connect(self._on_ticker_ticked)
        self.ticker.incident_state_changed.connect(self._on_ticker_incident_state_changed)
        self.model.state_counts_changed.connect(self._update_count)
        for signal in (
            self.proxy.modelReset,
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._update_state)

    # -- public API -------------------------------------------------------------------------

    def reload(self) -> None:
        """Read every open incident again, off the GUI thread; the model resets when it lands.
        The saved views are read again too (a sync may have brought a teammate's)."""
        self.load_views()
        self._generation += 1
        generation = self._generation
        self._loading = True
        self._error = ""
        self._update_state()
        self._dispatcher.submit(
            partial(load_queue, self._context.open_incidents, EAGER_ROWS),
            if_alive(self, partial(self._on_snapshot_loaded, generation)),
            if_alive(self, partial(self._on_load_failed, generation)),
        )

    @Slot(str)
    def refresh_incident(self, incident_id: str) -> None:
        """Re-read one incident after an action: update, add or drop its row."""
        if not incident_id:
            return
        if self._loading:
            self._refresh_after_load.add(incident_id)
            return
        self._dispatcher.submit(
            partial(load_row, self._context.open_incidents, incident_id),
            if_alive(self, partial(self._on_row_loaded, self._generation, incident_id)),
        )

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def selected_incident_id(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row()):
            return None
        return str(index.data(ID_ROLE))

    def selected_incident_ids(self) -> list[str]:
        """Every selected incident, top to bottom as the queue shows them."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [str(self.proxy.index(r, Column.NUMBER).data(ID_ROLE)) for r in rows]

    def select_row(self, row: int) -> None:
        """Highlight this one row alone. Not ``QTableView.selectRow``: under extended
        selection that reads the keyboard, and a Ctrl still held from a shortcut would
        toggle the row off instead."""
        if 0 <= row < self.proxy.rowCount():
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            self.table.selectionModel().setCurrentIndex(self.proxy.index(row, Column.NUMBER), flags)

    def select_incident(self, incident_id: str) -> bool:
        row = self.proxy.proxy_row(incident_id)
        if row is None:
            return False
        self.select_row(row)
        return True

    def header_state(self) -> QByteArray:
        """Column order, widths and visibility, as Qt saves them."""
        return self.table.horizontalHeader().saveState()

    def restore_header_state(self, state: QByteArray) -> None:
        if not state.isEmpty():
            self.table.horizontalHeader().restoreState(state)

    # -- the column layout ------------------------------------------------------------------

    def column_layout(self) -> ColumnLayout:
        """The columns as the person left them: order, the widths they chose, the ones they
        hid (not the ones hidden for room beside the detail pane)."""
        header = self.table.horizontalHeader()
        names = [c.name.lower() for c in Column]
        order = tuple(names[header.logicalIndex(v)] for v in range(header.count()))
        widths = self.table.widths()
        return ColumnLayout(
            order=order,
            widths=tuple(
                (names[c], w)
                for c, w in sorted(widths.items())
                if c != Column.TITLE and w != self.default_widths.get(c)
            ),
            hidden=tuple(names[c] for c in sorted(self.table.chosen_hidden())),
        )

    def apply_column_layout(self, layout: ColumnLayout) -> None:
        """Put the columns as ``layout`` says; names it does not know are ignored."""
        by_name = {c.name.lower(): c for c in Column}
        header = self.table.horizontalHeader()
        self._restoring = True
        try:
            order = [by_name[n] for n in layout.order if n in by_name]
            if order:
                rest = [c for c in Column if c not in order]
                for visual, column in enumerate(dict.fromkeys([*order, *rest])):
                    header.moveSection(header.visualIndex(column), visual)
            widths = dict(self.default_widths)
            for name, width in layout.widths:
                if name in by_name:
                    widths[by_name[name]] = max(header.minimumSectionSize(), width)
            self.table.set_widths(widths)
            self.table.set_chosen_hidden(
                {by_name[n] for n in layout.hidden if n in by_name} - _ALWAYS_SHOWN
            )
        finally:
            self._restoring = False

    def reset_columns(self) -> None:
        self.apply_column_layout(ColumnLayout(order=tuple(c.name.lower() for c in _DEFAULT_ORDER)))
        self._save_columns()

    @Slot()
    def _save_columns(self) -> None:
        if self._settings is not None and not self._restoring:
            self._settings.queue_columns = self.column_layout()

    def columns_menu(self) -> QMenu:
        """The column chooser: every column with a tick; the button and a right click on
        the column titles open it."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        room = self.table.hidden_for_room()
        for column in Column:
            action = QAction(str(self.model.headerData(column, Qt.Orientation.Horizontal)), menu)
            action.setCheckable(True)
            action.setChecked(column not in self.table.chosen_hidden())
            action.setEnabled(column not in _ALWAYS_SHOWN)
            if column in _ALWAYS_SHOWN:
                action.setToolTip("Always shown")
            elif column in room:
                action.setToolTip("Hidden for now to make room; shown again when there is room")
            action.toggled.connect(partial(self._on_column_toggled, column))
            menu.addAction(action)
        if room:
            names = ", ".join(HEADERS[c] for c in Column if c in room)
            note = menu.addAction(f"Hidden to make room: {names}")
            note.setEnabled(False)
        menu.addSeparator()
        reset = menu.addAction("Reset columns")
        reset.triggered.connect(self.reset_columns)
        return menu

    def _on_column_toggled(self, column: Column, shown: bool) -> None:
        hidden = set(self.table.chosen_hidden())
        if shown:
            hidden.discard(column)
        else:
            hidden.add(column)
        self.table.set_chosen_hidden(hidden)
        self._save_columns()

    @Slot()
    def _on_columns_button_clicked(self) -> None:
        menu = self.columns_menu()
        menu.popup(self.columns_button.mapToGlobal(QPoint(0, self.columns_button.height())))

    def visible_source_ranges(self) -> list[tuple[int, int]]:
        """The source rows on screen now, as contiguous ``(first, last)`` ranges."""
        count = self.proxy.rowCount()
        if not count or self.pages.currentWidget() is not self.table:
            return []
        first = self.table.rowAt(0)
        if first < 0:
            return []
        last = self.table.rowAt(self.table.viewport().height() - 1)
        if last < 0:
            last = count - 1
        if self.proxy.sortColumn() < 0 and not self.proxy.queue_filter.is_active:
            return [(first, last)]  # the proxy shows the source as it is
        return contiguous(self.proxy.source_row(row) for row in range(first, last + 1))

    # -- showing and hiding -----------------------------------------------------------------

    # -- .eml files dropped on the queue -------------------------------------------------------

    @staticmethod
    def _mail_files(event: QDragEnterEvent | QDropEvent) -> list[str]:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        return [
            u.toLocalFile()
            for u in urls
            if u.isLocalFile() and u.toLocalFile().lower().endswith(MAIL_FILE_SUFFIXES)
        ]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._mail_files(event):
            event.acceptProposedAction()  # mail saved as .eml: imported as if it had arrived
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._mail_files(event):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = self._mail_files(event)
        if not files:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.mail_files_dropped.emit(files)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded_once and not self._loading:
            self.reload()
        self.ticker.acquire(self)

    def hideEvent(self, event: QHideEvent) -> None:
        self.ticker.release(self)
        if self._settings is not None:
            self._save_columns()
            self._settings.sync()
        super().hideEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_filters(event.size().width())

    def _place_filters(self, width: int) -> None:
        """One toolbar row when everything fits; otherwise the filters get their own row."""
        margins = self._layout.contentsMargins()
        needed = (
            self.search.minimumWidth()
            + self.views_button.sizeHint().width()
            + self._top_row.spacing()
            + self.filters.sizeHint().width()
            + self.new_incident.sizeHint().width()
            + self.columns_button.sizeHint().width()
            + 3 * self._top_row.spacing()
            + margins.left()
            + margins.right()
        )
        inline = width >= needed
        if inline == self._filters_inline:
            return
        self._filters_inline = inline
        if inline:
            self._filter_row.removeWidget(self.filters)
            self._top_row.insertWidget(2, self.filters)
            self.filters.setMinimumWidth(1)
        else:
            self._top_row.removeWidget(self.filters)
            self._filter_row.addWidget(self.filters)
            self.filters.setMinimumWidth(0)  # on its own row: its natural minimum

    # -- loading ----------------------------------------------------------------------------

    def _on_snapshot_loaded(self, generation: int, snapshot: QueueSnapshot) -> None:
        if generation == self._generation:  # else a newer reload is on its way
            self.apply_snapshot(snapshot)

    def apply_snapshot(self, snapshot: QueueSnapshot) -> None:
        """Show ``snapshot`` (what ``reload()`` read); rows still without clocks follow."""
        self._generation += 1  # whatever was loading before is now stale
        generation = self._generation
        selected = self.selected_incident_id()
        self._fill_choices(
            self.priority_filter, "All priorities", _priority_choices(snapshot.priorities)
        )
        self._fill_choices(self.window_filter, "All windows", [(n, i) for i, n in snapshot.windows])
        now = max(snapshot.loaded_at, self.ticker.now())
        self.ticker.reset(self.model.reset_rows(snapshot.rows, now))
        self._closed_ids.clear()
        if self._wants_closed():
            self._load_closed()
        self._loading = False
        self._loaded_once = True
        self._error = ""
        if selected:
            self.select_incident(selected)
        self._update_state()
        self.loaded.emit(len(snapshot.rows))
        self._evaluate_pending(generation, snapshot.pending, 0)
        again, self._refresh_after_load = self._refresh_after_load, set()
        for incident_id in sorted(again):
            self.refresh_incident(incident_id)

    def _evaluate_pending(self, generation: int, pending: Sequence[QueueRow], start: int) -> None:
        if generation != self._generation:
            return
        if start >= len(pending):
            self.clocks_ready.emit()
            return
        chunk = pending[start : start + CHUNK_ROWS]
        self._dispatcher.submit(
            partial(evaluate_rows, self._context.open_incidents, chunk),
            if_alive(
                self, partial(self._on_chunk_evaluated, generation, pending, start + len(chunk))
            ),
            if_alive(self, partial(self._on_load_failed, generation)),
        )

    def _on_chunk_evaluated(
        self, generation: int, pending: Sequence[QueueRow], start: int, rows: list[QueueRow]
    ) -> None:
        if generation != self._generation:
            return
        self.ticker.schedule_many(self.model.apply_clocks(rows))
        self._evaluate_pending(generation, pending, start)

    def _on_load_failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._error = str(getattr(error, "message", "") or error) or type(error).__name__
        self._update_state()

    def _on_row_loaded(self, generation: int, incident_id: str, row: QueueRow | None) -> None:
        if generation != self._generation:
            return  # a reload since then read it afresh
        if row is None:
            self.model.remove(incident_id)
            self.ticker.forget(incident_id)
            self._closed_ids.discard(incident_id)
            if self._wants_closed():
                self._load_closed()  # it may have been resolved: it shows as such
        else:
            self._closed_ids.discard(incident_id)
            self.model.upsert(row)
            self.ticker.schedule(incident_id, row.next_at)
        self._update_state()
        self.incident_refreshed.emit(incident_id)

    @staticmethod
    def _fill_choices(combo: QComboBox, everything: str, items: Sequence[tuple[str, str]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem(everything, "")
            for text, value in items:
                combo.addItem(text, value)
            if combo.findData(current) < 0 and "," in str(current or ""):
                combo.addItem(str(current).replace(",", ", "), current)  # a view's several
            combo.setCurrentIndex(max(0, combo.findData(current)))
        finally:
            combo.blockSignals(False)

    # -- state of the screen ----------------------------------------------------------------

    @Slot()
    def _update_state(self) -> None:
        empty = self.empty
        if self._error and not self.model.rowCount():
            empty.show_message(
                "mdi6.database-alert-outline",
                "The queue could not be loaded",
                self._error,
                "Try again",
            )
        elif self.model.rowCount() == 0:
            if self._loading or not self._loaded_once:
                empty.show_message("mdi6.timer-sand", "Loading the queue…", "")
            else:
                empty.show_message(
                    "mdi6.inbox-outline",
                    "No open incidents",
                    "New incidents appear here with a live countdown to their next SLA deadline.",
                    "New incident",
                )
        elif self.proxy.rowCount() == 0:
            empty.show_message(
                "mdi6.filter-remove-outline",
                "No incidents match these filters",
                "Change the filters or the search, or show every open incident.",
                "Clear filters",
            )
        showing_table = self.model.rowCount() > 0 and self.proxy.rowCount() > 0
        self.pages.setCurrentWidget(self.table if showing_table else empty)
        self.clear_filters.setEnabled(self.proxy.queue_filter.is_active)
        self._update_count()

    # -- resolved incidents (the status filter's Resolved and All choices) ------------------

    def _wants_closed(self) -> bool:
        return str(self.status_filter.currentData() or "") in CLOSED_CHOICES

    def _load_closed(self) -> None:
        """Read the newest resolved incidents off the GUI thread; they join the model (the
        filter shows them only for the Resolved and All choices)."""
        self._closed_generation += 1
        self._dispatcher.submit(
            partial(load_closed, self._context.review, self._context.open_incidents),
            if_alive(self, partial(self._on_closed_loaded, self._closed_generation)),
            if_alive(self, partial(self._on_load_failed, self._generation)),
        )

    def _on_closed_loaded(self, generation: int, rows: tuple[QueueRow, ...]) -> None:
        if generation != self._closed_generation or not self._wants_closed():
            return
        for row in rows:
            known = self.model.find(row.id)
            if known is None or row.id in self._closed_ids:
                self.model.upsert(row)
                self._closed_ids.add(row.id)
        self._update_state()
        self.closed_loaded.emit(len(rows))

    def _drop_closed(self) -> None:
        self._closed_generation += 1  # a read still on its way is no longer wanted
        for incident_id in sorted(self._closed_ids):
            self.model.remove(incident_id)
        self._closed_ids.clear()

    @Slot()
    def _update_count(self) -> None:
        closed = [row for i in self._closed_ids if (row := self.model.find(i)) is not None]
        total = self.model.rowCount() - len(closed)
        if not self._loaded_once:
            self.count.setText("")
            return
        counts = self.model.state_counts()
        counts.subtract(row.state for row in closed)
        parts = [f"{total} open incident{'s' if total != 1 else ''}"]
        if self.proxy.queue_filter.is_active:
            parts.append(f"{self.proxy.rowCount()} shown")
        for state in (ClockState.BREACHED, ClockState.AT_RISK):
            parts.append(f"{counts[state]} {wording.state_words(state)}")
        if counts[PENDING]:
            parts.append(f"clocks of {counts[PENDING]} still being worked out")
        self.count.setText("  ·  ".join(parts))

    # -- saved views ------------------------------------------------------------------------

    def filter_combos(self) -> tuple[QComboBox, ...]:
        return (self.priority_filter, self.status_filter, self.clock_filter, self.window_filter)

    def window_names(self) -> dict[str, str]:
        """Support window id → name, as the window filter offers them."""
        combo = self.window_filter
        return {str(combo.itemData(i)): combo.itemText(i) for i in range(1, combo.count())}

    def current_view_filter(self) -> ViewFilter:
        """The queue's filters, search and sort as a view would save them."""
        column, order = self.proxy.sorted_by
        default = column in (-1, Column.COUNTDOWN) and order == Qt.SortOrder.AscendingOrder
        return ViewFilter(
            mine=self.mine.isChecked(),
            unassigned=self.unassigned.isChecked(),
            priorities=tuple(sorted(_choices(self.priority_filter))),
            status=str(self.status_filter.currentData() or ""),
            window_id=str(self.window_filter.currentData() or ""),
            states=tuple(sorted(_choices(self.clock_filter))),
            text=self.search.text().strip(),
            sort_column="" if default or column < 0 else Column(column).name.lower(),
            sort_descending=not default and order == Qt.SortOrder.DescendingOrder,
        )

    def set_choice(self, combo: QComboBox, data: object) -> bool:
        """Choose ``data`` in a filter combo; several priorities or states joined by "," get
        an entry of their own ("P1, P2") when the combo has none. False when the combo cannot
        offer it (a support window deleted since the view was saved)."""
        value = str(data or "")
        wanted = _parts(value)
        index = next(
            (i for i in range(combo.count()) if _parts(str(combo.itemData(i) or "")) == wanted),
            -1,
        )
        if index < 0 and "," in value and combo is not self.window_filter:
            combo.addItem(value.replace(",", ", "), value)
            index = combo.count() - 1
        if index < 0:
            return False
        combo.setCurrentIndex(index)
        return True

    def apply_view(self, view: SavedView) -> None:
        """Show the queue as ``view`` says: its filters, its search, its order."""
        missing = self.apply_view_filter(view.filter)
        self._view = view
        self._show_view_name()
        if missing:
            self.view_notice.emit(
                f"The view “{view.name}” names a support window that no longer exists: "
                "showing every window."
            )

    def apply_view_filter(self, flt: ViewFilter) -> bool:
        """Set every filter at once (one refilter); True when the view's window is gone."""
        widgets = (self.mine, self.unassigned, self.search, *self.filter_combos())
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.mine.setChecked(flt.mine)
            self.unassigned.setChecked(flt.unassigned)
            self.set_choice(self.priority_filter, ",".join(flt.priorities))
            self.set_choice(self.status_filter, flt.status)
            self.set_choice(self.clock_filter, ",".join(flt.states))
            missing = not self.set_choice(self.window_filter, flt.window_id)
            if missing:
                self.window_filter.setCurrentIndex(0)
            self.search.setText(flt.text)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.proxy.update_filter(text=flt.text)
        self._on_filter_changed()
        column = Column[flt.sort_column.upper()] if flt.sort_column else Column.COUNTDOWN
        order = Qt.SortOrder.DescendingOrder if flt.sort_descending else Qt.SortOrder.AscendingOrder
        self.table.sortByColumn(column, order)
        return missing and bool(flt.window_id)

    def load_views(self) -> None:
        self._dispatcher.submit(
            self._context.views.views,
            if_alive(self, self._on_views_loaded),
            if_alive(self, self._on_views_failed),
        )

    def _on_views_loaded(self, views: list[SavedView]) -> None:
        self.saved_views = views
        if self._view is not None:
            self._view = next((v for v in views if v.id == self._view.id), None)
        self._show_view_name()
        self.views_loaded.emit()

    def _on_views_failed(self, error: Exception) -> None:
        self.view_notice.emit(f"The saved views could not be read: {error_text(error)}")

    @Slot()
    def _show_view_name(self) -> None:
        """ "Views: <name>" while the filters are still the applied view's, else "Views"."""
        view = self._view
        if view is not None and view.filter != self.current_view_filter():
            self._view = view = None
        if view is None:
            self.views_button.setText("Views")
        else:
            metrics = self.views_button.fontMetrics()
            room = metrics.horizontalAdvance(VIEW_NAME_SAMPLE)
            name = metrics.elidedText(view.name, Qt.TextElideMode.ElideRight, room)
            self.views_button.setText(f"Views: {name}".replace("&", "&&"))
        self.views_button.setToolTip(
            plain_tip(f"{view.name}: {view.filter.describe(self.window_names())}")
            if view
            else "Saved filters: yours and the team's"
        )

    @Slot()
    def _fill_views_menu(self) -> None:
        menu = self.views_menu
        menu.clear()
        if not self.saved_views:
            hint = menu.addAction("No saved views yet")
            hint.setEnabled(False)
        for view in self.saved_views:
            icon = "mdi6.account-group-outline" if view.shared else "mdi6.bookmark-outline"
            action = menu.addAction(qta.icon(icon), view_label(view).replace("&", "&&"))
            action.setToolTip(plain_tip(view.filter.describe(self.window_names())))
            action.setCheckable(True)
            action.setChecked(self._view is not None and self._view.id == view.id)
            action.triggered.connect(partial(self.apply_view, view))
        menu.addSeparator()
        menu.addAction(
            qta.icon("mdi6.bookmark-plus-outline"), "Save current filters…", self.save_view
        )
        manage = menu.addAction(qta.icon("mdi6.cog-outline"), "Manage views…", self.manage_views)
        manage.setEnabled(bool(self.saved_views))

    @Slot()
    def save_view(self) -> None:
        dialog = SaveViewDialog(
            self._context.views,
            self._dispatcher,
            self.current_view_filter(),
            self,
            windows=self.window_names(),
        )
        dialog.saved.connect(self._on_view_saved)
        self._open_views_dialog(dialog)

    def _on_view_saved(self, view: SavedView) -> None:
        self._view = view
        self.view_notice.emit(
            f"Saved the view “{view.name}”"
            + (", shared with the team." if view.shared else ", for you alone.")
        )
        self.load_views()

    @Slot()
    def manage_views(self) -> None:
        dialog = ManageViewsDialog(self._context.views, self._dispatcher, self._context.actor, self)
        dialog.changed.connect(self.load_views)
        dialog.show_views(self.saved_views)
        self._open_views_dialog(dialog)

    def _open_views_dialog(self, dialog: QDialog) -> None:
        self.views_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(partial(self._forget_views_dialog, dialog))
        dialog.open()

    def _forget_views_dialog(self, dialog: QDialog, _result: int) -> None:
        if self.views_dialog is dialog:
            self.views_dialog = None

    # -- acting on several at once ---------------------------------------------------------

    @Slot()
    def _update_bulk_bar(self) -> None:
        count = len(self.table.selectionModel().selectedRows())
        self.bulk_bar.set_count(count)
        self.bulk_bar.setVisible(count >= 2)
        for button in self.bulk_bar.buttons():
            button.setEnabled(not self.bulk.running)

    def bulk_menu(self) -> QMenu:
        """The table's right-click menu: the bulk actions on the selected incidents."""
        menu = QMenu(self)
        count = len(self.selected_incident_ids())
        for button in self.bulk_bar.buttons():
            action = menu.addAction(button.icon(), button.text())
            action.setEnabled(count >= 2 and not self.bulk.running)
            action.triggered.connect(button.click)
        if count < 2:
            menu.addSeparator()
            hint = menu.addAction("Select two or more (Ctrl/Shift-click, Ctrl+A) to act on all")
            hint.setEnabled(False)
        return menu

    @Slot(QPoint)
    def _on_table_menu_requested(self, pos: QPoint) -> None:
        self.bulk_menu().popup(self.table.viewport().mapToGlobal(pos))

    @Slot()
    def _on_clear_selection_clicked(self) -> None:
        current = self.table.currentIndex()
        self.table.clearSelection()
        if current.isValid():
            self.table.selectRow(current.row())

    def _run_bulk(self, request: BulkRequest, ids: Sequence[str]) -> None:
        if len(ids) < 1 or self.bulk.running:
            return
        self.bulk.run(request, ids)
        self._update_bulk_bar()

    def _open_bulk_dialog(self, dialog: QDialog, on_accepted: Callable[[], None]) -> None:
        self.bulk_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(on_accepted)
        dialog.finished.connect(partial(self._forget_dialog, dialog))
        dialog.open()

    def _forget_dialog(self, dialog: QDialog, _result: int) -> None:
        if self.bulk_dialog is dialog:
            self.bulk_dialog = None

    def _bulk_failed(self, error: Exception) -> None:
        self.result_strip.show_result(error_text(error), False)

    @Slot()
    def bulk_take(self) -> None:
        """Take them: every selected incident becomes the signed-in agent's."""
        me = self._context.actor
        request = BulkRequest(BulkKind.ASSIGN, agent_id=me.id, agent_name="you")
        self._run_bulk(request, self.selected_incident_ids())

    @Slot()
    def bulk_unassign(self) -> None:
        self._run_bulk(BulkRequest(BulkKind.UNASSIGN), self.selected_incident_ids())

    @Slot()
    def bulk_assign(self) -> None:
        ids = self.selected_incident_ids()
        agents = self._context.agents
        self._dispatcher.submit(
            agents.agents,
            if_alive(self, partial(self._ask_agent, ids)),
            if_alive(self, self._bulk_failed),
        )

    def _ask_agent(self, ids: list[str], agents: Sequence[Agent]) -> None:
        dialog = AgentChoiceDialog(len(ids), agents, self._context.actor, self)

        def accepted() -> None:
            agent_id, name = dialog.chosen()
            self._run_bulk(BulkRequest(BulkKind.ASSIGN, agent_id=agent_id, agent_name=name), ids)

        self._open_bulk_dialog(dialog, accepted)

    @Slot()
    def bulk_priority(self) -> None:
        """One dialog asks the priority and the reason once, for every selected incident."""
        ids = self.selected_incident_ids()
        policy = self._context.policy
        self._dispatcher.submit(
            lambda: [(p.id, p.label, p.definition) for p in policy.current()[1].priorities],
            if_alive(self, partial(self._ask_priority, ids)),
            if_alive(self, self._bulk_failed),
        )

    def _ask_priority(self, ids: list[str], priorities: Sequence[tuple[str, str, str]]) -> None:
        dialog = PriorityChoiceDialog(len(ids), priorities, self)

        def accepted() -> None:
            request = BulkRequest(
                BulkKind.PRIORITY,
                priority=str(dialog.priority.currentData()),
                reason=dialog.reason.toPlainText(),
            )
            self._run_bulk(request, ids)

        self._open_bulk_dialog(dialog, accepted)

    @Slot()
    def bulk_wait(self) -> None:
        ids = self.selected_incident_ids()
        dialog = BulkTextDialog(
            f"Wait on the customer for {len(ids)} incidents",
            "Their clocks pause until each is resumed. The note goes on each.",
            "Wait on customer",
            required=False,
            parent=self,
        )

        def accepted() -> None:
            request = BulkRequest(BulkKind.WAIT, text=dialog.text.toPlainText())
            self._run_bulk(request, ids)

        self._open_bulk_dialog(dialog, accepted)

    @Slot()
    def bulk_note(self) -> None:
        ids = self.selected_incident_ids()
        dialog = BulkTextDialog(
            f"Add a note to {len(ids)} incidents",
            "The same internal note goes on each. Notes cannot be undone.",
            "Add note",
            required=True,
            parent=self,
        )

        def accepted() -> None:
            self._run_bulk(BulkRequest(BulkKind.NOTE, text=dialog.text.toPlainText()), ids)

        self._open_bulk_dialog(dialog, accepted)

    @Slot()
    def bulk_undo(self) -> None:
        if self.bulk.can_undo:
            self.bulk.undo()
            self._update_bulk_bar()

    @Slot(int, int)
    def _on_bulk_progressed(self, done: int, total: int) -> None:
        if done < total:
            self.result_strip.show_progress(f"Working on {done + 1} of {total}…")

    @Slot(str)
    def _on_bulk_changed(self, incident_id: str) -> None:
        self.refresh_incident(incident_id)
        self.bulk_changed.emit(incident_id)

    @Slot(str)
    def _on_bulk_finished(self, words: str) -> None:
        self.result_strip.show_result(words, self.bulk.can_undo)
        self._update_bulk_bar()
        self.bulk_finished.emit(words)

    # -- slots ------------------------------------------------------------------------------

    @Slot(str)
    def _on_search_text_changed(self, text: str) -> None:
        self.proxy.update_filter(text=text)
        self._update_state()
        self._show_view_name()

    @Slot()
    def _on_search_return_pressed(self) -> None:
        if self.proxy.rowCount():
            self.select_row(0)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _on_filter_changed(self) -> None:
        self.proxy.update_filter(
            mine=self.mine.isChecked(),
            unassigned=self.unassigned.isChecked(),
            priorities=_choices(self.priority_filter),
            status=str(self.status_filter.currentData() or ""),
            window_id=str(self.window_filter.currentData() or ""),
            states=_choices(self.clock_filter),
        )
        if self._wants_closed():
            if not self._closed_ids and self._loaded_once:
                self._load_closed()
        elif self._closed_ids:
            self._drop_closed()
        self._update_state()
        self._show_view_name()

    @Slot()
    def _on_clear_filters_clicked(self) -> None:
        for button in (self.mine, self.unassigned):
            button.blockSignals(True)
            button.setChecked(False)
            button.blockSignals(False)
        for combo in self.filter_combos():
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.proxy.clear_filter()
        self._drop_closed()
        self._update_state()
        self._show_view_name()

    @Slot()
    def _on_empty_action_clicked(self) -> None:
        if self._error and not self.model.rowCount():
            self.reload()
        elif self.model.rowCount() == 0:
            self.new_incident_requested.emit()
        else:
            self._on_clear_filters_clicked()

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.incident_activated.emit(str(index.data(ID_ROLE)))

    @Slot()
    def _on_current_row_changed(self) -> None:
        """The incident under the agent's selection, told once each time it changes: a
        current row that is not selected (the row that slid up under a resolved one, or
        one of several selected) is not a choice."""
        chosen = self.selected_incident_id() or ""
        if chosen != self._chosen:
            self._chosen = chosen
            self.current_incident_changed.emit(chosen)

    @Slot(QPoint)
    def _on_header_menu_requested(self, pos: QPoint) -> None:
        header = self.table.horizontalHeader()
        self.columns_menu().popup(header.mapToGlobal(pos))

    @Slot(object)
    def _on_ticker_ticked(self, now: datetime) -> None:
        self.model.refresh_countdowns(self.visible_source_ranges(), now)

    @Slot(str, str, str)
    def _on_ticker_incident_state_changed(self, incident_id: str, old: str, new: str) -> None:
        """The ticker's ``str`` signal, relayed with typed states and the notice to give."""
        notice = self.model.notice_for(incident_id)
        self.incident_state_changed.emit(incident_id, row_state(old), row_state(new), notice)


def _choices(combo: QComboBox) -> frozenset[str]:
    """A filter combo's choice as a set: "" is any, "P1,P2" is either."""
    return _parts(str(combo.currentData() or ""))


def _parts(value: str) -> frozenset[str]:
    return frozenset(part for part in value.split(",") if part)


def _priority_choices(priorities: Sequence[str]) -> list[tuple[str, str]]:
    """Each priority, then the most urgent ones together ("P1–P2", "P1–P3"): what triage
    asks for. The data of several is their ids joined by ","."""
    choices = [(p, p) for p in priorities]
    for last in range(1, len(priorities) - 1):
        chosen = priorities[: last + 1]
        choices.append((f"{chosen[0]}–{chosen[-1]}", ",".join(chosen)))
    return choices
