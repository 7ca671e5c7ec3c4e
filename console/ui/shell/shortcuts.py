"""Every action of a window, where it lives and its keys; Help → Keyboard shortcuts.

The command palette and the shortcuts dialog read the same list, so what one shows the other
shows too. Actions are found at the moment they are asked for (features assembled after the
window, such as sync, add their entries late): the menu bar (submenus too), the toolbars, the
window's own actions, then actions of the widgets inside it (a list's "Move up").
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMenu,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.ui.forms import plain_label

__all__ = [
    "OTHER_GROUP",
    "FoundAction",
    "action_label",
    "keyboard_shortcuts_dialog",
    "shortcut_text",
    "shortcuts_text",
    "window_actions",
]

OTHER_GROUP = "Window"  # actions on the window that are in no menu or toolbar
SCREEN_GROUP = "Where the focus is"  # actions of a widget inside the window


@dataclass(frozen=True)
class FoundAction:
    action: QAction
    group: str  # "Incident", "View › Columns", a toolbar's title, …

    @property
    def label(self) -> str:
        return action_label(self.action)

    @property
    def shortcut(self) -> str:
        return shortcut_text(self.action)


def action_label(action: QAction) -> str:
    """What the action says, without the mnemonic ampersands ("&&" stays one "&")."""
    return _no_mnemonic(action.text())


def _no_mnemonic(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def shortcut_text(action: QAction) -> str:
    """The action's keys as this platform writes them ("Ctrl+Shift+B"); "" for none."""
    keys = [k for k in action.shortcuts() if not k.isEmpty()]
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)


def _usable(action: QAction) -> bool:
    return (
        not action.isSeparator()
        and action.menu() is None
        and bool(action_label(action).strip())
        and not action.objectName().startswith("_q_")
        and action.isVisible()
    )


def window_actions(window: QMainWindow, *, shown_only: bool = False) -> list[FoundAction]:
    """Every action a user can reach on ``window``, each once, in menu order; with
    ``shown_only``, a widget's own actions only while that widget is on screen (the palette
    offers what can act on what the user sees)."""
    found: list[FoundAction] = []
    seen: set[int] = set()

    def add(action: QAction, group: str) -> None:
        if id(action) in seen or not _usable(action):
            return
        seen.add(id(action))
        found.append(FoundAction(action, group))

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu, f"{path} › {_no_mnemonic(submenu.title())}")
            else:
                add(action, path)

    for action in window.menuBar().actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            walk(submenu, _no_mnemonic(submenu.title()))
    for bar in window.findChildren(QToolBar):
        for action in bar.actions():
            add(action, _no_mnemonic(bar.windowTitle()) or "Toolbar")
    for action in window.actions():
        add(action, OTHER_GROUP)
    for widget in window.findChildren(QWidget):
        if isinstance(widget, (QMenu, QToolBar)) or (shown_only and not widget.isVisible()):
            continue
        for action in widget.actions():
            add(action, _screen_name(widget, window))
    return found


def _screen_name(widget: QWidget, window: QMainWindow) -> str:
    """The name of the part of the window a widget's action works in: the nearest
    accessible name or title above it, else "Where the focus is"."""
    current: QWidget | None = widget
    while current is not None and current is not window:
        name = current.accessibleName() or (current.windowTitle() if current.isWindow() else "")
        if name:
            return name
        current = current.parentWidget()
    return SCREEN_GROUP


def shortcuts_text(window: QMainWindow) -> str:
    """Help → Keyboard shortcuts as plain text: one block per menu, one line per action."""
    blocks: list[str] = []
    for group, rows in _by_group(window):
        width = max(len(label) for label, _ in rows)
        lines = [f"  {label.ljust(width)}   {keys}" for label, keys in rows]
        blocks.append("\n".join([group, *lines]))
    return "\n\n".join(blocks) + "\n"


def _by_group(window: QMainWindow) -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for found in window_actions(window):
        if found.shortcut:
            groups.setdefault(found.group, []).append((found.label, found.shortcut))
    return list(groups.items())


def keyboard_shortcuts_dialog(window: QMainWindow) -> QDialog:
    """Help → Keyboard shortcuts: every action that has keys, grouped by menu (plain text)."""
    dialog = QDialog(window)
    dialog.setWindowTitle("Keyboard shortcuts")
    layout = QVBoxLayout(dialog)
    layout.addWidget(
        plain_label("Every action with a key, by menu. Ctrl+K finds any action by name.")
    )
    tree = QTreeWidget(dialog)
    tree.setObjectName("shortcuts")
    tree.setColumnCount(2)
    tree.setHeaderLabels(["Action", "Keys"])
    tree.setRootIsDecorated(False)
    tree.setItemsExpandable(False)
    tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
    tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    for group, rows in _by_group(window):
        top = QTreeWidgetItem([group, ""])
        font = top.font(0)
        font.setBold(True)
        top.setFont(0, font)
        top.setFirstColumnSpanned(True)
        tree.addTopLevelItem(top)
        for label, keys in rows:
            top.addChild(QTreeWidgetItem([label, keys]))
    tree.expandAll()
    tree.setIndentation(16)
    tree.resizeColumnToContents(0)
    tree.setColumnWidth(0, tree.columnWidth(0) + 32)
    layout.addWidget(tree, 1)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(520, 560)
    return dialog
