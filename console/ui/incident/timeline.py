"""The incident's timeline: one row per event, in the order every replica agrees on.

Events are append-only, so a refresh that only adds events inserts rows at the end; anything
else (a merge from another workstation placed an event earlier) resets the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

import qtawesome as qta
from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from console.domain.events import EventKind, IncidentEvent, ordered
from console.domain.explain import when
from console.domain.records import Status
from console.ui.forms import plain_tip
from console.ui.table_model import HeaderedTableModel

EVENT_ROLE = Qt.ItemDataRole.UserRole + 1  # the IncidentEvent of the row

_ICONS = {
    EventKind.OPENED: "mdi6.inbox-arrow-down",
    EventKind.REPORT_UPDATED: "mdi6.file-document-edit-outline",
    EventKind.RESPONDED: "mdi6.reply",
    EventKind.STATUS_UPDATE: "mdi6.bullhorn-outline",
    EventKind.PRIORITY_CHANGED: "mdi6.swap-vertical",
    EventKind.ESCALATED: "mdi6.arrow-up-bold-circle-outline",
    EventKind.EXCLUDED: "mdi6.cancel",
    EventKind.WAITING_ON_CUSTOMER: "mdi6.pause-circle-outline",
    EventKind.RESUMED: "mdi6.play-circle-outline",
    EventKind.ASSIGNED: "mdi6.account-arrow-right-outline",
    EventKind.NOTE: "mdi6.note-text-outline",
    EventKind.RESOLVED: "mdi6.check-circle-outline",
    EventKind.REOPENED: "mdi6.restore",
    EventKind.CUSTOMER_MESSAGE: "mdi6.email-arrow-left-outline",
    EventKind.DELIVERY: "mdi6.email-alert-outline",
    EventKind.MAIL_SENT: "mdi6.email-check-outline",
    EventKind.MAIL_FAILED: "mdi6.email-remove-outline",
}

CHANNEL_WORDS = {"email": "email", "web": "the web form", "phone": "phone"}  # "via …"
STATUS_TEXT = {  # an incident's status as its detail heading shows it
    Status.OPEN: "Open",
    Status.WAITING_ON_CUSTOMER: "Waiting on customer",
    Status.RESOLVED: "Resolved",
    Status.EXCLUDED: "Excluded",
}
_REPORT_NAMES = {
    "title": "title",
    "affected": "affected aspects",
    "impact": "impact",
    "started_at": "start time",
    "steps": "steps to reproduce",
    "error_message": "error message",
    "attachments": "attachments",
}


def describe(event: IncidentEvent, exclusions: Mapping[str, str] | None = None) -> str:
    """One line saying what happened."""
    data, kind = event.data, event.kind
    if kind is EventKind.OPENED:
        how = CHANNEL_WORDS.get(str(data.get("channel")), str(data.get("channel") or "?"))
        text = f"Received by {how} as {data.get('priority') or '?'}"
        mail = data.get("mail")
        if isinstance(mail, Mapping) and mail.get("sender"):
            text += f" from {mail['sender']}"
            if mail.get("received_from") == "date-header":
                text += " (imported from a file: received time from its Date header)"
        proposed = data.get("proposed_priority")
        if proposed and proposed != data.get("priority"):
            text += f" (customer proposed {proposed})"
        return text
    if kind is EventKind.REPORT_UPDATED:
        names = [_REPORT_NAMES[k] for k in _REPORT_NAMES if k in data]
        return "Report updated: " + (", ".join(names) or "no items")
    queued = isinstance(data.get("mail"), Mapping)  # through the outbox: counts once accepted
    if kind is EventKind.RESPONDED:
        to = f" to {data['recipient']}" if data.get("recipient") else ""
        if queued:
            return f"Response sent by email{to} (counts when the mail server accepts it)"
        return f"Responded by {data.get('channel') or 'email'}{to}"
    if kind is EventKind.STATUS_UPDATE:
        if queued:
            return (
                f"Status update sent by email to {data.get('recipient') or '?'} "
                "(counts when the mail server accepts it)"
            )
        if data.get("channel") == "email":
            return f"Status update emailed to {data.get('recipient') or '?'}"
        return "Status update posted on the status page"
    if kind is EventKind.PRIORITY_CHANGED:
        side = "customer" if data.get("side") == "customer" else "vendor"
        return f"Priority changed to {data.get('priority')} ({side})"
    if kind is EventKind.ESCALATED:
        return f"Customer escalated to Escalation {data.get('level')}"
    if kind is EventKind.EXCLUDED:
        code = str(data.get("reason") or "")
        policy_text = (exclusions or {}).get(code, "")
        return f"Excluded, reason ({code})" + (f": {policy_text}" if policy_text else "")
    if kind is EventKind.WAITING_ON_CUSTOMER:
        return "Waiting on the customer"
    if kind is EventKind.RESUMED:
        return "Resumed: the customer answered"
    if kind is EventKind.ASSIGNED:
        name = data.get("agent_name")
        return f"Assigned to {name}" if data.get("agent_id") else "Unassigned"
    if kind is EventKind.NOTE:
        return "Internal note"
    if kind is EventKind.RESOLVED:
        return "Resolved"
    if kind is EventKind.REOPENED:
        return "Reopened"
    if kind is EventKind.CUSTOMER_MESSAGE:
        sender = data.get("sender")
        return f"Customer wrote by email (from {sender})" if sender else "Customer wrote"
    if kind is EventKind.DELIVERY:
        failed = ", ".join(str(r) for r in data.get("recipients") or ())
        if data.get("verdict") == "bounce":
            return f"Not delivered to {failed}" if failed else "A mail was not delivered"
        return f"Automatic reply from {data.get('sender') or '?'}"
    if kind is EventKind.MAIL_SENT:
        to = ", ".join(str(r) for r in data.get("recipients") or ())
        return f"Mail accepted by the mail server for {to}" if to else "Mail accepted"
    if kind is EventKind.MAIL_FAILED:
        to = ", ".join(str(r) for r in data.get("recipients") or ())
        return f"Mail to {to or '?'} failed: not sent, the answer does not count"
    return str(kind.value)


def details(event: IncidentEvent) -> str:
    """The free text the event carries (message, reason, note), if any."""
    data = event.data
    if event.kind is EventKind.OPENED:
        title = str(data.get("title") or "")
        body = str(data.get("text") or "").strip()  # a mail's body
        return f"{title}\n\n{body}" if body else title
    parts = [str(data[key]) for key in ("text", "reason", "error", "reply") if data.get(key)]
    if event.kind is EventKind.EXCLUDED:
        parts = [str(data.get("text") or "")]
    return "\n".join(p for p in parts if p)


class TimelineModel(HeaderedTableModel):
    """Events as rows: when (in the agent's zone), who, what, and the text they carried."""

    WHEN, WHO, WHAT, TEXT = range(4)
    _HEADERS = ("When", "Who", "What", "Details")

    def __init__(self, zone: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._events: list[IncidentEvent] = []
        self._exclusions: dict[str, str] = {}
        self._pushed_by: dict[str, str] = {}
        self._icons: dict[EventKind, QIcon] = {}

    def set_events(
        self,
        events: Sequence[IncidentEvent],
        exclusions: Mapping[str, str] | None = None,
        pushed_by: Mapping[str, str] | None = None,
    ) -> None:
        """Show ``events``; appended events are inserted, anything else is a reload.

        ``pushed_by`` names the team server login that pushed each pulled event: the "who"
        shows it beside the name the writing console gave, so a name cannot be borrowed.
        """
        new = ordered(events)
        self._exclusions = dict(exclusions or {})
        self._pushed_by = dict(pushed_by or {})
        old_ids = [e.id for e in self._events]
        count = len(old_ids)
        if old_ids and [e.id for e in new[:count]] == old_ids:
            if len(new) > count:
                self.beginInsertRows(QModelIndex(), count, len(new) - 1)
                self._events = new
                self.endInsertRows()
            return
        self.beginResetModel()
        self._events = new
        self.endResetModel()

    def clear(self) -> None:
        if self._events:
            self.beginResetModel()
            self._events = []
            self.endResetModel()

    def event_at(self, row: int) -> IncidentEvent:
        return self._events[row]

    # -- Qt model API -----------------------------------------------------------------------

    def _row_total(self) -> int:
        return len(self._events)

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._events):
            return None
        event, column = self._events[index.row()], index.column()
        if role == EVENT_ROLE:
            return event
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.WHEN:
                return when(event.at, self._zone)
            if column == self.WHO:
                return self._who(event)
            if column == self.WHAT:
                return describe(event, self._exclusions)
            if column == self.TEXT:
                return details(event)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.WHEN:
                origin = f"\nRecorded on workstation {event.origin}" if event.origin else ""
                return plain_tip(f"{event.at.isoformat(timespec='seconds')}{origin}")
            if column == self.TEXT:
                return plain_tip(details(event)) or None  # people's text, as typed
            if column == self.WHO and event.id in self._pushed_by:
                return plain_tip(
                    f"Pulled from the team server, pushed by its login "
                    f"“{self._pushed_by[event.id]}”. The name before it is the one the "
                    "writing console recorded."
                )
        if role == Qt.ItemDataRole.DecorationRole and column == self.WHAT:
            return self._icon(event.kind)
        return None

    def _who(self, event: IncidentEvent) -> str:
        name = event.author or "—"
        member = self._pushed_by.get(event.id)
        return f"{name} (server login {member})" if member else name

    def _icon(self, kind: EventKind) -> QIcon:
        if kind not in self._icons:
            self._icons[kind] = qta.icon(_ICONS.get(kind, "mdi6.circle-small"))
        return self._icons[kind]


class TimelineDelegate(QStyledItemDelegate):
    """Paints one event as a small card: what (bold), when and who, then the text it carried.

    It reads everything from the model's columns of the row; it only lays text out.
    """

    _PAD = 6
    _ICON = 16

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = QIcon()
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_colour = palette.highlightedText() if selected else palette.text()
        muted = palette.highlightedText() if selected else palette.placeholderText()
        rect = option.rect
        icon = index.sibling(index.row(), TimelineModel.WHAT).data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon):
            icon.paint(
                painter,
                QRect(rect.x() + self._PAD, rect.y() + self._PAD, self._ICON, self._ICON),
            )
        for block_rect, text, font, muted_block in self._blocks(option, index, rect.width()):
            painter.setFont(font)
            painter.setPen((muted if muted_block else text_colour).color())
            painter.drawText(
                block_rect.translated(rect.x(), rect.y()),
                int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft),
                text,
            )
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        width = self._width(option)
        blocks = self._blocks(option, index, width)
        bottom = max((r.bottom() for r, _, _, _ in blocks), default=0)
        return QSize(width, bottom + self._PAD + 1)

    def _width(self, option: QStyleOptionViewItem) -> int:
        widget = option.widget
        if isinstance(widget, QAbstractItemView):
            return max(200, widget.viewport().width())
        return max(200, option.rect.width())

    def _blocks(
        self,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        width: int,
    ) -> list[tuple[QRect, str, QFont, bool]]:
        """(rect relative to the item, text, font, muted) for each line block."""
        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.9)
        what = str(index.sibling(index.row(), TimelineModel.WHAT).data() or "")
        who = str(index.sibling(index.row(), TimelineModel.WHO).data() or "")
        at = str(index.sibling(index.row(), TimelineModel.WHEN).data() or "")
        text = str(index.sibling(index.row(), TimelineModel.TEXT).data() or "")
        left = self._PAD * 2 + self._ICON
        inner = max(50, width - left - self._PAD)
        blocks: list[tuple[QRect, str, QFont, bool]] = []
        y = self._PAD
        for content, font, muted in ((what, bold, False), (f"{at} · {who}", small, True)):
            height = _height(font, inner, content)
            blocks.append((QRect(left, y, inner, height), content, font, muted))
            y += height + 1
        if text:
            y += 2
            height = _height(base, inner, text)
            blocks.append((QRect(left, y, inner, height), text, base, False))
        return blocks


def _height(font: QFont, width: int, text: str) -> int:
    metrics = QFontMetrics(font)
    flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
    return metrics.boundingRect(QRect(0, 0, width, 100_000), flags, text).height()


class TimelineView(QListView):
    """The timeline as a list of event cards that re-wrap when the view is resized."""

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setModelColumn(TimelineModel.WHEN)
        self.setItemDelegate(TimelineDelegate(self))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        model.rowsInserted.connect(self.scrollToBottom)
