"""The Outbox page: every mail the console sends, newest first, and where each one is —
Queued, Sending, Sent at …, Deferred (the server's words, the next try), Failed (the
server's words) — with Retry now, Withdraw… and Open incident, and "Waiting only".

A waiting answer that would miss a deadline says so in colour and in words ("P1 first
response due 10:15 — still in the outbox"). Reading and every action run off the GUI thread;
the page reads again on :meth:`OutboxView.refresh` and when the outbox changed (its cheap
mark, asked on :meth:`OutboxView.check_outside`). What a server said is shown as plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.outbound import OutboxEntry, OutboxState, Purpose
from console.qt.worker import Dispatcher
from console.services.incidents import IncidentService
from console.services.outbox import OutboxService
from console.services.validation import ValidationError
from console.ui.forms import (
    error_label,
    error_text,
    hint_label,
    if_alive,
    page_title,
    plain_label,
    plain_tip,
    plural,
)
from console.ui.mail.list_preview import list_with_preview
from console.ui.table_model import HeaderedTableModel
from console.ui.theme import current_theme

__all__ = [
    "EMPTY_TEXT",
    "PURPOSE_WORDS",
    "WITHDRAW_WARNING",
    "OutboxModel",
    "OutboxRows",
    "OutboxView",
    "read_outbox",
    "state_words",
    "warning_words",
]

EMPTY_TEXT = "The outbox is empty: no mail was sent from this console yet."
EMPTY_WAITING = "Nothing waiting: every mail went out (or failed, and says so)."
WITHDRAW_WARNING = (
    "It will not be sent, and the answer it carries will not count for the incident's clock "
    "(the incident says so). Record the answer again, or send it anew, if the customer still "
    "needs it."
)
PURPOSE_WORDS = {
    Purpose.RESPONSE: "Response",
    Purpose.STATUS_UPDATE: "Status update",
    Purpose.MISSING_DETAILS: "Request for details",
    Purpose.ACKNOWLEDGEMENT: "Acknowledgement",
    Purpose.NOTICE: "Notice",
}
_Index = QModelIndex | QPersistentModelIndex


def _time(at: datetime, zone: tzinfo | None, now: datetime | None = None) -> str:
    """``10:15`` today, ``Tue 10 Mar 10:15`` on another day."""
    local = at.astimezone(zone)
    if now is not None and local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%a %d %b %H:%M}"


def state_words(entry: OutboxEntry, zone: tzinfo | None, now: datetime | None = None) -> str:
    """Where the mail is, in words, with the server's own where it said any."""
    state = entry.state
    said = " ".join(entry.last_error.split())
    if state is OutboxState.QUEUED:
        return "Queued"
    if state is OutboxState.SENDING:
        return "Sending"
    if state is OutboxState.SENT:
        at = entry.sent_at
        words = f"Sent at {_time(at, zone, now)}" if at is not None else "Sent"
        if entry.refused:
            words += f" (refused for {', '.join(entry.refused)})"
        return words
    if state is OutboxState.DEFERRED:
        nxt = entry.next_attempt_at
        words = f"Deferred — next try at {_time(nxt, zone, now)}" if nxt else "Deferred"
        return f"{words} ({said})" if said else words
    return f"Failed ({said})" if said else "Failed"


def warning_words(
    priority: str, clock: str, deadline: datetime, now: datetime, zone: tzinfo | None
) -> str:
    """``P1 first response due 10:15 — still in the outbox`` (or "was due", once passed)."""
    what = f"{priority} {clock[:1].lower()}{clock[1:]}".strip()
    due = "was due" if deadline <= now else "due"
    return f"{what} {due} {_time(deadline, zone, now)} — still in the outbox"


@dataclass(frozen=True)
class OutboxRows:
    """The outbox as read off the GUI thread."""

    entries: list[OutboxEntry]
    warnings: dict[str, tuple[str, bool]]  # entry id → (the words, deadline already passed)
    waiting: int
    deferred: int
    mark: tuple[int, ...]
    now: datetime
    zone: tzinfo | None = field(default=None)


