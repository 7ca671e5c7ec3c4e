"""The incident's outbound mail, compact, in its detail view: each mail's state in words
(Queued, Sending, Sent at …, Deferred — next try at … (the server's words), Failed (the
server's words) and that the answer did not count), Retry now and Withdraw… on waiting ones,
and — when a bounce or an out-of-office came back for a sent mail — "Not delivered to ….
Send to … instead".

The detail view reads the incident's mail with its details (:func:`read_incident_mail`, in
the same job) and hands it to :meth:`OutboxStrip.show_mail`; the strip reads it again off
the GUI thread after its own actions and when the outbox changed
(:meth:`OutboxStrip.check_outside`, a cheap mark). Hidden when the incident has no mail.
What servers said is shown as plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.outbound import OutboxEntry, OutboxState
from console.domain.records import Contact
from console.qt.worker import Dispatcher
from console.services.outbox import OutboxService
from console.ui.forms import error_label, error_text, if_alive, plain_label, plain_tip
from console.ui.mail.outbox_view import PURPOSE_WORDS, WITHDRAW_WARNING, state_words
from console.ui.theme import current_theme

__all__ = ["SHOWN", "IncidentMail", "OutboxStrip", "mail_line", "read_incident_mail"]

SHOWN = 4  # mails listed; the Outbox page has them all
_SAID_MAX = 160  # characters of a server's words on the strip; the tooltip has them all


@dataclass(frozen=True)
class IncidentMail:
    """One incident's mail, as read off the GUI thread."""

    entries: list[OutboxEntry]
    undelivered: list[tuple[OutboxEntry, str, Contact | None]]
    mark: tuple[int, ...]
    now: datetime


def read_incident_mail(outbox: OutboxService, incident_id: str, now: datetime) -> IncidentMail:
    """The incident's mail, any bounce to act on, and the outbox's mark (any thread)."""
    mark = outbox.mark()
    return IncidentMail(outbox.entries(incident_id), outbox.undelivered(incident_id), mark, now)


def mail_line(entry: OutboxEntry, zone: tzinfo | None, now: datetime | None = None) -> str:
    """``Response to olivia@… — Deferred — next try at 10:15 (451 …)``; a failed answer
    says that it did not count."""
    what = PURPOSE_WORDS.get(entry.mail.purpose, entry.mail.purpose.value)
    words = state_words(entry, zone, now)
    if len(words) > _SAID_MAX:
        words = words[: _SAID_MAX - 1] + "…"
    line = f"{what} to {', '.join(entry.mail.to)} — {words}"
    if entry.state is OutboxState.FAILED and entry.mail.event_id:
        line += " — the answer did not count"
    return line


