"""The Inbox's and the Outbox's shape: a one-row-at-a-time list above a plain-text preview
of the chosen row, and a hint in its place when the list is empty."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTableView,
)

from console.ui.forms import hint_label

__all__ = ["ListWithPreview", "list_with_preview"]


@dataclass(frozen=True)
class ListWithPreview:
    table: QTableView
    preview: QPlainTextEdit  # plain text only: whatever the row shows stays text
    empty: QLabel
    stack: QStackedWidget  # page 0 the list and preview, page 1 the empty hint


def list_with_preview(
    model: QAbstractItemModel, choose_hint: str, empty_text: str, list_stretch: int
) -> ListWithPreview:
    """``list_stretch``: the list's share of the height against the preview's 2."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    preview = QPlainTextEdit()
    preview.setReadOnly(True)
    preview.setPlaceholderText(choose_hint)
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(table)
    splitter.addWidget(preview)
    splitter.setStretchFactor(0, list_stretch)
    splitter.setStretchFactor(1, 2)
    empty = hint_label(empty_text)
    empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
    stack = QStackedWidget()
    stack.addWidget(splitter)
    stack.addWidget(empty)
    return ListWithPreview(table, preview, empty, stack)