def read_outbox(
    outbox: OutboxService,
    incidents: IncidentService,
    now: datetime,
    zone: tzinfo | None,
    waiting_only: bool = False,
) -> OutboxRows:
    """Every mail (or the waiting ones), the deadline warnings, the counts and the mark."""
    mark = outbox.mark()
    entries = outbox.entries(waiting_only=waiting_only)
    warnings: dict[str, tuple[str, bool]] = {}
    for entry_id, deadline in outbox.threatened(entries).items():
        entry = next(e for e in entries if e.id == entry_id)
        try:
            clocks = incidents.details(entry.mail.incident_id).clocks
        except ValidationError:
            continue
        clock = next((c for c in clocks.live_clocks if c.deadline == deadline), None)
        label = clock.kind.label if clock is not None else "Deadline"
        warnings[entry_id] = (
            warning_words(clocks.priority, label, deadline, now, zone),
            deadline <= now,
        )
    waiting = outbox.waiting_count()
    deferred = sum(1 for e in entries if e.state is OutboxState.DEFERRED)
    return OutboxRows(entries, warnings, waiting, deferred, mark, now, zone)


class OutboxModel(HeaderedTableModel):
    _HEADERS: ClassVar[tuple[str, ...]] = (
        "Queued",
        "Incident",
        "Mail",
        "To",
        "Subject",
        "Tries",
        "State",
        "Deadline",
    )
    TO_COLUMN = 3
    SUBJECT_COLUMN = 4
    TRIES_COLUMN = 5
    STATE_COLUMN = 6
    WARNING_COLUMN = 7

    def __init__(self, zone: tzinfo | None = None) -> None:
        super().__init__()
        self._zone = zone
        self._rows: list[OutboxEntry] = []
        self._warnings: dict[str, tuple[str, bool]] = {}
        self._now: datetime | None = None

    def _row_total(self) -> int:
        return len(self._rows)

    def reload(self, rows: OutboxRows) -> None:
        self.beginResetModel()
        self._rows = list(rows.entries)
        self._warnings = dict(rows.warnings)
        self._now = rows.now
        self.endResetModel()

    def entry(self, row: int) -> OutboxEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, entry_id: str) -> int | None:
        return next((i for i, e in enumerate(self._rows) if e.id == entry_id), None)

    def warning(self, entry_id: str) -> str:
        return self._warnings.get(entry_id, ("", False))[0]

    def state_text(self, entry: OutboxEntry) -> str:
        return state_words(entry, self._zone, self._now)

    def _text(self, entry: OutboxEntry, column: int) -> str:
        mail = entry.mail
        if column == 0:
            return _time(entry.queued_at, self._zone, self._now)
        if column == 1:
            return entry.number or "—"
        if column == 2:
            return PURPOSE_WORDS.get(mail.purpose, mail.purpose.value)
        if column == self.TO_COLUMN:
            return ", ".join(mail.to)
        if column == self.SUBJECT_COLUMN:  # the incident's tag is in its own column
            subject = " ".join(mail.subject.split())
            tag = f"[{entry.number}] "
            return subject[len(tag) :] if entry.number and subject.startswith(tag) else subject
        if column == self.TRIES_COLUMN:
            return str(entry.attempts)
        if column == self.WARNING_COLUMN:
            return self.warning(entry.id)
        if column == self.STATE_COLUMN:
            return self.state_text(entry)
        return ""

    def _colour(self, entry: OutboxEntry, column: int) -> QColor | None:
        theme = current_theme()
        if column == self.WARNING_COLUMN and entry.id in self._warnings:
            passed = self._warnings[entry.id][1]
            return theme.state_color("breached" if passed else "at_risk")
        if column == self.STATE_COLUMN:
            state = entry.state
            if state is OutboxState.FAILED:
                return theme.state_color("breached")
            if state is OutboxState.DEFERRED:
                return theme.state_color("at_risk")
            if state is OutboxState.SENT:
                return theme.state_color("met")
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry(index.row()) if index.isValid() else None
        if entry is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        tipped = (self.SUBJECT_COLUMN, self.WARNING_COLUMN, self.STATE_COLUMN)
        if role == Qt.ItemDataRole.ToolTipRole and column in tipped:
            if column == self.SUBJECT_COLUMN:
                return plain_tip(entry.mail.subject)
            return plain_tip(
                self._text(entry, column)
            )  # plain: the view shows tooltips as plain text
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colour(entry, column)
        if role == Qt.ItemDataRole.UserRole:
            return entry.id
        return None


