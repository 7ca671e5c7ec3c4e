"""Saved views in the queue: the Views menu's dialogs.

:class:`SaveViewDialog` names the queue's current filters (and shares them with the team, or
not); :class:`ManageViewsDialog` renames, shares or deletes them. Both ask the service on the
dispatcher and show its refusal (a name taken, a view that is not theirs) under the field.
Names come from teammates through sync: they are shown as plain text, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

import qtawesome as qta
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.records import Agent, Role
from console.domain.views import SavedView, ViewFilter
from console.qt.worker import Dispatcher
from console.services.views import SavedViewService
from console.ui.forms import (
    FieldErrors,
    error_label,
    error_text,
    hint_label,
    if_alive,
    plain_tip,
    reserve_line,
    set_plain,
    with_error,
)

__all__ = ["ManageViewsDialog", "SaveViewDialog", "may_change", "view_label"]

NAME_LIMIT = 60


def may_change(view: SavedView, me: Agent) -> bool:
    """A view is changed by whoever made it; a shared one by a team lead or admin too."""
    return view.owner_id == me.id or (view.shared and me.role in (Role.LEAD, Role.ADMIN))


def view_label(view: SavedView) -> str:
    """The view's name as a menu shows it: shared ones say so."""
    return f"{view.name}  (shared)" if view.shared else view.name


class SaveViewDialog(QDialog):
    """Save the queue's filters as a named view; ``saved`` carries it once stored."""

    saved = Signal(object)  # SavedView

    def __init__(
        self,
        views: SavedViewService,
        dispatcher: Dispatcher,
        flt: ViewFilter,
        parent: QWidget | None = None,
        *,
        windows: Mapping[str, str] | None = None,  # window id → name, to say which
    ) -> None:
        super().__init__(parent)
        self._views = views
        self._dispatcher = dispatcher
        self._filter = flt
        self.setWindowTitle("Save view")
        self.setMinimumWidth(440)
        self.name = QLineEdit()
        self.name.setMaxLength(NAME_LIMIT)
        self.name.setPlaceholderText("e.g. Unassigned P1–P2 at risk")
        self.name.setAccessibleName("View name")
        self.shared = QCheckBox("Share with the team")
        self.shared.setToolTip("Everyone on the team sees it once their console syncs")
        self.what = hint_label(f"Shows: {flt.describe(windows)}")
        self.what.setWordWrap(True)
        name_box, name_error = with_error(self.name)
        self.general = reserve_line(error_label())
        self.errors = FieldErrors(self.general)
        self.errors.add("name", self.name, name_error)
        form = QFormLayout()
        form.addRow("&Name", name_box)
        form.addRow("", self.shared)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    @property
    def save_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Save)

    @Slot()
    def _on_save(self) -> None:
        self.save_button.setEnabled(False)
        self._dispatcher.submit(
            partial(
                self._views.save, self.name.text(), self._filter, shared=self.shared.isChecked()
            ),
            if_alive(self, self._on_saved),
            if_alive(self, self._on_failed),
        )

    def _on_saved(self, view: SavedView) -> None:
        self.saved.emit(view)
        self.accept()

    def _on_failed(self, error: Exception) -> None:
        self.save_button.setEnabled(True)
        self.errors.show_exception(error)


