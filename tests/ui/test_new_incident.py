"""The new-incident form: per-field messages, no partial save, channel defaults, contacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone

from console.domain.records import IncidentSummary
from console.qt.worker import Dispatcher
from console.services.validation import ATTACHMENT_LIMIT
from console.ui.incident.new_form import NewIncidentDialog
from tests.ui.incident_fixtures import IncidentWorld, dispatcher, world

__all__ = ["dispatcher", "world"]

# The offscreen platform says so whenever a shown window gets size constraints.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def form(qtbot, world: IncidentWorld, dispatcher: Dispatcher) -> Iterator[NewIncidentDialog]:
    dialog = NewIncidentDialog(world.context, dispatcher)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.data_loaded):
        pass
    dialog.show()
    yield dialog
    qtbot.waitUntil(lambda: not dispatcher.busy)


def choose(form: NewIncidentDialog, customer_id: str) -> None:
    form.customer.setCurrentIndex(form.customer.findData(customer_id))


def set_started(form: NewIncidentDialog, at: datetime, zone: str) -> None:
    form.started_known.setChecked(True)
    form.started_zone.setCurrentIndex(form.started_zone.findData(zone))
    local = at.astimezone(ZoneInfo(zone))
    form.started.setDateTime(
        QDateTime(
            QDate(local.year, local.month, local.day),
            QTime(local.hour, local.minute),
            QTimeZone.utc(),
        )
    )


def submit_and_wait(qtbot, form: NewIncidentDialog) -> None:
    form.submit_button.click()
    qtbot.waitUntil(lambda: not form.busy)


def test_each_invalid_field_gets_its_message_and_nothing_is_saved(
    qtbot, form: NewIncidentDialog, world: IncidentWorld, tmp_path: Path
) -> None:
    before = world.incident_count()
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    form.add_attachments([empty])
    set_started(form, world.clock.now() + timedelta(days=2), "Europe/London")

    submit_and_wait(qtbot, form)

    assert form.errors.message("customer_id") == "Choose the customer who reported the incident."
    assert form.errors.message("title") == "The title is required."
    assert "is in the future" in form.errors.message("started_at")
    assert form.errors.message("attachments") == '"empty.log" is empty.'
    assert form.errors.message("affected") == ""  # report items may be missing
    assert form.focusWidget() in (form.customer, form.customer.lineEdit())
    assert form.isVisible()
    assert world.incident_count() == before


def test_a_corrected_form_saves_once_with_an_aware_start_and_its_files(
    qtbot, form: NewIncidentDialog, world: IncidentWorld, tmp_path: Path
) -> None:
    before = world.incident_count()
    submit_and_wait(qtbot, form)  # all wrong first
    assert form.errors.invalid_keys()
    log = tmp_path / "app.log"
    log.write_text("ERROR upstream=api status=502\n" * 40)
    choose(form, world.premium.id)
    form.title.setText("Checkout returns 502 Bad Gateway")
    form.proposed.setCurrentIndex(form.proposed.findData("P1"))
    form.affected.setPlainText("Checkout and payment pages")
    form.error_message.setPlainText("502 Bad Gateway")
    started = world.clock.now() - timedelta(hours=1)
    set_started(form, started, "Europe/London")
    form.add_attachments([log])

    with qtbot.waitSignal(form.incident_opened) as opened:
        form.submit_button.click()

    summary = opened.args[0]
    assert isinstance(summary, IncidentSummary)
    assert (summary.priority, summary.proposed_priority) == ("P1", "P1")
    assert world.incident_count() == before + 1
    assert not form.isVisible()
    details = world.context.incidents.details(summary.id)
    assert details.report.started_at == started.replace(second=0, microsecond=0)
    assert details.report.started_at is not None
    assert details.report.started_at.tzinfo == ZoneInfo("Europe/London")
    assert [a.filename for a in details.attachments] == ["app.log"]
    assert details.contact is not None and details.contact.name == "Olivia Chen"


def test_email_defaults_to_p4_unless_a_priority_was_picked(
    form: NewIncidentDialog, world: IncidentWorld
) -> None:
    email = form.channel.findData("email")
    choose(form, world.premium.id)  # the customer proposes
    form.channel.setCurrentIndex(email)
    assert form.proposed.currentData() == "P4"
    form.channel.setCurrentIndex(form.channel.findData("phone"))
    assert form.proposed.currentData() == ""

    choose(form, world.standard.id)  # the vendor classifies
    assert form.classified.isVisible()
    form.channel.setCurrentIndex(email)
    assert form.classified.currentData() == "P4"
    assert form.proposed.currentData() == ""

    form.channel.setCurrentIndex(form.channel.findData("web"))
    index = form.classified.findData("P2")
    form.classified.setCurrentIndex(index)
    form.classified.activated.emit(index)  # what a user's pick emits
    form.channel.setCurrentIndex(email)
    assert form.classified.currentData() == "P2"


def test_vendor_classification_is_offered_only_where_the_vendor_classifies(
    form: NewIncidentDialog, world: IncidentWorld
) -> None:
    choose(form, world.premium.id)
    assert not form.classified.isVisible()
    assert "customer proposes" in form.priority_rule.text()
    choose(form, world.standard.id)
    assert form.classified.isVisible()
    assert "vendor classifies" in form.priority_rule.text()
    assert "P1 Critical" in form.priority_help.text()


def test_contacts_follow_the_support_list_order(
    form: NewIncidentDialog, world: IncidentWorld
) -> None:
    choose(form, world.premium.id)
    shown = [form.contact.itemData(i) for i in range(form.contact.count())]
    assert shown == [c.id for c in world.premium.contacts]
    names = [form.contact.itemText(i) for i in range(form.contact.count())]
    assert names == [
        "1. Olivia Chen (IT support lead)",
        "2. Maria Rossi (Head of IT)",  # moved up after James was added
        "3. James Okafor (Systems administrator)",
    ]
    assert form.contact.currentIndex() == 0
    assert "Pacific window" in form.customer_info.text()


def test_customer_search_matches_any_part_of_the_name(form: NewIncidentDialog) -> None:
    completer = form.customer.completer()
    assert completer is not None
    completer.setCompletionPrefix("wind")
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "Northwind Freight"


def test_typing_a_customers_exact_name_chooses_it(
    form: NewIncidentDialog, world: IncidentWorld
) -> None:
    form.customer.setEditText("northwind freight")
    assert form.selected_customer() == world.premium
    assert form.contact.count() == 3
    form.customer.setEditText("Northwind")
    assert form.selected_customer() is None
    assert form.contact.count() == 0


def test_the_start_zone_defaults_to_the_customers_window(
    form: NewIncidentDialog, world: IncidentWorld
) -> None:
    choose(form, world.premium.id)
    assert form.started_zone.currentData() == "America/Los_Angeles"
    choose(form, world.standard.id)
    assert form.started_zone.currentData() == "Etc/GMT"


def test_a_file_over_the_limit_is_refused_with_its_real_size(
    qtbot, form: NewIncidentDialog, world: IncidentWorld, tmp_path: Path
) -> None:
    big = tmp_path / "dump.bin"
    with big.open("wb") as handle:
        handle.truncate(ATTACHMENT_LIMIT + 5 * 1024 * 1024)  # sparse: nothing is written
    choose(form, world.premium.id)
    form.title.setText("Nightly export stalls")
    form.add_attachments([big])
    assert "30.0 MiB" in form.attachments.item(0).text()
    before = world.incident_count()

    submit_and_wait(qtbot, form)

    assert form.errors.message("attachments") == (
        '"dump.bin" is 30.0 MiB; attachments may be at most 25.0 MiB.'
    )
    assert world.incident_count() == before


def test_removing_a_file_takes_it_off_the_list(form: NewIncidentDialog, tmp_path: Path) -> None:
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text("a")
    second.write_text("b")
    form.add_attachments([first, second, first])
    assert form.attachment_paths() == [first, second]
    form.attachments.item(0).setSelected(True)
    form.remove_files.click()
    assert form.attachment_paths() == [second]
    assert form.attachments.count() == 1