def details_text(entry: OutboxEntry, state: str, warning: str, zone: tzinfo | None) -> str:
    """The chosen mail, as plain text: where it is, who it goes to, and what it says."""
    mail = entry.mail
    lines = [f"{PURPOSE_WORDS.get(mail.purpose, mail.purpose.value)}: {state}"]
    if warning:
        lines.append(f"Warning: {warning}")
    if entry.state is OutboxState.FAILED and mail.event_id:
        lines.append("The answer it carried did not count for the incident's clock.")
    lines.append(f"Incident: {entry.number or '—'}")
    sender = f"{mail.from_name} <{mail.from_address}>" if mail.from_name else mail.from_address
    lines.append(f"From: {sender}")
    lines.append(f"To: {', '.join(mail.to)}")
    if mail.cc:
        lines.append(f"Cc: {', '.join(mail.cc)}")
    lines.append(f"Subject: {mail.subject}")
    lines.append(f"Queued: {entry.queued_at.astimezone(zone):%a %d %b %Y %H:%M}")
    lines.append(f"Attempts: {entry.attempts}")
    lines.extend(("", mail.text))
    return "\n".join(lines)


class OutboxView(QWidget):
    """The Outbox page. ``now`` is the console's clock (the deadlines are read against it)."""

    count_changed = Signal(int)  # mail waiting to be sent
    counts_changed = Signal(int, int)  # waiting, of which deferred
    incident_opened = Signal(str)  # Open incident
    incident_changed = Signal(str)  # a withdrawal failed a mail: its incident changed
    notice = Signal(str)  # for the status bar
    loaded = Signal()

    def __init__(
        self,
        outbox: OutboxService,
        incidents: IncidentService,
        now: Callable[[], datetime],
        dispatcher: Dispatcher,
        zone: tzinfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._outbox = outbox
        self._incidents = incidents
        self._now = now
        self._dispatcher = dispatcher
        self._zone = zone
        self.model = OutboxModel(zone)
        self.withdraw_box: QMessageBox | None = None
        self._mark: tuple[int, ...] | None = None
        self._checking = False
        self._reloading = False
        self._again = False
        self._shown_before = False
        self.waiting = 0
        self.deferred = 0
        self._build()
        self._connect_signals()
        self.refresh()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 8)
        outer.addWidget(page_title("Outbox"))
        outer.addWidget(
            hint_label(
                "Mail the console sends, newest first. An answer by email counts when the mail "
                "server accepts it; until then it waits here, and is tried again with growing "
                "pauses while the server is away."
            )
        )
        self.general_error = error_label()
        outer.addWidget(self.general_error)
        self.threat_banner = plain_label()
        self.threat_banner.setWordWrap(True)
        self.threat_banner.hide()
        outer.addWidget(self.threat_banner)
        row = QHBoxLayout()
        self.retry_button = QPushButton("Retry now")
        self.retry_button.setToolTip("Try a deferred mail at once instead of waiting")
        self.withdraw_button = QPushButton("Withdraw…")
        self.withdraw_button.setToolTip("Take back a mail not sent yet: its answer will not count")
        self.open_button = QPushButton("Open incident")
        self.waiting_only = QCheckBox("Waiting only")
        self.waiting_only.setToolTip("Show only mail still to be sent")
        for button in (self.retry_button, self.withdraw_button, self.open_button):
            row.addWidget(button)
        row.addStretch(1)
        self.summary = plain_label()
        row.addWidget(self.summary)
        row.addSpacing(12)
        row.addWidget(self.waiting_only)
        outer.addLayout(row)

        shape = list_with_preview(self.model, "Choose a mail to read it here.", EMPTY_TEXT, 3)
        self.table, self.preview, self.empty, self.stack = (
            shape.table,
            shape.preview,
            shape.empty,
            shape.stack,
        )
        outer.addWidget(self.stack, 1)
        self._show_selection()

    def _connect_signals(self) -> None:
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.retry_button.clicked.connect(self._on_retry_button_clicked)
        self.withdraw_button.clicked.connect(self._on_withdraw_button_clicked)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.waiting_only.toggled.connect(self._on_waiting_only_toggled)

    # -- reading -----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read the outbox again (off the GUI thread); ``loaded`` follows."""
        if self._reloading:
            self._again = True
            return
        self._reloading = True
        outbox, incidents, zone = self._outbox, self._incidents, self._zone
        now, waiting_only = self._now(), self.waiting_only.isChecked()
        self._dispatcher.submit(
            lambda: read_outbox(outbox, incidents, now, zone, waiting_only),
            if_alive(self, self._on_loaded),
            if_alive(self, self._fail),
        )

    @Slot()
    def check_outside(self) -> None:
        """Read the outbox again if a mail was queued, tried, sent or failed since it was
        last read (by the sender, ``mail watch``, a second console): a cheap mark."""
        if self._checking or self._reloading:
            return
        self._checking = True
        self._dispatcher.submit(
            self._outbox.mark, if_alive(self, self._on_mark), if_alive(self, self._on_mark)
        )

    def _on_mark(self, mark: Any) -> None:
        self._checking = False
        if isinstance(mark, tuple) and self._mark is not None and mark != self._mark:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Coming back to the Outbox reads it again: the next tries' times moved on."""
        super().showEvent(event)
        if self._shown_before:
            self.refresh()
        self._shown_before = True

    def _on_loaded(self, rows: Any) -> None:
        self._reloading = False
        if not isinstance(rows, OutboxRows):
            return
        chosen = self.selected()
        self.model.reload(rows)
        self._mark = rows.mark
        self.waiting, self.deferred = rows.waiting, rows.deferred
        self.general_error.hide()
        self.empty.setText(EMPTY_WAITING if self.waiting_only.isChecked() else EMPTY_TEXT)
        self.stack.setCurrentIndex(1 if not self.model.rowCount() else 0)
        self._show_threats(rows)
        self._show_summary()
        row = self.model.row_of(chosen.id) if chosen is not None else None
        if row is None and self.model.rowCount():
            row = 0
        if row is not None:
            self.table.selectRow(row)
            self._show_preview()
        else:
            self.preview.clear()
        self._fit_columns()
        self._show_selection()
        self.count_changed.emit(self.waiting)
        self.counts_changed.emit(self.waiting, self.deferred)
        self.loaded.emit()
        if self._again:
            self._again = False
            self.refresh()

    def _fit_columns(self) -> None:
        self.table.resizeColumnsToContents()
        widths = ((OutboxModel.TO_COLUMN, 220), (OutboxModel.SUBJECT_COLUMN, 240))
        for column, widest in (*widths, (OutboxModel.STATE_COLUMN, 340)):
            if self.table.columnWidth(column) > widest:
                self.table.setColumnWidth(column, widest)

    def _show_threats(self, rows: OutboxRows) -> None:
        if not rows.warnings:
            self.threat_banner.hide()
            return
        passed = any(p for _, p in rows.warnings.values())
        colour = current_theme().state_color("breached" if passed else "at_risk").name()
        numbers = list(
            dict.fromkeys(e.number or "?" for e in rows.entries if e.id in rows.warnings)
        )
        count = len(rows.warnings)
        if count == 1:
            words = next(iter(rows.warnings.values()))[0]
            words = f"{numbers[0]}: {words}."
        else:
            shown = ", ".join(numbers[:4]) + (", …" if len(numbers) > 4 else "")
            words = f"{plural(count, 'waiting mail')} would miss a deadline ({shown})."
        self.threat_banner.setText(f"{words} Check the mail server, or answer another way.")
        self.threat_banner.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.threat_banner.show()

    def _show_summary(self) -> None:
        if not self.waiting:
            self.summary.setText("Nothing waiting")
            return
        words = f"{self.waiting} waiting"
        if self.deferred:
            words += f", {self.deferred} deferred"
        self.summary.setText(words)

    def _fail(self, error: Exception) -> None:
        self._reloading = False
        self._again = False
        self.general_error.setText(error_text(error))
        self.general_error.show()

    def count(self) -> int:
        return self.model.rowCount()

    def selected(self) -> OutboxEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry(rows[0].row()) if rows else None

    def select(self, entry_id: str) -> None:
        row = self.model.row_of(entry_id)
        if row is not None:
            self.table.selectRow(row)

    def entries(self) -> Sequence[OutboxEntry]:
        return [e for i in range(self.model.rowCount()) if (e := self.model.entry(i))]

    def _show_selection(self) -> None:
        chosen = self.selected()
        state = chosen.state if chosen is not None else None
        self.retry_button.setEnabled(state is OutboxState.DEFERRED)
        self.withdraw_button.setEnabled(state in (OutboxState.QUEUED, OutboxState.DEFERRED))
        self.open_button.setEnabled(chosen is not None and bool(chosen.mail.incident_id))

    def _show_preview(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self.preview.clear()
            return
        state = self.model.state_text(chosen)
        warning = self.model.warning(chosen.id)
        self.preview.setPlainText(details_text(chosen, state, warning, self._zone))

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self._show_selection()
        self._show_preview()

    @Slot(bool)
    def _on_waiting_only_toggled(self, _checked: bool) -> None:
        self.refresh()

    # -- actions -----------------------------------------------------------------------------

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, _index: QModelIndex) -> None:
        self._on_open_button_clicked()

    @Slot()
    def _on_open_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen.mail.incident_id:
            self.incident_opened.emit(chosen.mail.incident_id)

    @Slot()
    def _on_retry_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.state is not OutboxState.DEFERRED:
            return
        outbox, entry_id, to = self._outbox, chosen.id, ", ".join(chosen.mail.to)
        self.retry_button.setEnabled(False)

        def done(_: object) -> None:
            self.notice.emit(f"The mail to {to} is tried again now")
            self.refresh()

        self._dispatcher.submit(
            lambda: outbox.retry_now(entry_id), if_alive(self, done), if_alive(self, self._refused)
        )

    @Slot()
    def _on_withdraw_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.state not in (OutboxState.QUEUED, OutboxState.DEFERRED):
            return
        to = ", ".join(chosen.mail.to)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Withdraw mail",
            f"Withdraw the mail to {to} ({chosen.number or 'no incident'})? {WITHDRAW_WARNING}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the address is as someone typed it
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Withdraw")
        outbox, entry_id, incident_id = self._outbox, chosen.id, chosen.mail.incident_id

        def done(_: object) -> None:
            self.notice.emit(f"Mail to {to} withdrawn: its answer does not count")
            self.incident_changed.emit(incident_id)
            self.refresh()

        def finished(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self._dispatcher.submit(
                    lambda: outbox.withdraw(entry_id),
                    if_alive(self, done),
                    if_alive(self, self._refused),
                )

        box.finished.connect(finished)
        if self.withdraw_box is not None:
            self.withdraw_box.deleteLater()
        self.withdraw_box = box
        box.open()

    def _refused(self, error: Exception) -> None:
        self.general_error.setText(error_text(error))
        self.general_error.show()
        self.refresh()