class ManageViewsDialog(QDialog):
    """The views this agent sees: rename, share or keep private, delete. ``changed`` after
    each change, so the queue's menu reads them again."""

    changed = Signal()

    def __init__(
        self,
        views: SavedViewService,
        dispatcher: Dispatcher,
        me: Agent,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._views = views
        self._dispatcher = dispatcher
        self._me = me
        self._shown: list[SavedView] = []
        self.confirm: QMessageBox | None = None  # the delete question while it is open
        self.setWindowTitle("Saved views")
        self.setMinimumSize(480, 360)
        self.list = QListWidget()
        self.list.setAccessibleName("Saved views")
        self.empty = hint_label(
            "No saved views yet. Set the queue's filters, then Views → Save current filters…"
        )
        self.empty.setWordWrap(True)
        self.rename = QPushButton(qta.icon("mdi6.rename-outline"), "Rename…")
        self.share = QPushButton(qta.icon("mdi6.account-group-outline"), "Share with the team")
        self.delete = QPushButton(qta.icon("mdi6.delete-outline"), "Delete…")
        self.why = hint_label()
        self.why.setWordWrap(True)
        reserve_line(self.why)
        self.error = reserve_line(error_label())
        side = QVBoxLayout()
        for button in (self.rename, self.share, self.delete):
            side.addWidget(button)
        side.addStretch(1)
        row = QHBoxLayout()
        lists = QVBoxLayout()
        lists.addWidget(self.list, 1)
        lists.addWidget(self.empty)
        row.addLayout(lists, 1)
        row.addLayout(side)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.why)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.list.currentRowChanged.connect(self._update_buttons)
        self.rename.clicked.connect(self._on_rename_clicked)
        self.share.clicked.connect(self._on_share_clicked)
        self.delete.clicked.connect(self._on_delete_clicked)
        self._update_buttons()

    def reload(self) -> None:
        self._dispatcher.submit(
            self._views.views, if_alive(self, self.show_views), if_alive(self, self._on_failed)
        )

    def show_views(self, views: Sequence[SavedView]) -> None:
        chosen = self.current()
        self._shown = list(views)
        self.list.clear()
        for view in self._shown:
            item = QListWidgetItem(view_label(view))  # plain text: a list item is not markup
            item.setToolTip(plain_tip(view.filter.describe()))
            self.list.addItem(item)
        self.empty.setVisible(not self._shown)
        again = next((i for i, v in enumerate(self._shown) if chosen and v.id == chosen.id), 0)
        self.list.setCurrentRow(again if self._shown else -1)
        self._update_buttons()

    def current(self) -> SavedView | None:
        row = self.list.currentRow()
        return self._shown[row] if 0 <= row < len(self._shown) else None

    @Slot()
    def _update_buttons(self) -> None:
        view = self.current()
        allowed = view is not None and may_change(view, self._me)
        for button in (self.rename, self.share, self.delete):
            button.setEnabled(allowed)
        self.share.setText("Keep it to myself" if view and view.shared else "Share with the team")
        if view is not None and not allowed:
            set_plain(self.why, "Shared by a teammate: only they or a team lead can change it.")
        else:
            set_plain(self.why, view.filter.describe() if view else "")
        self.error.hide()

    def _change(self, job: Callable[[], object]) -> None:
        self._dispatcher.submit(
            job, if_alive(self, self._on_changed), if_alive(self, self._on_failed)
        )

    def _on_changed(self, _result: object) -> None:
        self.changed.emit()
        self.reload()

    def _on_failed(self, error: Exception) -> None:
        set_plain(self.error, error_text(error))
        self.error.show()

    @Slot()
    def _on_rename_clicked(self) -> None:
        view = self.current()
        if view is None:
            return
        name, ok = QInputDialog.getText(
            self, "Rename view", "New name:", QLineEdit.EchoMode.Normal, view.name
        )
        if ok:
            self._change(
                partial(self._views.save, name, view.filter, shared=view.shared, view_id=view.id)
            )

    @Slot()
    def _on_share_clicked(self) -> None:
        view = self.current()
        if view is not None:
            self._change(
                partial(
                    self._views.save,
                    view.name,
                    view.filter,
                    shared=not view.shared,
                    view_id=view.id,
                )
            )

    @Slot()
    def _on_delete_clicked(self) -> None:
        view = self.current()
        if view is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete view",
            f"Delete the view “{view.name}”?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText("Your teammates lose it too." if view.shared else "Only you had it.")
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText("Delete")
        yes.clicked.connect(partial(self._change, partial(self._views.delete, view.id)))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.confirm = box
        box.open()
