"""Customers → Import…: a team's spreadsheet in, previewed, mapped, checked, then imported.

The file is read, checked and imported off the GUI thread; every change of a column's field
checks the whole file again with the forms' own rules and shows, per row, what is wrong and,
per customer and contact, what would be created, updated or left alone. "Import all" stays
disabled while any row is refused; "Import valid rows only" leaves those rows out. Text from
the file is shown as plain text everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qtawesome as qta
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.services.onboarding import (
    Action,
    ImportFileError,
    ImportPlan,
    ImportRefused,
    Onboarding,
)
from console.services.onboarding_files import (
    FIELDS,
    Table,
    mapping_problems,
    write_template,
)
from console.ui.forms import error_label, error_text, hint_label, if_alive, plain_label, set_plain

PREVIEW_ROWS = 20
LISTED = 2000  # plan lines shown; the counts above always cover everything
_SKIP = "(not imported)"


@dataclass(frozen=True, slots=True)
class _Read:
    table: Table
    mapping: tuple[str, ...]


class ImportDialog(QDialog):
    imported = Signal(object)  # ImportPlan: what was written

    def __init__(
        self, onboarding: Onboarding, dispatcher: Dispatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import customers and support lists")
        self._onboarding = onboarding
        self._dispatcher = dispatcher
        self.table: Table | None = None
        self.plan: ImportPlan | None = None
        self.busy = False
        self._generation = 0  # a check started before the latest change is ignored
        self._done_text = ""  # what the last import did, kept while the file is checked again
        self.combos: list[QComboBox] = []
        self._build()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("A .csv or .xlsx file, one row per contact")
        self.choose_button = QPushButton(qta.icon("mdi6.file-table"), "Choose file…")
        self.template_button = QPushButton(qta.icon("mdi6.file-download"), "Save template…")
        self.template_button.setToolTip("A blank spreadsheet with the columns the import expects")
        top.addWidget(self.file_edit, 1)
        top.addWidget(self.choose_button)
        top.addWidget(self.template_button)
        layout.addLayout(top)
        self.message = error_label()
        layout.addWidget(self.message)
        self.status = hint_label(
            "Choose a file to import. Customers are matched by their reference, else by "
            "name; importing the same file again changes nothing."
        )
        layout.addWidget(self.status)

        splitter = QSplitter(Qt.Orientation.Vertical)
        upper = QSplitter(Qt.Orientation.Horizontal)
        self.mapping_group = QGroupBox("Columns")
        self.mapping_form = QFormLayout()
        mapping_inner = QWidget()
        mapping_inner.setLayout(self.mapping_form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(mapping_inner)
        QVBoxLayout(self.mapping_group).addWidget(scroll)
        upper.addWidget(self.mapping_group)
        preview_group = QGroupBox(f"First {PREVIEW_ROWS} rows")
        self.preview_model = QStandardItemModel(self)
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        QVBoxLayout(preview_group).addWidget(self.preview)
        upper.addWidget(preview_group)
        upper.setStretchFactor(1, 2)
        upper.setSizes([420, 680])  # the mapping is what the lead works on
        splitter.addWidget(upper)

        lower = QSplitter(Qt.Orientation.Horizontal)
        problems_group = QGroupBox("Refused rows")
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        QVBoxLayout(problems_group).addWidget(self.problems)
        lower.addWidget(problems_group)
        plan_group = QGroupBox("What the import does")
        plan_layout = QVBoxLayout(plan_group)
        self.summary = plain_label()
        self.summary.setWordWrap(True)
        plan_layout.addWidget(self.summary)
        self.plan_tree = QTreeWidget()
        self.plan_tree.setHeaderLabels(["Row", "Change", "Customer", "Contact", "Fields"])
        self.plan_tree.setRootIsDecorated(False)
        for column, width in enumerate((60, 150, 220, 180)):
            self.plan_tree.setColumnWidth(column, width)
        plan_layout.addWidget(self.plan_tree)
        lower.addWidget(plan_group)
        splitter.addWidget(lower)
        layout.addWidget(splitter, 1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_all_button = QPushButton(qta.icon("mdi6.database-import"), "Import all")
        self.import_valid_button = QPushButton("Import valid rows only")
        self.close_button = QPushButton("Close")
        for button in (self.import_all_button, self.import_valid_button, self.close_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.import_all_button.setDefault(True)
        self._set_buttons()

        self.choose_button.clicked.connect(self._on_choose_button_clicked)
        self.template_button.clicked.connect(self._on_template_button_clicked)
        self.import_all_button.clicked.connect(self._on_import_all_button_clicked)
        self.import_valid_button.clicked.connect(self._on_import_valid_button_clicked)
        self.close_button.clicked.connect(self.reject)
        self.resize(1100, 720)

    # -- the file ----------------------------------------------------------------------------

    @Slot()
    def _on_choose_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import customers", "", "Spreadsheets (*.csv *.xlsx *.txt);;All files (*)"
        )
        if name:
            self.open_file(Path(name))

    def open_file(self, path: Path) -> None:
        """Read ``path`` off the GUI thread; the mapping is the remembered or guessed one."""
        self.file_edit.setText(str(path))
        self._show_message("")
        self.table = None
        self.plan = None
        self._set_busy(True)
        set_plain(self.status, f"Reading {path.name}…")
        onboarding = self._onboarding

        def read() -> _Read:
            table = onboarding.read(path)
            return _Read(table, onboarding.mapping_for(table))

        self._dispatcher.submit(read, if_alive(self, self._on_read), if_alive(self, self._failed))

    def _on_read(self, result: _Read) -> None:
        self._set_busy(False)
        self.table = result.table
        self._fill_mapping(result.table, result.mapping)
        self._fill_preview(result.table)
        self.check()

    def _fill_mapping(self, table: Table, mapping: Sequence[str]) -> None:
        while self.mapping_form.rowCount():
            self.mapping_form.removeRow(0)
        self.combos = []
        for index, (name, key) in enumerate(zip(table.header, mapping, strict=True)):
            combo = QComboBox()
            combo.addItem(_SKIP, "")
            for f in FIELDS:
                combo.addItem(f.column, f.key)
            combo.setCurrentIndex(max(0, combo.findData(key)))
            combo.setMinimumContentsLength(16)
            combo.currentIndexChanged.connect(self._on_combo_current_index_changed)
            sample = next((row[index] for row in table.rows if row[index]), "")
            # Two fixed lines, not word-wrapped: a wrapped label in a form in a scroll area
            # is given one line's height and its text is cut.
            label = plain_label(name if not sample else f"{name}\ne.g. {sample[:30]}")
            self.mapping_form.addRow(label, combo)
            self.combos.append(combo)

    def _fill_preview(self, table: Table) -> None:
        self.preview_model.clear()
        self.preview_model.setHorizontalHeaderLabels(list(table.header))
        for row in table.rows[:PREVIEW_ROWS]:
            items = []
            for cell in row:
                item = QStandardItem(cell)  # items show plain text
                item.setEditable(False)
                items.append(item)
            self.preview_model.appendRow(items)
        self.preview_model.setVerticalHeaderLabels([str(n) for n in table.numbers[:PREVIEW_ROWS]])
        self.preview.resizeColumnsToContents()

    def mapping(self) -> tuple[str, ...]:
        return tuple(str(combo.currentData() or "") for combo in self.combos)

    def set_field(self, column: int, key: str) -> None:
        """Map file column ``column`` to field ``key`` ("" to skip it), as the combo does."""
        combo = self.combos[column]
        combo.setCurrentIndex(combo.findData(key))

    # -- checking ----------------------------------------------------------------------------

    @Slot(int)
    def _on_combo_current_index_changed(self, _: int) -> None:
        self.check()

    def check(self) -> None:
        """Check every row against the mapping shown; the plan replaces the previous one."""
        table = self.table
        if table is None:
            return
        mapping = self.mapping()
        self._generation += 1
        self.plan = None
        problems = mapping_problems(table.header, mapping)
        if problems:
            self._show_message("\n".join(problems))
            self._clear_plan("Map the columns first.")
            self._set_buttons()
            return
        self._show_message("")
        generation = self._generation
        self._set_busy(True)
        set_plain(self.status, f"Checking {len(table.rows):,} rows…")
        onboarding = self._onboarding

        def done(plan: ImportPlan) -> None:
            if generation == self._generation:
                self._set_busy(False)
                self._show_plan(plan)

        self._dispatcher.submit(
            lambda: onboarding.plan(table, mapping),
            if_alive(self, done),
            if_alive(self, self._failed),
        )

    def _clear_plan(self, text: str) -> None:
        self.problems.clear()
        self.plan_tree.clear()
        set_plain(self.summary, text)

    def _show_plan(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.problems.clear()
        self.problems.addItems([str(p) for p in plan.problems])  # plain text items
        self.plan_tree.clear()
        items: list[QTreeWidgetItem] = []
        for customer in plan.customers:
            if customer.action is not Action.UNCHANGED:
                items.append(
                    QTreeWidgetItem(
                        [
                            str(customer.row),
                            f"customer {customer.action}",
                            customer.customer.name,
                            "",
                            ", ".join(customer.changed),
                        ]
                    )
                )
        for contact in plan.contacts:
            if contact.action is not Action.UNCHANGED:
                items.append(
                    QTreeWidgetItem(
                        [
                            str(contact.row or ""),
                            f"contact {contact.action}",
                            contact.customer_name,
                            contact.contact.name,
                            ", ".join(contact.changed),
                        ]
                    )
                )
        items.sort(key=lambda item: int(item.text(0) or 0))
        self.plan_tree.addTopLevelItems(items[:LISTED])
        text = plan.summary() + "."
        if not plan.changes:
            text += " Nothing to import: the console already holds this file."
        elif len(items) > LISTED:
            text += f" The first {LISTED:,} changes are listed."
        set_plain(self.summary, text)
        if self._done_text:
            set_plain(self.status, self._done_text)
            self._done_text = ""
        elif plan.refused_rows:
            n = len(plan.refused_rows)
            set_plain(
                self.status,
                f"{n} row{'s are' if n != 1 else ' is'} refused: fix {'them' if n != 1 else 'it'} "
                "in the file and choose it again, or import the valid rows only.",
            )
        else:
            set_plain(self.status, f"All {plan.rows:,} rows can be imported.")
        self._set_buttons()

    # -- importing ---------------------------------------------------------------------------

    @Slot()
    def _on_import_all_button_clicked(self) -> None:
        self.start_import(valid_only=False)

    @Slot()
    def _on_import_valid_button_clicked(self) -> None:
        self.start_import(valid_only=True)

    def start_import(self, *, valid_only: bool) -> None:
        table = self.table
        if table is None or self.plan is None or self.busy:
            return
        mapping = self.mapping()
        onboarding = self._onboarding
        self._set_busy(True)
        set_plain(self.status, "Importing…")
        self._dispatcher.submit(
            lambda: onboarding.apply(table, mapping, valid_only=valid_only),
            if_alive(self, self._on_imported),
            if_alive(self, self._failed),
        )

    def _on_imported(self, plan: ImportPlan) -> None:
        self._set_busy(False)
        self.imported.emit(plan)
        self.check()  # the file against what is stored now: nothing left to import
        self._done_text = f"Imported: {plan.summary()}."
        set_plain(self.status, self._done_text)

    # -- template ----------------------------------------------------------------------------

    @Slot()
    def _on_template_button_clicked(self) -> None:
        name, chosen = QFileDialog.getSaveFileName(
            self,
            "Save import template",
            "customers-template.xlsx",
            "Excel workbook (*.xlsx);;CSV (*.csv)",
        )
        if name:
            path = Path(name)
            if not path.suffix:
                path = path.with_suffix(".csv" if "csv" in chosen.lower() else ".xlsx")
            self.save_template(path)

    def save_template(self, path: Path) -> None:
        def saved(_: Any) -> None:
            set_plain(self.status, f"Template saved as {path}.")

        def failed(error: Exception) -> None:
            message = getattr(error, "strerror", None) or error_text(error)
            self._show_message(f"The template could not be saved as {path}: {message}.")

        self._dispatcher.submit(
            lambda: write_template(path), if_alive(self, saved), if_alive(self, failed)
        )

    # -- state -------------------------------------------------------------------------------

    def _failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, ImportRefused):
            self._show_plan(error.plan)
        known = isinstance(error, ImportFileError | ImportRefused)
        self._show_message(str(error) if known else error_text(error))

    def _show_message(self, text: str) -> None:
        set_plain(self.message, text)
        self.message.setVisible(bool(text))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.choose_button.setEnabled(not busy)
        self._set_buttons()

    def _set_buttons(self) -> None:
        plan = None if self.busy else self.plan
        ready = plan is not None and plan.changes > 0
        refused = bool(plan and plan.refused_rows)
        self.import_all_button.setEnabled(ready and not refused)
        self.import_valid_button.setEnabled(ready and refused)
        for combo in self.combos:
            combo.setEnabled(not self.busy)


class ImportAction(QObject):
    """The Customers screen's "Import…" button and the dialog it opens."""

    def __init__(self, view: QWidget, context: ConsoleContext, dispatcher: Dispatcher) -> None:
        super().__init__(view)
        self._view = view
        self._context = context
        self._dispatcher = dispatcher
        self.dialog: ImportDialog | None = None
        self.button = QPushButton(qta.icon("mdi6.table-arrow-left"), "Import…")
        self.button.setToolTip("Customers and support lists from a CSV or XLSX spreadsheet")
        self.button.clicked.connect(self._on_button_clicked)

    @Slot()
    def _on_button_clicked(self) -> None:
        self.open()

    def open(self) -> ImportDialog:
        if self.dialog is None:
            context = self._context
            onboarding = Onboarding(context.store, context.clock, context.actor)
            self.dialog = ImportDialog(onboarding, self._dispatcher, self._view)
            self.dialog.imported.connect(self._on_dialog_imported)
        self.dialog.show()
        return self.dialog

    @Slot(object)
    def _on_dialog_imported(self, _: object) -> None:
        reload = getattr(self._view, "reload", None)
        if callable(reload):
            reload()


def add_import_action(
    view: QWidget, context: ConsoleContext, dispatcher: Dispatcher
) -> ImportAction:
    """Put "Import…" in the Customers screen's header, before "New customer"."""
    action = ImportAction(view, context, dispatcher)
    header = _header_of(view)
    anchor = getattr(view, "new_button", None)
    if header is not None:
        at = header.indexOf(anchor) if isinstance(anchor, QWidget) else -1
        if isinstance(header, QHBoxLayout):
            header.insertWidget(at if at >= 0 else header.count(), action.button)
        else:
            header.addWidget(action.button)
    return action


def _header_of(view: QWidget) -> QLayout | None:
    """The layout holding the screen's "New customer" button."""
    anchor = getattr(view, "new_button", None)
    root = view.layout()
    if root is None or not isinstance(anchor, QWidget):
        return root
    for index in range(root.count()):
        item = root.itemAt(index)
        inner = item.layout() if item is not None else None
        if inner is not None and inner.indexOf(anchor) >= 0:
            return inner
    return root
