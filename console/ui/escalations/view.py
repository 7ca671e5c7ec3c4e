"""The escalation panel (DESIGN §7): who may escalate, since when, and whom to contact next.

The list holds open incidents eligible for or at Escalation 1 or 2: urgent responses first
(breached or at risk, by priority), then the rest, longest waiting first.
For the selected one the panel shows both ladders and the actions: record the customer's
escalation (the detail view's own confirm-first dialog), copy an address or a number, or
compose a mail. Loads run on the Dispatcher. The panel owns no timer: while it is shown it
subscribes to the one ``SlaTicker`` and moves the list on every tick (arithmetic, then one
re-read of an incident at its clocks' next change); it reloads when a tick changes the
order (a response clock turned at risk or breached) and, to pick up other people's work,
once a minute of ticks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import qtawesome as qta
import shiboken6
from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain.escalation import Ladder, Rung
from console.qt.ticker import SlaTicker
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.escalations import EscalationItem
from console.services.incidents import IncidentDetails
from console.ui.escalations.ladder import LadderPanel
from console.ui.escalations.model import EscalationModel
from console.ui.forms import (
    error_label,
    error_text,
    esc,
    page_title,
    plain_label,
    set_markup,
    set_plain,
)
from console.ui.incident.action_dialog import ActionDialog
from console.ui.incident.change_dialogs import EscalateDialog

RELOAD_EVERY = timedelta(minutes=1)  # of ticks: other agents' changes show up


class EscalationsView(QWidget):
    incident_activated = Signal(str)  # open this incident (double-click)
    incident_changed = Signal(str)  # an escalation was recorded on it
    loaded = Signal()  # the list (and the ladder of the selection) are shown

    def __init__(
        self,
        context: ConsoleContext,
        dispatcher: Dispatcher,
        ticker: SlaTicker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ticker = ticker
        self._context = context
        self._dispatcher = dispatcher
        self._escalations = context.escalations
        self._zone = context.agent_zone
        self._list_token = 0  # a newer load makes older results stale
        self._loading = False
        self._loaded_at: datetime | None = None
        self._ladder_token = 0
        self._selected_id = ""
        self.ladder: Ladder | None = None
        self.dialog: ActionDialog | None = None
        self._sized = False
        self.model = EscalationModel(self._zone, ticker.now(), self)
        self._build()
        self._connect_signals()
        self._show_item(None)

    @property
    def ticker(self) -> SlaTicker:
        """The one scheduler of live time this panel subscribes to while it is shown."""
        return self._ticker

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        title = page_title("Escalations")
        self.summary = plain_label()
        self.refresh_button = QPushButton(qta.icon("mdi6.refresh"), "Refresh")
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        outer.addLayout(top)
        self.banner = error_label()
        outer.addWidget(self.banner)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        # two lines a row: the response reads in full (the clock and its state, then its
        # countdown) without a table wider than the screen
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setDefaultSectionSize(self.fontMetrics().lineSpacing() * 2 + 10)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(EscalationModel.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        digits = self.fontMetrics().horizontalAdvance("INC-00000-00000") + 16
        for column, width in (
            (EscalationModel.NUMBER, digits),
            (EscalationModel.PRIORITY, 32),
            (EscalationModel.LEVEL, 136),
            (EscalationModel.SINCE, 72),
            (EscalationModel.RESPONSE, 256),
        ):
            self.table.setColumnWidth(column, width)
        self.empty = plain_label(
            "No open incident is eligible for or at Escalation 1 or 2. An incident becomes "
            "eligible when the vendor misses its response target."
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty, 1)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        self.heading = plain_label()
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts = plain_label()
        self.facts.setWordWrap(True)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.facts)
        buttons = QHBoxLayout()
        self.escalate_button = QPushButton(
            qta.icon("mdi6.arrow-up-bold-circle-outline"), "Record escalation…"
        )
        self.open_button = QPushButton(qta.icon("mdi6.open-in-app"), "Open incident")
        buttons.addWidget(self.escalate_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        right_layout.addLayout(buttons)
        self.notice = plain_label()
        self.notice.setObjectName("hint")
        right_layout.addWidget(self.notice)
        self.ladder_panel = LadderPanel()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.ladder_panel)
        right_layout.addWidget(scroll, 1)
        self.details_panel = right

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        outer.addWidget(self.splitter, 1)

    def _connect_signals(self) -> None:
        self.refresh_button.clicked.connect(self.reload)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.escalate_button.clicked.connect(self.record_escalation)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.ladder_panel.copied.connect(self._on_ladder_panel_copied)
        self.ladder_panel.mail_requested.connect(self.compose_mail)
        self._ticker.ticked.connect(self._on_ticker_ticked)

    # -- loading -----------------------------------------------------------------------------

    def _alive(self) -> bool:
        return shiboken6.isValid(self)

    @Slot()
    def reload(self) -> None:
        """Re-read the list off the GUI thread, keeping the selection where it can."""
        self._list_token += 1
        self._loading = True
        token, service = self._list_token, self._escalations

        def done(items: list[EscalationItem]) -> None:
            if self._alive() and token == self._list_token:
                self._loading = False
                self._on_loaded(items)

        def failed(error: Exception) -> None:
            if self._alive() and token == self._list_token:
                self._loading = False
                self._show_error(error)

        self._dispatcher.submit(service.escalations, done, failed)

    def _on_loaded(self, items: list[EscalationItem]) -> None:
        self.banner.hide()
        keep = self._selected_id
        now = self._ticker.now()
        self._loaded_at = now
        self.model.set_items(items, now)
        self.table.setVisible(bool(items))
        self.empty.setVisible(not items)
        self._show_summary()
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and items:
            row = 0
        if row >= 0:
            self.select_row(row)
            if self.model.item(row).summary.id == keep:
                self._load_ladder(self.model.item(row))  # same incident, fresh facts
        else:
            self._show_item(None)
            self.loaded.emit()

    def _load_ladder(self, item: EscalationItem) -> None:
        self._show_item(item)
        self._ladder_token += 1
        token, service = self._ladder_token, self._escalations

        def done(ladder: Ladder) -> None:
            if self._alive() and token == self._ladder_token:
                if ladder != self.ladder:  # a reload that changed nothing keeps the cards
                    self.ladder = ladder
                    self.ladder_panel.show_ladder(ladder)
                self.loaded.emit()

        def failed(error: Exception) -> None:
            if self._alive() and token == self._ladder_token:
                self._show_error(error)

        self._dispatcher.submit(lambda: service.ladder(item), done, failed)

    def _show_error(self, error: Exception) -> None:
        self.banner.setText(error_text(error))
        self.banner.show()

    # -- selection ---------------------------------------------------------------------------

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def selected_item(self) -> EscalationItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item(rows[0].row()) if rows else None

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        item = self.selected_item()
        if item is None:
            self._show_item(None)
            return
        if item.summary.id != self._selected_id:
            self._load_ladder(item)

    def _show_item(self, item: EscalationItem | None) -> None:
        incident_id = item.summary.id if item else ""
        if incident_id != self._selected_id:  # another incident: forget the last one's
            self.notice.clear()
            self.ladder = None
            self.ladder_panel.show_ladder(None)
        self._selected_id = incident_id
        self.details_panel.setEnabled(item is not None)
        if item is None:
            set_markup(self.heading, "<b>Choose an incident</b> to see whom to contact next.")
            self.facts.clear()
            self.escalate_button.setEnabled(False)
            self.open_button.setEnabled(False)
            return
        summary = item.summary
        set_markup(
            self.heading,
            f"<b>{esc(summary.number)}</b> · {esc(summary.priority)} · {esc(summary.title)}",
        )
        self._show_facts(item)
        eligible = item.standing.eligible_level
        self.escalate_button.setEnabled(eligible is not None)
        self.escalate_button.setText(
            f"Record Escalation {eligible}…" if eligible else "Record escalation…"
        )
        self.escalate_button.setToolTip(
            "Record that the customer escalated: a new response clock starts now."
            if eligible
            else "The customer cannot escalate further now."
        )
        self.open_button.setEnabled(True)

    def _show_summary(self) -> None:
        items = self.model.items()
        urgent = sum(1 for i in items if i.standing.urgent)
        eligible = sum(1 for i in items if i.standing.may_escalate)
        set_plain(
            self.summary,
            f"{len(items)} incident{'s' if len(items) != 1 else ''} escalated or eligible · "
            f"{urgent} urgent · {eligible} may be escalated now",
        )

    def _show_facts(self, item: EscalationItem) -> None:
        found = item.standing
        head = f"{esc(item.customer)} · <b>{esc(found.label)}</b>"
        lines = [
            *found.since_sentences(self._ticker.now(), self._zone),
            *found.response_sentences(self._zone),
        ]
        set_markup(self.facts, "<br>".join([head, *(esc(line) for line in lines)]))

    # -- actions -----------------------------------------------------------------------------

    @Slot()
    def record_escalation(self) -> None:
        """Load the incident and open the confirm-first escalation dialog for it."""
        item = self.selected_item()
        if item is None or item.standing.eligible_level is None:
            return
        if self.dialog is not None:
            self.dialog.raise_()
            return
        incidents = self._context.incidents

        def done(details: IncidentDetails) -> None:
            if self._alive() and self.dialog is None:
                self._open_dialog(details)

        def failed(error: Exception) -> None:
            if self._alive():
                self._show_error(error)

        self._dispatcher.submit(lambda: incidents.details(item.summary.id), done, failed)

    def _open_dialog(self, details: IncidentDetails) -> None:
        dialog = EscalateDialog(self._dispatcher, self._context.incidents, details, self)
        dialog.completed.connect(self._on_dialog_completed)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.open()

    @Slot(object)
    def _on_dialog_completed(self, summary: object) -> None:
        incident_id = str(getattr(summary, "id", ""))
        level = getattr(summary, "escalation_level", 0)
        self.notice.setText(f"Escalation {level} recorded.")
        self.incident_changed.emit(incident_id)
        self.reload()

    @Slot()
    def _on_dialog_finished(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def mailto(self, rung: Rung) -> QUrl:
        item = self.selected_item()
        subject, body = "", ""
        if item is not None:
            summary, standing = item.summary, item.standing
            subject = f"{summary.number} ({summary.priority}): {standing.label}"
            body = (
                f"Dear {rung.name},\n\nIncident {summary.number} for {item.incident.customer}, "
                f"\u201c{summary.title}\u201d ({summary.priority}), stands at: {standing.label}."
                f"\n\nPlease quote {summary.number} in your reply."
            )
        return QUrl(
            f"mailto:{quote(rung.email, safe='@')}"
            f"?subject={quote(subject, safe='')}&body={quote(body, safe='')}"
        )

    @Slot(object)
    def compose_mail(self, rung: Rung) -> None:
        if rung.email:
            QDesktopServices.openUrl(self.mailto(rung))

    @Slot(str)
    def _on_ladder_panel_copied(self, text: str) -> None:
        self.notice.setText(f"Copied {text} to the clipboard.")

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        self.incident_activated.emit(self.model.item(index.row()).summary.id)

    @Slot()
    def _on_open_button_clicked(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.incident_activated.emit(item.summary.id)

    # -- time --------------------------------------------------------------------------------

    @Slot(object)
    def _on_ticker_ticked(self, now: datetime) -> None:
        """Move the list to ``now``; reload when the order changed or a minute has passed."""
        if not self.isVisible():
            return
        result = self.model.tick(now)
        if result.changed:
            self._show_summary()
        item = self.selected_item()
        if item is not None:
            self._show_facts(item)
        stale = self._loaded_at is not None and now - self._loaded_at >= RELOAD_EVERY
        if (result.reordered or stale) and not self._loading:
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:  # the list gets the room it needs; the ladders the rest
            self._sized = True
            width = self.splitter.width()
            self.splitter.setSizes([width * 66 // 100, width * 34 // 100])
        self.reload()
        self._ticker.acquire(self)

    def hideEvent(self, event: QHideEvent) -> None:
        self._ticker.release(self)
        super().hideEvent(event)
