"""The Inbox: mail held for review (unknown or ambiguous senders, too many from one address),
with a plain-text preview, Accept… into an incident and Reject….

Everything a sender wrote is shown as plain text, never as HTML or markup (STYLE habit 18).
Reading the list, the message and every decision run off the GUI thread.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.mail import MailMessage
from console.qt.worker import Dispatcher
from console.services.customers import CustomerService
from console.services.mail_intake import MailIntake
from console.services.ports import HeldMail
from console.ui.forms import error_label, error_text, hint_label, if_alive, page_title
from console.ui.mail.accept_dialog import AcceptMailDialog
from console.ui.mail.list_preview import list_with_preview
from console.ui.table_model import HeaderedTableModel

__all__ = ["EMPTY_TEXT", "HeldMailModel", "InboxView", "preview_text"]

EMPTY_TEXT = "No mail waiting. Messages from addresses on no support list wait here."
_Index = QModelIndex | QPersistentModelIndex


def preview_text(message: MailMessage) -> str:
    """Sender, subject and body, as plain text (the HTML part was converted by the parser)."""
    sender = message.from_address or "(no address)"
    if message.from_name:
        sender = f"{message.from_name} <{sender}>"
    lines = [f"From: {sender}", f"Subject: {message.subject or '(no subject)'}"]
    if message.date is not None:
        lines.append(f"Date: {message.date:%a %d %b %Y %H:%M %z}")
    if message.attachments:
        lines.append(
            "Attachments: " + ", ".join(a.filename or "(unnamed)" for a in message.attachments)
        )
    lines.extend(("", message.text or "(no text)"))
    return "\n".join(lines)


class HeldMailModel(HeaderedTableModel):
    _HEADERS: ClassVar[tuple[str, ...]] = ("Received", "From", "Subject", "Why held")

    def __init__(self, zone: tzinfo | None = None) -> None:
        super().__init__()
        self._zone = zone
        self._rows: list[HeldMail] = []

    def _row_total(self) -> int:
        return len(self._rows)

    def reload(self, rows: list[HeldMail]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def held(self, row: int) -> HeldMail | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, held_id: int) -> int | None:
        return next((i for i, h in enumerate(self._rows) if h.id == held_id), None)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        held = self.held(index.row()) if index.isValid() else None
        if held is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return held.received_at.astimezone(self._zone).strftime("%a %d %b %H:%M")
            if column == 1:
                return f"{held.sender_name} <{held.sender}>" if held.sender_name else held.sender
            if column == 2:
                return held.subject or "(no subject)"
            if column == 3:
                return held.why
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return held.why  # never markup: the text is ours, but stays plain
        if role == Qt.ItemDataRole.UserRole:
            return held.id
        return None


class InboxView(QWidget):
    """``by``: who decides (the signed-in agent's id), recorded with each decision."""

    count_changed = Signal(int)
    incident_opened = Signal(str)  # the incident an accepted message opened
    notice = Signal(str)  # for the status bar
    loaded = Signal()
    preview_loaded = Signal(int)

    def __init__(
        self,
        intake: MailIntake,
        customers: CustomerService,
        by: str,
        dispatcher: Dispatcher,
        zone: tzinfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._intake = intake
        self._customers = customers
        self._by = by
        self._dispatcher = dispatcher
        self.accept_dialog: AcceptMailDialog | None = None
        self.reject_box: QMessageBox | None = None
        self.model = HeldMailModel(zone)
        self._shown_before = False
        self._mark: tuple[int, int] | None = None  # the Inbox as last read (count, newest)
        self._checking = False
        self._build()
        self._connect_signals()
        self.reload()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 8)
        outer.addWidget(page_title("Inbox"))
        outer.addWidget(
            hint_label(
                "Mail that opened no incident by itself: accept it into an incident for a "
                "customer, or reject it. Mail from support-list contacts never waits here."
            )
        )
        self.general_error = error_label()
        outer.addWidget(self.general_error)
        row = QHBoxLayout()
        self.accept_button = QPushButton("Accept…")
        self.accept_button.setToolTip("Open an incident from this message")
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setToolTip("Leave this message out (it is kept, not imported)")
        row.addWidget(self.accept_button)
        row.addWidget(self.reject_button)
        row.addStretch(1)
        outer.addLayout(row)

        shape = list_with_preview(self.model, "Choose a message to read it here.", EMPTY_TEXT, 1)
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
        self.accept_button.clicked.connect(self._on_accept_button_clicked)
        self.reject_button.clicked.connect(self._on_reject_button_clicked)
        self.table.doubleClicked.connect(self._on_table_double_clicked)

    # -- the list ---------------------------------------------------------------------------

    def reload(self) -> None:
        self._dispatcher.submit(
            self._intake.held, if_alive(self, self._on_loaded), if_alive(self, self._fail)
        )

    @Slot()
    def check_outside(self) -> None:
        """Read the Inbox again if another program (``mail watch``, a second console) held
        or decided mail since it was last read; a cheap count, asked off the GUI thread."""
        if self._checking:
            return
        self._checking = True
        self._dispatcher.submit(
            self._intake.held_mark, if_alive(self, self._on_mark), if_alive(self, self._on_mark)
        )

    def _on_mark(self, mark: Any) -> None:
        self._checking = False
        if isinstance(mark, tuple) and self._mark is not None and mark != self._mark:
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        """Coming back to the Inbox reads it again: 'mail watch' elsewhere may have held more."""
        super().showEvent(event)
        if self._shown_before:
            self.reload()
        self._shown_before = True

    def count(self) -> int:
        return self.model.rowCount()

    def _on_loaded(self, rows: Any) -> None:
        chosen = self.selected()
        rows = list(rows)
        self.model.reload(rows)
        self._mark = (len(rows), max((r.id for r in rows), default=0))
        self.general_error.hide()
        self.stack.setCurrentIndex(1 if not self.model.rowCount() else 0)
        row = self.model.row_of(chosen.id) if chosen is not None else None
        if row is None and self.model.rowCount():
            row = 0
        if row is not None:
            self.table.selectRow(row)
        else:
            self.preview.clear()
        self.table.resizeColumnsToContents()
        self._show_selection()
        self.count_changed.emit(self.model.rowCount())
        self.loaded.emit()

    def selected(self) -> HeldMail | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.held(rows[0].row()) if rows else None

    def select(self, held_id: int) -> None:
        row = self.model.row_of(held_id)
        if row is not None:
            self.table.selectRow(row)

    def _show_selection(self) -> None:
        chosen = self.selected() is not None
        self.accept_button.setEnabled(chosen)
        self.reject_button.setEnabled(chosen)

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self._show_selection()
        chosen = self.selected()
        if chosen is None:
            self.preview.clear()
            return
        held_id, intake = chosen.id, self._intake
        self.preview.setPlainText("Reading the message…")

        def shown(message: Any) -> None:
            current = self.selected()
            if current is not None and current.id == held_id:
                self.preview.setPlainText(preview_text(message))
                self.preview_loaded.emit(held_id)

        def not_shown(error: Exception) -> None:
            current = self.selected()
            if current is not None and current.id == held_id:
                self.preview.setPlainText(error_text(error))

        self._dispatcher.submit(
            lambda: intake.held_message(held_id), if_alive(self, shown), if_alive(self, not_shown)
        )

    def _fail(self, error: Exception) -> None:
        self.general_error.setText(error_text(error))
        self.general_error.show()

    # -- decisions --------------------------------------------------------------------------

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, _index: QModelIndex) -> None:
        self._on_accept_button_clicked()

    @Slot()
    def _on_accept_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        dialog = AcceptMailDialog(
            chosen, self._intake, self._customers, self._by, self._dispatcher, self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted_into.connect(self._on_accept_dialog_accepted_into)
        dialog.destroyed.connect(lambda: setattr(self, "accept_dialog", None))
        self.accept_dialog = dialog
        dialog.open()

    @Slot(object)
    def _on_accept_dialog_accepted_into(self, result: Any) -> None:
        self.notice.emit(f"{result.number} opened from mail")
        self.incident_opened.emit(result.incident_id)
        self.reload()

    @Slot()
    def _on_reject_button_clicked(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Reject mail",
            f"Reject the message from {chosen.sender or 'an unreadable address'}? It opens no "
            "incident and leaves the Inbox; the message itself is kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the address is as the sender wrote it
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Reject")
        intake, held_id, by = self._intake, chosen.id, self._by

        def finished(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self._dispatcher.submit(
                    lambda: intake.reject(held_id, by),
                    if_alive(self, self._on_rejected),
                    if_alive(self, self._fail),
                )

        box.finished.connect(finished)
        if self.reject_box is not None:
            self.reject_box.deleteLater()
        self.reject_box = box
        box.open()

    def _on_rejected(self, _: object) -> None:
        self.notice.emit("Mail rejected: it opens no incident")
        self.reload()
