"""Customers & support lists: stale flags, reorder with undo/redo, drag and drop, per-field
messages with no partial save, list confirmation, and the support window editor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from console.domain.records import Contact, Customer
from console.qt.worker import Dispatcher
from console.services.ranking import ordered_by_rank
from console.services.seed import builtin_window_id
from console.ui.customers.common import warning_colour
from console.ui.customers.contact_model import ContactListModel
from console.ui.customers.customer_model import STALE_ROLE, Column, CustomerListModel
from console.ui.customers.support_list import SupportListEditor
from console.ui.customers.view import CustomersView
from console.ui.customers.window_dialog import WindowEditorDialog
from tests.ui.customers_fixtures import CustomersWorld, customers_world
from tests.ui.incident_fixtures import AGENT_ZONE, dispatcher

__all__ = ["customers_world", "dispatcher"]

# The offscreen platform says so whenever a shown window gets size constraints.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

NORTHWIND = ["Olivia Chen", "James Okafor", "Maria Rossi"]


def attach_tester(model: object) -> QAbstractItemModelTester:
    return QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)


@pytest.fixture
def view(qtbot, customers_world: CustomersWorld, dispatcher: Dispatcher) -> Iterator[CustomersView]:
    widget = CustomersView(customers_world.context(customers_world.lead), dispatcher)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.loaded):
        pass
    widget.resize(1366, 768)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not dispatcher.busy)


def open_customer(view: CustomersView, customer_id: str) -> SupportListEditor:
    view.select_customer(customer_id)
    editor = view.support_list
    assert editor.customer is not None and editor.customer.id == customer_id
    return editor


def shown_names(editor: SupportListEditor) -> list[str]:
    return [c.name for c in editor.model.contacts]


def select(editor: SupportListEditor, name: str) -> None:
    contact = next(c for c in editor.model.contacts if c.name == name)
    editor.select_contact(contact.id)


def saved(qtbot, editor: SupportListEditor, action) -> None:
    """Run an action that saves, and wait until the list shows what is stored."""
    with qtbot.waitSignal(editor.customer_changed):
        action()
    qtbot.waitUntil(lambda: not editor.busy)


def row_of(view: CustomersView, customer_id: str) -> int:
    row = view.model.row_of(customer_id)
    assert row is not None
    return row


# -- the customer list ---------------------------------------------------------------------


def test_stale_lists_are_flagged_with_colour_icon_and_words(
    view: CustomersView, customers_world: CustomersWorld
) -> None:
    model = view.model

    def cell(customer_id: str, role: int) -> object:
        return model.index(row_of(view, customer_id), Column.LIST).data(role)

    assert cell(customers_world.hollybrook, Qt.ItemDataRole.DisplayRole) == "Stale: 120 days ago"
    assert cell(customers_world.hollybrook, STALE_ROLE) is True
    assert cell(customers_world.hollybrook, Qt.ItemDataRole.ForegroundRole) == warning_colour()
    assert not cell(customers_world.hollybrook, Qt.ItemDataRole.DecorationRole).isNull()
    assert "older than the policy's 90 days" in str(
        cell(customers_world.hollybrook, Qt.ItemDataRole.ToolTipRole)
    )
    assert cell(customers_world.orchard, Qt.ItemDataRole.DisplayRole) == "Never confirmed"
    assert cell(customers_world.orchard, STALE_ROLE) is True
    assert cell(customers_world.northwind, Qt.ItemDataRole.DisplayRole) == "10 days ago"
    assert cell(customers_world.northwind, STALE_ROLE) is False
    assert view.count_label.text() == "3 customers, 2 with a stale support list"

    check = attach_tester(view.proxy)
    view.stale_only.setChecked(True)
    shown = {view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())}
    assert shown == {"Hollybrook Primary Trust", "Orchard & Vine Wines"}
    view.search.setText("orchard")
    assert view.proxy.rowCount() == 1
    assert view.count_label.text() == "Showing 1 of 3 customers, 2 with a stale support list"
    view.search.clear()
    view.stale_only.setChecked(False)
    del check

    editor = open_customer(view, customers_world.hollybrook)
    assert "Stale list." in editor.status_text.text()
    assert "Mon 10 Nov 2025 (120 days ago)" in editor.status_text.text()


def test_confirming_a_list_clears_its_stale_flag(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.hollybrook)
    saved(qtbot, editor, editor.confirm_button.click)

    index = view.model.index(row_of(view, customers_world.hollybrook), Column.LIST)
    assert index.data(STALE_ROLE) is False
    assert index.data() == "Today"
    assert "Stale" not in editor.status_text.text()
    stored = customers_world.service().customer(customers_world.hollybrook)
    assert stored.list_confirmed_at == customers_world.clock.now()


def test_the_list_models_pass_the_model_tester(qtbot, customers_world: CustomersWorld) -> None:
    service = customers_world.service()
    customers = service.customers()
    model = CustomerListModel()
    check = attach_tester(model)
    options = {
        "plans": {"standard": "Standard"},
        "windows": {},
        "now": customers_world.clock.now(),
        "stale_days": 90,
        "zone": AGENT_ZONE,
    }
    model.set_customers(customers, **options)  # type: ignore[arg-type]
    model.set_customers(customers, **options)  # type: ignore[arg-type]  (same rows: repaint)
    model.set_customers(customers[:2], **options)  # type: ignore[arg-type]
    model.update_customer(customers[2])
    model.refresh_theme()
    assert model.rowCount() == 3

    contacts = ContactListModel()
    check_contacts = attach_tester(contacts)
    northwind = service.customer(customers_world.northwind)
    people = list(northwind.contacts)
    contacts.set_contacts(people[:2])
    contacts.set_contacts(people)  # append
    contacts.set_contacts([people[2], people[0], people[1]])  # one moved
    contacts.set_contacts([people[2], people[1]])  # one removed
    contacts.set_contacts(people)  # anything else: reset
    assert contacts.moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)
    assert [c.name for c in contacts.contacts] == ["James Okafor", "Maria Rossi", "Olivia Chen"]
    assert contacts.headerData(0, Qt.Orientation.Vertical) == "1"
    del check, check_contacts


# -- reordering with undo and redo ---------------------------------------------------------


def test_move_buttons_reorder_and_undo_redo_restore_each_order(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.northwind)
    check = attach_tester(editor.model)
    assert shown_names(editor) == NORTHWIND
    select(editor, "Olivia Chen")
    assert not editor.up_action.isEnabled()

    saved(qtbot, editor, editor.down_action.trigger)
    after_one = ["James Okafor", "Olivia Chen", "Maria Rossi"]
    assert customers_world.names(customers_world.northwind) == after_one
    saved(qtbot, editor, editor.down_action.trigger)
    after_two = ["James Okafor", "Maria Rossi", "Olivia Chen"]
    assert customers_world.names(customers_world.northwind) == after_two
    assert shown_names(editor) == after_two
    assert editor.selected_contact() is not None
    assert editor.selected_contact().name == "Olivia Chen"  # the selection follows the row
    assert editor.undo_action.toolTip() == "Undo Move Olivia Chen down"

    saved(qtbot, editor, editor.undo_action.trigger)
    assert customers_world.names(customers_world.northwind) == after_one
    saved(qtbot, editor, editor.undo_action.trigger)
    assert customers_world.names(customers_world.northwind) == NORTHWIND
    assert shown_names(editor) == NORTHWIND
    assert not editor.undo_action.isEnabled()
    saved(qtbot, editor, editor.redo_action.trigger)
    assert customers_world.names(customers_world.northwind) == after_one
    saved(qtbot, editor, editor.redo_action.trigger)
    assert customers_world.names(customers_world.northwind) == after_two
    assert shown_names(editor) == after_two
    del check


def test_drag_and_drop_reorders_through_the_model_and_undoes(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.northwind)
    model = editor.model
    check = attach_tester(model)
    move = Qt.DropAction.MoveAction

    data = model.mimeData([model.index(2, 0), model.index(2, 1)])  # drag Maria to the top
    assert model.canDropMimeData(data, move, 0, 0, QModelIndex())
    with qtbot.waitSignal(editor.customer_changed):
        assert model.dropMimeData(data, move, 0, 0, QModelIndex())
        dragged = ["Maria Rossi", "Olivia Chen", "James Okafor"]
        assert shown_names(editor) == dragged  # moved on screen at once
        assert not model.canDropMimeData(data, move, 3, 0, QModelIndex())  # saving: held
    qtbot.waitUntil(lambda: not editor.busy)
    assert customers_world.names(customers_world.northwind) == dragged

    data = model.mimeData([model.index(2, 0)])  # drop James onto Maria: goes before her
    with qtbot.waitSignal(editor.customer_changed):
        assert model.dropMimeData(data, move, -1, -1, model.index(0, 0))
    qtbot.waitUntil(lambda: not editor.busy)
    dropped_on = ["James Okafor", "Maria Rossi", "Olivia Chen"]
    assert customers_world.names(customers_world.northwind) == dropped_on

    saved(qtbot, editor, editor.undo_action.trigger)
    assert customers_world.names(customers_world.northwind) == dragged
    saved(qtbot, editor, editor.undo_action.trigger)
    assert customers_world.names(customers_world.northwind) == NORTHWIND
    assert shown_names(editor) == NORTHWIND
    saved(qtbot, editor, editor.redo_action.trigger)
    assert customers_world.names(customers_world.northwind) == dragged
    assert shown_names(editor) == dragged

    assert not model.dropMimeData(data, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    foreign = model.mimeData([])
    assert not model.canDropMimeData(foreign, move, 0, 0, QModelIndex())
    del check


# -- add, edit, delete -----------------------------------------------------------------------


def test_invalid_email_and_phone_get_their_own_messages_and_nothing_is_saved(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.northwind)
    editor.add_action.trigger()
    dialog = editor.contact_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.name.setText("Tom Reyes")
    dialog.emails.setText("tom.reyes@northwind.example, tom@")
    dialog.phones.setText("555")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)

    assert dialog.errors.message("emails").startswith('"tom@" is not a valid email address')
    assert dialog.errors.message("phones").startswith('"555" is not a valid phone number')
    assert dialog.errors.message("name") == ""
    assert dialog.isVisible()
    assert customers_world.names(customers_world.northwind) == NORTHWIND

    dialog.emails.setText("tom.reyes@northwind.example")
    dialog.phones.setText("(415) 555-0199")  # a local number in the Pacific window's country
    saved(qtbot, editor, dialog.save_button.click)
    assert not dialog.isVisible()
    with_tom = [*NORTHWIND, "Tom Reyes"]
    assert customers_world.names(customers_world.northwind) == with_tom
    tom = editor.selected_contact()
    assert tom is not None and tom.phones == ("+14155550199",)
    assert editor.model.index(3, 3).data() == "+1 415-555-0199"

    saved(qtbot, editor, editor.undo_action.trigger)
    assert customers_world.names(customers_world.northwind) == NORTHWIND
    saved(qtbot, editor, editor.redo_action.trigger)
    assert customers_world.names(customers_world.northwind) == with_tom


def test_a_contact_needs_an_email_or_a_phone(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.northwind)
    editor.add_action.trigger()
    dialog = editor.contact_dialog
    assert dialog is not None
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.errors.message("name") == "The name is required."
    assert dialog.errors.message("emails") == "Give at least one email address or phone number."
    assert customers_world.names(customers_world.northwind) == NORTHWIND


def test_edit_saves_at_once_and_undo_restores_the_old_details(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.northwind)
    select(editor, "James Okafor")
    editor.edit_action.trigger()
    dialog = editor.contact_dialog
    assert dialog is not None
    assert dialog.phones.text() == "+1 415-555-0134"
    dialog.role.setText("Infrastructure lead")
    saved(qtbot, editor, dialog.save_button.click)

    def role() -> str:
        stored = customers_world.service().customer(customers_world.northwind)
        return next(c.role for c in stored.contacts if c.name == "James Okafor")

    assert role() == "Infrastructure lead"
    saved(qtbot, editor, editor.undo_action.trigger)
    assert role() == "Systems administrator"
    saved(qtbot, editor, editor.redo_action.trigger)
    assert role() == "Infrastructure lead"


def test_delete_asks_first_and_undo_puts_the_contact_back_in_its_place(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.northwind)
    select(editor, "James Okafor")
    editor.delete_action.trigger()
    box = editor.delete_box
    assert box is not None and box.isVisible()
    assert "Take James Okafor off the support list of Northwind Freight?" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert not editor.busy
    assert customers_world.names(customers_world.northwind) == NORTHWIND

    editor.delete_action.trigger()
    box = editor.delete_box
    assert box is not None
    saved(qtbot, editor, box.button(QMessageBox.StandardButton.Yes).click)
    without = ["Olivia Chen", "Maria Rossi"]
    assert customers_world.names(customers_world.northwind) == without

    saved(qtbot, editor, editor.undo_action.trigger)
    assert customers_world.names(customers_world.northwind) == NORTHWIND
    restored = next(c for c in editor.model.contacts if c.name == "James Okafor")
    assert restored.emails == ("james.okafor@northwind.example",)
    saved(qtbot, editor, editor.redo_action.trigger)
    assert customers_world.names(customers_world.northwind) == without
    saved(qtbot, editor, editor.undo_action.trigger)
    assert customers_world.names(customers_world.northwind) == NORTHWIND


def shown_ids(editor: SupportListEditor) -> list[str]:
    return [c.id for c in editor.model.contacts]


def stored_ids(world: CustomersWorld, customer_id: str) -> list[str]:
    customer = world.service().customer(customer_id)
    return [c.id for c in ordered_by_rank(customer.contacts)]


def contact_rows(world: CustomersWorld) -> int:
    """Every contact record, deleted ones too: undo and redo must not make new ones."""
    with world.store.read() as tx:
        return tx.session.execute(text("SELECT count(*) FROM contacts")).scalar_one()


def test_undo_of_a_delete_restores_the_same_contact_and_redo_deletes_it_again(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    world, northwind = customers_world, customers_world.northwind
    editor = open_customer(view, northwind)
    stack = editor.undo_stack
    assert stack is not None
    olivia, james, maria = ids = shown_ids(editor)
    rows = contact_rows(world)

    select(editor, "James Okafor")
    editor.delete_action.trigger()
    assert editor.delete_box is not None
    saved(qtbot, editor, editor.delete_box.button(QMessageBox.StandardButton.Yes).click)
    assert stored_ids(world, northwind) == shown_ids(editor) == [olivia, maria]
    assert stack.undoText() == "Delete James Okafor"

    saved(qtbot, editor, stack.undo)
    assert stored_ids(world, northwind) == shown_ids(editor) == ids  # James, same id, row 2
    saved(qtbot, editor, stack.redo)
    assert stored_ids(world, northwind) == shown_ids(editor) == [olivia, maria]
    saved(qtbot, editor, stack.undo)
    assert stored_ids(world, northwind) == shown_ids(editor) == ids
    assert contact_rows(world) == rows
    assert (stack.count(), stack.index()) == (1, 0)

    # Delete again, then move Maria up and back: her new key is the one James had.
    james_key = next(c.rank for c in editor.model.contacts if c.id == james)
    select(editor, "James Okafor")
    editor.delete_action.trigger()
    assert editor.delete_box is not None
    saved(qtbot, editor, editor.delete_box.button(QMessageBox.StandardButton.Yes).click)
    select(editor, "Maria Rossi")
    saved(qtbot, editor, editor.up_action.trigger)
    assert stored_ids(world, northwind) == [maria, olivia]
    saved(qtbot, editor, stack.undo)
    assert stored_ids(world, northwind) == [olivia, maria]
    assert next(c.rank for c in editor.model.contacts if c.id == maria) == james_key
    saved(qtbot, editor, stack.undo)
    assert stored_ids(world, northwind) == shown_ids(editor) == ids
    saved(qtbot, editor, stack.redo)
    saved(qtbot, editor, stack.redo)
    assert stored_ids(world, northwind) == shown_ids(editor) == [maria, olivia]
    saved(qtbot, editor, stack.undo)
    saved(qtbot, editor, stack.undo)
    assert stored_ids(world, northwind) == shown_ids(editor) == ids
    assert contact_rows(world) == rows


def test_redo_of_an_add_restores_the_same_contact(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    world, orchard = customers_world, customers_world.orchard
    editor = open_customer(view, orchard)
    editor.add_action.trigger()
    dialog = editor.contact_dialog
    assert dialog is not None
    dialog.name.setText("Noah Green")
    dialog.emails.setText("noah@orchard.example")
    saved(qtbot, editor, dialog.save_button.click)
    added = shown_ids(editor)
    rows = contact_rows(world)

    saved(qtbot, editor, editor.undo_action.trigger)
    assert stored_ids(world, orchard) == added[:2]
    saved(qtbot, editor, editor.redo_action.trigger)
    assert stored_ids(world, orchard) == shown_ids(editor) == added  # same id, last again
    assert contact_rows(world) == rows


def test_each_customer_keeps_its_own_undo_history(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.orchard)
    select(editor, "Ava Brown")
    saved(qtbot, editor, editor.up_action.trigger)
    assert customers_world.names(customers_world.orchard) == ["Ava Brown", "Liam Walsh"]
    open_customer(view, customers_world.northwind)
    assert not editor.undo_action.isEnabled()
    open_customer(view, customers_world.orchard)
    assert editor.undo_action.isEnabled()
    saved(qtbot, editor, editor.undo_action.trigger)
    assert customers_world.names(customers_world.orchard) == ["Liam Walsh", "Ava Brown"]


# -- the customer's details ------------------------------------------------------------------


def test_invalid_manager_email_and_phone_show_per_field_and_save_nothing(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    open_customer(view, customers_world.northwind)
    form = view.form
    form.csm_email.setText("rachel@")
    form.csm_phone.setText("555")
    form.save_button.click()
    qtbot.waitUntil(lambda: not form.busy)

    assert form.errors.message("csm_email").startswith('"rachel@" is not a valid email address')
    assert form.errors.message("csm_phone").startswith('"555" is not a valid phone number')
    assert form.errors.message("name") == ""
    stored = customers_world.service().customer(customers_world.northwind)
    assert (stored.csm_email, stored.csm_phone) == ("rachel.adeyemi@vendor.example", "")
    assert form.dirty


def test_a_plan_without_a_named_manager_refuses_a_csm(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    open_customer(view, customers_world.northwind)
    form = view.form
    form.plan.setCurrentIndex(form.plan.findData("standard"))
    form.save_button.click()
    qtbot.waitUntil(lambda: not form.busy)
    assert "has no named account manager" in form.errors.message("csm_name")
    stored = customers_world.service().customer(customers_world.northwind)
    assert stored.plan == "premium_plus"


def test_a_new_customer_is_saved_listed_and_gets_a_support_list(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    view.new_button.click()
    form = view.form
    assert form.customer is None
    assert not view.support_list.add_action.isEnabled()  # save the customer first
    form.name.setText("Kestrel Analytics")
    form.plan.setCurrentIndex(form.plan.findData("advanced"))
    form.select_window(builtin_window_id("gmt"))
    with qtbot.waitSignal(form.customer_saved) as created:
        form.save_button.click()

    customer = created.args[0]
    assert isinstance(customer, Customer)
    assert view.model.rowCount() == 4
    assert view.selected_customer_id() == customer.id
    assert view.support_list.add_action.isEnabled()
    index = view.model.index(row_of(view, customer.id), Column.LIST)
    assert index.data() == "Never confirmed"
    assert [c.name for c in customers_world.service().customers()].count("Kestrel Analytics") == 1


def test_unsaved_details_are_kept_unless_discarded(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    open_customer(view, customers_world.northwind)
    view.form.name.setText("Northwind Freight Ltd")
    view.select_customer(customers_world.hollybrook)
    box = view.discard_box
    assert box is not None and box.isVisible()
    assert view.selected_customer_id() == customers_world.northwind
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert view.form.name.text() == "Northwind Freight Ltd"

    view.select_customer(customers_world.hollybrook)
    box = view.discard_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Discard).click()
    assert view.selected_customer_id() == customers_world.hollybrook
    assert view.form.name.text() == "Hollybrook Primary Trust"


# -- support windows -------------------------------------------------------------------------


@pytest.fixture
def window_dialog(
    qtbot, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> Iterator[WindowEditorDialog]:
    dialog = WindowEditorDialog(customers_world.context(customers_world.lead), dispatcher)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_window_preview_shows_the_next_opening_and_closing(
    window_dialog: WindowEditorDialog,
) -> None:
    dialog = window_dialog
    dialog.hours.setText("Mon-Fri 09:00-17:30")
    dialog._set_zone("Australia/Sydney")
    # Tue 10 Mar 2026 17:00 UTC is 04:00 on Wednesday in Sydney (AEDT, UTC+11).
    assert dialog.preview_state.text().startswith("Closed (Wed 11 Mar 2026 04:00 AEDT)")
    assert dialog.preview_open.text().startswith("Wed 11 Mar 2026 09:00 AEDT — in 5 h")
    assert "(Tue 23:00 CET your time)" in dialog.preview_open.text()
    assert dialog.preview_close.text().startswith("Wed 11 Mar 2026 17:30 AEDT")

    dialog.holiday_date.setDate(QDate(2026, 3, 11))
    dialog.add_holiday.click()
    assert dialog.holiday_dates() == [date(2026, 3, 11)]
    assert dialog.preview_open.text().startswith("Thu 12 Mar 2026 09:00 AEDT")

    dialog._set_zone("America/Los_Angeles")  # 10:00 PDT on Tuesday: open now
    assert dialog.preview_state.text().startswith("Open")
    assert dialog.preview_close.text().startswith("Tue 10 Mar 2026 17:30 PDT — in 7 h 30 min")
    assert dialog.preview_open.text().startswith("Thu 12 Mar 2026 09:00 PDT")  # 11 Mar: holiday


def test_hours_are_checked_as_typed(window_dialog: WindowEditorDialog) -> None:
    dialog = window_dialog
    dialog.hours.setText("Mon-Fri 09:00-17:3")
    assert dialog.hours_message.isVisible()
    assert 'time "17:3" must be HH:MM' in dialog.hours_message.text()
    assert dialog.preview_open.text() == "—"
    dialog.hours.setText("Mon-Fri 08:00-12:00,13:00-17:00; Sat 10:00-14:00")
    assert not dialog.hours_message.isVisible()
    assert dialog.hours_reading.text().startswith("Reads as: Mon–Fri 08:00–12:00, 13:00–17:00")


def test_holiday_countries_and_subdivisions_come_from_the_holidays_package(
    window_dialog: WindowEditorDialog,
) -> None:
    dialog = window_dialog
    assert not dialog.subdivision.isEnabled()
    dialog.country.setCurrentIndex(dialog.country.findData("AU"))
    assert dialog.country.currentText() == "AU — Australia"
    assert dialog.subdivision.isEnabled()
    dialog.subdivision.setCurrentIndex(dialog.subdivision.findData("NSW"))
    assert dialog.subdivision.currentText() == "NSW — New South Wales"
    assert "AU-NSW public holidays" in dialog.hours_reading.text()


def test_a_window_saves_through_the_service_or_says_what_is_wrong(
    qtbot, window_dialog: WindowEditorDialog, customers_world: CustomersWorld
) -> None:
    dialog = window_dialog
    dialog.name.setText("pacific")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.errors.message("name") == 'A window named "pacific" already exists.'
    before = len(customers_world.service().windows())

    dialog.name.setText("Sydney extended")
    dialog._set_zone("Australia/Sydney")
    dialog.hours.setText("Mon-Fri 08:00-18:00")
    dialog.country.setCurrentIndex(dialog.country.findData("AU"))
    with qtbot.waitSignal(dialog.window_saved) as done:
        dialog.save_button.click()
    window = done.args[0]
    assert (window.name, window.zone, window.holiday_country) == (
        "Sydney extended",
        "Australia/Sydney",
        "AU",
    )
    assert len(customers_world.service().windows()) == before + 1


def test_a_new_window_from_the_customer_form_is_chosen_for_the_customer(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    open_customer(view, customers_world.hollybrook)
    view.form.new_window.click()
    dialog = view.form.window_dialog
    assert dialog is not None
    dialog.name.setText("London office")
    dialog._set_zone("Europe/London")
    with qtbot.waitSignal(dialog.window_saved):
        dialog.save_button.click()
    assert view.form.window_combo.currentText() == "London office (custom) · Europe/London"
    with qtbot.waitSignal(view.form.customer_saved):
        view.form.save_button.click()
    stored = customers_world.service().customer(customers_world.hollybrook)
    window = customers_world.service().window(stored.window_id)
    assert window.name == "London office"


def test_stale_threshold_follows_the_clock(
    qtbot, view: CustomersView, customers_world: CustomersWorld
) -> None:
    customers_world.clock.advance(timedelta(days=81))  # Northwind: confirmed 91 days ago
    with qtbot.waitSignal(view.loaded):
        view.reload()
    index = view.model.index(row_of(view, customers_world.northwind), Column.LIST)
    assert index.data(STALE_ROLE) is True
    assert index.data() == "Stale: 91 days ago"


def test_contacts_are_shown_in_order_with_numbers(
    view: CustomersView, customers_world: CustomersWorld
) -> None:
    editor = open_customer(view, customers_world.northwind)
    model = editor.model
    assert [model.headerData(r, Qt.Orientation.Vertical) for r in range(3)] == ["1", "2", "3"]
    assert model.headerData(0, Qt.Orientation.Vertical, Qt.ItemDataRole.ToolTipRole) == (
        "Contacted first"
    )
    contact = model.index(0, 0).data(Qt.ItemDataRole.UserRole + 1)
    assert isinstance(contact, Contact) and contact.name == "Olivia Chen"