class OutboxStrip(QFrame):
    """``changed`` carries what an action returned (a summary, or None) once it is saved."""

    changed = Signal(object)
    notice = Signal(str)
    loaded = Signal()

    def __init__(
        self,
        outbox: OutboxService,
        dispatcher: Dispatcher,
        now: Callable[[], datetime],
        zone: tzinfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._outbox = outbox
        self._now = now
        self._dispatcher = dispatcher
        self._zone = zone
        self._incident_id = ""
        self._token = 0
        self._mark: tuple[int, ...] | None = None
        self._checking = False
        self.mail: IncidentMail | None = None
        self.withdraw_box: QMessageBox | None = None
        self.lines: list[QLabel] = []
        self.retry_buttons: dict[str, QPushButton] = {}
        self.withdraw_buttons: dict[str, QPushButton] = {}
        self.resend_buttons: dict[str, QPushButton] = {}
        self.setObjectName("outboxStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 4)
        outer.setSpacing(2)
        self.error = error_label()
        outer.addWidget(self.error)
        self.rows = QVBoxLayout()
        self.rows.setSpacing(2)
        outer.addLayout(self.rows)
        self.hide()

    # -- reading -----------------------------------------------------------------------------

    def show_incident(self, incident_id: str) -> None:
        """Read ``incident_id``'s mail (off the GUI thread); ``loaded`` follows."""
        self._incident_id = incident_id
        self._token += 1
        if not incident_id:
            self.clear()
            return
        token, outbox, now = self._token, self._outbox, self._now

        def job() -> IncidentMail:
            return read_incident_mail(outbox, incident_id, now())

        def done(mail: Any) -> None:
            if token == self._token and isinstance(mail, IncidentMail):
                self.show_mail(incident_id, mail)

        def failed(error: Exception) -> None:
            if token == self._token:
                self.error.setText(error_text(error))
                self.error.show()
                self.show()

        self._dispatcher.submit(job, if_alive(self, done), if_alive(self, failed))

    @Slot()
    def check_outside(self) -> None:
        """Read the mail again when the outbox changed (a mail sent or deferred meanwhile)."""
        if self._checking or not self._incident_id or self._mark is None:
            return
        self._checking = True

        def answered(mark: Any) -> None:
            self._checking = False
            if isinstance(mark, tuple) and self._mark is not None and mark != self._mark:
                self.show_incident(self._incident_id)

        self._dispatcher.submit(
            self._outbox.mark, if_alive(self, answered), if_alive(self, answered)
        )

    def clear(self) -> None:
        self.mail = None
        self._mark = None
        self._clear_rows()
        self.hide()

    def _clear_rows(self) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.lines = []
        self.retry_buttons, self.withdraw_buttons, self.resend_buttons = {}, {}, {}

    # -- showing -----------------------------------------------------------------------------

    def show_mail(self, incident_id: str, mail: IncidentMail) -> None:
        """Show ``incident_id``'s mail as read (by :func:`read_incident_mail`) elsewhere."""
        if incident_id != self._incident_id:
            self._incident_id = incident_id
            self._token += 1
        self.mail = mail
        self._mark = mail.mark
        self.error.hide()
        self._clear_rows()
        if not mail.entries:
            self.hide()
            self.loaded.emit()
            return
        theme = current_theme()
        for entry, address, contact in self._offers(mail):
            words = f"Not delivered to {address}."
            row = self._row(words, theme.state_color("breached").name())
            if contact is not None and contact.emails:
                button = QPushButton(f"Send to {contact.name} instead")
                button.setToolTip(plain_tip(f"The same text, as a new mail to {contact.emails[0]}"))
                button.clicked.connect(
                    lambda _=False, e=entry.id, to=contact.emails[0]: self._resend(e, to)
                )
                offer = row.layout()
                assert offer is not None
                offer.addWidget(button)
                self.resend_buttons[entry.id] = button
            else:
                self.lines[-1].setText(words + " The support list has no further contact.")
        for entry in mail.entries[:SHOWN]:
            colour = {
                OutboxState.FAILED: theme.state_color("breached").name(),
                OutboxState.DEFERRED: theme.state_color("at_risk").name(),
                OutboxState.SENT: theme.state_color("met").name(),
            }.get(entry.state, "")
            row = self._row(mail_line(entry, self._zone, mail.now), colour)
            self.lines[-1].setToolTip(plain_tip(state_words(entry, self._zone, mail.now)))
            layout = row.layout()
            assert layout is not None
            if entry.state is OutboxState.DEFERRED:
                retry = QPushButton("Retry now")
                retry.clicked.connect(lambda _=False, e=entry.id: self._retry(e))
                layout.addWidget(retry)
                self.retry_buttons[entry.id] = retry
            if entry.state in (OutboxState.QUEUED, OutboxState.DEFERRED):
                withdraw = QPushButton("Withdraw…")
                withdraw.clicked.connect(lambda _=False, e=entry: self._withdraw(e))
                layout.addWidget(withdraw)
                self.withdraw_buttons[entry.id] = withdraw
        more = len(mail.entries) - SHOWN
        if more > 0:
            self._row(f"and {more} earlier mail{'s' if more > 1 else ''}: see the Outbox", "")
        self.show()
        self.loaded.emit()

    @staticmethod
    def _offers(mail: IncidentMail) -> list[tuple[OutboxEntry, str, Contact | None]]:
        """Bounces still to act on: none once a later mail went to the next contact."""
        out = []
        for entry, address, contact in mail.undelivered:
            later = [e for e in mail.entries if e.id != entry.id and e.queued_at >= entry.queued_at]
            if contact is not None and any(
                a.casefold() in {m.casefold() for m in contact.emails}
                for e in later
                for a in e.mail.to
            ):
                continue
            out.append((entry, address, contact))
        return out

    def _row(self, text: str, colour: str) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label = plain_label(text)  # addresses and servers' words, as they were
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if colour:
            label.setStyleSheet(f"color: {colour};")
        layout.addWidget(label, 1)
        self.rows.addWidget(row)
        self.lines.append(label)
        return row

    def texts(self) -> list[str]:
        return [label.text() for label in self.lines]

    # -- actions -----------------------------------------------------------------------------

    def _retry(self, entry_id: str) -> None:
        outbox = self._outbox
        self._submit(lambda: outbox.retry_now(entry_id), "The mail is tried again now")

    def _withdraw(self, entry: OutboxEntry) -> None:
        to = ", ".join(entry.mail.to)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Withdraw mail",
            f"Withdraw the mail to {to}? {WITHDRAW_WARNING}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Withdraw")
        outbox, entry_id = self._outbox, entry.id

        def finished(_result: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
                self._submit(
                    lambda: outbox.withdraw(entry_id),
                    f"Mail to {to} withdrawn: its answer does not count",
                )

        box.finished.connect(finished)
        if self.withdraw_box is not None:
            self.withdraw_box.deleteLater()
        self.withdraw_box = box
        box.open()

    def _resend(self, entry_id: str, recipient: str) -> None:
        outbox = self._outbox
        self._submit(
            lambda: outbox.resend(entry_id, recipient), f"The mail waits to go to {recipient}"
        )

    def _submit(self, job: Any, said: str) -> None:
        for button in self.findChildren(QPushButton):
            button.setEnabled(False)

        def done(result: object) -> None:
            self.notice.emit(said)
            self.changed.emit(result)
            self.show_incident(self._incident_id)

        def failed(error: Exception) -> None:
            self.error.setText(error_text(error))
            self.error.show()
            self.show_incident(self._incident_id)

        self._dispatcher.submit(job, if_alive(self, done), if_alive(self, failed))
