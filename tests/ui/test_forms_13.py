"""Issue 13, forms: nothing jumps under the pointer, empty databases say what to do, Esc asks
before a typed report is lost, one phone format, read-only looks read-only, file dialogs
start at home, a policy save asks why and keeps the reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from console.domain.clock_model import ClockState
from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.qt.notifier import Notice
from console.qt.settings import Settings
from console.qt.worker import Dispatcher
from console.services.agents import AgentService
from console.services.context import ConsoleContext
from console.services.customers import CustomerService
from console.services.policy import reason_of
from console.services.seed import builtin_window_id, seed_defaults
from console.services.validation import ValidationError
from console.ui.customers.contact_dialog import ContactDialog
from console.ui.customers.view import CustomersView
from console.ui.forms import phone_text, plural
from console.ui.incident.files import FileFolder
from console.ui.incident.new_form import NewIncidentDialog
from console.ui.policy.editor import PolicyEditorDialog
from db.engine import open_database
from db.store import SqliteStore
from tests.ui.customers_fixtures import CustomersWorld, customers_world
from tests.ui.incident_fixtures import AGENT_ZONE, IncidentWorld, dispatcher, world
from tests.ui.test_notifier import reading

__all__ = ["customers_world", "dispatcher", "world"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


# -- an empty database ------------------------------------------------------------------------


@dataclass
class EmptyWorld:
    store: SqliteStore
    context: ConsoleContext
    customers: CustomerService


@pytest.fixture
def empty_world(tmp_path: Path) -> Iterator[EmptyWorld]:
    from tests.ui.incident_fixtures import FakeClock

    clock = FakeClock()
    path = tmp_path / "empty.sqlite3"
    store = SqliteStore(open_database(path, backup=False, quick_check=False))
    hlc = HybridLogicalClock("ws-test", lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    lead: Agent = AgentService(store, hlc).register(
        "Marcus Webb", Role.LEAD, "marcus.webb@vendor.example"
    )
    context = ConsoleContext.build(
        store=store,
        clock=clock,
        actor=lead,
        workstation_id="ws-test",
        hlc=hlc,
        agent_zone=AGENT_ZONE,
        db_path=str(path),
    )
    yield EmptyWorld(store, context, CustomerService(store, clock, lead, hlc))
    store.close()


def loaded_form(qtbot: Any, context: ConsoleContext, dispatcher: Dispatcher) -> NewIncidentDialog:
    dialog = NewIncidentDialog(context, dispatcher)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.data_loaded):
        pass
    dialog.resize(1080, 700)
    dialog.show()
    return dialog


def loaded_customers(qtbot: Any, context: ConsoleContext, dispatcher: Dispatcher) -> CustomersView:
    view = CustomersView(context, dispatcher)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded):
        pass
    view.resize(1366, 768)
    view.show()
    return view


def test_new_incident_on_an_empty_database_says_so_and_offers_to_add_a_customer(
    qtbot: Any, empty_world: EmptyWorld, dispatcher: Dispatcher
) -> None:
    form = loaded_form(qtbot, empty_world.context, dispatcher)
    assert "no customers yet" in form.customer_info.text()
    assert "Customers" in form.customer_info.text()
    assert form.add_customer_button.isVisible()
    assert form.add_customer_button.text() == "Add a customer…"
    with qtbot.waitSignal(form.add_customer_requested):
        qtbot.mouseClick(form.add_customer_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()  # out of the way of the Customers page
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_new_incident_with_customers_offers_no_add_button(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    form = loaded_form(qtbot, world.context, dispatcher)
    assert not form.add_customer_button.isVisible()
    assert form.customer_info.text() == "Choose the customer to see its plan, window and contacts."
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_the_customers_screen_on_an_empty_database_says_what_to_do(
    qtbot: Any, empty_world: EmptyWorld, dispatcher: Dispatcher
) -> None:
    view = loaded_customers(qtbot, empty_world.context, dispatcher)
    assert view.empty_state.isVisible()
    assert view.empty_label.text().startswith("No customers yet. Add the first one")
    assert not view.table.isVisible()
    qtbot.mouseClick(view.empty_button, Qt.MouseButton.LeftButton)
    assert view.form.name.hasFocus() or view.form.name.isVisible()
    assert view.details_group.title() == "New customer"
    view.start_new_customer()  # what New incident's "Add a customer…" leads to
    assert view.details_group.title() == "New customer"
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_one_customer_is_counted_in_the_singular(
    qtbot: Any, empty_world: EmptyWorld, dispatcher: Dispatcher
) -> None:
    empty_world.customers.create_customer("Solo Ltd", "standard", builtin_window_id("gmt"))
    view = loaded_customers(qtbot, empty_world.context, dispatcher)
    assert view.count_label.text() == "1 customer, 1 with a stale support list"
    assert not view.empty_state.isVisible()
    view.search.setText("nothing like it")
    assert view.no_match_label.isVisible()
    assert view.no_match_label.text() == (
        "No customer matches “nothing like it”. Clear the search or the filter to see all "
        "1 customer."
    )
    assert plural(0, "customer") == "0 customers" and plural(2, "customer") == "2 customers"
    qtbot.waitUntil(lambda: not dispatcher.busy)


# -- Esc on a typed form -----------------------------------------------------------------------


def test_esc_on_a_typed_new_incident_asks_and_keep_editing_keeps_the_text(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    form = loaded_form(qtbot, world.context, dispatcher)
    qtbot.keyClicks(form.title, "Checkout ret")
    qtbot.keyClick(form.title, Qt.Key.Key_Escape)
    box = form.discard_box
    assert box is not None and box.isVisible()
    assert form.isVisible()
    keep = box.button(QMessageBox.StandardButton.Cancel)
    assert keep.text() == "Keep editing"
    assert box.defaultButton() is keep
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert form.isVisible() and form.title.text() == "Checkout ret"

    qtbot.keyClick(form.title, Qt.Key.Key_Escape)
    box = form.discard_box
    assert box is not None and box.isVisible()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Discard), Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_esc_on_an_untouched_new_incident_closes_without_asking(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher
) -> None:
    form = loaded_form(qtbot, world.context, dispatcher)
    form.customer.setCurrentIndex(0)  # choosing a customer is not typing a report
    qtbot.keyClick(form.title, Qt.Key.Key_Escape)
    assert form.discard_box is None
    assert not form.isVisible()
    qtbot.waitUntil(lambda: not dispatcher.busy)


# -- nothing moves under the pointer ------------------------------------------------------------


def _top(widget: QWidget) -> int:
    return widget.mapTo(widget.window(), QPoint(0, 0)).y()


def refuse(errors: dict[str, str]) -> Any:
    def submit(_value: object) -> object:
        raise ValidationError(errors)

    return submit


def test_a_field_error_pushes_no_field_down_and_two_lines_are_not_clipped(
    qtbot: Any, dispatcher: Dispatcher
) -> None:
    dialog = ContactDialog(
        dispatcher,
        refuse(
            {
                "emails[0]": '"olivia@" is not an email address: it needs a domain after @.',
                "emails[1]": '"chen" is not an email address: it needs an @.',
            }
        ),
        title="Add a contact to Northwind Freight",
        phone_hint="Numbers without a country code are read as US (+1) numbers.",
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = {w: _top(w) for w in (dialog.name, dialog.role, dialog.emails, dialog.phones)}
    height = dialog.height()
    dialog.emails.setText("olivia@, chen")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)
    QApplication.processEvents()
    message = dialog.errors.message("emails")
    assert message.count("\n") == 1  # two lines
    label = next(
        lbl for lbl in dialog.findChildren(type(dialog.general_error)) if lbl.text() == message
    )
    assert label.isVisible()
    # Fields above the message stay put; the one below moves by the second line at most.
    for widget in (dialog.name, dialog.role, dialog.emails):
        assert _top(widget) == before[widget]
    line = label.fontMetrics().lineSpacing()
    assert _top(dialog.phones) - before[dialog.phones] <= line + 1
    # Both lines are on screen: the label is tall enough and the dialog holds it whole.
    assert label.height() >= label.heightForWidth(label.width())
    assert label.height() >= 2 * line
    bottom = label.mapTo(dialog, QPoint(0, label.height())).y()
    assert bottom <= dialog.height() and dialog.height() >= height

    dialog.emails.setText("olivia@northwind.example")
    dialog.emails.textEdited.emit("olivia@northwind.example")  # fixed: the message goes
    QApplication.processEvents()
    assert dialog.errors.message("emails") == ""
    assert _top(dialog.phones) - before[dialog.phones] <= line + 1
    for widget in (dialog.name, dialog.role, dialog.emails):
        assert _top(widget) == before[widget]


def test_a_one_line_error_moves_nothing(qtbot: Any, dispatcher: Dispatcher) -> None:
    dialog = ContactDialog(
        dispatcher, refuse({"name": "Give the contact's name."}), title="Add a contact"
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = [_top(w) for w in (dialog.name, dialog.role, dialog.emails, dialog.phones)]
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)
    QApplication.processEvents()
    assert dialog.errors.message("name") == "Give the contact's name."
    assert [_top(w) for w in (dialog.name, dialog.role, dialog.emails, dialog.phones)] == before


def test_the_breach_banner_floats_over_the_window_and_moves_nothing(
    qtbot: Any, world: IncidentWorld, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    from console.ui.shell.main_window import MainWindow

    window = MainWindow(world.context, dispatcher, Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: not dispatcher.busy)
    QApplication.processEvents()
    watched = (window.pages, window.nav, window.queue)
    before = [(_top(w), w.height()) for w in watched]
    notice = Notice(
        incident_id="inc-1",
        number="INC-ABCDE-00042",
        title="Checkout returns 502",
        customer="Northwind Freight",
        assignee_id=None,
        reading=reading(ClockState.BREACHED),
        zone=AGENT_ZONE,
    )
    window.banner.show_notice(notice, ClockState.BREACHED)
    QApplication.processEvents()
    assert window.banner.isVisible()
    assert [(_top(w), w.height()) for w in watched] == before
    central = window.centralWidget()
    assert window.banner.parentWidget() is central
    geometry = window.banner.geometry()
    assert central.rect().contains(geometry)
    assert geometry.height() >= window.banner.heightForWidth(geometry.width())
    assert geometry.bottom() > central.height() // 2  # over the bottom, not the search bar
    window.resize(1200, 700)
    QApplication.processEvents()
    assert window.centralWidget().rect().contains(window.banner.geometry())  # follows it
    window.banner.dismiss()
    QApplication.processEvents()
    assert not window.banner.isVisible()
    window.close()
    qtbot.waitUntil(lambda: not dispatcher.busy)


# -- smaller things ---------------------------------------------------------------------------


def test_phone_numbers_read_the_same_in_new_incident_as_on_the_support_list(
    qtbot: Any, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> None:
    assert phone_text("+442079460040") == "+44 20 7946 0040"
    assert phone_text("not a number") == "not a number"
    form = loaded_form(qtbot, customers_world.context(customers_world.lead), dispatcher)
    form.customer.setCurrentIndex(form.customer.findData(customers_world.northwind))
    tip = str(form.contact.itemData(0, Qt.ItemDataRole.ToolTipRole))
    assert tip == "olivia.chen@northwind.example, +1 415-555-0134"
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_read_only_durations_look_read_only(
    qtbot: Any, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> None:
    agent = PolicyEditorDialog(customers_world.context(customers_world.agent), dispatcher)
    qtbot.addWidget(agent)
    with qtbot.waitSignal(agent.loaded):
        pass
    cell = agent.fields.targets[("standard", "P1")]
    assert cell.span.isReadOnly() and not cell.span.hasFrame()
    assert not agent.fields.stale_days.hasFrame()
    assert not agent.fields.at_risk_minimum.hasFrame()
    lead = PolicyEditorDialog(customers_world.context(customers_world.lead), dispatcher)
    qtbot.addWidget(lead)
    with qtbot.waitSignal(lead.loaded):
        pass
    span = lead.fields.targets[("standard", "P1")].span
    assert not span.isReadOnly() and span.hasFrame()
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_the_attach_dialog_opens_at_home_then_in_the_last_folder(
    qtbot: Any,
    world: IncidentWorld,
    dispatcher: Dispatcher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    FileFolder.forget()
    asked: list[str] = []
    chosen = tmp_path / "logs" / "app.log"
    chosen.parent.mkdir()
    chosen.write_text("boom\n")

    def fake_open(parent: object, caption: str, folder: str = "", *args: object) -> Any:
        asked.append(folder)
        return [str(chosen)], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake_open))
    monkeypatch.chdir(tmp_path)
    form = loaded_form(qtbot, world.context, dispatcher)
    form.add_files.click()
    form.add_files.click()
    assert asked == [str(Path.home()), str(chosen.parent)]
    assert form.attachment_paths() == [chosen]  # the same file once
    FileFolder.forget()
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_a_policy_save_asks_for_a_reason_and_keeps_it_with_the_version(
    qtbot: Any, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> None:
    context = customers_world.context(customers_world.lead)
    dialog = PolicyEditorDialog(context, dispatcher)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        pass
    dialog.show()
    dialog.fields.stale_days.setValue(60)
    dialog.save_button.click()
    confirm = dialog.confirm_dialog
    assert confirm is not None and confirm.isVisible()
    assert "version 2" in confirm.question.text()
    assert not confirm.save_button.isEnabled()  # no reason, no save
    confirm.reject()
    assert [v.version for v in context.policy.versions()] == [1]  # cancelled: nothing saved

    dialog.save_button.click()
    confirm = dialog.confirm_dialog
    assert confirm is not None
    qtbot.keyClicks(confirm.reason, "Customers confirm lists every two months now")
    assert confirm.save_button.isEnabled()
    with qtbot.waitSignal(dialog.policy_saved) as saved:
        qtbot.mouseClick(confirm.save_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.loaded):
        pass
    version = saved.args[0]
    assert version.version == 2
    assert reason_of(version) == "Customers confirm lists every two months now"
    stored = max(context.policy.versions(), key=lambda v: v.version)
    assert reason_of(stored) == "Customers confirm lists every two months now"
    assert dialog.versions.index(0, 3).data() == "Customers confirm lists every two months now"
    assert dialog.version_label.text().endswith("· Customers confirm lists every two months now")
    assert context.policy.current()[1].support_list_stale_days == 60
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_an_unchanged_policy_with_a_new_reason_is_no_new_version(
    customers_world: CustomersWorld,
) -> None:
    service = customers_world.context(customers_world.lead).policy
    version, policy = service.current()
    assert service.save_policy(policy, "Just looking").version == version.version
    changed = service.save_policy(
        policy.to_toml().replace("stale_after_days = 90", "stale_after_days = 30"), "Monthly"
    )
    assert changed.version == version.version + 1 and reason_of(changed) == "Monthly"
    assert service.current()[1].support_list_stale_days == 30
    assert service.save_policy(changed.text.split("\n", 1)[1], "Again").version == changed.version


def test_the_thresholds_page_says_which_targets_are_at_risk_from_arrival(
    qtbot: Any, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> None:
    dialog = PolicyEditorDialog(customers_world.context(customers_world.lead), dispatcher)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        pass
    dialog.resize(1100, 620)
    dialog.show()
    dialog.tabs.setCurrentIndex(2)  # Thresholds
    note = dialog.fields.at_risk_note
    assert note.isVisible()
    assert note.text().startswith(
        "At risk from arrival: Premium P1 (15 min), Premium Plus P1 (15 min). These targets are "
        "no longer than their at-risk threshold (at least 15 min)"
    )
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_the_account_managers_phone_reads_as_on_the_support_list(
    qtbot: Any, empty_world: EmptyWorld, dispatcher: Dispatcher
) -> None:
    empty_world.customers.create_customer(
        "Solo Ltd",
        "premium_plus",
        builtin_window_id("gmt"),
        csm_name="Rachel Adeyemi",
        csm_email="rachel.adeyemi@vendor.example",
        csm_phone="+442079460040",
    )
    view = loaded_customers(qtbot, empty_world.context, dispatcher)
    assert view.form.csm_phone.text() == "+44 20 7946 0040"
    assert not view.form.dirty  # shown formatted, still the saved value
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_the_main_windows_new_incident_on_an_empty_database_leads_to_a_new_customer(
    qtbot: Any, empty_world: EmptyWorld, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    from console.ui.shell.main_window import MainWindow

    window = MainWindow(empty_world.context, dispatcher, Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.new_action.trigger()
    form = window.findChild(NewIncidentDialog)
    assert form is not None
    qtbot.waitUntil(form.add_customer_button.isVisible)

    qtbot.mouseClick(form.add_customer_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.customers)
    assert window.nav.currentItem().text() == "Customers"
    assert window.customers.form.isVisible()  # the blank customer form, ready to type in
    qtbot.waitUntil(lambda: not dispatcher.busy)


def test_new_incident_from_a_customers_screen_is_for_that_customer(
    qtbot: Any, empty_world: EmptyWorld, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    """Just added a customer and its contact: Ctrl+N there opens the incident for them, with
    the cursor in the title, not an empty customer box to search again."""
    from console.ui.shell.main_window import MainWindow

    empty_world.customers.create_customer("Other Ltd", "standard", builtin_window_id("gmt"))
    harbor = empty_world.customers.create_customer(
        "Harbor Logistics", "standard", builtin_window_id("gmt")
    )
    window = MainWindow(empty_world.context, dispatcher, Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.nav.setCurrentRow(window.pages.indexOf(window.customers))
    window.customers.select_customer(harbor.id)
    qtbot.waitUntil(lambda: window.customers.selected_customer_id() == harbor.id)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.findChild(NewIncidentDialog)
    assert form is not None
    qtbot.waitUntil(lambda: form.customer.currentData() == harbor.id)
    assert form.customer.currentText() == "Harbor Logistics"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.title)
    form.reject()
    qtbot.waitUntil(lambda: window.findChild(NewIncidentDialog) is None)

    # From the queue nothing is assumed.
    window.nav.setCurrentRow(0)
    window.new_action.trigger()
    queue_form = window.findChild(NewIncidentDialog)
    assert queue_form is not None
    qtbot.waitUntil(lambda: queue_form.customer.count() == 2)
    assert queue_form.customer.currentIndex() == -1
    queue_form.reject()
    qtbot.waitUntil(lambda: not dispatcher.busy)
