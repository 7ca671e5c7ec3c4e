"""The policy editor: each save is a new version; per-field messages; agents read only;
the vendor's escalation contacts kept in order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QLabel, QMessageBox

from console.domain.policy import SPAN_BOUNDS, ClockKind, Span
from console.qt.worker import Dispatcher
from console.services.context import ConsoleContext
from console.ui.customers.window_dialog import WindowEditorDialog
from console.ui.policy.editor import PolicyEditorDialog
from console.ui.policy.fields import field_key_for
from tests.ui.customers_fixtures import CustomersWorld, customers_world
from tests.ui.incident_fixtures import dispatcher

__all__ = ["customers_world", "dispatcher"]

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def open_editor(qtbot, context: ConsoleContext, dispatcher: Dispatcher) -> PolicyEditorDialog:
    dialog = PolicyEditorDialog(context, dispatcher)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        pass
    dialog.show()
    return dialog


@pytest.fixture
def lead_editor(
    qtbot, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> Iterator[PolicyEditorDialog]:
    yield open_editor(qtbot, customers_world.context(customers_world.lead), dispatcher)
    qtbot.waitUntil(lambda: not dispatcher.busy)


@pytest.fixture
def agent_editor(
    qtbot, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> Iterator[PolicyEditorDialog]:
    yield open_editor(qtbot, customers_world.context(customers_world.agent), dispatcher)
    qtbot.waitUntil(lambda: not dispatcher.busy)


def attach_tester(model: object) -> QAbstractItemModelTester:
    return QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)


def test_a_save_makes_a_new_version_and_keeps_the_old_one(
    qtbot, lead_editor: PolicyEditorDialog, customers_world: CustomersWorld
) -> None:
    dialog = lead_editor
    service = customers_world.context(customers_world.lead).policy
    check = attach_tester(dialog.versions)
    assert dialog.versions.rowCount() == 1
    assert not dialog.save_button.isEnabled()  # nothing changed yet

    cell = dialog.fields.targets[("standard", "P1")]
    assert cell.assumed.isVisibleTo(cell)
    cell.span.setText("3h")
    cell.span.textEdited.emit("3h")
    dialog.fields.cadence_spans["P2"].setText("2h")
    dialog.fields.cadence_spans["P2"].textEdited.emit("2h")
    dialog.fields.at_risk_percent.setValue(30)
    dialog.fields.stale_days.setValue(60)
    dialog.fields.reopen_days.setValue(7)
    dialog.fields.sender_window.setText("30m")
    dialog.fields.sender_window.textEdited.emit("30m")
    assert dialog.save_button.isEnabled()
    assert not cell.assumed.isVisibleTo(cell)  # edited: the team's own value now

    with qtbot.waitSignal(dialog.policy_saved) as saved:
        dialog.save_button.click()
        dialog.confirm_dialog.reason.setText("Tighter Standard P1 target")
        dialog.confirm_dialog.accept()
    with qtbot.waitSignal(dialog.loaded):
        pass
    version = saved.args[0]
    assert (version.version, version.author) == (2, "Marcus Webb")
    current_version, policy = service.current()
    assert current_version.version == 2
    target = policy.target("standard", "P1")
    assert (target.span, target.clock, target.assumed) == (
        Span(minutes=180),
        ClockKind.BUSINESS,
        False,
    )
    assert policy.target("standard", "P2").assumed  # untouched values stay assumed
    cadence = policy.cadence("premium", "P2")
    assert cadence is not None and cadence.span == Span(minutes=120)
    assert policy.at_risk_percent == 30
    assert policy.support_list_stale_days == 60
    assert (policy.reopen_days, policy.sender_limit) == (7, 10)
    assert policy.sender_limit_window == timedelta(minutes=30)
    assert [v.version for v in service.versions()] == [1, 2]

    assert dialog.versions.rowCount() == 2
    assert dialog.versions.index(0, 0).data() == "2 (current)"
    assert dialog.versions.index(0, 1).data() == "Marcus Webb"
    assert dialog.versions.index(0, 2).data() == "Tue 10 Mar 2026 18:00 CET"
    assert dialog.versions.index(1, 0).data() == "1"
    assert dialog.version_label.text().startswith("Version 2, saved by Marcus Webb")
    assert not dialog.save_button.isEnabled()
    del check


def test_bad_durations_are_named_per_field_and_nothing_is_saved(
    qtbot, lead_editor: PolicyEditorDialog, customers_world: CustomersWorld
) -> None:
    dialog = lead_editor
    fields = dialog.fields
    fields.targets[("premium", "P1")].span.setText("soon")
    wall = fields.targets[("advanced", "P3")]
    wall.clock.setCurrentIndex(wall.clock.findData(ClockKind.WALL.value))  # 2bd on 24x7
    fields.cadence_spans["P1"].setText("0m")
    fields.at_risk_minimum.setText("1bd")
    fields.sender_window.setText("often")
    dialog.save()

    errors = dialog.errors
    assert errors.message("target.premium.P1") == (
        '"soon" is not a duration: write it like 15m, 2h, 1h30m or 1bd.'
    )
    assert errors.message("target.advanced.P3") == "Business days need the business-hours clock."
    assert errors.message("cadence.P1") == "The update cadence must be longer than zero."
    assert errors.message("at_risk_minimum") == "Give the minimum in hours and minutes, e.g. 15m."
    assert errors.message("sender_window") == '"often" is not a duration: write it like 10m or 1h.'
    assert errors.message("target.standard.P1") == ""
    assert dialog.tabs.currentIndex() == 0  # the first invalid field's tab
    service = customers_world.context(customers_world.lead).policy
    assert [v.version for v in service.versions()] == [1]

    fields.targets[("premium", "P1")].span.setText("15m")
    fields.sender_window.setText("10m")
    wall.clock.setCurrentIndex(wall.clock.findData(ClockKind.BUSINESS.value))
    fields.at_risk_minimum.setText("15m")
    dialog.save()
    assert errors.invalid_keys() == ["cadence.P1"]
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Status updates"
    assert [v.version for v in service.versions()] == [1]


def test_the_services_message_lands_on_its_field() -> None:
    key, text = field_key_for(
        'plans.standard.targets.P1.target: "2bd" counts business days on a 24x7 clock'
    )
    assert key == "target.standard.P1"
    assert text == '"2bd" counts business days on a 24x7 clock.'
    assert field_key_for("status_updates.P3.every: bad")[0] == "cadence.P3"
    assert field_key_for("support_list.stale_after_days: 0 is not")[0] == "stale_days"
    assert field_key_for("no path here") == ("", "no path here")


def test_an_unchanged_policy_adds_no_version(
    qtbot, lead_editor: PolicyEditorDialog, customers_world: CustomersWorld
) -> None:
    dialog = lead_editor
    dialog.fields.stale_days.setValue(91)
    dialog.fields.stale_days.setValue(90)
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.busy)
    service = customers_world.context(customers_world.lead).policy
    assert [v.version for v in service.versions()] == [1]
    assert "still version 1" in dialog.errors.message("")


def test_an_agent_sees_the_policy_read_only_and_cannot_save_it(
    qtbot, agent_editor: PolicyEditorDialog, customers_world: CustomersWorld
) -> None:
    dialog = agent_editor
    assert not dialog.editable
    assert dialog.read_only_note.isVisible()
    assert "only leads and admins may edit" in dialog.read_only_text.text()
    assert "Sofia Alvarez (agent)" in dialog.read_only_text.text()
    assert not dialog.save_button.isVisible()
    cell = dialog.fields.targets[("standard", "P1")]
    assert cell.span.isReadOnly() and not cell.clock.isEnabled()
    assert dialog.fields.stale_days.isReadOnly()
    ladder = dialog.ladders[1]
    assert not ladder.add_button.isVisible()

    cell.span.setText("1h")  # even if a field changed, the service refuses the agent
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert "only a lead or an admin may change the support policy" in dialog.errors.message("")
    service = customers_world.context(customers_world.agent).policy
    assert [v.version for v in service.versions()] == [1]


def test_escalation_contacts_are_added_ordered_and_deleted_per_level(
    qtbot, lead_editor: PolicyEditorDialog, customers_world: CustomersWorld
) -> None:
    dialog = lead_editor
    service = customers_world.context(customers_world.lead).policy
    ladder = dialog.ladders[1]
    check = attach_tester(ladder.model)
    assert ladder.empty_note.isVisibleTo(ladder)

    def add(name: str, email: str, phone: str = "") -> None:
        ladder.add_button.click()
        contact_dialog = ladder.contact_dialog
        assert contact_dialog is not None
        contact_dialog.name.setText(name)
        contact_dialog.role.setText("Support manager")
        contact_dialog.emails.setText(email)
        contact_dialog.phones.setText(phone)
        with qtbot.waitSignal(ladder.contacts_changed):
            contact_dialog.save_button.click()
        qtbot.waitUntil(lambda: not ladder.busy)

    ladder.add_button.click()
    bad = ladder.contact_dialog
    assert bad is not None
    bad.name.setText("Dana Whitfield")
    bad.emails.setText("dana@")
    bad.phones.setText("12")
    bad.save_button.click()
    qtbot.waitUntil(lambda: not bad.busy)
    assert bad.errors.message("email").startswith('"dana@" is not a valid email address')
    assert bad.errors.message("phone").startswith('"12" is not a valid phone number')
    assert service.escalation_contacts(1) == []
    bad.reject()

    add("Dana Whitfield", "dana.whitfield@vendor.example", "+44 20 7946 0100")
    add("Priya Natarajan", "priya.natarajan@vendor.example")
    assert not ladder.empty_note.isVisibleTo(ladder)
    assert [c.name for c in service.escalation_contacts(1)] == ["Dana Whitfield", "Priya Natarajan"]
    assert ladder.model.index(0, 3).data() == "+44 20 7946 0100"
    assert service.escalation_contacts(2) == []

    assert ladder.selected() is not None and ladder.selected().name == "Priya Natarajan"
    with qtbot.waitSignal(ladder.contacts_changed):
        ladder.up_button.click()
    assert [c.name for c in service.escalation_contacts(1)] == ["Priya Natarajan", "Dana Whitfield"]
    assert [c.name for c in ladder.model.records] == ["Priya Natarajan", "Dana Whitfield"]

    ladder.delete_button.click()
    box = ladder.delete_box
    assert box is not None
    with qtbot.waitSignal(ladder.contacts_changed):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert [c.name for c in service.escalation_contacts(1)] == ["Dana Whitfield"]
    assert [v.version for v in service.versions()] == [1]  # contacts make no new version
    del check


# -- bounds and zones (issue #12): the editors say what is allowed, and never raise -----------


def test_a_target_beyond_the_bound_is_refused_under_its_field_with_the_bound(
    qtbot, lead_editor: PolicyEditorDialog, customers_world: CustomersWorld
) -> None:
    """17673992h was saved, and after it no incident could be opened on that plan."""
    dialog = lead_editor
    fields = dialog.fields
    hints = [label.text() for label in fields.targets_page.findChildren(QLabel)]
    assert any(SPAN_BOUNDS in hint for hint in hints)  # the editor says the bound up front
    assert any(SPAN_BOUNDS in label.text() for label in fields.cadences_page.findChildren(QLabel))

    fields.targets[("premium", "P1")].span.setText("17673992h")
    fields.cadence_spans["P1"].setText("2161h")
    dialog.save()

    assert dialog.errors.message("target.premium.P1") == (
        '"17673992h" is too long: targets are at most 90 business days (90bd) and at most '
        "2,160 hours (2160h)."
    )
    assert dialog.errors.message("cadence.P1") == (
        '"2161h" is too long: update cadences are at most 90 business days (90bd) and at '
        "most 2,160 hours (2160h)."
    )
    service = customers_world.context(customers_world.lead).policy
    assert [v.version for v in service.versions()] == [1]

    fields.targets[("premium", "P1")].span.setText("2160h")  # exactly the bound: saved
    fields.cadence_spans["P1"].setText("2160h")
    with qtbot.waitSignal(dialog.policy_saved):
        dialog.save()
        dialog.confirm_dialog.reason.setText("Premium P1 up to the bound")
        dialog.confirm_dialog.accept()
    with qtbot.waitSignal(dialog.loaded):
        pass
    assert service.current()[1].target("premium", "P1").span == Span(minutes=2160 * 60)


@pytest.fixture
def window_editor(
    qtbot, customers_world: CustomersWorld, dispatcher: Dispatcher
) -> Iterator[WindowEditorDialog]:
    """Support windows are policy data: a lead edits them in this dialog."""
    dialog = WindowEditorDialog(customers_world.context(customers_world.lead), dispatcher)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    qtbot.waitUntil(lambda: not dispatcher.busy)


@pytest.mark.qt_log_ignore(  # the zone completer's popup, offscreen
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)
@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("Europe", "that is a region of the tz database, not a zone"),
        ("a" * 300, "the name is 300 characters long, and IANA names are at most 255"),
        ("../../etc/passwd", "use an IANA name"),
        ("zone.tab", "use an IANA name"),
    ],
)
def test_typing_a_folder_or_an_overlong_zone_names_the_zone_field(
    qtbot, window_editor: WindowEditorDialog, customers_world: CustomersWorld, typed, problem
) -> None:
    """Each keystroke raised OSError in a Qt slot (19 of them for a folder name)."""
    dialog = window_editor
    line = dialog.zone.lineEdit()
    assert line is not None
    line.clear()
    qtbot.keyClicks(line, typed)
    qtbot.keyClicks(dialog.hours, " ")  # the hours are re-checked against the zone typed

    assert dialog.zone_message.isVisible()
    message = dialog.zone_message.text()
    assert "is not a known time zone: " + problem in message
    assert len(message) < 300
    assert not dialog.hours_message.isVisible()  # the hours are fine; the zone is not
    assert dialog.preview_state.text() == "Correct the time zone to see when this window opens."

    before = len(customers_world.service().windows())
    dialog.name.setText("Hostile zone")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert "is not a known time zone: " + problem in dialog.errors.message("zone")
    assert len(customers_world.service().windows()) == before

    line.clear()
    qtbot.keyClicks(line, "Europe/London")
    assert not dialog.zone_message.isVisible()
    assert dialog.preview_state.text().startswith(("Open", "Closed"))
