"""Customers → Import…: a lead imports the team's 300-customer spreadsheet, reads the refused
rows, imports the valid ones, fixes the rest and imports again without duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from console.qt.worker import Dispatcher
from console.services.onboarding_files import TEMPLATE_COLUMNS, read_table
from console.ui.customers.import_dialog import ImportAction, ImportDialog
from console.ui.customers.view import CustomersView
from tests.services.onboarding_sheets import COLUMN, team_rows, write_csv, write_xlsx
from tests.ui.customers_fixtures import CustomersWorld, customers_world
from tests.ui.incident_fixtures import dispatcher

__all__ = ["customers_world", "dispatcher"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def screen(
    qtbot, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> Iterator[tuple[CustomersView, ImportAction]]:
    context = customers_world.context(customers_world.lead)
    view = CustomersView(context, dispatcher)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded):
        pass
    action = view.import_action  # the screen puts its own Import… button in
    view.show()
    yield view, action
    qtbot.waitUntil(lambda: not dispatcher.busy)
    if action.dialog is not None:
        action.dialog.close()


def checked(qtbot, dialog: ImportDialog) -> None:
    qtbot.waitUntil(lambda: dialog.plan is not None and not dialog.busy, timeout=30_000)


def problems(dialog: ImportDialog) -> list[str]:
    return [dialog.problems.item(i).text() for i in range(dialog.problems.count())]


def test_the_import_button_sits_before_new_customer_in_the_header(screen) -> None:
    view, action = screen
    assert action.button.text() == "Import…" and action.button.isVisible()
    header = view.layout().itemAt(0).layout()
    assert header.indexOf(action.button) == header.indexOf(view.new_button) - 1


def test_a_lead_imports_valid_rows_fixes_the_rest_and_reimports_without_duplicates(
    qtbot, screen, tmp_path: Path, customers_world: CustomersWorld
) -> None:
    view, action = screen
    good = team_rows(300, 1000)
    rows = [list(r) for r in good]
    rows[5][COLUMN["Emails"]] = "ana.lima@"
    rows[40][COLUMN["Customer name"]] = ""
    rows[40][COLUMN["Customer reference"]] = ""
    dialog = action.open()
    dialog.open_file(write_xlsx(tmp_path / "team.xlsx", rows))
    checked(qtbot, dialog)

    listed = problems(dialog)
    assert listed[0].startswith('row 7, email: "ana.lima@" is not a valid email address')
    assert listed[1] == "row 42, customer name: The customer name is required."
    assert not dialog.import_all_button.isEnabled()  # refused rows: not all
    assert dialog.import_valid_button.isEnabled()
    assert dialog.summary.text().startswith("300 customers created, 0 updated, 0 unchanged; ")
    assert dialog.preview_model.rowCount() == 20
    assert dialog.preview_model.headerData(0, Qt.Orientation.Vertical) == "2"  # file rows

    with (
        qtbot.waitSignal(view.loaded, timeout=30_000),
        qtbot.waitSignal(dialog.imported, timeout=30_000),
    ):
        dialog.import_valid_button.click()
    assert view.model.rowCount() == 3 + 300
    checked(qtbot, dialog)
    assert dialog.status.text().startswith("Imported: 300 customers created")
    assert "Nothing to import" in dialog.summary.text()
    assert not dialog.import_all_button.isEnabled()
    assert not dialog.import_valid_button.isEnabled()

    dialog.open_file(write_csv(tmp_path / "fixed.csv", good))  # the rows fixed
    checked(qtbot, dialog)
    assert problems(dialog) == []
    assert dialog.summary.text().startswith(
        "0 customers created, 0 updated, 300 unchanged; 2 contacts created, 0 updated, "
        "998 unchanged."
    )
    assert dialog.import_all_button.isEnabled() and not dialog.import_valid_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        dialog.import_all_button.click()
    checked(qtbot, dialog)
    assert view.model.rowCount() == 3 + 300  # no duplicates
    assert sum(len(c.contacts) for c in customers_world.service().customers()) == 6 + 1000


def test_columns_are_guessed_mapped_by_hand_and_remembered(qtbot, screen, tmp_path: Path) -> None:
    _, action = screen
    header = ["Org", "Tier", "Hours", "Who", "Email 1", "Email 2", "Notes"]
    data = [["Ajax Labs", "Standard", "GMT", "Ben Berg", "ben@ajax.example", "", "x"]]
    dialog = action.open()
    dialog.open_file(write_csv(tmp_path / "a.csv", data, header))
    qtbot.waitUntil(lambda: bool(dialog.combos) and not dialog.busy)
    assert dialog.mapping() == ("customer", "plan", "window", "", "emails", "emails", "")
    qtbot.waitUntil(dialog.message.isVisible)  # "Who" is not a name it knows: it says so
    assert "Map a column to contact name" in dialog.message.text()
    assert not dialog.import_all_button.isEnabled()
    dialog.set_field(3, "contact")  # chosen by hand
    dialog.set_field(6, "role")  # chosen by hand
    checked(qtbot, dialog)
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        dialog.import_all_button.click()
    checked(qtbot, dialog)

    dialog.open_file(write_csv(tmp_path / "b.csv", data, header))  # same columns, next month
    qtbot.waitUntil(lambda: bool(dialog.combos) and not dialog.busy)
    assert dialog.mapping()[3] == "contact" and dialog.mapping()[6] == "role"


def test_file_text_is_shown_as_plain_text_and_bad_files_in_words(
    qtbot, screen, tmp_path: Path
) -> None:
    _, action = screen
    rows = team_rows(2, 3)
    rows[0][COLUMN["Customer name"]] = "<b>Bold</b> & Co"
    dialog = action.open()
    dialog.open_file(write_csv(tmp_path / "a.csv", rows))
    checked(qtbot, dialog)
    label = dialog.mapping_form.itemAt(1, dialog.mapping_form.ItemRole.LabelRole).widget()
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert "<b>Bold</b> & Co" in label.text()
    assert dialog.preview_model.item(0, 1).text() == "<b>Bold</b> & Co"
    created = dialog.plan_tree.findItems("<b>Bold</b> & Co", Qt.MatchFlag.MatchExactly, 2)
    assert created and created[0].text(1) == "customer created"

    (tmp_path / "photo.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    dialog.open_file(tmp_path / "photo.csv")
    qtbot.waitUntil(dialog.message.isVisible)
    assert dialog.message.text() == "The file is not a spreadsheet: it holds binary data."
    assert not dialog.import_all_button.isEnabled()


@pytest.mark.parametrize("name", ["template.xlsx", "template.csv"])
def test_the_template_saved_from_the_dialog_has_the_import_columns(
    qtbot, screen, tmp_path: Path, name: str
) -> None:
    _, action = screen
    dialog = action.open()
    path = tmp_path / name
    dialog.save_template(path)
    qtbot.waitUntil(lambda: "Template saved" in dialog.status.text())
    assert read_table(path).header == TEMPLATE_COLUMNS
    dialog.save_template(tmp_path / "missing-folder" / name)
    qtbot.waitUntil(dialog.message.isVisible)
    assert dialog.message.text().startswith("The template could not be saved as")
