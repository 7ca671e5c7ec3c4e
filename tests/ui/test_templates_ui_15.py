"""Issue 15: Settings → Mail templates… and the compose box's "/" list, through real widgets on
a real SQLite store. A lead edits a template with a live preview, sees a misspelt
placeholder named under the body, saves and resets it; an agent sees the templates
read-only; "/" at the start of a line offers the templates, Enter puts the rendered one in
place, Esc leaves the text alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMenu, QPlainTextEdit
from pytestqt.qtbot import QtBot

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent, Role
from console.qt.worker import Dispatcher
from console.services.agents import AgentService
from console.services.seed import seed_defaults
from console.services.templates import TemplateService
from console.ui.mail.template_picker import attach_template_picker
from console.ui.mail.templates_dialog import TemplatesDialog
from db.engine import open_database
from db.store import SqliteStore
from tests.services.conftest import FakeClock

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", r"This plugin does not support raise\(\)"
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SqliteStore, FakeClock, HybridLogicalClock]]:
    store = SqliteStore(open_database(tmp_path / "t.sqlite3", backup=False, quick_check=False))
    clock = FakeClock()
    hlc = HybridLogicalClock("ws-ui", lambda: int(clock.now().timestamp() * 1000))
    seed_defaults(store, clock, hlc)
    yield store, clock, hlc
    store.close()


def person(world: tuple[SqliteStore, FakeClock, HybridLogicalClock], role: Role) -> Agent:
    store, _, hlc = world
    return AgentService(store, hlc).register(f"Someone {role.value}", role)


def open_dialog(qtbot: QtBot, dispatcher: Dispatcher, service: TemplateService) -> TemplatesDialog:
    dialog = TemplatesDialog(service, dispatcher)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.list.count() == 6)
    return dialog


def test_a_lead_edits_with_a_live_preview_sees_a_misspelt_placeholder_saves_and_resets(
    qtbot: QtBot, dispatcher: Dispatcher, world: tuple[SqliteStore, FakeClock, HybridLogicalClock]
) -> None:
    store, clock, hlc = world
    service = TemplateService(store, clock, person(world, Role.LEAD), hlc)
    dialog = open_dialog(qtbot, dispatcher, service)
    qtbot.waitUntil(dialog.save_button.isEnabled)
    assert not dialog.body.isReadOnly() and dialog.note.text() == ""
    dialog.list.setCurrentRow(1)  # Status update
    assert dialog.heading.text().startswith("Status update: The default")
    assert not dialog.reset_button.isEnabled()  # nothing to reset yet

    dialog.body.setPlainText("Hello\n{{ custmer }}")
    assert dialog.body_error.isVisibleTo(dialog)
    assert dialog.body_error.text().startswith("line 2: 'custmer' is not a placeholder; known:")
    assert not dialog.save_button.isEnabled()

    dialog.body.setPlainText("Hello {{ contact_name }}, about ")
    dialog.body.moveCursor(dialog.body.textCursor().MoveOperation.End)
    dialog.placeholders.setCurrentRow(2)  # title
    dialog.insert_placeholder()
    assert dialog.body.toPlainText() == "Hello {{ contact_name }}, about {{ title }}"
    assert not dialog.body_error.isVisibleTo(dialog)
    assert dialog.preview.toPlainText() == "Hello Olivia Chen, about Checkout returns 502"
    dialog.subject.setText("Update: {{ priority }}")
    dialog.subject.textEdited.emit(dialog.subject.text())
    assert dialog.preview_subject.text() == "Subject: [INC-2026-0042] Update: P1"

    with qtbot.waitSignal(dialog.saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.item(1).text() == "Status update  (the team's)")
    saved = service.get("status_update")
    assert (saved.subject, saved.body) == (
        "Update: {{ priority }}",
        "Hello {{ contact_name }}, about {{ title }}",
    )
    qtbot.waitUntil(dialog.reset_button.isEnabled)
    with qtbot.waitSignal(dialog.saved):
        qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.item(1).text() == "Status update")
    assert service.get("status_update").is_default
    assert "Here is the latest on" in dialog.body.toPlainText()


def test_an_agent_sees_the_templates_read_only(
    qtbot: QtBot, dispatcher: Dispatcher, world: tuple[SqliteStore, FakeClock, HybridLogicalClock]
) -> None:
    store, clock, hlc = world
    service = TemplateService(store, clock, person(world, Role.AGENT), hlc)
    dialog = open_dialog(qtbot, dispatcher, service)
    qtbot.waitUntil(lambda: dialog.note.text() != "")
    assert dialog.note.text() == "Only a team lead or an admin may change mail templates."
    assert dialog.body.isReadOnly() and dialog.subject.isReadOnly()
    assert not dialog.save_button.isEnabled() and not dialog.reset_button.isEnabled()
    assert "Thank you for contacting us" in dialog.preview.toPlainText()


def test_wire_templates_adds_the_settings_entry(
    qtbot: QtBot, dispatcher: Dispatcher, world: tuple[SqliteStore, FakeClock, HybridLogicalClock]
) -> None:
    from console.ui.mail.templates_dialog import wire_templates

    class Window(QMainWindow):
        def __init__(self) -> None:
            super().__init__()
            self.settings_menu = QMenu("Settings", self)

        def add_settings_action(self, text: str, icon: str, slot: object) -> None:
            action = self.settings_menu.addAction(text)
            action.triggered.connect(slot)

    store, clock, _ = world

    class Context:
        def __init__(self) -> None:
            self.store, self.clock, self.actor = store, clock, person(world, Role.LEAD)

    window = Window()
    qtbot.addWidget(window)
    wire_templates(window, Context(), dispatcher)  # type: ignore[arg-type]
    actions = window.settings_menu.actions()
    assert [a.text() for a in actions] == ["Mail templates…"]
    actions[0].trigger()
    dialog = window.findChild(TemplatesDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.list.count() == 6)
    dialog.close()


CHOICES = [
    ("first_response", "First response"),
    ("status_update", "Status update"),
    ("missing_details", "Missing details"),
]


def compose_box(qtbot: QtBot) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    qtbot.addWidget(edit)
    attach_template_picker(edit, lambda: CHOICES, lambda key: f"<{key} rendered>")
    edit.show()
    edit.setFocus()
    return edit


def picker_of(edit: QPlainTextEdit):  # type: ignore[no-untyped-def]
    return edit.__dict__["template_picker"]


def test_slash_at_a_line_start_offers_templates_and_enter_inserts_the_rendered_one(
    qtbot: QtBot,
) -> None:
    edit = compose_box(qtbot)
    qtbot.keyClicks(edit, "Hi,")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "/")
    picker = picker_of(edit)
    assert picker.popup.isVisible()
    assert picker.shown() == ["First response", "Status update", "Missing details"]
    qtbot.keyClicks(edit, "up")
    assert picker.shown() == ["Status update"]
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert edit.toPlainText() == "Hi,\n<status_update rendered>"
    assert not picker.popup.isVisible()


def test_esc_leaves_the_text_alone_and_a_slash_mid_line_is_just_a_slash(qtbot: QtBot) -> None:
    edit = compose_box(qtbot)
    picker = picker_of(edit)
    qtbot.keyClicks(edit, "and/or ")
    assert not picker.popup.isVisible()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClicks(edit, "/")
    qtbot.keyClicks(edit, "mis")
    assert picker.shown() == ["Missing details"]
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert not picker.popup.isVisible()
    assert edit.toPlainText() == "and/or \n/mis"
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert edit.toPlainText() == "and/or \n/mis\n"  # Enter is an ordinary Enter again
